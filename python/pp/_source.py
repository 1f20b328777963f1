# pp/_source.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Turn Python callables into source code a pp worker can run.

Nothing in this module touches GObject-Introspection, so it can be used
(and tested) without libpp-glib.

pp sends functions to its workers as *source*, like the original Parallel
Python: the worker executes the source of the function and of everything it
needs in a namespace of its own (one per bundle, installed there as
``__main__`` while its jobs run) and calls the function by name.  This module

* extracts and normalises sources (``inspect.getsource`` + ``dedent``,
  decorators kept or stripped, closures and lambdas rejected clearly);
* discovers dependencies: functions and classes from the function's own
  module (or ``__main__``) that the code refers to are shipped too, modules
  and objects imported from other modules become (best-effort) imports;
* pickles the arguments, noting every function and class that must travel
  by source, and redirecting references to them to the worker's
  ``__main__``.
"""

import ast
import builtins
import importlib
import inspect
import io
import marshal
import operator
import os
import pickle
import sys
import textwrap
import types

__all__ = [
    "Bundle",
    "FunctionBuilder",
    "dumps_args",
    "is_atomic_args",
    "module_importable",
]

FunctionType = types.FunctionType
MethodType = types.MethodType
ModuleType = types.ModuleType

PICKLE_PROTOCOL = pickle.HIGHEST_PROTOCOL

#: Exact types of arguments that can be pickled without looking for
#: functions or classes to ship (the submit fast path).
ATOMIC_TYPES = frozenset((int, float, str, bytes, bool, type(None), complex))

#: Modules never imported on a worker on our own initiative.
_NEVER_IMPORT = ("pp", "gi")


def is_atomic_args(args):
    """True when every element of *args* has an atomic type."""
    atomic = ATOMIC_TYPES
    for a in args:
        if type(a) not in atomic:
            return False
    return True


# ---------------------------------------------------------------------------
# Which modules can a worker import by itself?

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


# ---------------------------------------------------------------------------
# Describing objects in error messages


def describe(obj):
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    mod = getattr(obj, "__module__", None)
    if name and mod:
        return "%r (%s.%s)" % (getattr(obj, "__name__", name), mod, name)
    return repr(obj)


# ---------------------------------------------------------------------------
# Sources


class Source:
    """The normalised source of one function or class.

    ``text`` is ready to be executed at module level, ``name`` is the name it
    binds, ``names`` the global names its code refers to, and ``globals``
    the namespace those names resolve in on the caller's side.
    """

    __slots__ = ("obj", "name", "text", "names", "globals", "module")

    def __init__(self, obj, name, text, names, globs, module):
        self.obj = obj
        self.name = name
        self.text = text
        self.names = names
        self.globals = globs
        self.module = module


def _raw_source(obj):
    try:
        lines, _ = inspect.getsourcelines(obj)
    except (OSError, TypeError) as e:
        raise TypeError(
            "pp cannot get the source code of %s: %s. pp sends functions and "
            "classes to its workers as source code, so they must be defined "
            "in a file (not at the interactive prompt or with exec())"
            % (describe(obj), e)) from None
    src = textwrap.dedent("".join(lines))
    if src[:1] in (" ", "\t"):
        # dedent gives up when a multi-line string is less indented than
        # the code; an "if 1:" block still binds the name at module level.
        src = "if 1:\n" + "".join(lines)
    if not src.endswith("\n"):
        src += "\n"
    return src


def _definition(tree):
    node = tree.body[0]
    if isinstance(node, ast.If):  # the "if 1:" wrapper
        node = node.body[0]
    return node


def _collect_names(nodes):
    names = []
    seen = set()
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.Name) and node.id not in seen:
                seen.add(node.id)
                names.append(node.id)
    return names


def _decorator_names(node):
    return _collect_names(node.decorator_list)


def _strip_decorators(src, node):
    # Line numbers are those of *src* itself (including an "if 1:" line).
    first = min(d.lineno for d in node.decorator_list)
    lines = src.splitlines(True)
    del lines[first - 1:node.lineno - 1]
    return "".join(lines)


def _check_closure(func, own_name):
    freevars = set(func.__code__.co_freevars) - {own_name, "__class__"}
    if freevars:
        raise TypeError(
            "%s is a closure (it uses %s from an enclosing function); pp "
            "sends functions as source code and cannot send the values of "
            "enclosing variables: pass them as arguments or define the "
            "function at module level"
            % (describe(func), ", ".join(sorted(freevars))))


CODE_TEMPLATE = """\
{name} = __import__("types").FunctionType(__import__("marshal").loads({code!r}), globals(), {name!r})
{name}.__defaults__, {name}.__kwdefaults__, {name}.__qualname__, {name}.__doc__ = __import__("pickle").loads({extras!r})
"""


def _code_names(code, names, seen):
    for n in code.co_names:
        if n not in seen:
            seen.add(n)
            names.append(n)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code_names(const, names, seen)


def _module_globals(obj):
    mod = sys.modules.get(getattr(obj, "__module__", None) or "")
    return getattr(mod, "__dict__", {})


class FunctionBuilder:
    """Builds the source bundle of a job function and caches sources.

    One builder lives in each :class:`pp.Server`.
    """

    def __init__(self):
        self._sources = {}

    # -- single objects ----------------------------------------------------

    def source(self, obj):
        """Return the :class:`Source` of function or class *obj* (cached)."""
        try:
            return self._sources[obj]
        except KeyError:
            pass
        except TypeError:  # unhashable
            return self._make_source(obj)
        src = self._make_source(obj)
        self._sources[obj] = src
        return src

    def _make_source(self, obj):
        if isinstance(obj, type):
            return self._class_source(obj)
        return self._function_source(obj)

    def _class_source(self, cls):
        if cls.__module__ == "builtins":
            raise TypeError("%s is a built-in class; only classes written in "
                            "Python can be sent to pp workers" % describe(cls))
        text = _raw_source(cls)
        tree = ast.parse(text)
        node = _definition(tree)
        # Class decorators (@dataclass, ...) are kept: the names they use
        # are discovered like every other name.
        return Source(cls, node.name, text, _collect_names([node]),
                      _module_globals(cls), cls.__module__)

    def _function_source(self, func):
        target = inspect.unwrap(func)
        if not isinstance(target, FunctionType):
            raise TypeError("%s is not a Python function: pp can only send "
                            "functions, methods and classes written in Python"
                            % describe(func))
        if target.__name__ == "<lambda>":
            raise TypeError(
                "%s is a lambda: pp sends functions to its workers as source "
                "code, and a lambda's source cannot be separated from the line "
                "it is written on; define it with 'def' instead"
                % describe(target))
        _check_closure(target, target.__name__)
        try:
            text = _raw_source(target)
        except TypeError as e:
            # Defined at the interactive prompt, in a script read from
            # stdin or with exec(): send the compiled code instead.
            return self._code_source(func, target, e)
        tree = ast.parse(text)
        node = _definition(tree)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            raise TypeError("cannot find the definition of %s in its source"
                            % describe(func))
        _check_closure(target, node.name)
        globs = target.__globals__
        body_nodes = [node.args] + node.body + ([node.returns] if node.returns else [])
        names = _collect_names(body_nodes)
        if node.decorator_list:
            if self._keep_decorators(func, node, globs):
                names = _collect_names([node])
            else:
                text = _strip_decorators(text, node)
        return Source(func, node.name, text, names, globs, target.__module__)

    def _code_source(self, func, target, why):
        """Source that rebuilds *target* from its marshalled code object.

        Only for functions whose source file does not exist: the workers
        run the same interpreter (``sys.executable``), so the code object
        loads there unchanged.
        """
        name = target.__name__
        if not name.isidentifier():
            raise why
        try:
            extras = pickle.dumps((target.__defaults__, target.__kwdefaults__,
                                   target.__qualname__, target.__doc__),
                                  PICKLE_PROTOCOL)
        except Exception:
            raise why from None
        text = CODE_TEMPLATE.format(name=name,
                                    code=marshal.dumps(target.__code__),
                                    extras=extras)
        names = []
        seen = set()
        _code_names(target.__code__, names, seen)
        return Source(func, name, text, names, target.__globals__, target.__module__)

    def _keep_decorators(self, func, node, globs):
        # Keep the decorators only when the module-level name is still bound
        # to what we were given (so the worker binds the same thing) and
        # every name the decorators use can be provided on the worker.
        if globs.get(node.name) is not func:
            return False
        for name in _decorator_names(node):
            if name in globs:
                if not _providable(globs[name]):
                    return False
            elif not hasattr(builtins, name):
                return False
        return True

    # -- bundles -----------------------------------------------------------

    def bundle(self, main, depfuncs=(), modules=(), globs=None, found=()):
        """Build the :class:`Bundle` for a job.

        *main* is a function or a bound method; *depfuncs* functions and
        classes; *modules* submit()'s module entries; *globs* an optional
        globals dict; *found* functions and classes found in the arguments.
        """
        return _BundleMaker(self, main, depfuncs, modules, globs, found).make()


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


def _import_line(stmt):
    return "try: %s\nexcept Exception: pass\n" % stmt


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
