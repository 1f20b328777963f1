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

Each concern has its module; this one re-exports them:

* :mod:`pp._importable` -- which modules and objects a worker imports by
  itself (``module_importable``, ``module_names``);
* :mod:`pp._extract` -- the normalised source of one function or class
  (``Source``, ``describe``);
* :mod:`pp._bundle` -- dependency discovery and the bundle
  (``FunctionBuilder``, ``Bundle``);
* :mod:`pp._pickling` -- arguments and results, the class/pickle mapping
  (``dumps_args``, ``loads_result``).
"""

# The names this module has always had (pp/__init__.py and the tests use
# them through pp._source).
from ._importable import (  # noqa: F401
    _NEVER_IMPORT, _check_importable, _importable_cache, _in_modules,
    _is_valid_name, _module_import, _object_import, _providable,
    _same_location, module_importable, module_names)
from ._pickling import (  # noqa: F401
    _MAIN, ATOMIC_TYPES, PICKLE_PROTOCOL, ArgPickler, ResultUnpickler,
    _MainModule, dumps_args, is_atomic_args, loads_result)
from ._extract import (  # noqa: F401
    CODE_TEMPLATE, Source, _check_closure, _code_names, _collect_names,
    _decorator_names, _definition, _module_globals, _raw_source,
    _strip_decorators, describe)
from ._bundle import (  # noqa: F401
    METHOD_WRAPPER, Bundle, FunctionBuilder, _BundleMaker, _import_line,
    method_attr_name)

__all__ = [
    "Bundle",
    "FunctionBuilder",
    "dumps_args",
    "is_atomic_args",
    "module_importable",
]
