# pp/common.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppft's helper module, for programs written for ppft.

``from ppft.common import b_`` becomes ``from pp.common import b_``.  The
names and their behaviour are those of ppft's ``common`` module:

* ``str_(b)``: bytes to str: ASCII bytes decode; other bytes become
  ppft's text form ``"[104, 233]{B}"``; anything without ``decode``
  (a str already) comes back unchanged;
* ``b_(s)``: the reverse: a str encodes as Latin-1 (``UnicodeEncodeError``
  past U+00FF), ppft's ``"[...]{B}"`` form gives its bytes back; anything
  without ``encode`` (bytes already) comes back unchanged.  Unlike ppft,
  the ``"[...]{B}"`` form is read as a list of integers (0-255), never
  evaluated as code: anything else raises ``ValueError``;
* ``start_thread(name, target, args=(), kwargs={}, daemon=True)``: starts
  and returns a ``threading.Thread``;
* ``get_class_hierarchy(cls)``: the classes ``cls`` derives from, bases
  first, ``cls`` last, without ``object`` (repeated where a base is
  reached twice, as in ppft);
* ``is_not_imported(obj, modules)``: whether ``obj.__module__`` is neither
  one of the module names ``modules`` nor inside one of them;
* ``portnumber(min=0, max=65536)``: a port picker: the first call returns a
  random number in [min, max], each later one the next, wrapping to min,
  and ``RuntimeError`` once every number was given; ``randomport(min=1024,
  max=65536)``: one random number from such a picker;
* ``long``, ``file``: Python 2 names (``int``, ``io.IOBase``); ``six``: the
  ``six`` module when installed, otherwise ppft's stand-in (``PY3`` and an
  identity ``b``);
* ``copyright``, ``version``, ``__version__``: pp-glib's.
"""

import ast
import io
import random
import sys
import threading
import types

from . import copyright, version  # noqa: F401  (re-exported)

__version__ = version

try:  # ppft's backward compatibility
    import six
except ImportError:
    six = types.ModuleType("six")
    six.PY3 = sys.version_info[0] == 3
    six.b = lambda x: x

long = int
file = io.IOBase

_BYTES_MARK = "{B}"


def str_(byte):
    """Bytes to str (see the module documentation)."""
    if not hasattr(byte, "decode"):
        return byte
    try:
        return byte.decode("ascii")
    except UnicodeDecodeError:
        return repr(list(byte)) + _BYTES_MARK


def b_(string):
    """Str to bytes, the reverse of :func:`str_`."""
    if not hasattr(string, "encode"):
        return string
    if not string.endswith("]" + _BYTES_MARK):
        return string.encode("latin-1")
    text = string[:-len(_BYTES_MARK)]
    try:
        values = ast.literal_eval(text)
        if type(values) is not list:
            raise ValueError
        return bytes(values)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ValueError("b_(): %r is not a list of byte values followed by "
                         "\"{B}\"" % (string[:80],)) from None


def start_thread(name, target, args=(), kwargs={}, daemon=True):
    """Starts and returns a thread running ``target(*args, **kwargs)``."""
    thread = threading.Thread(name=name, target=target, args=args,
                              kwargs=kwargs)
    thread.daemon = daemon
    thread.start()
    return thread


def get_class_hierarchy(clazz):
    """The classes ``clazz`` derives from, bases first, then ``clazz``;
    ``object`` is left out."""
    if clazz is object:
        return []
    classes = []
    for base in clazz.__bases__:
        classes.extend(get_class_hierarchy(base))
    classes.append(clazz)
    return classes


def is_not_imported(arg, modules):
    """Whether ``arg`` was defined outside the modules named in
    ``modules`` and their submodules."""
    home = str(arg.__module__)
    for module in modules:
        if home == module or home.startswith(module + "."):
            return False
    return True


class portnumber(object):
    """A port number picker::

        >>> pick = portnumber(min=1024, max=65535)
        >>> port = pick()

    The first call returns a random number from [min, max], each later call
    the next one, wrapping from max to min; ``RuntimeError`` once the range
    is exhausted.
    """

    def __init__(self, min=0, max=64 * 1024):
        self.min = min
        self.max = max
        self.first = -1
        self.current = -1

    def __call__(self):
        if self.current < 0:
            self.current = self.first = random.randint(self.min, self.max)
            return self.current
        self.current += 1
        if self.current > self.max:
            self.current = self.min
        if self.current == self.first:
            raise RuntimeError("Range exhausted")
        return self.current


def randomport(min=1024, max=65536):
    """A random port number from [min, max]."""
    return portnumber(min, max)()
