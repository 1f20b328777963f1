# pp/_gi.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Load the Pp-1.0 typelib (libpp-glib) through PyGObject."""

import os
import sys

__all__ = ["GLib", "Pp", "PP_ERROR_DOMAIN"]


def _hint():
    return ("Set GI_TYPELIB_PATH (and LD_LIBRARY_PATH) to the directories "
            "holding Pp-1.0.typelib and libpp-glib-1.0.so, or install pp-glib "
            "with its introspection data (meson -Dintrospection=enabled).")


try:
    import gi
except ImportError as e:
    raise ImportError(
        "pp needs PyGObject (the 'gi' module, Debian package python3-gi), "
        "which %s (%s) cannot import: %s. Run pp programs with an "
        "interpreter that has PyGObject, such as /usr/bin/python3."
        % (sys.executable or "this interpreter", sys.version.split()[0], e)) from e


def _prepend_search_path(typelib_dir, lib_dir):
    try:
        gi.require_version("GIRepository", "2.0")
        from gi.repository import GIRepository
        if typelib_dir:
            GIRepository.Repository.prepend_search_path(typelib_dir)
        if lib_dir:
            GIRepository.Repository.prepend_library_path(lib_dir)
        return True
    except (ValueError, ImportError, AttributeError):
        pass
    try:  # girepository-2.0 from GLib >= 2.80 (PyGObject >= 3.50)
        gi.require_version("GIRepository", "3.0")
        from gi.repository import GIRepository
        repo = GIRepository.Repository.dup_default()
        if typelib_dir:
            repo.prepend_search_path(typelib_dir)
        if lib_dir:
            repo.prepend_library_path(lib_dir)
        return True
    except (ValueError, ImportError, AttributeError):
        return False


def _require_pp():
    try:
        gi.require_version("Pp", "1.0")
        return None
    except ValueError as e:
        first = e
    try:
        from . import _build_config
    except ImportError:
        _build_config = None
    typelib_dir = getattr(_build_config, "TYPELIB_DIR", None)
    lib_dir = getattr(_build_config, "LIBDIR", None)
    if typelib_dir and os.path.isdir(typelib_dir) and _prepend_search_path(typelib_dir, lib_dir):
        try:
            gi.require_version("Pp", "1.0")
            return None
        except ValueError as e:
            first = e
    where = " (also looked in %s)" % typelib_dir if typelib_dir else ""
    return ImportError("pp cannot load the Pp-1.0 typelib of libpp-glib%s: %s. %s"
                       % (where, first, _hint()))


_error = _require_pp()
if _error is not None:
    raise _error

gi.require_version("GLib", "2.0")
gi.require_version("GObject", "2.0")
gi.require_version("Gio", "2.0")

try:
    from gi.repository import GLib, Pp  # noqa: E402
except ImportError as e:
    raise ImportError("pp cannot load libpp-glib through the Pp-1.0 typelib: %s. %s"
                      % (e, _hint())) from e

try:
    PP_ERROR_DOMAIN = GLib.quark_to_string(Pp.error_quark())
except GLib.Error as e:  # the typelib was found, the shared library was not
    raise ImportError("pp found the Pp-1.0 typelib but cannot load libpp-glib: %s. %s"
                      % (e.message, _hint())) from None
