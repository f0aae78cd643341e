"""Check backward against numerical differentiation (수치 미분).

The central difference (f(x + eps) - f(x - eps)) / (2 eps) has an error of
order eps**2, so it is a trustworthy, if slow, reference for every
analytic gradient the engine computes.
"""

from __future__ import annotations

import math

from .engine import Value, no_grad


class GradcheckError(AssertionError):
    """backward and the numerical derivative disagree; the message lists where."""


def numerical_grad(fn, inputs, eps=1e-6):
    """Central differences of `fn(*inputs)` with respect to each input."""
    values = [x.data for x in inputs]
    grads = []
    with no_grad():
        for i in range(len(inputs)):
            shifted = list(values)
            shifted[i] = values[i] + eps
            up = _as_float(fn(*[Value(v) for v in shifted]))
            shifted[i] = values[i] - eps
            down = _as_float(fn(*[Value(v) for v in shifted]))
            grads.append((up - down) / (2 * eps))
    return grads


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4):
    """Compare backward with central differences for `fn(*inputs)`.

    `fn` takes `Value`s and returns one `Value`; `inputs` are numbers or
    `Value`s. Returns True, or raises `GradcheckError` listing every input
    whose analytic and numerical gradients differ by more than
    atol + rtol * |numerical|.
    """
    inputs = [x if isinstance(x, Value) else Value(x) for x in inputs]
    leaves = [Value(x.data) for x in inputs]
    out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn은 Value 하나를 돌려줘야 합니다 / fn must return one Value, got {type(out).__name__}")
    out.backward()
    analytic = [x.grad for x in leaves]
    numeric = numerical_grad(fn, leaves, eps)
    bad = [
        (i, leaves[i].data, a, n)
        for i, (a, n) in enumerate(zip(analytic, numeric))
        if not math.isclose(a, n, rel_tol=rtol, abs_tol=atol)
    ]
    if bad:
        lines = "\n".join(f"  input[{i}] = {x!r}: 역전파/analytic {a!r}, 수치 미분/numerical {n!r}" for i, x, a, n in bad)
        raise GradcheckError(f"기울기가 일치하지 않습니다 / gradients disagree:\n{lines}")
    return True


def _as_float(x):
    return x.data if isinstance(x, Value) else float(x)
