"""Check backward against numerical differentiation (수치 미분).

The central difference (f(x + h) - f(x - h)) / (2 h) has an error of
order h**2, so it is a trustworthy, if slow, reference for every
analytic gradient the engine computes. The step is h = eps * max(1, |x|):
for a large x a fixed step would be lost in rounding (x + 1e-6 == x once
|x| is above about 1e10).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from .engine import MathDomainError, Value, no_grad
from .i18n import bilingual, particle


class GradcheckError(AssertionError):
    """backward and the numerical derivative disagree; the message lists where."""


def _check_setting(value: object, name: str, positive: bool = False) -> float:
    """`value` as a float if it is a finite number >= 0 (> 0 when `positive`), else an error naming `name`.

    gradcheck's eps must be above 0 (a step of 0 divides by zero), its atol
    and rtol at least 0 (a negative or nan tolerance would blame a correct
    gradient).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            bilingual(f"{name}은(는) 숫자여야 합니다: {value!r}", f"{name} must be a number, got {value!r}")
        )
    number = float(value)
    if not (math.isfinite(number) and (number > 0 if positive else number >= 0)):
        bound_en, bound_ko = ("above 0", "0보다 큰") if positive else ("at least 0", "0 이상의")
        raise ValueError(
            bilingual(
                f"{name}은(는) {bound_ko} 유한한 수여야 합니다: {value!r}",
                f"{name} must be a finite number {bound_en}, got {value!r}",
            )
        )
    return number


def step(x: float, eps: float = 1e-6) -> float:
    """The central-difference step for an input at x: eps, or eps * |x| for |x| > 1."""
    return eps * max(1.0, abs(x))


def shifted_values(
    f: Callable[[list[float]], float], values: Sequence[float], i: int, eps: float = 1e-6
) -> tuple[float, float, float]:
    """f at `values` with input i moved by -h and by +h: (down, up, h).

    `f` takes a list of floats and returns a float. The numeric core of
    `numerical_grad` and of `micrograd_ko.testing.check_grads`. A step that
    leaves f's domain (log near 0) raises a ValueError naming the input.
    """
    x = values[i]
    h = step(x, _check_setting(eps, "eps", positive=True))
    if not (math.isfinite(x + h) and math.isfinite(x - h)):  # near the largest float x * (1 + eps) is inf
        raise ValueError(
            bilingual(
                f"수치 미분의 한 걸음이 실수(float) 범위를 벗어납니다: input[{i}] = {x!r}에서 x ± {particle(repr(h), '은/는')} 무한대입니다. "
                f"더 작은 입력을 쓰세요",
                f"a numerical-differentiation step leaves the float range: input[{i}] = {x!r} shifted by ± {h!r} "
                f"is infinite; use a smaller input",
            )
        )
    shifted = list(values)
    try:
        shifted[i] = x + h
        up = f(shifted)
        shifted[i] = x - h
        down = f(shifted)
    except MathDomainError as error:  # log near 0: x - h is already outside the domain
        raise ValueError(
            bilingual(
                f"수치 미분의 한 걸음이 정의역을 벗어났습니다: input[{i}] = {x!r}에서 {particle(repr(shifted[i]), '을/를')} 계산하다가 ({error}). "
                f"eps를 줄이거나 정의역 경계에서 더 떨어진 점을 고르세요",
                f"a numerical-differentiation step left the domain: input[{i}] = {x!r} stepped to {shifted[i]!r}; "
                f"use a smaller eps or a point further from the domain's edge",
            )
        ) from None
    return down, up, h


def numerical_grad(fn: Callable[..., Value | float], inputs: Sequence[Value | float], eps: float = 1e-6) -> list[float]:
    """Central differences of `fn(*inputs)` with respect to each input."""
    eps = _check_setting(eps, "eps", positive=True)
    values = [x.data if isinstance(x, Value) else float(x) for x in inputs]

    def f(floats: list[float]) -> float:
        return _as_float(fn(*[Value(v) for v in floats]))

    grads = []
    with no_grad():
        for i in range(len(values)):
            down, up, h = shifted_values(f, values, i, eps)
            grads.append((up - down) / (2 * h))
    return grads


def check_arity(fn: Callable[..., Any], n: int, who: str) -> None:
    """A bilingual TypeError when `fn(*inputs)` cannot take `n` inputs, instead of Python's own words from inside."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: the call itself will tell
        return
    try:
        signature.bind(*range(n))
    except TypeError as error:
        raise TypeError(
            f"{who}: "
            + bilingual(
                f"fn을 입력 {n}개로 부를 수 없습니다 ({error}): 입력의 개수를 fn의 인자 수와 맞추세요",
                (
                    f"fn cannot be called with 1 input ({error})"
                    if n == 1
                    else f"fn cannot be called with {n} inputs ({error})"
                )
                + ": give as many inputs as fn takes",
            )
        ) from None


def gradcheck(
    fn: Callable[..., Value],
    inputs: Value | float | Sequence[Value | float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> bool:
    """Compare backward with central differences for `fn(*inputs)`.

    `fn` takes `Value`s and returns one `Value`; `inputs` are numbers or
    `Value`s (or a single one). Returns True, or raises `GradcheckError` listing every input
    whose analytic and numerical gradients differ by more than
    atol + rtol * |numerical|.
    """
    if not callable(fn):
        raise TypeError(
            "gradcheck: "
            + bilingual(
                f"fn은 Value를 받아 Value를 돌려주는 함수여야 합니다: {fn!r}",
                f"fn must be a function of Values that returns a Value, got {fn!r}",
            )
        )
    eps = _check_setting(eps, "eps", positive=True)
    atol, rtol = _check_setting(atol, "atol"), _check_setting(rtol, "rtol")
    items: Any = [inputs] if isinstance(inputs, (Value, int, float)) else inputs  # gradcheck(f, 0.3): one input
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise TypeError(
            "gradcheck: "
            + bilingual(
                f"inputs는 숫자나 Value, 또는 그 목록이어야 합니다 (받은 것: {type(inputs).__name__})",
                f"inputs must be a number, a Value or a list of them, got {type(inputs).__name__}",
            )
        )
    nodes = [_as_input(x, i) for i, x in enumerate(items)]
    check_arity(fn, len(nodes), "gradcheck")
    leaves = [Value(x.data) for x in nodes]
    out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(
            "gradcheck: "
            + bilingual(
                f"fn은 Value 하나를 돌려줘야 합니다 (받은 것: {type(out).__name__})",
                f"fn must return one Value, got {type(out).__name__}",
            )
        )
    out.backward()
    analytic = [x.grad for x in leaves]
    numeric = numerical_grad(fn, leaves, eps)
    bad = [
        (i, leaves[i].data, a, n)
        for i, (a, n) in enumerate(zip(analytic, numeric))
        if not abs(a - n) <= atol + rtol * abs(n)
    ]
    if bad:
        lines = "\n".join(
            f"  input[{i}] = {x!r}: "
            + bilingual(f"역전파 {a!r}, 수치 미분 {n!r}", f"backward {a!r}, numerical {n!r}")
            + _kink_note(fn, leaves, i, eps, out.data, atol, rtol)
            for i, x, a, n in bad
        )
        raise GradcheckError(
            bilingual(
                f"기울기가 일치하지 않습니다 (atol={atol}, rtol={rtol})",
                f"gradients disagree (atol={atol}, rtol={rtol})",
            )
            + f":\n{lines}"
        )
    return True


def _kink_note(
    fn: Callable[..., Value], leaves: list[Value], i: int, eps: float, at: float, atol: float, rtol: float
) -> str:
    """A note for a disagreement at a kink (relu or abs at 0): the slopes left and right of input i differ, so
    the central difference is their mean, and no derivative exists there for backward to match; '' elsewhere."""

    def f(floats: list[float]) -> float:
        return _as_float(fn(*[Value(v) for v in floats]))

    with no_grad():
        down, up, h = shifted_values(f, [x.data for x in leaves], i, eps)
    left, right = (at - down) / h, (up - at) / h
    if abs(left - right) <= atol + rtol * max(abs(left), abs(right)):
        return ""
    return " — " + bilingual(
        f"꺾이는 점입니다: 왼쪽 기울기 {left:.6g}, 오른쪽 기울기 {right:.6g}. 여기서는 미분이 없고 역전파는 "
        "한쪽 값을 씁니다 (중앙 차분은 두 기울기의 평균). 꺾이지 않는 점에서 확인하세요",
        f"a kink: slope {left:.6g} on the left, {right:.6g} on the right. No derivative exists here and backward "
        "uses one side's (the central difference is their mean); check at a point off the kink",
    )


def _as_input(x: object, i: int) -> Value:
    if isinstance(x, Value):
        return x
    try:
        return Value(x)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:  # the engine's words, with the input's place
        raise type(error)(f"gradcheck: input[{i}]: {error}") from None


def _as_float(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else float(x)
