# pp/_backend.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""How pp reaches libpp-glib: ``GLib``, ``Pp`` and ``PP_ERROR_DOMAIN``.

By default through pp's own extension module ``pp._ppcore``, which links
libpp-glib and needs no PyGObject (a virtualenv, any CPython 3.9+); with
``PP_BACKEND=gi`` through PyGObject and the Pp-1.0 typelib (``_gi``).
Both give the names pp uses with the same methods, so the rest of the
package does not know which one runs.

``pp._ppcore`` is found beside this file (installed by meson or pip); a
source tree run names the one in the build tree with ``$PP_PPCORE``
(``./dev.sh env`` and the test suite set it).
"""

import enum
import importlib.machinery
import importlib.util
import os
import sys
import types

__all__ = ["GLib", "Pp", "PP_ERROR_DOMAIN", "NAME"]

NAME = os.environ.get("PP_BACKEND") or "ppcore"


def _hint():
    return ("Build pp-glib (./dev.sh build, which sets PP_PPCORE in ./dev.sh env), "
            "install it (meson install, or pip install from the source tree), "
            "or set PP_BACKEND=gi to use PyGObject.")


def _load_ppcore():
    path = os.environ.get("PP_PPCORE")
    name = __package__ + "._ppcore"
    if path:
        loader = importlib.machinery.ExtensionFileLoader(name, path)
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        try:
            module = importlib.util.module_from_spec(spec)
        except ImportError as e:
            raise ImportError("pp cannot load its _ppcore module %s (PP_PPCORE): %s"
                              % (path, e)) from None
        sys.modules[name] = module
        spec.loader.exec_module(module)
        setattr(sys.modules[__package__], "_ppcore", module)
        return module
    try:
        from . import _ppcore
    except ImportError as e:
        raise ImportError("pp cannot load its _ppcore module (libpp-glib for %s %s): "
                          "%s. %s" % (sys.executable or "this interpreter",
                                      sys.version.split()[0], e, _hint())) from None
    return _ppcore


class _Enum(enum.IntEnum):
    """A libpp-glib enum, with the ``value_nick`` PyGObject's have."""

    @property
    def value_nick(self):
        return self._nicks[self.value]


def _enum(core, name):
    members = core._enum_members(name)
    cls = _Enum(name, [(upper, value) for upper, _nick, value in members],
                module="pp._backend")
    cls._nicks = {value: nick for _upper, nick, value in members}
    return cls


class _TimeoutSource:
    """``GLib.timeout_source_new(ms)`` as pp's dispatcher uses it."""

    def __init__(self, milliseconds):
        self.milliseconds = milliseconds
        self.callback = None

    def set_callback(self, callback):
        self.callback = callback

    def attach(self, context):
        context.timeout_add(self.milliseconds, self.callback)


def _ppcore_namespaces():
    core = _load_ppcore()
    job_state = _enum(core, "JobState")
    node_state = _enum(core, "NodeState")
    core._register_enums(job_state, node_state)
    glib = types.SimpleNamespace(
        Error=core.Error, MainContext=core.MainContext, MainLoop=core.MainLoop,
        PRIORITY_DEFAULT=core.PRIORITY_DEFAULT, PRIORITY_LOW=core.PRIORITY_LOW,
        get_prgname=core.get_prgname, set_prgname=core.set_prgname,
        timeout_source_new=_TimeoutSource)
    pp = types.SimpleNamespace(
        Server=core.Server, Function=core.Function, Job=core.Job, Node=core.Node,
        JobState=job_state, NodeState=node_state,
        PayloadFormat=_enum(core, "PayloadFormat"), Error=_enum(core, "Error"),
        NCPUS_AUTODETECT=core.NCPUS_AUTODETECT, VERSION_S=core.VERSION_S,
        Completion=core.Completion)
    return glib, pp, core.error_domain()


if NAME == "ppcore":
    GLib, Pp, PP_ERROR_DOMAIN = _ppcore_namespaces()
elif NAME == "gi":
    from ._gi import GLib, Pp, PP_ERROR_DOMAIN  # noqa: F401
else:
    raise ImportError("PP_BACKEND=%r: pp knows the backends 'ppcore' (its own "
                      "extension module, the default) and 'gi' (PyGObject)" % (NAME,))
