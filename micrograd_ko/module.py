"""`Module`: what every network part shares.

A module finds its parameters by looking at its own attributes (no
registration step): a leaf `Value` (one no op made) or a list (or tuple) of
them is a parameter slot; a `Module` is a part whose parameters belong to it
too; lists, tuples and dicts are looked into, however nested (a weight matrix
kept as a list of rows, layers kept in a dict), their items named by position
or key. A Value an op made (an activation kept for a plot) is no parameter.
On top of that: `parameters()`, `zero_grad()`, train/eval modes,
`state_dict()` / `load_state_dict()` and `to_torch()`.

A state dict maps each parameter slot's name to its numbers:
    {"layers.0.neurons.0.w": [0.12, -0.5], "layers.0.neurons.0.b": 0.0, ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from .checks import check_numbers
from .engine import Value
from .i18n import bilingual, tr
from .torch_bridge import to_torch

if TYPE_CHECKING:
    import torch

_M = TypeVar("_M", bound="Module")

__all__ = ["Module"]


class Module:
    """Anything with parameters; attributes whose names start with `_` are private and skipped."""

    training = True  # train() / eval() switch it (it matters for Dropout)

    def parameter_slots(self, prefix: str = "") -> Iterator[tuple[str, Value | list[Value]]]:
        """(name, Value or list of Values) for every slot, in a fixed order."""
        yield from _slots(self, prefix, set())

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """(name, Value) for every parameter, e.g. ('layers.0.neurons.1.w.0', Value).

        A parameter kept in two places (tied weights, `self.out_w = self.in_w`)
        comes once, under its first name, as in PyTorch: an optimizer would
        otherwise step it twice.
        """
        given = set()
        for name, slot in self.parameter_slots():
            for p_name, p in (
                [(f"{name}.{i}", p) for i, p in enumerate(slot)] if isinstance(slot, list) else [(name, slot)]
            ):
                if id(p) not in given:
                    given.add(id(p))
                    yield p_name, p

    def parameters(self) -> list[Value]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient (기울기) to 0 (gradients accumulate)."""
        for p in self.parameters():
            p.grad = 0.0

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it (each once)."""
        yield from _modules(self, set())

    def train(self: _M, mode: bool = True) -> _M:
        """Training mode (Dropout drops units); returns the module."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self: _M) -> _M:
        """Evaluation mode (Dropout passes everything through); returns the module."""
        return self.train(False)

    def state_dict(self) -> dict[str, float | list[float]]:
        """{slot name: float or list of floats}: the parameters as plain numbers (a copy)."""
        return {
            name: [p.data for p in slot] if isinstance(slot, list) else slot.data
            for name, slot in self.parameter_slots()
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set every parameter from `state`; checks everything first, so a bad state changes nothing."""
        if not isinstance(state, dict):
            raise TypeError(
                bilingual(
                    f"state_dict는 dict여야 합니다 (받은 자료형: {type(state).__name__})",
                    f"a state dict must be a dict, got {type(state).__name__}",
                )
            )
        slots = dict(self.parameter_slots())
        missing = [k for k in slots if k not in state]
        unexpected = [k for k in state if k not in slots]
        problems = []
        if missing:
            problems.append(f"없는 키 / missing keys: {_names(missing)}")
        if unexpected:
            problems.append(f"모르는 키 / unexpected keys: {_names(unexpected)}")
        checked = {}
        for name, slot in slots.items():
            if name in state:
                shape = (len(slot),) if isinstance(slot, list) else ()
                try:
                    checked[name] = check_numbers(state[name], shape, name)
                except (TypeError, ValueError) as error:
                    problems.append(str(error))
        if problems:
            raise ValueError(
                bilingual(
                    "state_dict가 모델과 맞지 않아 아무것도 바꾸지 않았습니다",
                    "the state dict does not match the model; nothing was changed",
                )
                + ":\n  "
                + "\n  ".join(problems)
            )
        for name, slot in slots.items():
            if isinstance(slot, list):
                for p, value in zip(slot, checked[name]):
                    p.data = value
            else:
                slot.data = checked[name]

    def as_layers(self) -> list[tuple[Any, ...]]:
        """This module as standard layers, for `to_torch`: a list of
        ("linear", weight rows, biases), ("activation", name) and ("dropout", p).

        Modules that have a standard equivalent (Layer, Dropout, MLP,
        Sequential) override it.
        """
        name = type(self).__name__
        raise TypeError(
            bilingual(
                f"to_torch: {name}은(는) 변환할 수 없습니다",
                f"cannot convert {name} (MLP, Layer, Dropout and Sequential can be converted)",
            )
        )

    def to_torch(self) -> torch.nn.Sequential:
        """The same network as a `torch.nn.Sequential` (float64), same weights."""
        return to_torch(self)

    def _count(self) -> str:
        return tr(f"매개변수 {len(self.parameters())}개", f"{len(self.parameters())} parameters")


def _slots(module: Module, prefix: str, seen: set[int]) -> Iterator[tuple[str, Value | list[Value]]]:
    """`parameter_slots` of `module`; a module met again (one part referring to another) is not walked twice."""
    if id(module) in seen:
        return
    seen.add(id(module))
    for name, attr in vars(module).items():
        if not name.startswith("_"):
            yield from _slots_in(attr, prefix + name, seen)


def _slots_in(attr: Any, name: str, seen: set[int]) -> Iterator[tuple[str, Value | list[Value]]]:
    """The slots in one attribute, in order; nested containers are walked with a stack of this function's own
    (a list nested 5,000 deep is no RecursionError)."""
    pending = [(attr, name)]
    while pending:
        attr, name = pending.pop()
        if isinstance(attr, Value):
            if attr._a is None:  # a leaf: a parameter (a node an op made is an activation kept aside)
                yield name, attr
        elif isinstance(attr, Module):
            yield from _slots(attr, name + ".", seen)
        elif isinstance(attr, (list, tuple, dict)) and attr and id(attr) not in seen:
            seen.add(id(attr))  # a container met again (a cycle) is not walked twice
            if not isinstance(attr, dict) and all(isinstance(a, Value) and a._a is None for a in attr):
                yield name, list(attr)  # one slot: a weight vector
            else:
                items = attr.items() if isinstance(attr, dict) else enumerate(attr)
                pending += reversed([(item, f"{name}.{key}") for key, item in items])


def _modules(module: Module, seen: set[int]) -> Iterator[Module]:
    if id(module) in seen:
        return
    seen.add(id(module))
    yield module
    # private attributes too (a Dropout kept aside still switches modes); a stack, in the attributes' order
    pending = list(reversed(vars(module).values()))
    while pending:
        attr = pending.pop()
        if type(attr) is Value:  # (the usual attribute: by its type, as asking a Value its class runs Python)
            continue
        if isinstance(attr, Module):
            yield from _modules(attr, seen)
        elif isinstance(attr, (list, tuple, dict)) and id(attr) not in seen:
            seen.add(id(attr))
            items = list(attr.values() if isinstance(attr, dict) else attr)
            if any(type(item) is not Value and isinstance(item, (Module, list, tuple, dict)) for item in items):
                pending.extend(reversed(items))  # (a list of numbers has no parts)


def _names(keys: list[str], limit: int = 6) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f", … (+{len(keys) - limit})" if len(keys) > limit else "")
