"""Loss functions (손실 함수), each ONE node with an exact local derivative.

Writing a loss as many small operations works, but it draws a big graph and
can overflow (exp(1000)) or take log(0). Here each loss is a single
operation (an `Op` with a `forward` on floats and a hand-written local
derivative, 국소적 미분), applied with `Op.apply`:

    loss                 value                                   d loss / d input
    mse(p, t)            mean (p_i - t_i)^2                       2 (p_i - t_i) / n
    bce(p, t)            -(t log p + (1 - t) log(1 - p))          (p - t) / (p (1 - p))
    bce_with_logits(z,t) max(z, 0) - z t + log(1 + e^-|z|)        sigmoid(z) - t = (1-t) s(z) - t s(-z)
    cross_entropy(x, k)  log sum_j e^{x_j} - x_k                  softmax(x)_j - [j = k]
    hinge(s, t)          max(0, 1 - t s)                          -t if t s < 1 else 0

One prediction or a batch: `mse`, `bce`, `bce_with_logits` and `hinge` take
a number and a target, or two equally long lists; a list gives the mean over
the pairs (as `torch.nn.functional` does by default), still one node, each
derivative divided by n. `cross_entropy` takes ONE sample: its list of scores
(logits) and the index of the right class.

At the edges: each value is computed so that it is finite and exact (to a
rounding or two) whenever the mathematical value is a float, for inputs up
to ±1e308 and any number of inputs: `cross_entropy([1e16] * 3, 0)` is ln 3,
`mse([1e154] * 3, [0] * 3)` is 1e308. Where the true value is beyond the
float range, the loss raises a clear OverflowError instead of returning inf.

The values and gradients match `torch.nn.functional` (see the tests).
Targets (labels, class indices) are parents of the loss node, numbers in the
graph like the predictions, so that compiled code (`micrograd_ko.compile`)
takes them as inputs. Only `mse` differentiates with respect to them; the
other losses give each target the local derivative 0, and check its range
(a probability, ±1, a class index) in the op's forward, on every call.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from .engine import _EXP_UNDERFLOW, Op, Value, _sum_of_terms, sigmoid_of, softmax_of
from .i18n import bilingual, did_you_mean

__all__ = ["mse", "bce", "bce_with_logits", "cross_entropy", "hinge", "LOSSES", "get"]

# PyTorch's binary_cross_entropy clamps each log at -100 and the derivative's
# denominator p (1 - p) at 1e-12 (a float32 constant in its kernel, hence the
# odd digits), so p = 0 or 1 gives a finite loss and gradient.
_BCE_LOG_MIN = -100.0
_BCE_EPS = 9.999999960041972e-13


# -- shared helpers ------------------------------------------------------------


def _overflow(loss):
    return OverflowError(
        f"{loss}: "
        + bilingual(
            "손실이 float 범위를 넘습니다 (입력이 너무 큽니다)",
            "the loss is too large for a float (the inputs are too large)",
        )
    )


def _mean(terms, loss, square=False):
    """The mean of `terms` (or of their squares), as if floats had no largest value.

    fsum(terms) / n would overflow on the way (3 x 1e308) although the mean
    is a float. So every term is first scaled by the same power of two,
    which changes no digit, and the mean is scaled back at the end; only a
    mean beyond the float range raises.
    """
    biggest = max(map(abs, terms))
    if biggest == 0.0:
        return 0.0
    if biggest == math.inf:
        raise _overflow(loss)
    exponent = math.frexp(biggest)[1]
    scaled = [math.ldexp(t, -exponent) for t in terms]  # all in [-1, 1]
    if square:
        scaled = [s * s for s in scaled]
        exponent *= 2
    try:
        return math.ldexp(math.fsum(scaled) / len(terms), exponent)
    except OverflowError:
        raise _overflow(loss) from None


def _items(x: Any) -> list[Any]:
    """A list, a tuple or an array (numpy's, as 밑바닥부터 시작하는 딥러닝 uses) as a list of its items; one number as [x]."""
    if isinstance(x, (list, tuple)):
        return list(x)
    if getattr(x, "ndim", 0) >= 1 and callable(getattr(x, "tolist", None)):
        return list(x.tolist())  # numpy's numbers become Python floats and ints
    return [x]


def _predictions(preds: Any, loss: str) -> list[Value]:
    """`preds` (a number, a Value or a list of them) as a non-empty list of Values."""
    preds = _items(preds)
    if not preds:
        raise ValueError(f"{loss}: " + bilingual("예측이 비어 있습니다", "no predictions"))
    return [p if isinstance(p, Value) else Value(p) for p in preds]


def _targets(targets: Any, n: int, loss: str) -> list[Value]:
    """`targets` as n Values: numbers become leaves, Values are taken as they are (never read here).

    A target is a parent of the loss node with local derivative 0: the loss
    is not differentiated with respect to it, but its number enters through
    the graph, so compiled code takes targets as inputs. Its range is
    checked by the op's forward, on every call.
    """
    values = []
    for t in _as_many_targets(targets, n, loss):
        if not isinstance(t, Value):
            if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(t):
                raise TypeError(
                    f"{loss}: "
                    + bilingual(
                        f"목표값은 유한한 숫자여야 합니다: {t!r}", f"the target must be a finite number, got {t!r}"
                    )
                )
            t = Value(float(t))
        values.append(t)
    return values


def _as_many_targets(targets: Any, n: int, loss: str) -> list[Any]:
    """`targets` as a list (see `_items`), or a clear error unless it holds one target per prediction."""
    targets = _items(targets)
    if len(targets) != n:
        raise ValueError(
            f"{loss}: "
            + bilingual(
                f"예측 {n}개와 목표 {len(targets)}개: 개수가 같아야 합니다",
                f"{n} predictions and {len(targets)} targets: they must be equally many",
            )
        )
    return targets


def _elementwise_op(name, korean, term, slope, check=None):
    """The mean over i of term(p_i, t_i) over parents (p_1..p_n, t_1..t_n).

    Local derivatives: slope(p_i, t_i) / n for each prediction, 0 for each
    target. `term` works on floats (the forward), `slope` on floats and
    Values (so the derivative can itself be differentiated). `check(p, t)`
    refuses a pair outside the loss's domain (a target that is no probability).
    """

    def forward(inputs):
        n = len(inputs) // 2
        pairs = list(zip(inputs[:n], inputs[n:]))
        if check is not None:
            for p, t in pairs:
                check(p, t)
        return _mean([term(p, t) for p, t in pairs], name)

    def derivative(inputs, out):
        n = len(inputs) // 2
        return tuple(slope(p, t) / n for p, t in zip(inputs[:n], inputs[n:])) + (0.0,) * n

    return Op(name, derivative, forward, korean)


# -- mean squared error (평균 제곱 오차) ---------------------------------------


def _mse_forward(inputs):
    n = len(inputs) // 2
    diffs = [inputs[i] - inputs[n + i] for i in range(n)]
    return _mean(diffs, "mse", square=True)


def _mse_derivative(inputs, out):
    n = len(inputs) // 2
    diffs = [(inputs[i] - inputs[n + i]) * (2.0 / n) for i in range(n)]
    return tuple(diffs) + tuple(-d for d in diffs)


MSE = Op("mse", _mse_derivative, _mse_forward, "평균 제곱 오차")


def mse(preds: Value | float | Sequence[Value | float], targets: Value | float | Sequence[Value | float]) -> Value:
    """Mean of (pred - target)^2 over two equally long lists (or two numbers); targets may be Values."""
    preds = _predictions(preds, "mse")
    target_list = _as_many_targets(targets, len(preds), "mse")
    return MSE.apply(preds + [t if isinstance(t, Value) else Value(t) for t in target_list])


# -- binary cross-entropy (이진 교차 엔트로피) --------------------------------


def _target_in_unit_interval(loss, t):
    if not 0.0 <= t <= 1.0:
        raise ValueError(
            f"{loss}: "
            + bilingual(
                f"목표는 [0, 1] 안의 확률이어야 합니다 (받은 값 {t!r})",
                f"the target must be a probability in [0, 1], got {t!r}",
            )
        )


def _check_probability(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(
            "bce: "
            + bilingual(
                f"예측 p는 [0, 1] 안의 확률이어야 합니다 (받은 값 {p!r}); 점수(로짓)에는 bce_with_logits를 쓰세요",
                f"the prediction p must be a probability in [0, 1], got {p!r}; for raw scores use bce_with_logits",
            )
        )


def _bce_check(p, t):
    _target_in_unit_interval("bce", t)
    _check_probability(p)


def _bce_term(p, t):
    log_p = max(math.log(p), _BCE_LOG_MIN) if p > 0.0 else _BCE_LOG_MIN
    log_q = max(math.log1p(-p), _BCE_LOG_MIN) if p < 1.0 else _BCE_LOG_MIN  # log(1 - p), precise for small p
    return (t - 1.0) * log_q - t * log_p


def _bce_slope(p, t):
    q = p * (1.0 - p)
    return (p - t) / (q if q > _BCE_EPS else _BCE_EPS)  # (Values compare by their numbers)


BCE = _elementwise_op("bce", "이진 교차 엔트로피", _bce_term, _bce_slope, _bce_check)


def bce(p: Value | float | Sequence[Value | float], target: Value | float | Sequence[Value | float]) -> Value:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1]; logs clamped at -100. Lists: the mean."""
    preds = _predictions(p, "bce")
    return BCE.apply(preds + _targets(target, len(preds), "bce"))


def _bce_logits_term(z, t):
    return max(z, 0.0) - z * t + math.log1p(math.exp(-abs(z)))


def _bce_logits_slope(z, t):
    # sigmoid(z) - t = (1 - t) sigmoid(z) - t sigmoid(-z): sigmoid(40) - 1 would round to 0.0, where the
    # slope is -sigmoid(-40) = -4.25e-18. Each term is exact to a rounding; for t = 0 or 1 only one is left.
    return (1.0 - t) * sigmoid_of(z) - t * sigmoid_of(-z)


BCE_WITH_LOGITS = _elementwise_op(
    "bce_with_logits",
    "로짓 이진 교차 엔트로피",
    _bce_logits_term,
    _bce_logits_slope,
    lambda z, t: _target_in_unit_interval("bce_with_logits", t),
)


def bce_with_logits(
    z: Value | float | Sequence[Value | float], target: Value | float | Sequence[Value | float]
) -> Value:
    """bce(sigmoid(z), t) computed from the logit z, exact even for z = ±1e308. Lists: the mean."""
    preds = _predictions(z, "bce_with_logits")
    return BCE_WITH_LOGITS.apply(preds + _targets(target, len(preds), "bce_with_logits"))


# -- softmax cross-entropy (교차 엔트로피 오차) -------------------------------


def _cross_entropy_of(xs, k):
    # log sum_j e^{x_j} - x_k = (max - x_k) + log1p(sum_{j != top} e^{x_j - max}),
    # where `top` is one index holding the max (k itself if it can be).
    # Both terms are >= 0, so nothing large is cancelled (max + log 3 - max
    # would round away the log 3 at 1e16), and log1p keeps a confident
    # loss such as [40, 0] -> e^-40 = 4.2e-18, where log(1 + 4.2e-18) = 0.
    shift = max(xs)
    gap = shift - xs[k]
    if gap == math.inf:  # e.g. [1e308, -1e308]: the loss is about 2e308
        raise _overflow("cross_entropy")
    top = k if gap == 0.0 else xs.index(shift)
    rest = math.fsum(_exp_of_difference(x, shift) for j, x in enumerate(xs) if j != top)
    return gap + math.log1p(rest)


def _cross_entropy_slopes(xs, k):
    # softmax(x)_j - [j = k]; for j = k that is -(sum of the other s_j),
    # which stays exact where s_k - 1 would round a confident 1 - 4e-18 to 0.
    s = softmax_of(xs)
    others = [s[j] for j in range(len(xs)) if j != k]
    total = _sum_of_terms(others)
    return tuple(-total if j == k else s[j] for j in range(len(xs))) if others else (0.0,)


def _class_index(k: Any, n: int, shown: object) -> int:
    """The class index k (an int, or a float with an integer value) as an int in [0, n), or a clear error."""
    if isinstance(k, float) and k.is_integer():
        k = int(k)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= int(k) < n:
        raise ValueError(
            "cross_entropy: "
            + bilingual(
                f"정답 번호는 0 이상 {n} 미만의 정수여야 합니다 (받은 값 {shown!r})",
                f"the target index must be an int in [0, {n}), got {shown!r}",
            )
        )
    return int(k)


def _cross_entropy_forward(inputs):
    # parents: the n logits, then the class index (a number in the graph, so compiled code takes it as an input)
    xs = inputs[:-1]
    return _cross_entropy_of(xs, _class_index(inputs[-1], len(xs), inputs[-1]))


def _cross_entropy_derivative(inputs, out):
    xs = inputs[:-1]
    k = _class_index(inputs[-1].data if isinstance(inputs[-1], Value) else inputs[-1], len(xs), inputs[-1])
    return _cross_entropy_slopes(xs, k) + (0.0,)


CROSS_ENTROPY = Op("cross_entropy", _cross_entropy_derivative, _cross_entropy_forward, "교차 엔트로피 오차")


def _exp_of_difference(x, shift):
    """e^(x - shift) for x <= shift, with the rounding of the subtraction undone.

    d = x - shift is rounded; its exact error e (Knuth's two-sum) is tiny, so
    e^(d + e) = e^d (1 + e) to within a rounding.
    """
    d = x - shift
    if d < _EXP_UNDERFLOW:  # e^d underflows to 0 (also for x - shift = -inf)
        return 0.0
    back = d + shift
    error = (x - back) - (shift - (back - d))  # x - shift - d, exactly
    e = math.exp(d)
    return e + e * error


def cross_entropy(logits: Sequence[Value | float], target_index: int | Value) -> Value:
    """-log softmax(logits)[k] for one sample, via log-sum-exp (as torch's CrossEntropyLoss).

    `logits` is a list, one per class: one bare score (a model with one output) would be a single class, whose
    loss is 0 whatever the weights, so it is refused as torch refuses a 0-d input.
    """
    if isinstance(logits, (Value, numbers.Real)):
        raise TypeError(
            "cross_entropy: "
            + bilingual(
                f"로짓은 클래스마다 하나씩인 목록이어야 하는데 점수 하나를 받았습니다 ({logits!r}): 출력을 클래스 수만큼 "
                "두거나 (예: MLP(2, [8, 3])), 두 클래스라면 출력 하나에 bce_with_logits를 쓰세요",
                f"the logits are a list with one logit per class, got one score ({logits!r}): give the model one "
                "output per class (e.g. MLP(2, [8, 3])), or for two classes use one output with bce_with_logits",
            )
        )
    items = _items(logits)
    if not items:
        raise ValueError(
            "cross_entropy: "
            + bilingual(
                "로짓 목록이 비어 있습니다: 클래스마다 로짓이 하나씩 있어야 합니다",
                "the list of logits is empty: give one logit per class",
            )
        )
    nodes = [x if isinstance(x, Value) else Value(x) for x in items]
    if not isinstance(target_index, Value):
        target_index = Value(_class_index(target_index, len(nodes), target_index))
    return CROSS_ENTROPY.apply(nodes + [target_index])


# -- hinge (max-margin) ------------------------------------------------------


def _hinge_term(s, t):
    return max(0.0, 1.0 - t * s)


def _hinge_slope(s, t):
    return -t if 1.0 - t * s > 0 else 0.0


def _plus_or_minus_one(s, t):
    if t not in (-1.0, 1.0):
        raise ValueError(
            "hinge: " + bilingual(f"목표는 -1 또는 +1이어야 합니다: {t!r}", f"the target must be -1 or +1, got {t!r}")
        )


HINGE = _elementwise_op("hinge", "힌지 손실", _hinge_term, _hinge_slope, _plus_or_minus_one)


def hinge(score: Value | float | Sequence[Value | float], target: Value | float | Sequence[Value | float]) -> Value:
    """max(0, 1 - t * score) for a label t of -1 or +1 (micrograd's SVM loss). Lists: the mean."""
    preds = _predictions(score, "hinge")
    return HINGE.apply(preds + _targets(target, len(preds), "hinge"))


LOSSES = {"mse": mse, "bce": bce, "bce_with_logits": bce_with_logits, "cross_entropy": cross_entropy, "hinge": hinge}


def get(spec: str | Callable[..., Value]) -> Callable[..., Value]:
    """The loss function for a name in `LOSSES`, or a callable as is."""
    if callable(spec):
        return spec
    if spec not in LOSSES:
        names = ", ".join(LOSSES)
        hint_ko, hint_en = did_you_mean(spec, LOSSES)
        raise ValueError(
            bilingual(
                f"알 수 없는 손실 함수 {spec!r}{hint_ko}: 가능한 이름은 {names}",
                f"unknown loss {spec!r}{hint_en}; valid names: {names}",
            )
        )
    return LOSSES[spec]
