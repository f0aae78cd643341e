"""What a model keeps besides its parameters' gradients, seen from outside: for fit's compiled steps.

Compiled code replays a model's arithmetic, not its Python: a call counter,
a running mean kept in a float, a random generator of its own or a weight
changed in place inside `__call__` would all go on changing when the model
runs interpreted, and stay as they were in compiled code. `ModelState`
takes a snapshot of every such thing a model's modules hold (numbers,
strings, lists and tuples of them, the state of a `random.Random` or of a
numpy generator) and of the parameters' numbers, says which one a call
changed, and puts everything back.

The `training` flag is left out: train() and eval() switch it on purpose.
"""

from __future__ import annotations

import random
import struct
from typing import Any

from .engine import Value

_SKIP = ("training",)


class ModelState:
    """A snapshot of `model`'s Python state and of the numbers of `parameters`."""

    def __init__(self, model: Any, parameters: list[Value]) -> None:
        self.model, self.parameters = model, parameters
        self.numbers = [p.data for p in parameters]
        self.owned = _owned(model)
        self.kept = _snapshot(model)

    def changed(self) -> str | None:
        """The name of the first attribute (or 'parameters') that differs from the snapshot, or None."""
        if [_bits(p.data) for p in self.parameters] != [_bits(x) for x in self.numbers]:
            return "parameters"
        if _owned(self.model) != self.owned:  # a parameter made (or replaced) on the first call
            return "parameters()"
        now = _snapshot(self.model)
        for key, (_, _, print_) in self.kept.items():
            if key not in now or now[key][2] != print_:
                return key[1]
        return next((key[1] for key in now if key not in self.kept), None)

    def restore(self) -> None:
        """Put back every number and attribute that changed (a generator's state included); drop the ones added."""
        for p, x in zip(self.parameters, self.numbers):
            p.data = x
        now = _snapshot(self.model)
        for key, (module, kept, print_) in self.kept.items():
            if key in now and now[key][2] == print_:
                continue  # unchanged: left as it is (the same object)
            value = getattr(module, key[1], None)
            if isinstance(value, random.Random):
                value.setstate(kept)
            elif _numpy_state(value) is not None:
                _set_numpy_state(value, kept)
            else:
                setattr(module, key[1], _copy(kept))
        for key, (module, _, _) in now.items():
            if key not in self.kept:
                delattr(module, key[1])  # made by the call


def _owned(model: Any) -> list[int]:
    """Which Values `model.parameters()` lists (by identity)."""
    return [id(p) for p in model.parameters()] if callable(getattr(model, "parameters", None)) else []


def _snapshot(model: Any) -> dict[tuple[int, str], tuple[Any, Any, Any]]:
    """{(id(module), attribute): (module, what to restore, a fingerprint to compare)} over `model`'s modules."""
    modules = model.modules() if hasattr(model, "modules") else [model]
    kept = {}
    for module in modules:
        for name, value in vars(module).items():
            if name in _SKIP:
                continue
            print_ = _fingerprint(value)
            if print_ is None:
                continue  # a parameter, a part, or an object not looked into
            if isinstance(value, random.Random):
                restore = value.getstate()
            elif _numpy_state(value) is not None:
                restore = _numpy_state(value)
            else:
                restore = _copy(value)
            kept[(id(module), name)] = (module, restore, print_)
    return kept


def _fingerprint(value: Any) -> Any:
    """A comparable picture of `value`, or None for what is not Python state (Values, modules, other objects)."""
    if value is None or isinstance(value, (bool, int, str)):
        return ("=", value)
    if isinstance(value, float):
        return ("f", _bits(value))
    if isinstance(value, random.Random):
        return ("random", value.getstate())
    numpy_state = _numpy_state(value)
    if numpy_state is not None:
        return ("numpy", repr(numpy_state))
    if _is_array(value):  # a numpy array of numbers (running statistics, say)
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        items = [_fingerprint(item) for item in value]
        if all(item is None for item in items) and value:
            return None  # parameters or parts: not Python state
        return (type(value).__name__, tuple(items))
    if isinstance(value, dict):
        items = [(repr(k), _fingerprint(v)) for k, v in value.items()]
        if all(v is None for _, v in items) and value:
            return None
        return ("dict", tuple(items))
    return None


def _numpy_state(value: Any) -> Any:
    """The state of a numpy random generator (Generator or RandomState), or None for anything else."""
    bit_generator = getattr(value, "bit_generator", None)
    if bit_generator is not None and hasattr(bit_generator, "state"):
        return bit_generator.state
    if type(value).__name__ == "RandomState" and callable(getattr(value, "get_state", None)):
        return value.get_state()
    return None


def _set_numpy_state(value: Any, state: Any) -> None:
    if getattr(value, "bit_generator", None) is not None:
        value.bit_generator.state = state
    else:
        value.set_state(state)


def _is_array(value: Any) -> bool:
    return callable(getattr(value, "tobytes", None)) and hasattr(value, "dtype") and hasattr(value, "shape")


def _copy(value: Any) -> Any:
    """A copy deep enough for numbers kept in (nested) lists, dicts and arrays."""
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if _is_array(value):
        return value.copy()
    return value


def _bits(x: Any) -> Any:
    return struct.pack("d", x) if type(x) is float else x
