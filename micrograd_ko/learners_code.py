"""Whose code is the learner's, and which names it reads: what the state watch (`model_state`) walks.

"The learner's code" is code outside micrograd_ko, the standard library and
installed packages (a notebook's `__main__`, a test file, a file of the
learner's beside it), decided by where its file is, not by its name. The
names a function reads come from its bytecode: the globals it loads, stores
or deletes, and the attributes it loads.
"""

from __future__ import annotations

import dis
import functools
import operator
import sys
import sysconfig
import types
import weakref
from collections import ChainMap, deque
from typing import Any

from .engine import Value
from .module import Module

_CODE_HOLDERS = (types.FunctionType, types.MethodType, type, staticmethod, classmethod, property)


def _holds_code(value: Any) -> bool:
    """Whether the walk goes through `value`: code, a `functools.partial`, an `operator.attrgetter` or
    `methodcaller` (the names it reads), or an object of the learner's."""
    if type(value) is Value:  # (a weight: by its type, as asking a Value its class runs Python)
        return False
    return isinstance(value, (*_CODE_HOLDERS, *_GETTERS)) or _learners_object(value)


_NAME_GETTERS = (operator.attrgetter, operator.methodcaller)  # (they name attributes in data, not in code)
_GETTERS = (functools.partial, *_NAME_GETTERS)


def _is_container(value: Any) -> bool:
    """Whether `value` holds other objects the walk goes through: a list, tuple, dict, set or deque (their
    subclasses too), a view of dicts (a `ChainMap`), a `SimpleNamespace` or a weak reference."""
    return isinstance(value, _CONTAINERS)


_CONTAINERS = (
    list,
    tuple,
    dict,
    set,
    frozenset,
    deque,
    ChainMap,
    types.MappingProxyType,
    weakref.WeakValueDictionary,
    weakref.ref,
    types.SimpleNamespace,
)


def _learners_object(value: Any) -> bool:
    """Whether `value` is an object of a class of the learner's (not code, not a Module, which are walked as such).

    It may be callable (`class Tanh: def __call__(...)`, as in makemore):
    its attributes are its state all the same (`self.out`, a counter).
    """
    if type(value) in _PLAIN:
        return False
    return not isinstance(value, (*_CODE_HOLDERS, Module, types.ModuleType)) and _is_learners(type(value).__module__)


_PLAIN = {Value, float, int, bool, str, list, tuple, dict, type(None)}  # (met most, and never the learner's)


def _state_objects(functions: tuple[Any, ...]) -> tuple[Any, ...]:
    """The callables among `functions` that are objects of the learner's classes (a loss with a call counter)."""
    return tuple(
        f
        for f in functions
        if not isinstance(f, (*_CODE_HOLDERS, Module)) and hasattr(f, "__dict__") and _is_learners(type(f).__module__)
    )


_MAX_FUNCTIONS = 2000  # a bound on the walk through the learner's code


def _names_read(code: types.CodeType) -> set[str]:
    """The names `code` and the functions defined in it may read: globals and attributes (`config.step`)."""
    names = set(code.co_names)
    for inner in code.co_consts:
        if isinstance(inner, types.CodeType):
            names |= _names_read(inner)
    return names


@functools.lru_cache(maxsize=8192)
def _names_by(code: types.CodeType, opnames: frozenset[str]) -> frozenset[str]:
    """The names that the instructions `opnames` of `code` and of the functions defined in it take.

    dis is slow, so code holding none of those opcodes (an opcode every two
    bytes of `co_code`) is not disassembled.
    """
    names: set[str] = set()
    if _OPCODES[opnames] & set(code.co_code[::2]):
        names = {i.argval for i in dis.get_instructions(code) if i.opname in opnames}
    for inner in code.co_consts:
        if isinstance(inner, types.CodeType):
            names |= _names_by(inner, opnames)
    return frozenset(names)


def _globals_named(code: types.CodeType) -> frozenset[str]:
    """The global names `code` and the functions defined in it load, store or delete: not its attribute names,
    which `co_names` lists too (`v.log()` reads no global `log`, the list a learner may keep predictions in)."""
    return _names_by(code, _GLOBAL_OPS)


def _attributes_loaded(code: types.CodeType) -> frozenset[str]:
    """The attribute names `code` and the functions defined in it read, and the globals they load (`getattr`):
    not those only stored (`self.history = []` in `__init__`)."""
    return _names_by(code, _LOADING_OPS)


def _globals_assigned(code: types.CodeType) -> frozenset[str]:
    """The global names `code` and the functions defined in it assign or delete (`global _watchers`)."""
    return _names_by(code, _ASSIGNING_OPS)


def _modules_imported(code: types.CodeType) -> frozenset[str]:
    """The modules that `code` and the functions defined in it import (`import config` inside a function)."""
    return _names_by(code, _IMPORTING_OPS)


_LOADING_OPS = frozenset({"LOAD_ATTR", "LOAD_METHOD", "LOAD_SUPER_ATTR", "LOAD_GLOBAL", "LOAD_NAME"})
_GLOBAL_OPS = frozenset({"LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_NAME", "STORE_NAME", "DELETE_NAME"})
_ASSIGNING_OPS = frozenset({"STORE_GLOBAL", "DELETE_GLOBAL"})
_IMPORTING_OPS = frozenset({"IMPORT_NAME"})
# each set's opcodes in this Python (LOAD_METHOD is gone in 3.12, LOAD_SUPER_ATTR new there)
_OPCODES = {
    ops: {dis.opmap[name] for name in ops if name in dis.opmap}
    for ops in (_LOADING_OPS, _GLOBAL_OPS, _ASSIGNING_OPS, _IMPORTING_OPS)
}


def _is_learners(module: str | None) -> bool:
    """Whether code of `module` is the learner's: not micrograd_ko's, the standard library's or an installed
    package's (a notebook's `__main__`, a test file, a file of the learner's beside it)."""
    if _is_library(module):
        return False
    top = module.partition(".")[0] if isinstance(module, str) else ""  # (a class may hold anything as __module__)
    package = sys.modules.get(top)
    # (a namespace package, `mpl_toolkits`, has no file of its own: where it lies is its path)
    filename = getattr(package, "__file__", None) or next(iter(getattr(package, "__path__", None) or ()), None)
    if not filename:  # a notebook's __main__, or a module built into Python (sys, itertools)
        return top not in sys.stdlib_module_names
    # where the file is, not its name: a learner's calendar.py or queue.py is the learner's
    return not filename.startswith(_STDLIB) and "site-packages" not in filename and "dist-packages" not in filename


def _is_library(module: Any) -> bool:
    """Whether `module` (a module's name) is micrograd_ko or one of its modules."""
    return isinstance(module, str) and module.partition(".")[0] == "micrograd_ko"


_STDLIB = tuple({sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib")})
