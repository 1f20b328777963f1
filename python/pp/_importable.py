# pp/_importable.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Which modules and objects a pp worker can import by itself.

Part of :mod:`pp._source`.  A worker runs the caller's interpreter with the
caller's ``sys.path``, so a module it finds at the same place needs no
shipping: an import statement is enough.  No GObject-Introspection here.
"""

import ast
import os
import sys
import types

FunctionType = types.FunctionType
ModuleType = types.ModuleType

#: Modules never imported on a worker on our own initiative.
_NEVER_IMPORT = ("pp", "gi")


_importable_cache = {}


def module_importable(name):
    """True when the worker (same interpreter, same ``sys.path``) can
    import module *name* and get the same file the caller has.

    ``__main__``, modules created with ``exec``/``types.ModuleType`` and
    modules loaded from a file outside ``sys.path`` are not importable.
    """
    try:
        return _importable_cache[name]
    except KeyError:
        pass
    try:
        result = _check_importable(name)
    except Exception:  # pragma: no cover - defensive, odd finders
        result = False
    _importable_cache[name] = result
    return result


def _check_importable(name):
    if not isinstance(name, str) or not name or name == "__main__":
        return False
    mod = sys.modules.get(name)
    spec = getattr(mod, "__spec__", None)
    if mod is None or spec is None or spec.name != name:
        return False
    top = name.partition(".")[0]
    tspec = getattr(sys.modules.get(top), "__spec__", None)
    if tspec is None:
        return False
    if tspec.origin in ("built-in", "frozen"):
        return True
    # Ask the finders directly: importlib.util.find_spec() would just return
    # the spec of the module already in sys.modules.
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        try:
            found = find_spec(top, None)
        except Exception:
            continue
        if found is not None:
            return _same_location(found, tspec)
    return False


def _same_location(a, b):
    if a.origin in ("built-in", "frozen"):
        return a.origin == b.origin
    la = list(a.submodule_search_locations or ())
    lb = list(b.submodule_search_locations or ())
    if la or lb:
        return [os.path.realpath(p) for p in la] == [os.path.realpath(p) for p in lb]
    if a.origin and b.origin:
        return os.path.realpath(a.origin) == os.path.realpath(b.origin)
    return False


def module_names(modules):
    """Names of the modules an entry of submit()'s *modules* imports.

    Entries are module names (``"os.path"``) or import statements
    (``"import numpy as np"``, ``"from os import path"``).
    """
    names = []
    for entry in modules:
        entry = entry.strip()
        if entry.startswith(("import ", "from ")):
            try:
                tree = ast.parse(entry)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.extend(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names.append(node.module)
        elif entry:
            names.append(entry)
    return names


def _in_modules(modname, listed):
    for m in listed:
        if modname == m or modname.startswith(m + "."):
            return True
    return False


def _providable(value):
    """Whether a global used by shipped code can be provided on the worker:
    a module (imported), a function or class (shipped or imported), or
    another callable importable from its module."""
    if isinstance(value, (ModuleType, FunctionType, type)):
        return True
    if callable(value):
        mod = getattr(value, "__module__", None)
        qual = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
        return bool(mod and qual and "." not in qual and module_importable(mod))
    return False


def _is_valid_name(name):
    return isinstance(name, str) and name.isidentifier()


def _module_import(modname, alias):
    if modname.partition(".")[0] in _NEVER_IMPORT:
        return None
    if alias == modname:
        return "import %s" % modname
    return "import %s as %s" % (modname, alias)


def _object_import(obj, alias):
    mod = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not mod or not qual or "." in qual or "<" in qual:
        return None
    if mod.partition(".")[0] in _NEVER_IMPORT or not module_importable(mod):
        return None
    if getattr(sys.modules.get(mod), qual, None) is not obj:
        return None
    if alias == qual:
        return "from %s import %s" % (mod, qual)
    return "from %s import %s as %s" % (mod, qual, alias)
