"""`check_grads`: derivatives of any order against numbers, PyTorch or micrograd, with the culprit named.

Order k is checked the way JAX's `check_grads` and PyTorch's
`gradgradcheck` do: the k-th derivatives computed by the engine (backward
for k = 1, `grad(..., create_graph=True)` below that) are compared with
the central differences of the engine's own (k-1)-th derivatives, or with
PyTorch's k-th derivatives of the same graph. Orders 1 .. `order` are all
checked, lowest first, so a wrong first derivative is reported as such.

When a number disagrees, `check_grads` looks for the node to blame (see
`blame.py`): the first node, in topological order, whose derivative with
respect to the inputs disagrees while its parents' agree. That node's
local derivative is wrong, or the node sits on a kink.

A central difference that disagrees is refined before it counts (see
`differences.py`): smaller steps extrapolated to step 0, so a right function
next to a singularity (x / y at y = 1e-5, where the step is a tenth of y)
passes, and a first step that leaves the domain (log at 1e-6) shrinks.

Kinks (꺾인 점) are handled as `gradcheck` handles them: a central difference
across a kink (relu at 0) is not a derivative, so the check fails there as
gradcheck does, but the message says it is a kink and not a wrong rule.
Whether a point is a kink is judged by how the differences change as the
step is halved, never by the comparison's tolerance, so a wrong rule on a
curved function is never called a kink. With `kinks="skip"` such a point (or
one where the differences do not settle at all) is not compared and
`check_grads` returns False (what a property test over random inputs wants).
"""

from __future__ import annotations

import math
import numbers

from ..engine import Value, grad, no_grad
from ..gradcheck import GradcheckError, check_arity
from ..i18n import bilingual
from .blame import first_wrong_node, local_derivatives_note
from .differences import Ladder
from .references import micrograd_derivatives, torch_derivatives

__all__ = ["check_grads", "CheckGradsError", "derivatives"]

REFERENCES = ("numeric", "torch", "micrograd")
# Default tolerances: central differences are good to about 1e-7 relative at
# h = 1e-6 (notebook 08 measures it), exact references to rounding.
_TOLERANCES = {"numeric": (1e-4, 1e-5), "torch": (1e-7, 1e-9), "micrograd": (1e-7, 1e-9)}
# (Korean with its particle, Korean label, English)
_REFERENCE_NAMES = {
    "numeric": ("수치 미분과", "수치 미분", "numerical"),
    "torch": ("PyTorch와", "PyTorch", "PyTorch"),
    "micrograd": ("micrograd와", "micrograd", "micrograd"),
}
_ORDINALS = {1: ("1차 미분", "first derivatives"), 2: ("2차 미분", "second derivatives")}


class CheckGradsError(GradcheckError):
    """A derivative disagrees with the reference. The message names the input(s), both numbers and the node to blame.

    Attributes: `index` (the inputs differentiated by, one per order), `backward`
    and `reference` (the two numbers), `op` (the name of the op blamed, or None),
    `kink` (True if the point sits on a kink, where finite differences are no reference).
    """

    def __init__(self, message, index=(), backward=None, reference=None, op=None, kink=False):
        super().__init__(message)
        self.index, self.backward, self.reference, self.op, self.kink = index, backward, reference, op, kink


def _point(args):
    if isinstance(args, (Value, numbers.Real)):
        args = [args]
    if isinstance(args, (str, bytes)) or not hasattr(args, "__iter__"):
        raise TypeError(
            "check_grads: "
            + bilingual(
                f"args는 숫자나 Value의 리스트여야 합니다: {args!r}",
                f"args must be a list of numbers or Values, got {args!r}",
            )
        )
    point = []
    for x in args:
        x = x.data if isinstance(x, Value) else x
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
            raise TypeError(
                "check_grads: "
                + bilingual(
                    f"입력은 유한한 숫자나 Value여야 합니다: {x!r}",
                    f"inputs must be finite numbers or Values, got {x!r}",
                )
            )
        point.append(float(x))
    return point


def _tolerance(name, x):
    """rtol or atol: a finite number >= 0 (a NaN tolerance would make every comparison fail)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or x < 0:
        raise ValueError(
            "check_grads: "
            + bilingual(
                f"{name}는 0 이상의 유한한 숫자여야 합니다: {x!r}", f"{name} must be a finite number >= 0, got {x!r}"
            )
        )
    return float(x)


def _step_size(eps):
    """eps: a finite number > 0 and below 1 (the step is eps * max(1, |x|))."""
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not (0 < eps < 1):
        raise ValueError(
            "check_grads: "
            + bilingual(
                f"eps는 0보다 크고 1보다 작은 숫자여야 합니다: {eps!r}",
                f"eps must be a number above 0 and below 1, got {eps!r}",
            )
        )
    return float(eps)


def _call(fn, leaves):
    out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(
            "check_grads: "
            + bilingual(
                f"fn은 Value 하나를 돌려줘야 합니다 (받은 자료형: {type(out).__name__})",
                f"fn must return one Value, got {type(out).__name__}",
            )
        )
    return out


def derivatives(fn, point, order):
    """[value, {(i,): d/dx_i}, {(i, j): d/dx_j d/dx_i}, ...] of fn at `point`, computed by the engine.

    First derivatives come from `backward()`, higher ones from
    `grad(..., create_graph=True)` applied again and again.
    """
    leaves = [Value(x) for x in point]
    out = _call(fn, leaves)
    levels = [{(): out.data}]
    if order >= 1:
        out.backward()
        levels.append({(i,): x.grad for i, x in enumerate(leaves)})
    current = {(): out}
    for _ in range(2, order + 1):
        current = {
            index + (i,): g
            for index, node in current.items()
            for i, g in enumerate(grad(node, leaves, create_graph=True))
        }
        levels.append({index + (i,): g for index, node in current.items() for i, g in enumerate(grad(node, leaves))})
    return levels


def _numeric_level(fn, point, k, eps):
    """The engine's (k-1)-th derivatives along each input, as `Ladder`s: {index + (j,): (ladder, index)}."""

    def lower(floats):
        if k == 1:
            with no_grad():
                return {(): _call(fn, [Value(v) for v in floats]).data}
        return derivatives(fn, floats, k - 1)[k - 1]

    centre = lower(point)
    found = {}
    for j in range(len(point)):
        ladder = Ladder(lower, point, j, eps, centre)
        for index in centre:
            found[index + (j,)] = (ladder, index)
    return found


def _close(a, b, rtol, atol):
    return abs(a - b) <= atol + rtol * abs(b)


def _describe(index, point):
    if len(index) == 1:
        return f"input[{index[0]}] = {point[index[0]]!r}"
    by = ", ".join(f"input[{i}]" for i in index)
    at = ", ".join(f"x{i} = {point[i]!r}" for i in sorted(set(index)))
    return f"d/d({by}) ({at})"


def check_grads(fn, args, order=1, against="numeric", rtol=None, atol=None, eps=1e-6, kinks="raise"):
    """Check the derivatives of `fn` at `args` up to `order` against a reference; True if they agree.

    - `fn`: takes one `Value` per argument and returns one `Value`.
    - `args`: numbers or `Value`s (their `.data` is read; nothing of theirs is changed).
    - `order`: check first derivatives (1), and also second (2), third, ... derivatives.
    - `against`: "numeric" (central differences with the step of `gradcheck`,
      eps * max(1, |x|)), "torch" (PyTorch float64, the same graph replayed) or
      "micrograd" (karpathy's engine: + - * / **c relu, first order).
    - `rtol`, `atol`: a pair agrees if |backward - reference| <= atol + rtol * |reference|;
      by default 1e-4, 1e-5 against numbers and 1e-7, 1e-9 against a library.
    - `kinks`: "raise" (as gradcheck: a point on a kink fails, and the message says so)
      or "skip" (return False for a point on a kink, or where the numerical differences
      do not settle; a wrong rule still raises).

    Raises `CheckGradsError` (an `AssertionError`) naming the input, both numbers
    and the node whose local derivative is the first to disagree. An error of `fn`
    itself (a value beyond the floats, an input outside a domain) is raised as it is.
    """
    if against not in REFERENCES:
        raise ValueError(
            bilingual(
                f"against는 {REFERENCES} 중 하나여야 합니다: {against!r}",
                f"against must be one of {REFERENCES}, got {against!r}",
            )
        )
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(
            bilingual(f"order는 1 이상의 정수여야 합니다: {order!r}", f"order must be an int >= 1, got {order!r}")
        )
    if kinks not in ("raise", "skip"):
        raise ValueError(
            bilingual(
                f"kinks는 'raise' 또는 'skip'이어야 합니다: {kinks!r}",
                f"kinks must be 'raise' or 'skip', got {kinks!r}",
            )
        )
    if not callable(fn):
        raise TypeError(
            "check_grads: " + bilingual("fn은 Value를 받는 함수여야 합니다", "fn must be a function of Values")
        )
    default_rtol, default_atol = _TOLERANCES[against]
    rtol = default_rtol if rtol is None else _tolerance("rtol", rtol)
    atol = default_atol if atol is None else _tolerance("atol", atol)
    eps = _step_size(eps)
    point = _point(args)
    check_arity(fn, len(point), "check_grads")
    analytic = derivatives(fn, point, order)
    reference = None
    if against == "torch":
        reference = torch_derivatives(fn, point, order)
    elif against == "micrograd":
        reference = micrograd_derivatives(fn, point, order)
    if reference is not None and not _close(analytic[0][()], reference[0][()], rtol, atol):
        raise CheckGradsError(
            "check_grads: "
            + bilingual(f"값이 {_REFERENCE_NAMES[against][0]} 다릅니다", f"the value disagrees with {against}")
            + f": {analytic[0][()]!r} != {reference[0][()]!r} (rtol={rtol}, atol={atol})",
            (),
            analytic[0][()],
            reference[0][()],
        )
    for k in range(1, order + 1):
        if reference is None:
            numeric = _numeric_level(fn, point, k, eps)
            expected = {index: ladder.central(key) for index, (ladder, key) in numeric.items()}
            # a central difference that disagrees is refined before it counts (see differences.py)
            verdicts = {
                index: ladder.verdict(key, analytic[k][index], rtol, atol) for index, (ladder, key) in numeric.items()
            }
            bad = [index for index in analytic[k] if verdicts[index] != "agrees"]
        else:
            numeric, expected, verdicts = None, reference[k], {}
            bad = [index for index in analytic[k] if not _close(analytic[k][index], expected[index], rtol, atol)]
        if bad:
            return _fail(fn, point, k, bad, analytic[k], expected, numeric, verdicts, against, rtol, atol, eps, kinks)
    return True


def _fail(fn, point, k, bad, analytic, expected, numeric, verdicts, against, rtol, atol, eps, kinks):
    kinked = {index for index in bad if verdicts.get(index) == "bends"}
    unsettled = {index for index in bad if verdicts.get(index) == "unsure"}
    at_kink = bool(kinked)
    culprit = first_wrong_node(fn, point, k, rtol, atol, eps)
    if culprit is not None and culprit.kink:  # libraries may also choose differently at a kink (elu''(0))
        at_kink = True
    if (at_kink or unsettled) and kinks == "skip":
        return False
    ko_with, ko_ref, en_ref = _REFERENCE_NAMES[against]
    ko_order, en_order = _ORDINALS.get(k, (f"{k}차 미분", f"derivatives of order {k}"))
    lines = [
        "check_grads: "
        + bilingual(
            f"역전파가 {ko_with} 다릅니다 ({ko_order}, rtol={rtol}, atol={atol})",
            f"backward disagrees with {en_ref} ({en_order}, rtol={rtol}, atol={atol})",
        )
    ]
    for index in bad:
        a, e = analytic[index], expected[index]
        lines.append(
            f"  {_describe(index, point)}: "
            + bilingual(f"역전파 {a!r}, {ko_ref} {e!r}", f"backward {a!r}, {en_ref} {e!r}")
        )
        if numeric is not None and index in kinked | unsettled:
            ladder, key = numeric[index]
            (left, right), estimate = ladder.slopes(key), ladder.refined(key)[0]
            half = ladder.central(key, 1) if ladder.level(1) is not None else math.nan
        if index in unsettled:
            lines.append(
                "    "
                + bilingual(
                    f"걸음을 줄여도 중앙 차분이 한 값으로 모이지 않습니다 (0으로 외삽한 값 {estimate!r}): "
                    f"이 점에서는 수치 미분을 기준으로 삼을 수 없습니다. eps를 줄이거나 against='torch'로 확인하세요",
                    f"the central differences do not settle as the step shrinks (extrapolated to step 0: {estimate!r}): "
                    f"numerical differences are no reference at this point; use a smaller eps or against='torch'",
                )
            )
        if index in kinked:
            lines.append(
                "    "
                + bilingual(
                    f"꺾이거나 끊긴 점: 왼쪽 기울기 {left!r}, 오른쪽 기울기 {right!r}, 걸음을 반으로 줄인 중앙 차분 {half!r}",
                    f"a kink or a jump: left slope {left!r}, right slope {right!r}, central difference at half the step {half!r}",
                )
            )
    if culprit is None:
        lines.append(
            "  "
            + bilingual(
                "어느 노드의 국소적 미분이 틀렸는지 가려내지 못했습니다 (함수가 값에 따라 다른 그래프를 만드나요?)",
                "could not single out a node whose local derivative is wrong "
                "(does the function build a different graph for nearby inputs?)",
            )
        )
    else:
        lines.append("  " + culprit.describe())
        note = local_derivatives_note(culprit, eps)
        if note:
            lines.append("    " + note)
    if at_kink:
        lines.append(
            "  "
            + bilingual(
                "꺾인 점에서는 중앙 차분이 미분이 아니므로 gradcheck처럼 실패합니다: 꺾인 점에서 떨어진 입력을 쓰거나 kinks='skip'을 쓰세요",
                "on a kink a central difference is no derivative, so this fails as gradcheck does: "
                "use inputs away from the kink, or kinks='skip'",
            )
        )
    first = bad[0]
    raise CheckGradsError(
        "\n".join(lines), first, analytic[first], expected[first], None if culprit is None else culprit.op, at_kink
    )
