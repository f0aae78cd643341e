"""Pictures of Python state: comparable snapshots, and what puts a value back in place.

`_fingerprint(value)` is a picture that compares equal when the state
`value` holds is the same (numbers by their bits, Values by identity, plain
data through marshal, generators by their state, an iterator or a stream as
"opaque": reading it would advance it, and what is written to it is gone); `_contents` and `_put_back` restore a value
in place (the same list, dict or array object, so whoever else holds it
sees the old contents). `_read` and `_write` get and bind a name in a
globals dict, a closure cell, a bound method's object or an object.
"""

from __future__ import annotations

import array
import functools
import io
import marshal
import random
import struct
import types
from collections import deque
from typing import Any

from .engine import Value
from .learners_code import _learners_object
from .module import Module

_MISSING = object()


def _state_picture(state: Any) -> Any:
    """A numpy generator's state, comparable with `==` and fast to make: its arrays as bytes (the global
    generator's 624 words took milliseconds to `repr`, twice per look)."""
    if isinstance(state, tuple):
        return tuple(_state_picture(item) for item in state)
    if isinstance(state, dict):
        return tuple((key, _state_picture(item)) for key, item in state.items())
    if _is_array(state):
        return ("array", state.dtype.str, state.shape, state.tobytes())
    return ("f", _bits(state)) if type(state) is float else state


_BY_IDENTITY = (("missing",), ("object",))  # pictures of what is kept by identity only: nothing to look into


def _picture(value: Any) -> Any:
    """`_fingerprint(value)`, or a mark for what is kept by identity only (`_MISSING`, a function, a module)."""
    if value is _MISSING:
        return ("missing",)
    print_ = _fingerprint(value, set())
    return ("object",) if print_ is None else print_


def _read(holder: Any, name: str) -> Any:
    """What `name` is bound to in `holder`: a globals dict, a closure cell, a bound method (its object) or an object."""
    if isinstance(holder, dict):
        return holder.get(name, _MISSING)
    if isinstance(holder, types.MethodType):
        return holder.__self__
    if isinstance(holder, types.CellType):
        try:
            return holder.cell_contents
        except ValueError:
            return _MISSING
    return getattr(holder, name, _MISSING)


def _write(holder: Any, name: str, value: Any) -> None:
    """Bind `name` in `holder` (globals, a closure cell or a class) to `value` again; unbind it if it was `_MISSING`."""
    if isinstance(holder, dict):
        if value is _MISSING:
            holder.pop(name, None)  # a global the call made
        else:
            holder[name] = value
    elif isinstance(holder, types.CellType):
        if value is _MISSING:
            del holder.cell_contents
        else:
            holder.cell_contents = value
    elif value is _MISSING:
        delattr(holder, name)
    else:
        setattr(holder, name, value)


# marshal's format 2: floats as their 8 bytes (-0.0 and nan's bits kept), and no back references, whose
# placement depends on reference counts (format 3 on), so the same data always gives the same bytes
_NO_REFERENCES = 2


_DEEPEST = 100  # containers nested deeper are pictured by identity (no RecursionError), and not put back


def _fingerprint(value: Any, seen: set[int], depth: int = 0) -> Any:
    """A comparable picture of the state `value` holds, or None for what holds none (modules, functions).

    A Value is pictured by itself (equal only to itself): which node an
    attribute holds is state (`self.out = h`, kept for a plot, is a new node
    every call); its number is the engine's business.
    """
    kind = type(value)
    if (kind is list or kind is tuple) and value and all(type(item) is Value for item in value):
        return ("values", tuple(value))  # a layer's weights: first, as fit and compile ask again and again
    if kind is Value:  # (a bias: by its type, as asking a Value its class runs Python)
        return ("value", value)
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return ("=", value)
    if isinstance(value, float):
        return ("f", _bits(value))
    if isinstance(value, Value):  # by identity: an activation kept for a plot (`self.out = h`) is new every call
        return ("value", value)
    if isinstance(value, (Module, types.ModuleType)):
        return None
    if callable(value) and not isinstance(value, (random.Random, functools.partial)) and not _learners_object(value):
        return None  # a function; a callable object of the learner's is pictured by its attributes, below
    if id(value) in seen:
        return ("seen",)  # a cycle: its contents are pictured where it was met first
    if depth > _DEEPEST:
        return ("deep", id(value))
    seen.add(id(value))
    if isinstance(value, functools.partial):  # its arguments may hold state: `partial(scaled, counts=[0])`
        return ("partial", _fingerprint(value.args, seen, depth + 1), _fingerprint(value.keywords, seen, depth + 1))
    if type(value) in (list, tuple, dict):  # plain data (a dataset the code names), at C speed; else item by item
        try:
            return ("marshal", type(value).__name__, marshal.dumps(value, _NO_REFERENCES))
        except ValueError:  # it holds something else (a Value, an object), or is nested too deep for marshal
            pass
    if isinstance(value, (list, tuple, deque)):
        if value and all(type(item) is Value for item in value):  # (a deque or a list subclass of Values)
            return ("values", tuple(value))
        items = [_item(item, seen, depth) for item in value]
        return (type(value).__name__, tuple(items))
    if isinstance(value, (set, frozenset)):  # its items are hashable, so they hold no state of their own
        return ("set", tuple(sorted(repr(item) for item in value)))
    if isinstance(value, dict):
        return ("dict", tuple((repr(k), _item(v, seen, depth)) for k, v in value.items()))
    if isinstance(value, random.Random):
        return ("random", value.getstate())
    numpy_state = _numpy_state(value)
    if numpy_state is not None:
        return ("numpy", _state_picture(numpy_state))
    if _is_array(value):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    buffer = _buffer(value)
    if buffer is not None:  # a bytearray, an array.array, a ctypes array or number, a memoryview: its bytes
        return ("buffer", type(value), buffer.tobytes())
    if isinstance(value, io.IOBase):  # a file, an io.StringIO, sys.stdout held (a logging handler's): a write to
        return ("opaque", _Opaque())  # it shows in no attribute, and compiled calls would not write again
    fields = getattr(value, "__dict__", None)  # a helper object (a counter kept in an object of its own)
    if isinstance(fields, dict):  # (an empty one too: `self.stats = SimpleNamespace()`, filled by a call)
        # its class too: `self.act.__class__ = Sigmoid` changes no attribute, but what its methods do
        return ("fields", type(value), _fingerprint(fields, seen, depth + 1))
    if hasattr(type(value), "__next__") or _learners_object(value):  # `next(self.steps)`, a dataclass(slots=True)
        return ("opaque", _Opaque())
    return None


class _Opaque:
    """The picture of state the watch cannot read: an iterator or a generator (reading it would advance it), a
    stream (a file, `io.StringIO`: what the code writes to it shows nowhere), an object of the learner's with
    `__slots__`. Equal to no other picture, so it always counts as changed; and
    `opaque` names it, so that nothing is traced (a trace would advance it, and it cannot be put back)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


def _opaque(pictures: list[tuple[str, Any]]) -> str | None:
    """The name of the first of (name, picture) whose picture holds an `_Opaque`, or None."""
    return next((name for name, print_ in pictures if _holds_opaque(print_)), None)


def _holds_opaque(print_: Any) -> bool:
    if type(print_) is Value:
        return False
    if isinstance(print_, _Opaque):
        return True
    return type(print_) is tuple and any(_holds_opaque(item) for item in print_)


def _item(value: Any, seen: set[int], depth: int) -> Any:
    """An item of a container: pictured, or by identity (a module or a function in `self.parts = {"net": net}`).

    A container of modules holds no number, but a call that puts one in it
    (`self.parts["calls"] = 1`) or replaces a module changes it all the same.
    """
    print_ = _fingerprint(value, seen, depth + 1)
    return ("is", value) if print_ is None else print_


def _contents(value: Any, seen: set[int], depth: int = 0) -> Any:
    """What `_put_back` needs to restore `value` in place: its items (and theirs), a generator's state, a copy."""
    if id(value) in seen or isinstance(value, (Value, bool, int, float, str, bytes)) or value is None:
        return None
    if depth > _DEEPEST:
        return None
    seen.add(id(value))
    if isinstance(value, random.Random):
        return value.getstate()
    if _numpy_state(value) is not None:
        return _numpy_state(value)
    if _is_array(value):
        return value.copy()
    if isinstance(value, (list, tuple, deque)):
        return [(item, _contents(item, seen, depth + 1)) for item in value]
    if isinstance(value, functools.partial):
        return [(item, _contents(item, seen, depth + 1)) for item in (value.args, value.keywords)]
    if isinstance(value, set):
        return value.copy()
    buffer = _buffer(value)
    if buffer is not None:
        return buffer.tobytes()
    if isinstance(value, dict):
        return [(k, item, _contents(item, seen, depth + 1)) for k, item in value.items()]
    fields = getattr(value, "__dict__", None)
    if isinstance(fields, dict) and (not callable(value) or _learners_object(value)):
        return [(k, item, _contents(item, seen, depth + 1)) for k, item in fields.items()]
    return None


def _put_back(value: Any, contents: Any, seen: set[int]) -> None:
    """Restore `value` in place from `_contents(value)`."""
    if contents is None or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, random.Random):
        value.setstate(contents)
    elif _numpy_state(value) is not None:
        _set_numpy_state(value, contents)
    elif _is_array(value):
        value[...] = contents
    elif isinstance(value, (list, deque)):
        value.clear()
        value.extend(item for item, _ in contents)
        for item, inner in contents:
            _put_back(item, inner, seen)
    elif isinstance(value, bytearray):  # (the call may have made it longer: its own slice assignment)
        value[:] = contents
    elif isinstance(value, array.array):
        value[:] = array.array(value.typecode, contents)
    elif (buffer := _buffer(value)) is not None:  # a ctypes array or number, a memoryview: fixed in size
        buffer[:] = contents
    elif isinstance(value, set):
        value.clear()
        value.update(contents)
    elif isinstance(value, (tuple, functools.partial)):
        for item, inner in contents:
            _put_back(item, inner, seen)
    elif isinstance(value, dict):
        value.clear()
        value.update((k, item) for k, item, _ in contents)
        for _, item, inner in contents:
            _put_back(item, inner, seen)
    else:  # a helper object: its attributes
        fields = value.__dict__
        fields.clear()
        fields.update((k, item) for k, item, _ in contents)
        for _, item, inner in contents:
            _put_back(item, inner, seen)


def _numpy_state(value: Any) -> Any:
    """The state of a numpy random generator (Generator or RandomState), or None for anything else."""
    kind = type(value)
    if _class_has(kind, "bit_generator"):
        bit_generator = value.bit_generator
        if bit_generator is not None and hasattr(bit_generator, "state"):
            return bit_generator.state
    if kind.__name__ == "RandomState" and _class_has(kind, "get_state"):
        return value.get_state()
    return None


def _class_has(kind: type, name: str) -> bool:
    """Whether `kind` or a base defines `name`: asked of the classes' dicts, not of an object, whose `__getattr__`
    (the learner's) may answer any name, raise KeyError for it or count the question."""
    return any(name in vars(c) for c in kind.__mro__)


def _set_numpy_state(value: Any, state: Any) -> None:
    if _class_has(type(value), "bit_generator"):
        value.bit_generator.state = state
    else:
        value.set_state(state)


def _buffer(value: Any) -> memoryview | None:
    """The bytes of a writable buffer (a bytearray, an array.array, a ctypes array, a memoryview), or None."""
    try:
        view = memoryview(value)
        return None if view.readonly else view.cast("B")
    except TypeError:  # no buffer, or one whose bytes are not in one piece
        return None


def _is_array(value: Any) -> bool:
    kind = type(value)
    return _class_has(kind, "tobytes") and _class_has(kind, "dtype") and _class_has(kind, "shape")


def _bits(x: Any) -> Any:
    return struct.pack("d", x) if type(x) is float else x
