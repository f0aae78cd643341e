"""Every loss at the edges of the float range: ±1e308 and ±1e16 inputs, 1, 2 and 3 inputs.

Where the true value is a float, the loss gives it (within 2 ulps of an
independent reference: exact fractions, or mpmath at 400 digits, where
e^1e308 is an ordinary number); where it is not, a clear OverflowError in
both languages. Never inf in `.data`, never fsum's raw "intermediate overflow".
"""

import itertools
import math
from fractions import Fraction

import pytest

from micrograd_ko import losses
from micrograd_ko.engine import Value

mpmath = pytest.importorskip("mpmath")  # installed with torch (through sympy)

EDGES = [1e308, -1e308, 1e16, -1e16, 0.0, 1.5]


def within_2_ulps(ours, reference):
    return abs(ours - reference) <= 2 * math.ulp(reference)


def reference_float(exact):
    """The float nearest to an exact value, or None when it is beyond the float range."""
    try:
        value = float(exact)
    except OverflowError:  # float(Fraction) raises; float(mpf) gives inf
        return None
    return value if math.isfinite(value) else None


def check(call, exact, case):
    """`call()` equals `exact` rounded, or raises a clear OverflowError where `exact` is no float."""
    expected = reference_float(exact)
    if expected is None:
        with pytest.raises(OverflowError) as error:
            call()
        message = str(error.value)
        assert " / " in message and "intermediate overflow" not in message, (case, message)
        return
    out = call()
    assert math.isfinite(out.data) and within_2_ulps(out.data, expected), (case, out.data, expected)
    assert out._op.forward([p.data for p in out._prev]) == out.data  # the op's forward is the value
    out.backward()
    assert all(math.isfinite(p.grad) for p in out._prev), case


def cases(values, max_n=3):
    for n in range(1, max_n + 1):
        yield from itertools.product(values, repeat=n)


def test_mse_is_exact_or_overflows_clearly_for_any_number_of_inputs():
    for preds in cases(EDGES + [1e154]):
        for targets in [(0.0,) * len(preds), tuple(-p for p in preds), tuple(reversed(preds))]:
            exact = sum((Fraction(p) - Fraction(t)) ** 2 for p, t in zip(preds, targets)) / len(preds)
            check(lambda: losses.mse([Value(p) for p in preds], list(targets)), exact, (preds, targets))


@pytest.mark.parametrize("target", [0.0, 1.0, 0.25])
@mpmath.workdps(400)
def test_bce_with_logits_is_exact_at_huge_logits(target):
    terms = {z: mpmath.log(1 + mpmath.exp(mpmath.mpf(z))) - mpmath.mpf(z) * mpmath.mpf(target) for z in EDGES}
    for zs in cases(EDGES):
        exact = mpmath.fsum(terms[z] for z in zs) / len(zs)
        check(lambda: losses.bce_with_logits([Value(z) for z in zs], [target] * len(zs)), exact, (zs, target))


@pytest.mark.parametrize("target", [-1, 1])
def test_hinge_is_exact_at_huge_scores(target):
    for scores in cases(EDGES):
        exact = sum(max(Fraction(0), 1 - target * Fraction(s)) for s in scores) / len(scores)
        check(lambda: losses.hinge([Value(s) for s in scores], [target] * len(scores)), exact, (scores, target))


@mpmath.workdps(800)  # e^-700 must survive 1 + e^-700
def test_bce_is_exact_at_the_ends_of_the_unit_interval():
    probabilities = [0.0, 1.0, 1e-308, 5e-324, 1e-16, 1 - 2**-53, 0.5]

    def clamped(log):
        return max(log, -100) if log != -mpmath.inf else mpmath.mpf(-100)

    for ps in cases(probabilities, max_n=2):
        for t in (0.0, 1.0, 0.3):
            exact = mpmath.fsum(
                -(t * clamped(mpmath.log(p)) + (1 - t) * clamped(mpmath.log1p(-mpmath.mpf(p)))) for p in ps
            ) / len(ps)
            check(lambda: losses.bce([Value(p) for p in ps], [t] * len(ps)), exact, (ps, t))


@mpmath.workdps(400)  # enough digits that 1e308 + ln 3 keeps its ln 3
def test_cross_entropy_is_exact_at_huge_logits():
    exps = {x: mpmath.exp(mpmath.mpf(x)) for x in EDGES}
    for logits in cases(EDGES):
        log_sum = mpmath.log(mpmath.fsum(exps[x] for x in logits))
        for k in range(len(logits)):
            check(lambda: losses.cross_entropy([Value(x) for x in logits], k), log_sum - logits[k], (logits, k))


# -- the cases of issue 11, as regression tests ----------------------------------------------


@pytest.mark.parametrize("scale", [1e10, 1e16, 1e300])
def test_cross_entropy_of_equal_huge_logits_is_ln_n(scale):
    for k in range(3):
        assert losses.cross_entropy([scale] * 3, k).data == pytest.approx(math.log(3), rel=1e-15)


def test_cross_entropy_far_beyond_the_float_range_is_an_overflow_error():
    with pytest.raises(OverflowError, match="cross_entropy"):
        losses.cross_entropy([1e308, -1e308, 0.0], 1)
    assert losses.cross_entropy([1e308, -1e308, 0.0], 0).data == 0.0
    assert losses.cross_entropy([1e308, -1e308, 0.0], 2).data == 1e308


@pytest.mark.parametrize("preds, targets", [([1e200], [0]), ([1e200, 0], [0, 0]), ([1e308, -1e308], [-1e308, 1e308])])
def test_mse_beyond_the_float_range_raises_the_same_error_for_any_count(preds, targets):
    with pytest.raises(OverflowError) as error:
        losses.mse(preds, targets)
    assert "mse" in str(error.value) and " / " in str(error.value)


def test_mse_of_three_1e154_is_1e308_not_an_intermediate_overflow():
    assert losses.mse([1e154] * 3, [0] * 3).data == pytest.approx(1e308, rel=1e-15)
    # one big difference among many small ones: the square overflows, the mean does not
    assert losses.mse([1.5e154] + [0.0] * 99, [0.0] * 100).data == float(Fraction(1.5e154) ** 2 / 100)


# -- issue 15, item 7: confident logits keep their tiny loss and gradient --------------------


@mpmath.workdps(800)  # e^-700 must survive 1 + e^-700
@pytest.mark.parametrize(
    "logits, k",
    [
        ([40.0, 0.0], 0),
        ([30.0, 0.0], 0),
        ([0.0, 40.0], 1),
        ([700.0, 0.0, -5.0], 0),
        ([40.0, 40.0, 0.0], 1),
        ([1e16, 1e16 - 50, 3.0], 0),
        ([0.1, 0.2, 0.3], 1),
        ([2.5], 0),
        ([-1e308, 0.0], 1),
        ([745.0, 0.0, 0.0], 0),
    ],
)
def test_cross_entropy_of_confident_logits_is_exact(logits, k):
    exps = [mpmath.exp(mpmath.mpf(x)) for x in logits]
    total = mpmath.fsum(exps)
    expected = float(mpmath.log(total) - logits[k])
    xs = [Value(x) for x in logits]
    out = losses.cross_entropy(xs, k)
    assert out.data == expected or within_2_ulps(out.data, expected), (out.data, expected)
    out.backward()
    for j, x in enumerate(xs):
        slope = exps[j] / total - (1 if j == k else 0)
        assert abs(x.grad - float(slope)) <= 4 * math.ulp(float(slope)), (j, x.grad, float(slope))


def test_cross_entropy_of_40_to_0_is_not_zero():
    # the case: log(1 + e^-40) rounded to 0.0 before; it is 4.25e-18
    assert losses.cross_entropy([40, 0], 0).data == pytest.approx(4.248354255291589e-18, rel=1e-15)
