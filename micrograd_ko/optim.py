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

from .engine import Value
from .i18n import bilingual

__all__ = ["Optimizer", "SGD", "Adam"]


def _check_rate(value, name, low=0.0, high=math.inf, include_low=True):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low <= value if include_low else low < value) and value < high
    if not ok:
        bounds = f"{low}{' <=' if include_low else ' <'} {name} < {high}"
        raise ValueError(bilingual(f"{name}={value!r}: 범위를 벗어났습니다 ({bounds})",
                                   f"{name}={value!r} is out of range ({bounds})"))
    return float(value)


class Optimizer:
    """Holds the parameters; `zero_grad()` clears their gradients, `step()` updates them."""

    def __init__(self, params):
        self.params = _parameter_list(params)

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0

    def step(self):
        for p in self.params:
            if not math.isfinite(p.grad):
                raise FloatingPointError(bilingual(
                    f"기울기가 유한하지 않아({p.grad}) 갱신하지 않았습니다: 학습률을 낮춰 보세요",
                    f"a gradient is not finite ({p.grad}); nothing was updated (try a smaller learning rate)"))
        self._update()

    def _update(self):
        raise NotImplementedError


def _parameter_list(params):
    """`params` as a list of Values, or an error that says what to pass.

    The usual slips are passing the model itself, or the method without
    calling it: both are named, with the fix, `model.parameters()`.
    """
    if hasattr(params, "parameters") and callable(params.parameters):
        raise TypeError(bilingual(
            "옵티마이저에는 모델이 아니라 매개변수 목록을 주세요: optim.SGD(model.parameters(), ...)",
            "pass the model's parameters, not the model: optim.SGD(model.parameters(), ...) "
            f"(got a {type(params).__name__})"))
    if callable(params) and getattr(params, "__name__", "") == "parameters":
        raise TypeError(bilingual(
            "model.parameters 뒤에 괄호를 붙여 호출하세요: model.parameters()",
            "call the method: pass model.parameters(), with the parentheses"))
    try:
        params = list(params)
    except TypeError:
        raise TypeError(bilingual("매개변수는 Value의 목록이어야 합니다: model.parameters()를 주세요",
                                  f"parameters must be a list of Values, got {type(params).__name__}; "
                                  "pass model.parameters()")) from None
    if not params:
        raise ValueError(bilingual("최적화할 매개변수가 없습니다", "the parameter list is empty"))
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(bilingual("매개변수는 Value여야 합니다", f"parameters must be Values, got {type(p).__name__}"))
    return params


class SGD(Optimizer):
    """Stochastic gradient descent (확률적 경사 하강법), with optional momentum and L2 weight decay.

    g = grad + weight_decay * p;  v = momentum * v + g (v = g at the first step);  p -= lr * v
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params)
        self.lr = _check_rate(lr, "lr", include_low=False)
        self.momentum = _check_rate(momentum, "momentum")
        self.weight_decay = _check_rate(weight_decay, "weight_decay")
        self.velocity = [None] * len(self.params)

    def _update(self):
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                v = self.velocity[i]
                g = self.velocity[i] = g if v is None else self.momentum * v + g
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): a step per parameter scaled by running averages of g and g^2.

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params)
        self.lr = _check_rate(lr, "lr", include_low=False)
        beta1, beta2 = betas
        self.betas = (_check_rate(beta1, "beta1", high=1.0), _check_rate(beta2, "beta2", high=1.0))
        self.eps = _check_rate(eps, "eps")
        self.weight_decay = _check_rate(weight_decay, "weight_decay")
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.t = 0

    def _update(self):
        beta1, beta2 = self.betas
        self.t += 1
        step_size = self.lr / (1.0 - beta1**self.t)
        correction2_sqrt = math.sqrt(1.0 - beta2**self.t)
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            m = self.m[i] = self.m[i] + (1.0 - beta1) * (g - self.m[i])  # torch's lerp form
            v = self.v[i] = beta2 * self.v[i] + (1.0 - beta2) * g * g
            p.data -= step_size * m / (math.sqrt(v) / correction2_sqrt + self.eps)
