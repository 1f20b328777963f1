# pp/_extract.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The normalised source of one function or class.

Part of :mod:`pp._source`: ``inspect.getsource`` + ``dedent``, decorators
kept or stripped, closures and lambdas rejected clearly, and functions
without a source file turned into their marshalled code.  No
GObject-Introspection here.
"""

import ast
import builtins
import inspect
import marshal
import pickle
import sys
import textwrap
import types

from ._importable import _providable
from ._pickling import PICKLE_PROTOCOL

FunctionType = types.FunctionType


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


class SourceExtractor:
    """Extracts the :class:`Source` of functions and classes and caches
    it; :class:`pp._bundle.FunctionBuilder` adds the bundles.
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
