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
from collections.abc import Iterable, Sequence
from typing import Any

from .engine import _LARGEST, Value
from .i18n import bilingual, particle

__all__ = ["Optimizer", "SGD", "Adam"]


def _check_rate(value: object, name: str, low: float = 0.0, high: float = math.inf, include_low: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            bilingual(f"{name}은(는) 숫자여야 합니다: {value!r}", f"{name} must be a number, got {value!r}")
        )
    try:
        number = float(value)
    except OverflowError:  # an int beyond the floats
        number = math.inf
    ok = math.isfinite(number) and (low <= number if include_low else low < number) and number < high
    if not ok:
        bounds = f"{low}{' <=' if include_low else ' <'} {name} < {high}"
        raise ValueError(
            bilingual(
                f"{name}={value!r}: 범위를 벗어났습니다 ({bounds})", f"{name}={value!r} is out of range ({bounds})"
            )
        )
    return number


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
        # Once per step, as lr may have been set since construction (o.lr = ...); an optimizer of the
        # user's without one gets the error too, not an AttributeError.
        lr = getattr(self, "lr", None)
        if not (type(lr) is float and 0.0 < lr < math.inf):
            _check_step_lr(lr)
        params = self.params
        grads: list[float | None] = [p.grad for p in params]
        skip = not _finite_floats(grads)  # None, another kind of number, or an error naming the parameter
        if skip:
            grads = [_gradient(p, i) for i, p in enumerate(params)]
            skip = None in grads
        new_values, new_state = self._compute([p.data for p in params], grads, skip)
        for row, entries in enumerate(new_state):  # the state first: an infinite state makes the new value infinite
            if not _all_finite(entries):
                i = next(i for i, x in enumerate(entries) if x is not None and not math.isfinite(x))
                g = params[i].grad
                what_ko, what_en = self._state_overflow(row, i, f"{g:.6g}" if isinstance(g, float) else repr(g))
                raise OverflowError(
                    bilingual(
                        f"{what_ko} 기울기를 작게 하세요: 손실에 작은 수를 곱하거나 (예: loss * 1e-3) step() 전에 "
                        "기울기를 자르세요 (p.grad = max(-c, min(c, p.grad)))",
                        f"{what_en} Make the gradients smaller: scale the loss down (e.g. loss * 1e-3) or clip the "
                        "gradients before step() (p.grad = max(-c, min(c, p.grad)))",
                    )
                )
        if not _all_finite(new_values):
            for i, (p, value) in enumerate(zip(params, new_values)):
                if value is not None and not math.isfinite(value):
                    raise OverflowError(
                        bilingual(
                            f"매개변수 {i}의 새 값이 float 범위를 넘어({value}) 아무것도 바꾸지 않았습니다 "
                            f"(값 {p.data:.6g}, 기울기 {p.grad:.6g}): 학습률 lr={particle(format(self.lr, 'g'), '을/를')} 낮추세요",
                            f"parameter {i} would become {value} (value {p.data:.6g}, gradient {p.grad:.6g}); "
                            f"nothing was updated: use a smaller learning rate than lr={self.lr:g}",
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

    def _state_overflow(self, row: int, index: int, grad: str) -> tuple[str, str]:
        """What overflowed, (Korean, English): row `row` of the new state at parameter `index` (`grad`: its gradient, as text)."""
        return (
            f"매개변수 {index}의 옵티마이저 상태가 float 범위를 넘어 아무것도 바꾸지 않았습니다 (기울기 {grad}).",
            f"the optimizer's state for parameter {index} would overflow (gradient {grad}); nothing was updated.",
        )

    def _compute(
        self, data: list[float], grads: list[float | None], skip: bool
    ) -> tuple[list[float | None], list[list[Any]]]:
        """(new value per parameter or None to skip it, new state as lists of numbers) for these values and gradients.

        `skip`: some gradient is None (its parameter keeps its value and state); when False, every one is a float.
        """
        raise NotImplementedError

    def _commit(self, state: list[list[Any]]) -> None:
        raise NotImplementedError


def _check_step_lr(lr: object) -> None:
    """The learning rate read by `step()` (it may have been changed after construction): an error if it is no rate."""
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise TypeError(
            bilingual(
                f"학습률 lr이 숫자가 아니어서 아무것도 바꾸지 않았습니다: lr={lr!r}",
                f"the learning rate is not a number: lr={lr!r}; nothing was updated",
            )
        )
    try:
        rate = float(lr)
    except OverflowError:  # an int beyond the floats
        rate = math.inf
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(
            bilingual(
                f"학습률 lr={particle(repr(lr), '은/는')} 0보다 큰 유한한 수여야 해서 아무것도 바꾸지 않았습니다",
                f"the learning rate must be a finite number above 0, got lr={lr!r}; nothing was updated",
            )
        )


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
                "옵티마이저에는 모델이 아니라 매개변수 목록을 주세요: optim.SGD(model.parameters(), ...) "
                f"(받은 것: {type(params).__name__})",
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
                f"매개변수는 Value의 목록이어야 합니다 (받은 것: {type(params).__name__}): model.parameters()를 주세요",
                f"parameters must be a list of Values, got {type(params).__name__}; pass model.parameters()",
            )
        ) from None
    if not params:
        raise ValueError(bilingual("최적화할 매개변수가 없습니다", "the parameter list is empty"))
    first_place: dict[int, int] = {}
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(
                bilingual(
                    f"매개변수는 Value여야 합니다 (매개변수 {i}: {type(p).__name__})",
                    f"parameters must be Values, got {type(p).__name__} (parameter {i})",
                )
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

    def _state_overflow(self, row: int, index: int, grad: str) -> tuple[str, str]:
        # The only state is the velocity v = momentum * v + g; lr multiplies it only afterwards, so no lr can help.
        return (
            f"매개변수 {index}의 모멘텀 속도 v = momentum·v + g가 float 범위를 넘어 아무것도 바꾸지 않았습니다 "
            f"(기울기 {grad}, momentum={self.momentum:g}). 학습률은 v를 다 구한 뒤에 곱하므로 "
            f"lr={particle(format(self.lr, 'g'), '을/를')} 낮춰도 소용없습니다.",
            f"the momentum velocity v = momentum*v + g of parameter {index} would overflow (gradient {grad}, "
            f"momentum={self.momentum:g}); nothing was updated. The learning rate multiplies v only afterwards, "
            f"so a smaller lr than {self.lr:g} would not help.",
        )

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
        self.t = 0  # step() calls that completed, even one whose every gradient was None (per parameter: `steps`)

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

    def _state_overflow(self, row: int, index: int, grad: str) -> tuple[str, str]:
        # Adam's step is about lr whatever the gradient's size (m / sqrt(v)): a smaller lr cannot help.
        if row == 1:
            what_ko, what_en = (
                "기울기 제곱의 이동 평균 v = beta2·v + (1 - beta2)·g²",
                "the running average of g², v = beta2*v + (1 - beta2)*g²,",
            )
        else:
            what_ko, what_en = "기울기의 이동 평균 m", "the running average of the gradient, m,"
        return (
            f"매개변수 {index}의 {what_ko}이(가) float 범위를 넘어 아무것도 바꾸지 않았습니다 (기울기 {grad}). "
            f"Adam의 한 걸음은 기울기의 크기와 상관없이 lr 정도이므로 lr={particle(format(self.lr, 'g'), '을/를')} 낮춰도 소용없습니다.",
            f"{what_en} of parameter {index} would overflow (gradient {grad}); nothing was updated. "
            f"Adam's step is about lr whatever the gradient's size, so a smaller lr than {self.lr:g} would not help.",
        )

    def _commit(self, state: list[list[Any]]) -> None:
        self.m, self.v, self.steps = state
        self.t += 1
