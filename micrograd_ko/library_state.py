"""What micrograd_ko's own modules and classes hold, as a trace found it: looked at again before every compiled call.

Compiled code replays what the trace ran. Between calls the learner may
rebind what nn's modules read: a weight swapped for a new Value
(`neuron.w[0] = Value(3.0)`), another activation (`layer.activation =
"tanh"`), a layer appended to `model.layers`, a method patched onto a class
(`nn.Neuron.forward = mine`, `Value.tanh = my_tanh`). The interpreted engine
then computes with the new objects, while compiled code would go on with
the old ones: so a compiled call (and each of fit's compiled steps) first
asks `LibraryState.moved()`, and runs interpreted when something moved.

The look has to be cheap: it runs before every call, so it is a few
comparisons that Python makes in C. Each module's attributes are compared
with a copy of its `__dict__` (identity first: the same Value or Neuron is
equal without being asked), the lists and dicts they hold item by item with
copies of them, and the attributes that hold a list, dict or tuple also by
identity (an equal new list, `neuron.w = list(neuron.w)`, would pass the
first comparison, and then change unseen). The copies keep the objects
alive, so no id is reused while compared. Numbers among them are compared by
identity too, since `==` finds 0.0 and -0.0 equal (a new object with the same
bits, a schedule writing 1.0 each step, is no change). The `training` flag is
left out: train() and eval() switch it on purpose (a Dropout notes it for
compile itself).

An attribute that holds plain data (numbers, strings, lists and dicts of
them) and that no code the calls run reads (`model.note = "xor"`, a history
kept on the model, added since or held already) is no change: the watch of
the learner's code says which names that code reads (`unread`).

Every module's class is compared too (the learner's modules among them):
`layer.__class__ = MyLayer` changes no dict, but which methods run. And the
code the learner's modules and classes hold, by identity (`_LearnersCode`):
a method of the learner's class patched (`Net.act = other`) or shadowed on
the module (`net.act = other`); their data is `model_state`'s.

The classes' methods also read names of their modules (`nn.Neuron.forward`
reads nn's `dot` and `_ACTIVATION_FUNCTIONS`, Value's methods the engine's op
rows such as `TANH`), and the functions those hold read more (the engine's
`dot` reads its `DOT` row): a function rebound there (`nn.dot = my_dot`), an
entry of such a table replaced, a row rebound (`engine.DOT = ...`), a rule
of an op row (`TANH.f`) or a function of another module the code names
(`math.exp`, which the engine's `_exp` calls) changes what the interpreted
engine computes just as a patched method does. So those module names are compared by identity too
(their containers item by item, an op row's attributes as a module's are),
if they hold code, a class, an op or a container; names a module's own
functions assign (`global _new`: counters and the tracing hooks) are its
state, and left out.
"""

from __future__ import annotations

import functools
import marshal
import math
import operator
import types
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from numbers import Number
from typing import Any

from .engine import _IDENTITY_HOOKS, Op, Value, _WatchingProperty
from .learners_code import (
    _CODE_HOLDERS,
    _MAX_FUNCTIONS,
    _globals_assigned,
    _is_learners,
    _is_library,
    _names_read,
)

_LEFT_OUT = "training"


def _library(cls: type) -> bool:
    return _is_library(cls.__module__)


class LibraryState:
    """The attributes of micrograd_ko's modules among `modules`, and the dicts of their classes and of Value."""

    def __init__(
        self, modules: list[Any], unread: Callable[[Any, str], bool] | None = None, functions: Iterable[Any] = ()
    ) -> None:
        """`unread(owner, name)`: whether no code that the watched calls run reads that attribute (the watch of the
        learner's code knows); an attribute added later that holds plain data and is unread is then no change
        (`model.note = "xor"`, a history dict kept on the model).

        `functions`: micrograd_ko's functions the calls run besides the classes' methods (`losses.mse`, which
        the learner's code calls or fit was given): the names they read are watched as the methods' are."""
        self.unread = unread
        # Every module's class, the learner's among them: `layer.__class__ = MyLayer` changes no dict
        self.modules = list({id(m): m for m in modules}.values())
        self.module_types = list(map(type, self.modules))
        self.owners = list({id(m): m for m in modules if _library(type(m)) and hasattr(m, "__dict__")}.values())
        self.dicts = [vars(m) for m in self.owners]
        self.copies = [dict(d) for d in self.dicts]
        # (id(owner), name) of plain data no code reads, held already (`model.log = []` before fit) or added
        # since: a history appended to, or rebound to other plain data, is no change
        self.added = {
            (id(m), k)
            for m, copy in zip(self.owners, self.copies)
            for k, v in copy.items()
            if k != _LEFT_OUT and self._unread_data(m, k, v)
        }
        slots = [
            (d, k)
            for m, d, copy in zip(self.owners, self.dicts, self.copies)
            for k, v in copy.items()
            if type(v) in _CONTAINERS and (id(m), k) not in self.added
        ]
        self.slot_dicts, self.slot_names = [d for d, _ in slots], [k for _, k in slots]
        self.slot_values = list(self._slot_values())  # (kept: compared by identity)
        # (micrograd_ko's classes among the learner's modules' bases too: `class Net(nn.MLP)`)
        classes = {id(c): c for m in self.modules for c in type(m).__mro__ if _library(c)}
        classes[id(Value)] = Value
        self.classes = list(classes.values())
        self.class_dicts = [vars(c) for c in self.classes]
        self.class_copies = [dict(d) for d in self.class_dicts]
        by_module: dict[int, tuple[dict[str, Any], list[str]]] = {}
        for d, name in _module_names(self.classes, functions):
            by_module.setdefault(id(d), (d, []))[1].append(name)
        # module by module, so one itemgetter per module reads the names' values in C (dict.get name by name
        # took 10 µs for 128 names), in the order of these lists
        self.global_dicts = [d for d, module_names in by_module.values() for _ in module_names]
        self.global_names = [name for _, module_names in by_module.values() for name in module_names]
        self.global_getters = [(d, _getter(module_names)) for d, module_names in by_module.values()]
        self.global_values = list(self._global_values())  # (kept: compared by identity, no id reused)
        rows = {id(v): v for v in self.global_values if isinstance(v, Op)}  # an op row's rules: `TANH.f`
        for row in rows.values():
            self.owners.append(row)
            self.dicts.append(vars(row))
            self.copies.append(dict(vars(row)))
        self.containers = _containers(
            [
                v
                for m, copy in zip(self.owners, self.copies)
                for k, v in copy.items()
                if k != _LEFT_OUT and (id(m), k) not in self.added
            ]
            + self.global_values
        )
        self.container_copies = [type(c)(c) for c in self.containers]
        # numbers that `==` finds equal may be other numbers (0.0 == -0.0 == False): those the dicts and containers
        # hold are compared by identity too, and `_which` tells another number from the same one written again
        held = [(d, k) for d, copy in zip(self.dicts, self.copies) for k in copy if k != _LEFT_OUT]
        held += [(d, k) for d in self.class_dicts for k in d if k != _LEFT_OUT]  # (`nn.MLP.offset = 0.0`)
        held += [(c, k) for c in self.containers for k in (c if type(c) is dict else range(len(c)))]
        numbers = [(h, k) for h, k in held if isinstance(h[k], Number)]
        self.number_holders, self.number_keys = [h for h, _ in numbers], [k for _, k in numbers]
        self.number_values = list(self._numbers())
        self.learners_code = _LearnersCode(self.modules, unread)

    def _unread_data(self, owner: Any, name: str, value: Any) -> bool:
        """Whether an attribute added to `owner` since holds plain data (numbers, strings, and lists, tuples and
        dicts of them: no Value or module that `parameters()` would list) that no code reads."""
        if self.unread is None or isinstance(owner, Op) or type(name) is not str:
            return False
        try:
            marshal.dumps(value)  # (first: most attributes, a Value or a list of them, fail at once)
        except ValueError:  # something else in it
            return False
        # (one the class has, a method say, is shadowed for every caller)
        return not hasattr(type(owner), name) and self.unread(owner, name)

    def _global_values(self) -> Iterator[Any]:
        return chain.from_iterable(get(d) for d, get in self.global_getters)

    def _slot_values(self) -> Iterator[Any]:
        return map(operator.getitem, self.slot_dicts, self.slot_names)

    def _numbers(self) -> Iterator[Any]:
        return map(operator.getitem, self.number_holders, self.number_keys)

    def moved(self) -> str | None:
        """'Neuron.w' (the class and attribute) of the first thing rebound or changed, or None."""
        try:
            if (
                _all_same(map(type, self.modules), self.module_types)
                and self.dicts == self.copies
                and self.containers == self.container_copies
                and _all_same(self._numbers(), self.number_values)
                and self.class_dicts == self.class_copies
                and _all_same(self._slot_values(), self.slot_values)  # (the dicts are equal: every key is there)
                and _all_same(self._global_values(), self.global_values)
                and self.learners_code.same()
            ):
                return None
        except Exception:  # noqa: BLE001,S110 - an `==` that answers no bool (numpy arrays kept on a layer): below
            pass
        return self._which()

    def _which(self) -> str | None:
        """The name of what moved; None if only the `training` flags or Python's caches in a class (`_CACHES`) did
        (the copies then take them)."""
        copied = {id(c): copy for c, copy in zip(self.containers, self.container_copies)}
        for module, cls in zip(self.modules, self.module_types):
            if type(module) is not cls:
                return f"{cls.__name__}.__class__"
        for owner, d, copy in zip(self.owners, self.dicts, self.copies):
            for name in sorted({*d, *copy} - {_LEFT_OUT}, key=str):  # (a key put in by hand may be no str)
                value = copy.get(name, _GONE)
                if value is _GONE or (id(owner), name) in self.added:  # added since: plain data no code reads?
                    if name not in d:  # (one that was, deleted again)
                        del copy[name]
                        continue
                    if self._unread_data(owner, name, d[name]):
                        copy[name] = d[name]  # (from now on compared as the others are)
                        self.added.add((id(owner), name))
                        continue
                # (the containers of plain data added since have no copy: no code reads them)
                inside = [c for c in _containers([value]) if id(c) in copied]
                if not _same(d.get(name, _GONE), value) or any(_changed(c, copied[id(c)]) for c in inside):
                    return f"{type(owner).__name__}.{name}"
                copy[name] = d[name]  # (the same number, written again: a schedule setting 1.0 each step)
        for cls, d, copy in zip(self.classes, self.class_dicts, self.class_copies):
            changed = sorted(
                n
                for n in {*d, *copy} - _CACHES
                if not _same(d.get(n, _GONE), copy.get(n, _GONE))
                and not (cls is Value and _tracing_hook(n, d.get(n, _GONE)) and _tracing_hook(n, copy.get(n, _GONE)))
            )
            if changed:
                return f"{cls.__name__}.{changed[0]}"
        for d, name, value in zip(self.global_dicts, self.global_names, self.global_values):
            if d.get(name) is not value or any(_changed(c, copied[id(c)]) for c in _containers([value])):
                return f"{d['__name__']}.{name}"
        moved = self.learners_code.which()
        if moved is not None:
            return moved
        for d, copy in zip(self.dicts, self.copies):
            copy.pop(_LEFT_OUT, None)
            if _LEFT_OUT in d:
                copy[_LEFT_OUT] = d[_LEFT_OUT]
        for cls, d, copy in zip(self.classes, self.class_dicts, self.class_copies):
            for name in _CACHES | _HOOKED if cls is Value else _CACHES:
                copy.pop(name, None)
                if name in d:
                    copy[name] = d[name]
        self.number_values = list(self._numbers())  # (the same numbers, some of them written again)
        return None


class _LearnersCode:
    """The code that the learner's modules and their classes (of the learner's) hold, by identity, and the names
    added to them.

    A method patched onto the learner's class (`Net.act = other`) or put on
    one of its modules (`net.act = other`, shadowing the class's) changes
    what the interpreted call runs; their data is pictured elsewhere
    (`model_state`), which passes code over. A name added since that holds
    data is a change where code may read it (`unread` says: `net.scale = 3.0`
    shadowing the class's `scale = 1.0`, `getattr(self, "temperature", 1.0)`),
    and none where no code does (`self.note = "xor"`).
    """

    def __init__(self, modules: list[Any], unread: Callable[[Any, str], bool] | None = None) -> None:
        self.unread = unread
        classes = {id(c): c for m in modules for c in type(m).__mro__ if _is_learners(c.__module__)}
        owners = [m for m in modules if _is_learners(type(m).__module__) and hasattr(m, "__dict__")]
        self.owners = [*classes.values(), *owners]
        self.dicts = [vars(o) for o in self.owners]  # (a class's is a mappingproxy)
        self.keys = [set(d) for d in self.dicts]
        held = [(o, d, name) for o, d in zip(self.owners, self.dicts) for name, value in d.items() if _is_code(value)]
        self.code_owners = [o for o, _, _ in held]
        self.code_dicts, self.code_names = [d for _, d, _ in held], [name for _, _, name in held]
        self.code = list(self._code())

    def _code(self) -> Iterator[Any]:
        return map(_get, self.code_dicts, self.code_names)

    def same(self) -> bool:
        return _all_same(self._code(), self.code) and all(map(operator.eq, map(set, self.dicts), self.keys))

    def which(self) -> str | None:
        """'Net.act' for code rebound, deleted or added (on a module: shadowing its class's code); None if only
        names holding no code came or went (the key sets then take them)."""
        for i, (owner, d, name, value) in enumerate(zip(self.code_owners, self.code_dicts, self.code_names, self.code)):
            now = d.get(name)
            if now is not value:
                if self._code_now(owner, name, now) or self._code_now(owner, name, value):
                    return f"{_label(owner)}.{name}"
                self.code[i] = now  # (a name added since that holds no code, rebound to no code)
        for owner, d, keys in zip(self.owners, self.dicts, self.keys):
            for name in set(d) - keys:
                unread = self.unread
                read = unread is not None and name != _LEFT_OUT and isinstance(name, str) and not unread(owner, name)
                if read or self._code_now(owner, name, d[name]):
                    return f"{_label(owner)}.{name}"
                # from now on looked at as code is: it may be rebound to code later
                self.code_owners.append(owner)
                self.code_dicts.append(d)
                self.code_names.append(name)
                self.code.append(d[name])
            keys.clear()
            keys.update(d)
        return None

    @staticmethod
    def _code_now(owner: Any, name: str, value: Any) -> bool:
        """Whether `value` at `owner.name` is code, or shadows the class's code (on a module)."""
        if _is_code(value) or isinstance(owner, type):
            return _is_code(value)
        # the class's own entry, as Python finds it (no metaclass __getattr__ asked; a key may be no str)
        return _is_code(next((vars(c)[name] for c in type(owner).__mro__ if name in vars(c)), None))


def _get(d: Any, name: str) -> Any:
    return d.get(name)


def _label(owner: Any) -> str:
    return owner.__name__ if isinstance(owner, type) else type(owner).__name__


def _is_code(value: Any) -> bool:
    return isinstance(value, (*_CODE_HOLDERS, functools.partial))


def _all_same(now: Iterable[Any], then: list[Any]) -> bool:
    """Whether `now` yields the very objects of `then`, in order: by identity, in C (no `id` numbers made)."""
    return all(map(operator.is_, now, then))


def _getter(names: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function giving the values of `names` in a dict, as a tuple (a KeyError if one is gone)."""
    if len(names) == 1:
        name = names[0]
        return lambda d: (d[name],)
    return operator.itemgetter(*names)


_GONE = object()
# What Python itself stores in a class's dict on first use, which changes no computation: copy.deepcopy and
# pickle cache the slot names (a learner keeping `best = copy.deepcopy(model)`), and reading a class's
# annotations makes an empty dict of them.
_CACHES = {"__slotnames__", "__annotations__"}
_CONTAINERS = (list, dict, tuple)
_WATCHED = (types.FunctionType, types.BuiltinFunctionType, type, Op, functools.partial, *_CONTAINERS)


def _module_names(classes: list[type], called: Iterable[Any] = ()) -> list[tuple[dict[str, Any], str]]:
    """(a module's namespace, name) for the names of micrograd_ko's modules that the methods of `classes` (and
    the functions `called`: `losses.mse` -> its `MSE` row and helpers) read,
    and the functions of micrograd_ko those names hold in turn (`nn.Neuron.forward` -> `nn.dot` -> the
    engine's `DOT` row -> its rules), where they hold code, a class, an op row or a container (`nn.dot`,
    `nn._ACTIVATION_FUNCTIONS`, `engine.TANH`). Looked up again for every new watch: a method patched on
    since reads other names.

    Names a module's own functions assign (`global _new`: the engine's counters and hooks) are its state, not
    its code, and are left out.
    """
    functions: list[Any] = [f.func if isinstance(f, functools.partial) else f for f in called]
    for cls in classes:
        for member in vars(cls).values():
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            functions += [member.fget, member.fset, member.fdel] if isinstance(member, property) else [member]
    found: dict[tuple[int, str], tuple[dict[str, Any], str]] = {}
    seen: set[int] = set()
    pending = [f for f in functions if isinstance(f, types.FunctionType)]
    while pending and len(seen) < _MAX_FUNCTIONS:
        f = pending.pop()
        namespace = f.__globals__
        if id(f) in seen or not _is_library(namespace.get("__name__")):
            continue
        seen.add(id(f))
        # every name the code mentions (globals, and attribute names that may shadow none): no dis, which is slow
        names = _names_read(f.__code__)
        held = [(namespace, name) for name in names - _globals_assigned(f.__code__)]
        # and the attributes it names of the modules those names hold: `math.exp` (the engine's `_exp` reads it
        # when called), `engine.dot`
        modules = {id(m): m for m in map(namespace.get, names) if isinstance(m, types.ModuleType)}
        held += [(vars(m), name) for m in modules.values() for name in names & vars(m).keys()]
        for where, name in held:
            value = where.get(name)
            if not isinstance(value, _WATCHED) or (id(where), name) in found:
                continue
            if isinstance(value, _CONTAINERS) and not _is_library(
                where.get("__name__")
            ):  # (`sys.modules`: Python's, not the model's)
                continue
            found[(id(where), name)] = (where, name)
            rules: list[Any] = list(vars(value).values()) if isinstance(value, Op) else [value]
            rules = [r.func if isinstance(r, functools.partial) else r for r in rules]
            pending += [r for r in rules if isinstance(r, types.FunctionType)]
    namespaces = {id(namespace): namespace for namespace, _ in found.values()}
    assigned = {key: _assigned_in(namespace) for key, namespace in namespaces.items()}
    return [(namespace, name) for namespace, name in found.values() if name not in assigned[id(namespace)]]


def _assigned_in(namespace: dict[str, Any]) -> set[str]:
    """The global names that the functions and methods defined in a module assign (its own state)."""
    names: set[str] = set()
    for value in list(namespace.values()):
        members = vars(value).values() if isinstance(value, type) else [value]
        for f in members:
            f = getattr(f, "__func__", f)
            if isinstance(f, types.FunctionType) and f.__globals__ is namespace:
                names |= _globals_assigned(f.__code__)
    return names


def _changed(container: Any, copy: Any) -> bool:
    """Whether a list or dict holds other items than its copy: the same objects, or equal numbers and strings
    (what `==` said in `moved`, without asking `==` of objects that may answer no bool: a numpy array)."""
    if type(container) is dict:
        if container.keys() != copy.keys():
            return True
        pairs = [(container[k], copy[k]) for k in copy]
    else:
        if len(container) != len(copy):
            return True
        pairs = list(zip(container, copy))
    return not all(map(_same, *zip(*pairs))) if pairs else False


# What compile's trace puts on Value while it runs (engine.observe), in any thread: the properties that stand for
# the `data` and `grad` slots and the identity hooks. Another thread's trace puts them on and takes them off at
# any moment, and they change nothing a call computes: passed over (else a compile, or every call of a function
# compiled while another thread traced, would find Value changed).
_HOOKED = {"data", "grad", *_IDENTITY_HOOKS}


def _tracing_hook(name: str, value: Any) -> bool:
    """Whether `Value.<name>` holding `value` (_GONE: nothing) is the engine's own, traced or not."""
    if name in ("data", "grad"):
        slot = type(value) is types.MemberDescriptorType and value.__objclass__ is Value
        return slot or type(value) is _WatchingProperty
    return name in _IDENTITY_HOOKS and (value is _GONE or value is _IDENTITY_HOOKS[name])


def _same(a: Any, b: Any) -> bool:
    """Whether `a` is `b`, or the same number or string (-0.0 is not 0.0)."""
    if a is b:
        return True
    if type(a) is not type(b) or type(a) not in _EQUAL_BY_VALUE or a != b:
        return False
    return type(a) is not float or math.copysign(1.0, a) == math.copysign(1.0, b)


_EQUAL_BY_VALUE = {int, float, str, bool, bytes}


def _containers(values: list[Any]) -> list[Any]:
    """The lists and dicts among `values` and inside them (and inside their tuples), each once."""
    found: dict[int, Any] = {}
    pending = list(values)
    while pending:
        value = pending.pop()
        if type(value) not in _CONTAINERS or id(value) in found:
            continue
        found[id(value)] = value
        pending.extend(value.values() if type(value) is dict else value)
    return [c for c in found.values() if type(c) is not tuple]
