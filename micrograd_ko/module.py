"""`Module`: what every network part shares.

A module finds its parameters by looking at its own attributes (no
registration step): a `Value` or a list of `Value`s is a parameter slot; a
`Module` or a list of `Module`s is a part whose parameters belong to it too.
On top of that: `parameters()`, `zero_grad()`, train/eval modes,
`state_dict()` / `load_state_dict()` and `to_torch()`.
"""

from __future__ import annotations

import random

from .engine import Value
from .i18n import tr

__all__ = ["Module", "make_rng"]


def make_rng(rng):
    """A `random.Random`: `rng` itself, or a new one seeded with `rng` (int or None)."""
    if isinstance(rng, random.Random):
        return rng
    if rng is None or (isinstance(rng, int) and not isinstance(rng, bool)):
        return random.Random(rng)
    raise TypeError(f"rng는 random.Random 또는 정수 시드여야 합니다 / rng must be a random.Random or an int seed, got {rng!r}")


class Module:
    """Anything with parameters; attributes whose names start with `_` are private and skipped."""

    training = True  # train() / eval() switch it (it matters for Dropout)

    def parameter_slots(self, prefix=""):
        """(name, Value or list of Values) for every slot, in a fixed order."""
        for name, attr in vars(self).items():
            if name.startswith("_"):
                continue
            full = prefix + name
            if isinstance(attr, Value):
                yield full, attr
            elif isinstance(attr, Module):
                yield from attr.parameter_slots(full + ".")
            elif isinstance(attr, list) and attr:
                if all(isinstance(a, Value) for a in attr):
                    yield full, attr
                elif all(isinstance(a, Module) for a in attr):
                    for i, module in enumerate(attr):
                        yield from module.parameter_slots(f"{full}.{i}.")

    def named_parameters(self):
        """(name, Value) for every parameter, e.g. ('layers.0.neurons.1.w.0', Value)."""
        for name, slot in self.parameter_slots():
            if isinstance(slot, list):
                for i, p in enumerate(slot):
                    yield f"{name}.{i}", p
            else:
                yield name, slot

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        """Set every parameter's gradient (기울기) to 0 (gradients accumulate)."""
        for p in self.parameters():
            p.grad = 0.0

    def modules(self):
        """This module and every module inside it."""
        yield self
        for attr in vars(self).values():
            children = attr if isinstance(attr, list) else [attr]
            for child in children:
                if isinstance(child, Module):
                    yield from child.modules()

    def train(self, mode=True):
        """Training mode (Dropout drops units); returns the module."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode (Dropout passes everything through); returns the module."""
        return self.train(False)

    def state_dict(self):
        """{slot name: float or list of floats}: the parameters as plain numbers."""
        from .serialize import state_dict

        return state_dict(self)

    def load_state_dict(self, state):
        """Set every parameter from `state`; checks everything before changing anything."""
        from .serialize import load_state_dict

        load_state_dict(self, state)

    def to_torch(self):
        """The same network as a `torch.nn.Sequential` (float64), same weights."""
        from .torch_bridge import to_torch

        return to_torch(self)

    def _count(self):
        return tr(f"매개변수 {len(self.parameters())}개", f"{len(self.parameters())} parameters")
