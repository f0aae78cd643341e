"""A `dot` node drawn as the lecture writes a neuron: one `*` per input, then a chain of `+`.

The engine computes a neuron's w · x as one `dot` node with 2n parents (fast,
and exact: rounded once). karpathy's lecture builds it from x1*w1, x2*w2, +,
and the learner follows the chain rule through those steps. `expand(node)`
gives the boxes to draw for them: a `Part` per product and partial sum, and
how to draw the `dot` node itself, as the last `+` (or, for one input, the `*`).

Every part carries the `dot` node's gradient: d dot / d (w_i * x_i) = 1 and
d dot / d (partial sum) = 1. The edges keep the engine's local derivatives:
d (w_i * x_i) / d w_i = x_i, as the `dot` node's own d dot / d w_i.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Part", "Shown", "expand"]


@dataclass(eq=False)
class Part:
    """A box for one step inside a `dot` node (hashed by identity, like a Value)."""

    whole: object  # the `dot` Value this step belongs to
    key: str  # 'p0', 'p1', ... for products; 's1', 's2', ... for partial sums
    data: float
    _op: str
    _prev: tuple
    _locals: tuple
    label: str = ""

    def local_grads(self):
        return self._locals


@dataclass(frozen=True)
class Shown:
    """How the `dot` node itself is drawn: its op and the parents its edges come from."""

    op: str
    parents: tuple
    locals: tuple


def expand(node, up_to):
    """(parts in drawing order, `Shown` for `node`) if `node` is a `dot` of 1 .. `up_to` products; else None.

    None too when a product or a partial sum leaves the float range (the
    engine's `dot` is exact there; the steps drawn would not be finite).
    """
    n = len(node._prev) // 2
    if node._op != "dot" or not 1 <= n <= up_to:
        return None
    ws, xs = node._prev[:n], node._prev[n:]
    products = [w.data * x.data for w, x in zip(ws, xs)]
    if not all(map(math.isfinite, products)):
        return None
    try:
        sums = [math.fsum(products[: k + 1]) for k in range(n)]
    except OverflowError:  # fsum's intermediate overflow
        return None
    if not all(map(math.isfinite, sums)):
        return None
    if n == 1:
        return [], Shown("*", (ws[0], xs[0]), (xs[0].data, ws[0].data))
    parts = [Part(node, f"p{i}", products[i], "*", (ws[i], xs[i]), (xs[i].data, ws[i].data)) for i in range(n)]
    total = parts[0]
    for k in range(1, n - 1):
        total = Part(node, f"s{k}", sums[k], "+", (total, parts[k]), (1.0, 1.0))
        parts.append(total)
    return parts, Shown("+", (total, parts[n - 1]), (1.0, 1.0))
