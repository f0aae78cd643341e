"""Loss functions (손실 함수), each ONE node with an exact local derivative.

Writing a loss as many small operations works, but it draws a big graph and
can overflow (exp(1000)) or take log(0). Here each loss is a single
primitive operation: its value is computed in a numerically stable way and
its local derivative (국소적 미분) is written out by hand:

    loss                 value                                   d loss / d input
    mse(p, t)            mean (p_i - t_i)^2                       2 (p_i - t_i) / n
    bce(p, t)            -(t log p + (1 - t) log(1 - p))          (p - t) / (p (1 - p))
    bce_with_logits(z,t) max(z, 0) - z t + log(1 + e^-|z|)        sigmoid(z) - t
    cross_entropy(x, k)  log sum_j e^{x_j} - x_k                  softmax(x)_j - [j = k]
    hinge(s, t)          max(0, 1 - t s)                          -t if t s < 1 else 0

The values and gradients match `torch.nn.functional` (see the tests).
Targets (labels) are constants: a `Value` given as a target is read, not
differentiated, except in `mse`, where targets may be Values in the graph.
"""

from __future__ import annotations

import math
import numbers

from .engine import Op, Value, sigmoid_of, softmax_of

__all__ = ["mse", "bce", "bce_with_logits", "cross_entropy", "hinge", "LOSSES", "get"]

# PyTorch's binary_cross_entropy clamps each log at -100 and the derivative's
# denominator p (1 - p) at 1e-12 (a float32 constant in its kernel, hence the
# odd digits), so p = 0 or 1 gives a finite loss and gradient.
_BCE_LOG_MIN = -100.0
_BCE_EPS = 9.999999960041972e-13


def _value(x):
    return x if isinstance(x, Value) else Value(x)


def _label(t, what):
    """A target as a float (a Value target is read as a constant)."""
    t = t.data if isinstance(t, Value) else t
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(t):
        raise TypeError(f"{what}: 목표값은 유한한 숫자여야 합니다 / the target must be a finite number, got {t!r}")
    return float(t)


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


# -- mean squared error (평균 제곱 오차) ---------------------------------------


def _mse_derivative(inputs, out):
    n = len(inputs) // 2
    diffs = [(inputs[i] - inputs[n + i]) * (2.0 / n) for i in range(n)]
    return tuple(diffs) + tuple(-d for d in diffs)


MSE = Op("mse", _mse_derivative)


def mse(preds, targets):
    """Mean of (pred - target)^2 over two equally long lists (or two numbers)."""
    preds, targets = [_value(p) for p in _as_list(preds)], [_value(t) for t in _as_list(targets)]
    if len(preds) != len(targets) or not preds:
        raise ValueError(
            f"mse: 예측 {len(preds)}개와 목표 {len(targets)}개 (같은 수, 1개 이상이어야 합니다) / "
            f"{len(preds)} predictions and {len(targets)} targets (must be equal and non-zero)"
        )
    n = len(preds)
    value = math.fsum((p.data - t.data) * (p.data - t.data) for p, t in zip(preds, targets)) / n
    return Value.from_op(value, MSE, preds + targets)


# -- binary cross-entropy (이진 교차 엔트로피) --------------------------------


def _clamp_below(x, low):
    # works for floats and Values (Values compare by their numbers)
    return x if x > low else low


def _bce_op(t):
    def derivative(inputs, out):
        (p,) = inputs
        return ((p - t) / _clamp_below(p * (1.0 - p), _BCE_EPS),)

    return Op("bce", derivative, target=t)


def bce(p, target):
    """-(t log p + (1 - t) log(1 - p)) for a probability p in [0, 1]; logs clamped at -100."""
    p, t = _value(p), _label(target, "bce")
    if not 0.0 <= p.data <= 1.0 or not 0.0 <= t <= 1.0:
        raise ValueError(
            f"bce: 확률 p와 목표 t는 [0, 1] 안이어야 합니다 (p={p.data!r}, t={t!r}) / p and target must lie in [0, 1]"
            " (for raw scores use bce_with_logits)"
        )
    x = p.data
    log_p = max(math.log(x), _BCE_LOG_MIN) if x > 0.0 else _BCE_LOG_MIN
    log_q = max(math.log1p(-x), _BCE_LOG_MIN) if x < 1.0 else _BCE_LOG_MIN  # log(1 - p), precise for small p
    return Value.from_op((t - 1.0) * log_q - t * log_p, _bce_op(t), (p,))


def _bce_logits_op(t):
    return Op("bce_with_logits", lambda inputs, out: (sigmoid_of(inputs[0]) - t,), target=t)


def bce_with_logits(z, target):
    """bce(sigmoid(z), t) computed from the logit z without overflow, even for z = ±1000."""
    z, t = _value(z), _label(target, "bce_with_logits")
    x = z.data
    value = max(x, 0.0) - x * t + math.log1p(math.exp(-abs(x)))
    return Value.from_op(value, _bce_logits_op(t), (z,))


# -- softmax cross-entropy (교차 엔트로피 오차) -------------------------------


def _cross_entropy_op(k):
    def derivative(inputs, out):
        s = softmax_of(inputs)
        return tuple(s[j] - 1.0 if j == k else s[j] for j in range(len(inputs)))

    return Op("cross_entropy", derivative, target=k)


def cross_entropy(logits, target_index):
    """-log softmax(logits)[k] for one sample, via log-sum-exp (as torch's CrossEntropyLoss)."""
    logits = [_value(x) for x in _as_list(logits)]
    k = target_index.data if isinstance(target_index, Value) else target_index
    if isinstance(k, float) and k.is_integer():
        k = int(k)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k < len(logits):
        raise ValueError(
            f"cross_entropy: 정답 번호는 0 이상 {len(logits)} 미만의 정수여야 합니다 (받은 값 {target_index!r}) / "
            f"the target index must be an int in [0, {len(logits)})"
        )
    k = int(k)
    xs = [x.data for x in logits]
    shift = max(xs)
    log_sum_exp = shift + math.log(math.fsum(math.exp(x - shift) for x in xs))
    return Value.from_op(log_sum_exp - xs[k], _cross_entropy_op(k), logits)


# -- hinge (max-margin) ------------------------------------------------------


def _hinge_op(t):
    return Op("hinge", lambda inputs, out: (-t if 1.0 - t * inputs[0] > 0 else 0.0,), target=t)


def hinge(score, target):
    """max(0, 1 - t * score) for a label t of -1 or +1 (micrograd's SVM loss)."""
    score, t = _value(score), _label(target, "hinge")
    if t not in (-1.0, 1.0):
        raise ValueError(f"hinge: 목표는 -1 또는 +1 이어야 합니다 / the target must be -1 or +1, got {target!r}")
    return Value.from_op(max(0.0, 1.0 - t * score.data), _hinge_op(t), (score,))


LOSSES = {"mse": mse, "bce": bce, "bce_with_logits": bce_with_logits, "cross_entropy": cross_entropy, "hinge": hinge}


def get(spec):
    """The loss function for a name in `LOSSES`, or a callable as is."""
    if callable(spec):
        return spec
    if spec not in LOSSES:
        names = ", ".join(LOSSES)
        raise ValueError(f"알 수 없는 손실 함수 {spec!r}: 가능한 이름은 {names} / unknown loss {spec!r}; valid names: {names}")
    return LOSSES[spec]
