# pp/_bundle.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Dependency discovery: the bundle of sources a job function needs.

Part of :mod:`pp._source`.  Functions and classes from the function's own
module (or ``__main__``) that its code refers to are shipped too, in
dependency order; modules and objects imported from other modules become
(best-effort) imports.  No GObject-Introspection here.
"""

import inspect
import types

from ._extract import SourceExtractor, describe
from ._importable import (_in_modules, _is_valid_name, _module_import,
                          _object_import, module_importable, module_names)

FunctionType = types.FunctionType
MethodType = types.MethodType
ModuleType = types.ModuleType


def _import_line(stmt):
    return "try: %s\nexcept Exception: pass\n" % stmt


class Bundle:
    """What a worker needs to run a job function.

    ``name`` is the function to call, ``source`` the code defining it and
    its dependencies, ``modules`` the strict imports run before the source,
    ``shipped`` the functions and classes sent as source.  ``registry``
    maps the names of shipped objects that do not live in the caller's
    ``__main__`` to the objects, so that results referring to
    ``__main__.<name>`` (the bundle's own namespace on the worker) unpickle
    to the caller's own classes: per bundle, since two bundles may ship
    different objects of the same name.
    """

    __slots__ = ("name", "source", "modules", "shipped", "registry")

    def __init__(self, name, source, modules, shipped):
        self.name = name
        self.source = source
        self.modules = modules
        self.shipped = shipped
        self.registry = {obj.__name__: obj for obj in shipped
                         if getattr(obj, "__module__", "__main__") != "__main__"}

    def __repr__(self):
        return "<pp Bundle %s, %d lines>" % (self.name, self.source.count("\n"))


METHOD_WRAPPER = '''\
def {wrapper}(self, *args):
    return getattr(self, {attr!r})(*args)
'''


def method_attr_name(method):
    """The attribute name under which a bound method's function is found."""
    func = method.__func__
    owner = method.__self__
    cls = owner if isinstance(owner, type) else type(owner)
    for klass in getattr(cls, "__mro__", ()):
        for key, value in vars(klass).items():
            if value is func or getattr(value, "__func__", None) is func:
                return key
    return func.__name__


class _BundleMaker:
    def __init__(self, builder, main, depfuncs, modules, globs, found):
        self.b = builder
        self.main = main
        self.depfuncs = depfuncs
        self.modules = list(modules)
        self.listed = module_names(modules)
        self.globs = globs
        self.found = found
        self.imports = []          # best-effort import statements
        self.import_set = set()
        self.parts = []            # source texts in dependency order
        self.part_set = set()
        self.shipped = []
        self.visiting = set()
        self.done = set()

    # dependency graph walk (post-order: dependencies first)

    def ship(self, obj, alias=None, strict=True):
        key = id(obj)
        if key in self.done or key in self.visiting:
            if alias:
                self._alias(obj, alias)
            return True
        try:
            src = self.b.source(obj)
        except TypeError:
            if strict:
                raise
            return False
        self.visiting.add(key)
        if isinstance(obj, type):
            for base in obj.__mro__[1:]:
                if base.__module__ != "builtins" and self._should_ship(base, src.module):
                    self.ship(base, strict=False)
        for name in src.names:
            if name in src.globals:
                self.provide(name, src.globals[name], src.module)
        self.visiting.discard(key)
        self.done.add(key)
        if src.text not in self.part_set:
            self.part_set.add(src.text)
            self.parts.append(src.text)
            self.shipped.append(obj)
        if alias and alias != src.name:
            self._alias(obj, alias)
        return True

    def _alias(self, obj, alias):
        name = getattr(obj, "__name__", None)
        if _is_valid_name(alias) and name and alias != name:
            line = "%s = %s\n" % (alias, name)
            if line not in self.part_set:
                self.part_set.add(line)
                self.parts.append(line)

    def _should_ship(self, obj, home):
        mod = getattr(obj, "__module__", None)
        if not isinstance(mod, str):
            return False
        if _in_modules(mod, self.listed):
            return False
        return mod == "__main__" or mod == home or not module_importable(mod)

    def provide(self, name, value, home):
        """Make global *name* (bound to *value* on the caller's side)
        available to shipped code."""
        if isinstance(value, ModuleType):
            stmt = _module_import(value.__name__, name)
            if stmt:
                self._import(stmt)
            return
        if isinstance(value, (FunctionType, type)) and getattr(value, "__module__", None) != "builtins":
            qual = getattr(value, "__qualname__", "")
            if self._should_ship(value, home) and "<locals>" not in qual:
                if "." in qual:
                    return  # nested class/method: shipped with its owner
                if self.ship(value, alias=name, strict=False):
                    return
        stmt = _object_import(value, name) if _is_valid_name(name) else None
        if stmt:
            self._import(stmt)

    def _import(self, stmt):
        if stmt not in self.import_set:
            self.import_set.add(stmt)
            self.imports.append(stmt)

    # the bundle

    def make(self):
        main = self.main
        if isinstance(main, MethodType):
            func = main.__func__
            home = getattr(func, "__module__", None)
            attr = method_attr_name(main)
            name = "__pp_method__" + attr if attr.isidentifier() else "__pp_method__"
            wrapper = METHOD_WRAPPER.format(wrapper=name, attr=attr)
        else:
            func = main
            home = getattr(main, "__module__", None)
            wrapper = None

        globs = self.globs
        if globs:
            self._from_globals(globs)
        for dep in self.depfuncs:
            if isinstance(dep, MethodType):
                dep = dep.__func__
            if not (isinstance(dep, (FunctionType, type))
                    or (callable(dep) and isinstance(inspect.unwrap(dep), FunctionType))):
                raise TypeError("depfuncs must contain functions or classes, "
                                "not %s" % describe(dep))
            self.ship(dep)
        for obj in self.found:
            self.ship(obj, strict=True)
        if wrapper is None:
            src = self.b.source(func)
            self.ship(func)
            name = src.name
        else:
            owner = main.__self__
            cls = owner if isinstance(owner, type) else type(owner)
            if self._should_ship(cls, home):
                self.ship(cls, strict=False)
            self.parts.append(wrapper)

        text = "".join(_import_line(s) for s in self.imports) + "".join(self.parts)
        return Bundle(name, text, self.modules, tuple(self.shipped))

    def _from_globals(self, globs):
        home = globs.get("__name__")
        for key, value in list(globs.items()):
            if key.startswith("__") and key.endswith("__"):
                continue
            if isinstance(value, ModuleType):
                stmt = _module_import(value.__name__, key)
                if stmt:
                    self._import(stmt)
            elif isinstance(value, (FunctionType, type)):
                if getattr(value, "__name__", None) == "<lambda>":
                    continue
                self.provide(key, value, home)


class FunctionBuilder(SourceExtractor):
    """Builds the source bundle of a job function and caches sources.

    One builder lives in each :class:`pp.Server`.
    """

    def bundle(self, main, depfuncs=(), modules=(), globs=None, found=()):
        """Build the :class:`Bundle` for a job.

        *main* is a function or a bound method; *depfuncs* functions and
        classes; *modules* submit()'s module entries; *globs* an optional
        globals dict; *found* functions and classes found in the arguments.
        """
        return _BundleMaker(self, main, depfuncs, modules, globs, found).make()
