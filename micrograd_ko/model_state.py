"""What a model keeps besides its graph, seen from outside: for fit, around each trace of the model.

Compiled code replays a model's arithmetic, not its Python: a call counter,
a running mean kept in a float, a random generator of its own or a weight
changed in place inside `__call__` would all go on changing when the model
runs interpreted, and stay as they were in compiled code. `ModelState`
takes a snapshot of what a model can reach through its modules' attributes
(numbers, strings, Values by identity, lists, tuples, deques, sets, dicts and numpy arrays of them, helper
objects holding such things, callable ones of the learner's among them (`class Tanh:` with a `__call__`, as
in makemore), a `functools.partial`'s arguments, a `random.Random` or numpy generator), of
numpy's global generator and of the parameters' numbers; `changed()` names
what a call changed, and `restore()` puts it back in place (the same list,
dict or array objects, so whoever else holds them sees the old contents).

The learner's own code is followed too: the module-level globals and the
closure variables that the methods of the model's classes (and the
functions they call, and a loss function of the learner's) read, such as a
`global step` counter or a list a factory function closes over, through
functions kept in lists, partials and the learner's helper objects, their
default arguments (`lambda x, net=net: net(x)`, `def f(x, log=[])`), and the
attributes a decorator keeps on its function (`counted.calls += 1`). Code that
finds a name at run time (`globals()["net"]`, `eval` under any name, a frame's
`f_globals`, `sys.modules[...]`, an `import` inside a function) may read any global of its module, and any
module's attribute its code names: all of those are watched. "Own code"
is code outside micrograd_ko, the standard library and installed packages;
those hold caches and settings that are no state of the model.

State the watch cannot read without changing it (an iterator, a generator)
or at all (an object of the learner's with `__slots__`) is named by `opaque`:
fit and compile then trace nothing, since a trace would advance it for good.

The `training` flag is left out: train() and eval() switch it on purpose.
Whose code is the learner's and what it reads: `learners_code`; the
pictures and the putting back: `state_pictures`.
"""

from __future__ import annotations

import builtins
import functools
import marshal
import random
import sys
import types
import weakref
from collections import ChainMap
from typing import Any

from .engine import Value
from .learners_code import (
    _CODE_HOLDERS,
    _MAX_FUNCTIONS,
    _NAME_GETTERS,
    _attributes_loaded,
    _globals_named,
    _holds_code,
    _is_container,
    _is_learners,
    _is_library,
    _learners_object,
    _modules_imported,
    _names_read,
    _state_objects,
)
from .library_state import LibraryState
from .module import Module
from .state_pictures import (
    _BY_IDENTITY,
    _MISSING,
    _bits,
    _contents,
    _fingerprint,
    _numpy_state,
    _Opaque,
    _opaque,
    _picture,
    _put_back,
    _read,
    _state_picture,
    _write,
)

_SKIP = ("training",)


class ModelState:
    """A snapshot of `model`'s Python state, of numpy's global generator and of the numbers of `parameters`."""

    def __init__(self, model: Any, parameters: list[Value], functions: tuple[Any, ...] = ()) -> None:
        """`functions`: more of the learner's code the call runs (a loss function), whose globals count too."""
        self.model, self.parameters = model, parameters
        self.read, roots = _read_with_modules(model, functions)
        # a loss object of the learner's, and the modules of another model the code reads (a teacher)
        self.objects = (*_state_objects(functions), *(m for root in roots[1:] for m in _modules_of(root)))
        self.numbers = [p.data for p in parameters]
        self.owned = _owned(model)
        owners = [*_modules_of(model), *self.objects]
        self.module_ids = {id(m) for m in owners} | {id(type(m)) for m in owners}
        self.present = {  # every attribute there was, pictured or not: only the others are dropped by restore()
            (id(m), name): value for m in owners if hasattr(m, "__dict__") for name, value in list(vars(m).items())
        }
        self.numpy = _numpy_global_state()
        self.numpy_picture = _state_picture(self.numpy)
        self.kept = _attributes(model, self.objects)
        self.contents = {key: _contents(value, set()) for key, (_, value, _) in self.kept.items()}
        self.read_contents = {  # what is kept by identity only is not gone through (a module object)
            key: None if print_ == ("object",) else _contents(value, set())
            for key, (_, _, value, print_) in self.read.items()
        }
        pictures = [(key[1], print_) for key, (_, _, print_) in self.kept.items()]
        self.opaque = _opaque([*pictures, *((name, print_) for _, name, _, print_ in self.read.values())])

    def changed(self) -> str | None:
        """The name of the first thing that differs from the snapshot ('parameters', an attribute...), or None."""
        if [_bits(p.data) for p in self.parameters] != [_bits(x) for x in self.numbers]:
            return "parameters"
        if _owned(self.model) != self.owned:  # a parameter made (or replaced) on the first call
            return "parameters()"
        if _state_picture(_numpy_global_state()) != self.numpy_picture:
            return "numpy.random"
        now = _attributes(self.model, self.objects)
        for key, (_, value, print_) in self.kept.items():
            if key not in now or now[key][1] is not value or now[key][2] != print_:
                return key[1]
        added = next((key[1] for key in now if key not in self.kept and key[0] in self.module_ids), None)
        if added is not None:
            return added
        return next(
            (name for holder, name, value, print_ in self.read.values() if _moved(holder, name, value, print_)), None
        )

    def restore(self) -> None:
        """Put back what changed, in place; drop attributes a call added to the modules that were there."""
        for p, x in zip(self.parameters, self.numbers):
            p.data = x
        if self.numpy is not None and _state_picture(_numpy_global_state()) != self.numpy_picture:
            sys.modules["numpy"].random.set_state(self.numpy)
        now = _attributes(self.model, self.objects)
        for key, (owner, value, _) in self.kept.items():
            if getattr(owner, key[1], _MISSING) is not value:
                setattr(owner, key[1], value)  # the object it held, not a copy
            _put_back(value, self.contents[key], set())
        for key, (owner, _, _) in now.items():
            if key in self.kept or key[0] not in self.module_ids:
                continue
            if key not in self.present:
                delattr(owner, key[1])  # an attribute the call added to a module that was there
            elif getattr(owner, key[1]) is not self.present[key]:
                setattr(owner, key[1], self.present[key])  # one that held nothing pictured, rebound by the call
        for key, (holder, name, value, _) in self.read.items():
            if _read(holder, name) is not value:
                _write(holder, name, value)  # a global or closure variable rebound: the object it held
            _put_back(value, self.read_contents[key], set())


class LearnersState:
    """The state only the learner's own code keeps, pictured once, and cheap to look at again before every step.

    The attributes of the modules whose classes the learner wrote, and the
    globals and closure variables the learner's code reads (`ModelState`
    holds them all). fit asks `moved()` before each compiled step: code of
    the learner's that runs between steps (an optimizer or an accuracy
    function that anneals a temperature the model reads) may change what the
    traces froze into the code. The attributes of micrograd_ko's own modules
    and classes are looked at too, by identity (`library_state`): a weight
    swapped for a new Value, another activation, a patched method.
    """

    def __init__(self, model: Any, functions: tuple[Any, ...] = (), modes: bool = False) -> None:
        """`model` None: only `functions` (what `compile` traces), and the modules their variables hold.

        `modes`: the modules' `training` flags count too, if the learner's code
        reads one (`out * 0.9 if self.training else out`, `model.training` in a
        function): compile's calls may come after train() or eval(), and fit's
        steps after an accuracy function of the learner's called `model.eval()`.
        """
        names: set[str] = set()  # the names the learner's code mentions (attributes among them)
        read, roots = _read_with_modules(model, functions, names)
        self.kept = list(read.values())
        reads_modes = modes and ("training" in names or bool(names & _BY_COMPUTED_NAME))
        self.modes = [m for root in roots for m in _modules_of(root)] if reads_modes else []
        self.flags = self._flags()
        for root in [*roots, None]:
            objects = _state_objects(functions) if root is None else ()
            for (_, name), (owner, value, print_) in _attributes(root, objects).items():
                if _is_learners(owner.__module__ if isinstance(owner, type) else type(owner).__module__) and (
                    _may_be_read(name, names, owner)
                ):
                    self.kept.append((owner, name, value, print_))
        slotted = [m for root in roots for m in _modules_of(root) if _slots_of_learners(type(m))]
        # (a module of the learner's that keeps state in __slots__: neither modules() nor the watch read them)
        self.opaque = f"{type(slotted[0]).__name__}.__slots__" if slotted else None
        self.opaque = self.opaque or _opaque([(name, print_) for _, name, _, print_ in self.kept])
        # A model's weights kept as nested lists (what fn reads most): each list's items, compared by identity.
        self.trees = {id(value): _value_tree(value) for _, _, value, _ in self.kept}
        self.library = LibraryState(
            [m for root in roots for m in _modules_of(root)],
            lambda owner, attribute: not _may_be_read(attribute, names, owner),
            [*functions, *(value for _, _, value, _ in self.kept)],  # (`losses.mse`: what it reads in turn)
        )

    def _flags(self) -> list[Any]:
        return [getattr(m, "training", None) for m in self.modes]

    def moved(self) -> str | None:
        """The name of the first of these that is not what it was, or None."""
        moved = self.library.moved()
        if moved is not None:
            return moved
        if self.flags != self._flags():
            return next(
                f"{type(m).__name__}.training" for m, a, b in zip(self.modes, self.flags, self._flags()) if a != b
            )
        for holder, name, value, print_ in self.kept:
            if _moved(holder, name, value, print_, self.trees[id(value)]):
                # (a bound method's owner: `Random.setstate.__self__`, the random module's generator, say)
                return f"{holder.__qualname__}.__self__" if name == "__self__" else name
        return None


def names_mentioned(functions: tuple[Any, ...]) -> set[str]:
    """The attribute names that the learner's code among `functions`, and the learner's code it reaches, reads,
    and the names it gives as strings (`getattr(p, "grad")`, `attrgetter("grad")`)."""
    names: set[str] = set()
    _variables_read(None, functions, names)
    return names


def _moved(holder: Any, name: str, value: Any, print_: Any, tree: Any = None) -> bool:
    """Whether `name` in `holder` is bound to another object than `value`, or `value` no longer pictures as
    `print_` (a `_value_tree` of it, if given, compared item by item instead)."""
    if _read(holder, name) is not value:
        return True
    if tree is not None:
        return _tree_moved(tree)
    return print_ not in _BY_IDENTITY and _picture(value) != print_


def _may_be_read(attribute: str, names: set[str], owner: Any) -> bool:
    """Whether code may read `owner.attribute`: the learner's code or the code of its classes (micrograd_ko's
    bases among them) reads an attribute of that name, or reads attributes by a name it computes
    (`getattr(self, f"layer{i}")`).

    An attribute no code names is no input of the model: a history the
    learner keeps on it (`model.history.append(loss)` between compiled calls).
    """
    if attribute in names or names & _BY_COMPUTED_NAME:
        return True
    cls = owner if isinstance(owner, type) else type(owner)
    return any(
        attribute in _attributes_loaded(f.__code__)
        for c in cls.__mro__
        for f in vars(c).values()
        if isinstance(f, types.FunctionType)
    )


_BY_COMPUTED_NAME = {  # (`inspect.getmembers(self)`, `attrgetter(name)(self)` read attributes by names computed too)
    "getattr",
    "hasattr",
    "vars",
    "__dict__",
    "__getattribute__",
    "getattr_static",
    "getmembers",
    "attrgetter",
    "methodcaller",
}


def _read_with_modules(
    model: Any, functions: tuple[Any, ...], names: set[str] | None = None
) -> tuple[dict[Any, Any], list[Any]]:
    """`_variables_read(model, functions)` and [model, other models that code reads (a teacher, what
    `compile(lambda x: model(x))` runs), however deep they are kept: in a list (an ensemble), a dict, a
    `SimpleNamespace` or an object of the learner's], with what their classes' code reads too."""
    read = _variables_read(model, functions, names)
    roots = [] if model is None else [model]
    known = {id(m) for root in roots for m in _modules_of(root)}
    # a model, one in a list (an ensemble: `models = [Net() for _ in range(5)]`), in a dict of lists, in a helper
    # object (`h.net`), a SimpleNamespace or a default argument (`lambda x, net=net: net(x)`); and the models those
    # models' code reads in turn
    pending = [*roots, *functions, *(value for _, _, value, _ in read.values())]
    while pending:
        modules, pending = _modules_within(pending), []
        for module in modules:
            if id(module) not in known:
                roots.append(module)
                known.update(id(m) for m in _modules_of(module))
                more = _variables_read(module, (), names)
                pending += [value for key, (_, _, value, _) in more.items() if key not in read]
                read.update(more)
    return read, roots


def _modules_within(values: list[Any]) -> list[Any]:
    """The Modules among `values` and inside them: in lists, tuples, dicts and sets (nested), partials, views of
    dicts (a `ChainMap`), behind weak references and bound methods, and the attributes of Modules and of helper
    objects (a `SimpleNamespace`, an object of the learner's). Not in code,
    classes or the objects of installed packages, whose state is theirs.

    Plain data (numbers and strings, however nested) is passed over at once: marshal takes nothing else.
    """
    found: list[Any] = []
    pending, seen = list(values), set[int]()
    while pending:
        value = pending.pop()
        kind = type(value)
        if kind in _PLAIN_KINDS or id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, Module):
            found.append(value)
            pending += list(vars(value).values())
        elif _is_container(value):
            pending += _inner(value)
        elif isinstance(value, functools.partial):
            pending += [*value.args, *value.keywords.values()]
        elif isinstance(value, types.MethodType):
            pending.append(value.__self__)
        elif _learners_object(value):
            pending += list(getattr(value, "__dict__", {}).values())
    return found


def _inner(container: Any) -> list[Any]:
    """What a container (`_is_container`) holds that may hold code or a model: its items, a dict's or a view's
    (a `ChainMap`) values, a `SimpleNamespace`'s attributes, a weak reference's object. Nothing for plain data
    (numbers and strings, however nested: marshal takes nothing else) or a layer's weights (Values only)."""
    if isinstance(container, weakref.ref):  # `r = weakref.ref(net)`, fn calls `r()(x)`; a WeakMethod's method
        return [container()]
    if isinstance(container, types.SimpleNamespace):
        return list(vars(container).values())
    if type(container) in _MARSHALLED:
        try:
            marshal.dumps(container)
            return []
        except ValueError:  # something else in it
            pass
    items = list(container.values() if isinstance(container, (dict, *_VIEWS)) else container)
    return [item for item in items if type(item) not in _PLAIN_KINDS]


def _reads_globals_by_name(code: types.CodeType, named: frozenset[str], namespace: dict[str, Any]) -> bool:
    """Whether `code` may read any global of its module by a name computed at run time: it calls `globals()`,
    `eval` or `exec` (by those names, or another bound to them: `ev = eval`, `builtins.eval`), or reads a
    frame's or a function's globals (`sys._getframe().f_globals`, `f.__globals__`). (`vars(x)` reads x's
    attributes, and in a function `vars()` its locals: `vars(module)` is a module's attributes by name, below.)"""
    if named & _NAMESPACE_READERS - namespace.keys() or _names_read(code) & _GLOBALS_HOLDERS:
        return True
    values = [namespace.get(name, vars(builtins).get(name)) for name in named]
    return any(id(v) in _READER_FUNCTIONS or v is builtins and _names_read(code) & _NAMESPACE_READERS for v in values)


def _modules_found_by_name(function: types.FunctionType, names: set[str]) -> list[Any]:
    """The modules `function` may find by name at run time (`sys.modules[name]`, `import_module(name)`): its own
    module if it reads `__name__`, those its code names in strings, and every module if it names neither (the
    name is computed)."""
    strings = _strings_in(function.__code__)
    loaded = list(sys.modules.items())
    found: list[Any] = [m for name, m in loaded if name in strings]
    if "__name__" in names:
        found.append(sys.modules.get(str(function.__globals__.get("__name__"))))
    return found or [m for _, m in loaded]


# builtins that read a namespace by a name computed at run time, and functions that find a module so
# (`sys.modules[name]` too)
_NAMESPACE_READERS = frozenset({"globals", "eval", "exec"})
_READER_FUNCTIONS = {id(vars(builtins)[name]) for name in _NAMESPACE_READERS}  # (by identity: `==` may be an array's)
_GLOBALS_HOLDERS = frozenset({"f_globals", "f_locals", "__globals__"})  # attributes that hold a module's globals
_MODULE_FINDERS = frozenset({"__import__", "import_module"})
_CACHED = type(functools.cache(len))  # what functools.cache and lru_cache make of a function
_VIEWS = (ChainMap, types.MappingProxyType, weakref.WeakValueDictionary)
_MARSHALLED = {list, tuple, dict, set, frozenset}
_PLAIN_KINDS = {Value, float, int, bool, str, bytes, type(None)}  # (met most: passed over before anything is asked)


@functools.lru_cache(maxsize=4096)
def _strings_in(code: types.CodeType) -> frozenset[str]:
    """The string constants of `code` (and of the functions defined in it) that could name an attribute, those in
    tuples among them (a match statement's `case Net(scale=s)` keeps `('scale',)`)."""
    consts = [*code.co_consts, *(c for t in code.co_consts if type(t) is tuple for c in t)]
    found = {c for c in consts if isinstance(c, str) and c.isidentifier()}
    for inner in code.co_consts:
        if isinstance(inner, types.CodeType):
            found |= _strings_in(inner)
    return frozenset(found)


def _getter_names(getter: Any) -> set[str]:
    """The attribute (or method) names an `operator.attrgetter` or `methodcaller` looks up (`'a.b'`: both)."""
    maker, args = getter.__reduce__()  # (methodcaller with keywords: a partial of it, holding the name)
    strings = [*args, *(maker.args if isinstance(maker, functools.partial) else ())]
    return {part for s in strings if isinstance(s, str) for part in s.split(".")}


def _is_learners_function(value: Any) -> bool:
    return isinstance(value, types.FunctionType) and _is_learners(value.__globals__.get("__name__"))


def _slots_of_learners(cls: type) -> bool:
    """Whether one of the learner's classes among `cls` and its bases declares `__slots__` that hold something
    (a submodule or a number kept in a slot is in no `__dict__`: `modules()` and the watch do not see it)."""
    for c in cls.__mro__:
        slots = vars(c).get("__slots__", ())
        if _is_learners(c.__module__) and set([slots] if isinstance(slots, str) else slots) - _NO_STATE_SLOTS:
            return True
    return False


_NO_STATE_SLOTS = {"__dict__", "__weakref__"}


def _value_tree(value: Any) -> list[tuple[Any, tuple[Any, ...]]] | None:
    """[(list, its items)] for `value` and every list or tuple in it, if those hold nothing but Values and such
    lists; else None. (A number is left to `_picture`: 0.0 == -0.0, but they are different numbers.)"""
    if type(value) not in (list, tuple):
        return None
    found, pending, seen = [], [value], set()
    while pending:
        container = pending.pop()
        if id(container) in seen:
            return None  # a cycle: `_picture` handles it
        seen.add(id(container))
        items = tuple(container)
        found.append((container, items))
        for item in items:
            if type(item) in (list, tuple):
                pending.append(item)
            elif type(item) is not Value:
                return None
    return found


def _tree_moved(tree: list[tuple[Any, tuple[Any, ...]]]) -> bool:
    # (tuples compare item by item, identity first: the same Values are equal without asking them)
    return any(tuple(container) != items for container, items in tree)


def _modules_of(model: Any) -> list[Any]:
    return list(model.modules()) if callable(getattr(model, "modules", None)) else [model]


def _owned(model: Any) -> list[int]:
    """Which Values `model.parameters()` lists (by identity)."""
    return [id(p) for p in model.parameters()] if callable(getattr(model, "parameters", None)) else []


def _numpy_global_state() -> Any:
    """numpy's global generator state (`np.random.seed` and friends), if numpy is imported."""
    numpy = sys.modules.get("numpy")
    return numpy.random.get_state() if numpy is not None else None


def _attributes(model: Any, objects: tuple[Any, ...] = ()) -> dict[tuple[int, str], tuple[Any, Any, Any]]:
    """{(id(owner), attribute): (owner, value, its fingerprint)} for the attributes that hold Python state of
    `model`'s modules, of `objects` (a loss object of the learner's) and of their classes (a counter kept as
    `type(self).calls`)."""
    found = {}
    owners = [*([] if model is None else _modules_of(model)), *objects]
    owners += list({id(type(m)): type(m) for m in owners}.values())
    for owner in owners:
        for name, value in list(vars(owner).items()) if hasattr(owner, "__dict__") else ():
            print_ = None if name in _SKIP or name.startswith("__") else _fingerprint(value, set())
            if print_ is not None:
                found[(id(owner), name)] = (owner, value, print_)
    return found


def _variables_read(
    model: Any, functions: tuple[Any, ...], names_seen: set[str] | None = None, by_name: bool = False
) -> dict[tuple[int, str], tuple[Any, str, Any, Any]]:
    """{(id(holder), name): (holder, name, value, its fingerprint)} for the globals and closure variables that
    the learner's code run by `model` (and `functions`) can read: a globals dict or a closure cell as holder.

    Followed from the methods of the modules' classes, functions kept in the
    modules' attributes and `functions`, on through the functions and classes
    their globals and closures name. A value that holds no state `_fingerprint`
    can picture (a function, a module object) is kept by identity; a global not
    yet bound as `_MISSING`, so a call that binds it is seen.
    """
    modules = [] if model is None else _modules_of(model)
    classes = {id(c): c for m in modules for c in type(m).__mro__ if _is_learners(c.__module__)}
    todo: list[Any] = [*functions, *classes.values(), *(type(f) for f in _state_objects(functions))]
    for m in modules:  # code kept in attributes; in containers only in the learner's modules (not nn's weights)
        mine = _is_learners(type(m).__module__)
        for v in vars(m).values() if hasattr(m, "__dict__") else ():
            if _holds_code(v) or mine and _is_container(v):
                todo.append(v)
    found: dict[tuple[int, str], tuple[Any, str, Any, Any]] = {}
    visited: set[int] = set()
    containers = 0  # (walked too, but no code: a data set of Values the code names is not the bound's business)

    def keep(holder: Any, name: str, value: Any) -> None:
        todo.append(value)
        found[(id(holder), name)] = (holder, name, value, _picture(value))

    readers_held = False  # `eval` or `globals` kept as data (`partial(eval, "SCALE")`, `h.read = eval`): see below
    while todo and len(visited) - containers < _MAX_FUNCTIONS:
        item = todo.pop()
        if id(item) in _READER_FUNCTIONS:
            readers_held = True
        if type(item) is _CACHED and id(item) not in visited:  # `@functools.cache`: the function it calls
            visited.add(id(item))
            todo.append(item.__wrapped__)
        if id(item) in visited or not (_holds_code(item) or _is_container(item)):
            continue
        visited.add(id(item))
        if _is_container(item):  # `ACTS = [lambda v: v * ALPHA]`, `layers = [Linear(), Tanh()]`, nested too
            containers += 1
            todo += [type(v) if _learners_object(v) else v for v in _inner(item)]  # (a class once)
            if _learners_object(item):  # `class Acts(list)` of the learner's: its methods too
                todo += [type(item), *getattr(item, "__dict__", {}).values()]
        elif isinstance(item, functools.partial):  # `self.act = partial(scaled, k=2.0)`: the function it calls
            todo.append(item.func)
            keep(item, "args", item.args)  # (a model among them: `partial(predict, model)`)
            keep(item, "keywords", item.keywords)
            if isinstance(item.func, Module):  # `partial(model)`: the model it calls
                keep(item, "func", item.func)
        elif type(item) in _NAME_GETTERS:  # `attrgetter("scale")`: names attributes in data, not in code
            if names_seen is not None:
                names_seen |= _getter_names(item)
        elif not isinstance(item, _CODE_HOLDERS):  # an object of the learner's (`self.act = Tanh()`): its class
            todo += [type(item), *vars(item).values()] if hasattr(item, "__dict__") else [type(item)]
        elif isinstance(item, (staticmethod, classmethod)):
            todo.append(item.__func__)
        elif isinstance(item, property):
            todo += [item.fget, item.fset, item.fdel]
        elif isinstance(item, types.MethodType):
            todo.append(item.__func__)
            owner = item.__self__
            if (
                isinstance(owner, (random.Random, Module))
                or _numpy_state(owner) is not None
                or _is_learners(type(owner).__module__)
            ):
                # a bound method of a generator (`noise = rng.gauss`), of a model (`compile(layer.forward, x)`,
                # nn's too: then its modules are watched) or of the learner's
                keep(item, "__self__", owner)
        elif isinstance(item, type):
            if _is_learners(item.__module__):
                todo.append(type(item))  # its metaclass: `type(self).factor` may be read there
                if names_seen is not None:  # `case Net(s)` reads the attributes `__match_args__` names
                    names_seen |= {n for n in vars(item).get("__match_args__", ()) if isinstance(n, str)}
                for name, value in list(vars(item).items()):
                    if isinstance(value, types.FunctionType):  # by identity: `Scaler.__call__ = other` after
                        keep(item, name, value)
                    elif isinstance(value, _CODE_HOLDERS):
                        todo.append(value)
                    elif not name.startswith("__"):
                        keep(item, name, value)  # a counter kept on a helper class: `Stats.calls += 1`
        elif _is_learners(item.__globals__.get("__name__")):
            for attribute, value in list(vars(item).items()):  # a decorator's counter: `wrapper.calls += 1`
                if not attribute.startswith("__"):
                    keep(vars(item), attribute, value)
            for attribute in ("__defaults__", "__kwdefaults__"):  # `lambda x, net=net: ...`, `def f(x, log=[])`
                if getattr(item, attribute) is not None:
                    keep(item, attribute, getattr(item, attribute))
            namespace = item.__globals__
            if type(namespace) is not dict:  # `exec(source, Namespace())`: its own code may find a name anywhere
                opaque = f"{item.__qualname__}.__globals__"
                found[(id(item), opaque)] = ({}, opaque, _MISSING, ("opaque", _Opaque()))
            names = _names_read(item.__code__)
            if names_seen is not None:  # (a string may name an attribute: `attrgetter("w")`, `case Net(scale=s)`)
                names_seen |= _attributes_loaded(item.__code__) | _strings_in(item.__code__)
            variables = []
            named = _globals_named(item.__code__)
            if by_name or _reads_globals_by_name(item.__code__, named, namespace):  # `globals()["net"]`, `eval("net")`
                named = named | {n for n in namespace if not n.startswith("__")}  # any global may be read
            for name in named:
                keep(namespace, name, namespace.get(name, _MISSING))  # (a global defined later may hide a builtin)
                if name not in namespace and name in vars(builtins):  # `builtins.SCALE = 2.0`, `builtins.sum = f`
                    keep(vars(builtins), name, vars(builtins)[name])
                variables.append(namespace.get(name))
            # modules found at run time: `import config` inside a function, `sys.modules["__main__"]`
            imported = _modules_imported(item.__code__)
            for module_name in imported:  # (`import a.b` binds `a`)
                variables += [sys.modules.get(module_name), sys.modules.get(module_name.partition(".")[0])]
            if names & _MODULE_FINDERS or "modules" in names and "sys" in _globals_named(item.__code__) | imported:
                variables += _modules_found_by_name(item, names)
            for name, cell in zip(item.__code__.co_freevars, item.__closure__ or ()):
                try:
                    keep(cell, name, cell.cell_contents)
                    variables.append(cell.cell_contents)
                except ValueError:  # a closure variable not yet assigned
                    keep(cell, name, _MISSING)
            # a module of the learner's (`config.step += 1`), or of ours that the learner patches (`losses.mse`),
            # and its submodules so named (`mk.losses.mse`); a name given as a string counts (`getattr(losses, "mse")`)
            names = names | _strings_in(item.__code__)
            modules = [value for value in variables if isinstance(value, types.ModuleType)]
            looked: set[int] = set()
            while modules:
                value = modules.pop()
                dotted = getattr(value, "__name__", None)
                if (
                    id(value) in looked
                    or not isinstance(dotted, str)
                    or not (_is_learners(dotted) or _is_library(dotted))
                ):
                    continue
                looked.add(id(value))
                # (a module's `__getattr__` answers the names it does not hold: `config.SCALE` from a dict; code
                # that reads attributes by computed names, `getattr(config, key)`, `vars(config)[key]`, any of them)
                every = names & _BY_COMPUTED_NAME and _is_learners(dotted)
                read = {n for n in vars(value) if not n.startswith("__")} if every else names & set(vars(value))
                for attribute in read | {"__getattr__"} & set(vars(value)):
                    keep(vars(value), attribute, vars(value)[attribute])
                    if isinstance(vars(value)[attribute], types.ModuleType):
                        modules.append(vars(value)[attribute])
        else:  # a function of a library wrapping the learner's (`functools.singledispatch`, a package's decorator)
            todo.append(getattr(item, "__wrapped__", None))
            for name, cell in zip(item.__code__.co_freevars, item.__closure__ or ()):
                held = _read(cell, name)
                todo.append(held)
                if _is_container(held) and any(map(_is_learners_function, _inner(held))):
                    keep(cell, name, held)  # (singledispatch's registry: an implementation registered later)
    if any(id(item) not in visited and (_holds_code(item) or _is_container(item)) for item in todo):
        # the walk stopped at its bound with code left: what that code keeps is unknown, so nothing is traced
        beyond = f"{_MAX_FUNCTIONS:,}+ functions and objects of the learner's code"
        found[(0, beyond)] = ({}, beyond, _MISSING, ("opaque", _Opaque()))
    if readers_held and not by_name:  # called by any of that code, they read the globals of the code calling them
        return _variables_read(model, functions, names_seen, by_name=True)
    return found
