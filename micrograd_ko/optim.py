"""Optimizers: how the parameters move once their gradients (기울기) are known.

    opt = SGD(model.parameters(), lr=0.1)
    for each step:
        opt.zero_grad()       # gradients accumulate, so clear them first
        loss.backward()       # 역전파: fill p.grad
        opt.step()            # move every p against its gradient

The update rules are PyTorch's (`torch.optim.SGD` and `torch.optim.Adam`),
written out for one number at a time, so both give the same numbers.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from .engine import Value
from .i18n import bilingual

__all__ = ["Optimizer", "SGD", "Adam"]


def _check_rate(value: object, name: str, low: float = 0.0, high: float = math.inf, include_low: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            bilingual(f"{name}은(는) 숫자여야 합니다: {value!r}", f"{name} must be a number, got {value!r}")
        )
    ok = math.isfinite(value) and (low <= value if include_low else low < value) and value < high  # type: ignore[operator]
    if not ok:
        bounds = f"{low}{' <=' if include_low else ' <'} {name} < {high}"
        raise ValueError(
            bilingual(
                f"{name}={value!r}: 범위를 벗어났습니다 ({bounds})", f"{name}={value!r} is out of range ({bounds})"
            )
        )
    return float(value)


class Optimizer:
    """Holds the parameters; `zero_grad()` clears their gradients, `step()` updates them.

    A step is all or nothing: every new value is computed first, and nothing
    changes if a gradient is not finite or a new weight would be (a learning
    rate too large for the gradient overflows to inf, and inf never comes
    back). A parameter whose `grad` is None has no gradient and is skipped,
    as in PyTorch (`p.grad = None` is how PyTorch code clears a gradient).
    Subclasses give `_compute(data, grads)`: the new values and the new state.
    """

    lr: float  # every optimizer has a learning rate; the messages of `step` name it

    def __init__(self, params: Iterable[Value]) -> None:
        self.params = _parameter_list(params)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        params = self.params
        grads: list[float | None] = [p.grad for p in params]
        skip = not _finite_floats(grads)  # None, another kind of number, or an error naming the parameter
        if skip:
            grads = [_gradient(p, i) for i, p in enumerate(params)]
            skip = None in grads
        new_values, new_state = self._compute([p.data for p in params], grads, skip)
        if not _all_finite(new_values):
            for i, (p, value) in enumerate(zip(params, new_values)):
                if value is not None and not math.isfinite(value):
                    raise OverflowError(
                        bilingual(
                            f"매개변수 {i}의 새 값이 float 범위를 넘어({value}) 아무것도 바꾸지 않았습니다 "
                            f"(값 {p.data:.6g}, 기울기 {p.grad:.6g}): 학습률 lr={self.lr:g}을(를) 낮추세요",
                            f"parameter {i} would become {value} (value {p.data:.6g}, gradient {p.grad:.6g}); "
                            f"nothing was updated: use a smaller learning rate than lr={self.lr:g}",
                        )
                    )
        if not all(_all_finite(row) for row in new_state):
            raise OverflowError(
                bilingual(
                    f"기울기가 너무 커서 옵티마이저의 상태가 float 범위를 넘었습니다; 아무것도 바꾸지 않았습니다: "
                    f"학습률 lr={self.lr:g}을(를) 낮추세요",
                    f"the optimizer's running state would overflow (gradients too large); nothing was updated: "
                    f"use a smaller learning rate than lr={self.lr:g}",
                )
            )
        if skip:
            for p, value in zip(params, new_values):
                if value is not None:
                    p.data = value
        else:  # every parameter moves (the usual step: no test per parameter)
            for p, value in zip(params, new_values):
                p.data = value  # type: ignore[assignment]  # no None without skip
        self._commit(new_state)

    def _compute(
        self, data: list[float], grads: list[float | None], skip: bool
    ) -> tuple[list[float | None], list[list[Any]]]:
        """(new value per parameter or None to skip it, new state as lists of numbers) for these values and gradients.

        `skip`: some gradient is None (its parameter keeps its value and state); when False, every one is a float.
        """
        raise NotImplementedError

    def _commit(self, state: list[list[Any]]) -> None:
        raise NotImplementedError


def _finite_floats(xs: list[Any]) -> bool:
    """Whether every x is a finite number of type float: the usual gradients, checked in two quick passes.

    (A per-parameter call of `_gradient` cost as much as the update itself; a
    list comprehension that keeps only the odd ones out is the quickest type
    test, quicker than `set(map(type, xs))`.) A sum of finite floats may still
    overflow to inf: then `_all_finite` looks at each.
    """
    return not [x for x in xs if type(x) is not float] and _all_finite(xs)


def _all_finite(xs: list[Any]) -> bool:
    """Whether every number in `xs` is finite (None entries are skipped).

    The fast answer is the sum: finite numbers give a finite sum unless it
    overflows, and any inf or nan makes it inf or nan (s - s is then nan).
    """
    try:
        total = sum(xs)
    except TypeError:  # a None among them
        pass
    else:
        if total - total == 0:
            return True
    return all(math.isfinite(x) for x in xs if x is not None)


_LARGEST = sys.float_info.max


def _gradient(p: Value, index: int) -> float | None:
    """The gradient of parameter `index` as a float, None if it has none, or a clear error."""
    g = p.grad
    if type(g) is float and -_LARGEST <= g <= _LARGEST:  # the common case, without the slow abstract-class checks
        return g
    if g is None:
        return None
    if isinstance(g, bool) or not isinstance(g, numbers.Real):
        raise TypeError(
            bilingual(
                f"매개변수 {index}의 기울기가 숫자가 아닙니다: {g!r}",
                f"the gradient of parameter {index} is not a number: {g!r}",
            )
        )
    if not math.isfinite(g):
        raise FloatingPointError(
            bilingual(
                f"매개변수 {index}의 기울기가 유한하지 않아({g}) 갱신하지 않았습니다: 학습률을 낮춰 보세요",
                f"the gradient of parameter {index} is not finite ({g}); nothing was updated (try a smaller learning rate)",
            )
        )
    return float(g)


def _parameter_list(params: Any) -> list[Value]:
    """`params` as a list of Values, or an error that says what to pass.

    The usual slips are passing the model itself, or the method without
    calling it: both are named, with the fix, `model.parameters()`.
    """
    if hasattr(params, "parameters") and callable(params.parameters):
        raise TypeError(
            bilingual(
                "옵티마이저에는 모델이 아니라 매개변수 목록을 주세요: optim.SGD(model.parameters(), ...)",
                "pass the model's parameters, not the model: optim.SGD(model.parameters(), ...) "
                f"(got a {type(params).__name__})",
            )
        )
    if callable(params) and getattr(params, "__name__", "") == "parameters":
        raise TypeError(
            bilingual(
                "model.parameters 뒤에 괄호를 붙여 호출하세요: model.parameters()",
                "call the method: pass model.parameters(), with the parentheses",
            )
        )
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            bilingual(
                "매개변수는 Value의 목록이어야 합니다: model.parameters()를 주세요",
                f"parameters must be a list of Values, got {type(params).__name__}; pass model.parameters()",
            )
        ) from None
    if not params:
        raise ValueError(bilingual("최적화할 매개변수가 없습니다", "the parameter list is empty"))
    first_place: dict[int, int] = {}
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(
                bilingual("매개변수는 Value여야 합니다", f"parameters must be Values, got {type(p).__name__}")
            )
        if id(p) in first_place:  # it would be moved twice per step
            raise ValueError(
                bilingual(
                    f"옵티마이저에 같은 매개변수가 두 번 들어왔습니다 (매개변수 {first_place[id(p)]}번과 {i}번이 같습니다)",
                    f"optimizer got duplicate parameters (parameter {i} is parameter {first_place[id(p)]} again)",
                )
            )
        first_place[id(p)] = i
    return params


class SGD(Optimizer):
    """Stochastic gradient descent (확률적 경사 하강법), with optional momentum and L2 weight decay.

    g = grad + weight_decay * p;  v = momentum * v + g (v = g at the first step);  p -= lr * v

    `lr` defaults to 1e-3 as in PyTorch (`torch.optim.SGD` has that default
    since 2.x), so code written for one runs on the other with the same
    numbers; micrograd-size problems usually learn faster with 0.05 - 0.5.
    """

    def __init__(
        self, params: Iterable[Value], lr: float = 1e-3, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params)
        self.lr = _check_rate(lr, "lr", include_low=False)
        self.momentum = _check_rate(momentum, "momentum")
        self.weight_decay = _check_rate(weight_decay, "weight_decay")
        self.velocity: list[float | None] = [None] * len(self.params)

    def _compute(
        self, data: list[float], grads: list[float | None], skip: bool
    ) -> tuple[list[float | None], list[list[Any]]]:
        # The rule above over whole lists (faster than one parameter at a time), the same float operations in the
        # same order. The usual step has every gradient (skip False) and, after the first step, every velocity: the
        # comprehensions without a test per parameter. Otherwise a parameter whose gradient is None keeps its value
        # and its velocity, and a velocity still None (the first step) becomes the gradient itself.
        lr, weight_decay, momentum = self.lr, self.weight_decay, self.momentum
        if weight_decay:
            if skip:
                grads = [g if g is None else g + weight_decay * d for d, g in zip(data, grads)]
            else:
                grads = [g + weight_decay * d for d, g in zip(data, grads)]  # type: ignore[operator]
        if not momentum:
            if skip:
                return [None if g is None else d - lr * g for d, g in zip(data, grads)], []
            return [d - lr * g for d, g in zip(data, grads)], []  # type: ignore[operator]
        if not skip:
            try:
                full: list[float | None] = [momentum * v + g for v, g in zip(self.velocity, grads)]  # type: ignore[operator]
            except TypeError:  # a velocity is still None (the first step): the general rule below
                pass
            else:
                return [d - lr * v for d, v in zip(data, full)], [full]  # type: ignore[operator]
        velocity = [v if g is None else g if v is None else momentum * v + g for v, g in zip(self.velocity, grads)]
        values: list[float | None] = [None if g is None else d - lr * v for d, g, v in zip(data, grads, velocity)]  # type: ignore[operator]
        return values, [velocity]

    def _commit(self, state: list[list[Any]]) -> None:
        if state:  # no state without momentum: the velocity stays None
            (self.velocity,) = state


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): a step per parameter scaled by running averages of g and g^2.

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)

    `t` counts the steps of each parameter (a parameter skipped with
    `grad = None` keeps its count, as in PyTorch). `eps` must be above 0:
    it is what keeps the division finite when every gradient so far was 0
    (PyTorch accepts eps=0 and then writes nan into the weight).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _check_rate(lr, "lr", include_low=False)
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
            raise TypeError(
                bilingual(
                    f"betas는 두 수의 쌍 (beta1, beta2)입니다, 예: betas=(0.9, 0.999); 받은 것 {betas!r}",
                    f"betas is a pair (beta1, beta2), e.g. betas=(0.9, 0.999), got {betas!r}",
                )
            )
        self.betas = (_check_rate(betas[0], "beta1", high=1.0), _check_rate(betas[1], "beta2", high=1.0))
        if eps == 0:
            raise ValueError(
                bilingual(
                    "eps=0은 안 됩니다: eps는 기울기가 0일 때 0으로 나누지 않게 해 주는 작은 양수입니다 (기본 1e-8)",
                    "eps=0 is refused: eps is the small positive number that keeps the step finite "
                    "when a gradient is 0 (default 1e-8)",
                )
            )
        self.eps = _check_rate(eps, "eps", include_low=False)
        self.weight_decay = _check_rate(weight_decay, "weight_decay")
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.steps = [0] * len(self.params)
        self.t = 0  # step() calls that updated the parameters

    def _compute(
        self, data: list[float], grads: list[float | None], skip: bool
    ) -> tuple[list[float | None], list[list[Any]]]:
        beta1, beta2 = self.betas
        lr, eps, weight_decay = self.lr, self.eps, self.weight_decay
        one_minus_beta1, one_minus_beta2 = 1.0 - beta1, 1.0 - beta2
        steps = self.steps
        if not skip and steps.count(steps[0]) == len(steps):
            # The usual step: every parameter has a gradient and the same step count t, so the loop below is the
            # same float operations in the same order written over whole lists, with one pair of corrections.
            if weight_decay:
                grads = [g + weight_decay * d for d, g in zip(data, grads)]  # type: ignore[operator]
            t = steps[0] + 1
            step_size, correction2_sqrt = lr / (1.0 - beta1**t), math.sqrt(1.0 - beta2**t)
            sqrt = math.sqrt
            m = [m_i + one_minus_beta1 * (g - m_i) for m_i, g in zip(self.m, grads)]  # type: ignore[operator]
            v = [beta2 * v_i + one_minus_beta2 * g * g for v_i, g in zip(self.v, grads)]  # type: ignore[operator]
            moved: list[float | None] = [
                d - step_size * m_i / (sqrt(v_i) / correction2_sqrt + eps) for d, m_i, v_i in zip(data, m, v)
            ]
            return moved, [m, v, [t] * len(data)]
        corrections: dict[int, tuple[float, float]] = {}  # step count -> its two bias corrections, computed once
        values: list[float | None] = []
        m, v, steps = list(self.m), list(self.v), list(self.steps)
        for i, (d, g) in enumerate(zip(data, grads)):
            if g is None:
                values.append(None)
                continue
            if weight_decay:
                g = g + weight_decay * d
            t = steps[i] = steps[i] + 1
            correction = corrections.get(t)
            if correction is None:
                correction = corrections[t] = (lr / (1.0 - beta1**t), math.sqrt(1.0 - beta2**t))
            step_size, correction2_sqrt = correction
            m_i = m[i] = m[i] + one_minus_beta1 * (g - m[i])  # torch's lerp form
            v_i = v[i] = beta2 * v[i] + one_minus_beta2 * g * g
            values.append(d - step_size * m_i / (math.sqrt(v_i) / correction2_sqrt + eps))
        return values, [m, v, steps]

    def _commit(self, state: list[list[Any]]) -> None:
        self.m, self.v, self.steps = state
        self.t += 1
