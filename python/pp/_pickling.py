# pp/_pickling.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pickling job arguments and results: the class/pickle mapping.

Part of :mod:`pp._source`.  Arguments are pickled noting every function
and class that must travel by source, references to them redirected to the
worker's ``__main__``; results referring to ``__main__.<name>`` unpickle to
the caller's own objects.  No GObject-Introspection here.
"""

import importlib
import io
import operator
import pickle
import sys
import types

from ._importable import _in_modules, module_importable

FunctionType = types.FunctionType

PICKLE_PROTOCOL = pickle.HIGHEST_PROTOCOL

#: Exact types of arguments that can be pickled without looking for
#: functions or classes to ship (the submit fast path).
ATOMIC_TYPES = frozenset((int, float, str, bytes, bool, type(None), complex))


def is_atomic_args(args):
    """True when every element of *args* has an atomic type."""
    atomic = ATOMIC_TYPES
    for a in args:
        if type(a) not in atomic:
            return False
    return True


# ---------------------------------------------------------------------------
# Arguments


class _MainModule:
    """Pickles as "the worker's __main__ module"."""

    def __reduce__(self):
        return (importlib.import_module, ("__main__",))


_MAIN = _MainModule()


class ArgPickler(pickle.Pickler):
    """Pickler that records the functions and classes a worker needs as
    source, and pickles references to them as ``__main__.<qualname>``.
    """

    def __init__(self, file, home, listed, protocol=PICKLE_PROTOCOL):
        super().__init__(file, protocol)
        self.home = home
        self.listed = listed
        self.found = []
        self._seen = set()

    def reducer_override(self, obj):
        if isinstance(obj, type):
            pass
        elif type(obj) is not FunctionType:
            return NotImplemented
        mod = getattr(obj, "__module__", None)
        if not isinstance(mod, str) or mod == "builtins":
            return NotImplemented
        qual = getattr(obj, "__qualname__", "")
        if "<locals>" in qual:
            return NotImplemented  # pickle reports the usual clear error
        if _in_modules(mod, self.listed):
            return NotImplemented
        if not (mod == "__main__" or mod == self.home or not module_importable(mod)):
            return NotImplemented
        top = qual.partition(".")[0]
        owner = obj
        if "." in qual:
            owner = getattr(sys.modules.get(mod), top, None)
            if owner is None:
                return NotImplemented
        if id(owner) not in self._seen:
            self._seen.add(id(owner))
            self.found.append(owner)
        if mod == "__main__":
            return NotImplemented
        return (operator.attrgetter(qual), (_MAIN,))


def dumps_args(args, home, listed=()):
    """Pickle the argument tuple.

    Returns ``(data, found)``: the pickle, and the tuple of functions and
    classes that must be shipped as source for the worker to unpickle it.
    """
    if is_atomic_args(args):
        return pickle.dumps(args, PICKLE_PROTOCOL), ()
    buf = io.BytesIO()
    p = ArgPickler(buf, home, listed)
    p.dump(args)
    return buf.getvalue(), tuple(p.found)


class ResultUnpickler(pickle.Unpickler):
    """Unpickler mapping the worker's ``__main__.<name>`` back to shipped
    objects that live in other modules on the caller's side."""

    def __init__(self, file, registry):
        super().__init__(file)
        self.registry = registry

    def find_class(self, module, name):
        if module == "__main__":
            top, _, rest = name.partition(".")
            obj = self.registry.get(top)
            if obj is not None:
                return operator.attrgetter(rest)(obj) if rest else obj
        return super().find_class(module, name)


def loads_result(data, registry):
    """Unpickle a result, resolving shipped objects through *registry*."""
    if not registry:
        return pickle.loads(data)
    return ResultUnpickler(io.BytesIO(data), registry).load()
