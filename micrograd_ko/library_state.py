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
alive, so no id is reused while compared. The `training` flag is left out:
train() and eval() switch it on purpose (a Dropout notes it for compile
itself).
"""

from __future__ import annotations

import operator
from typing import Any

from .engine import Value

_LEFT_OUT = "training"


def _library(cls: type) -> bool:
    return cls.__module__.partition(".")[0] == "micrograd_ko"


class LibraryState:
    """The attributes of micrograd_ko's modules among `modules`, and the dicts of their classes and of Value."""

    def __init__(self, modules: list[Any]) -> None:
        self.owners = list({id(m): m for m in modules if _library(type(m)) and hasattr(m, "__dict__")}.values())
        self.dicts = [vars(m) for m in self.owners]
        self.copies = [dict(d) for d in self.dicts]
        self.containers = _containers([v for copy in self.copies for k, v in copy.items() if k != _LEFT_OUT])
        self.container_copies = [type(c)(c) for c in self.containers]
        slots = [(d, k) for d, copy in zip(self.dicts, self.copies) for k, v in copy.items() if type(v) in _CONTAINERS]
        self.slot_dicts, self.slot_names = [d for d, _ in slots], [k for _, k in slots]
        self.slot_ids = self._slot_ids()
        classes = {id(c): c for m in self.owners for c in type(m).__mro__ if _library(c)}
        classes[id(Value)] = Value
        self.classes = list(classes.values())
        self.class_dicts = [vars(c) for c in self.classes]
        self.class_copies = [dict(d) for d in self.class_dicts]

    def _slot_ids(self) -> list[int]:
        return list(map(id, map(operator.getitem, self.slot_dicts, self.slot_names)))

    def moved(self) -> str | None:
        """'Neuron.w' (the class and attribute) of the first thing rebound or changed, or None."""
        if (
            self.dicts == self.copies
            and self.containers == self.container_copies
            and self.class_dicts == self.class_copies
            and self._slot_ids() == self.slot_ids  # (the dicts are equal: every key is there)
        ):
            return None
        return self._which()

    def _which(self) -> str | None:
        """The name of what moved; None if only the `training` flags did (the copies then take them)."""
        copied = {id(c): copy for c, copy in zip(self.containers, self.container_copies)}
        for owner, d, copy in zip(self.owners, self.dicts, self.copies):
            for name in sorted({*d, *copy} - {_LEFT_OUT}):
                value = copy.get(name, _GONE)
                if d.get(name, _GONE) is not value or any(c != copied[id(c)] for c in _containers([value])):
                    return f"{type(owner).__name__}.{name}"
        for cls, d, copy in zip(self.classes, self.class_dicts, self.class_copies):
            changed = sorted(n for n in {*d, *copy} if d.get(n, _GONE) is not copy.get(n, _GONE))
            if changed:
                return f"{cls.__name__}.{changed[0]}"
        for d, copy in zip(self.dicts, self.copies):
            copy.pop(_LEFT_OUT, None)
            if _LEFT_OUT in d:
                copy[_LEFT_OUT] = d[_LEFT_OUT]
        return None


_GONE = object()
_CONTAINERS = (list, dict, tuple)


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
