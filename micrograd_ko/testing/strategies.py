"""Hypothesis strategies for derivative tests: numbers with their edges, random graphs, small MLPs.

    from hypothesis import given
    from micrograd_ko.testing import check_grads, strategies as mst

    @given(mst.expressions(n_inputs=2, ops={"square": square}), mst.inputs(2))
    def test_my_op(expr, xs):
        check_grads(expr, xs, kinks="skip")

When a test fails, hypothesis shrinks the graph and prints it as a
`lambda` you can paste (`expr=lambda x0, x1: square((x0 - x1))`).

Also registers the settings profile `PROFILE` ("micrograd_ko"):
derandomized (the same examples on every run, in a notebook or on CI) and
with no example database (nothing written next to the notebook).
Load it with `hypothesis.settings.load_profile(PROFILE)`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

try:
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - exercised by a test that hides hypothesis
    from ..i18n import bilingual

    raise ImportError(
        bilingual(
            "micrograd_ko.testing.strategies에는 hypothesis가 필요합니다: pip install 'micrograd_ko[testing]'",
            "micrograd_ko.testing.strategies needs hypothesis: pip install 'micrograd_ko[testing]'",
        )
    ) from None

from ..engine import ACTIVATIONS
from ..i18n import bilingual
from ..nn import MLP
from .graphs import Expression, Node, guarded, table_rows, user_row

__all__ = ["PROFILE", "EDGES", "values", "inputs", "expressions", "mlps"]

PROFILE = "micrograd_ko"
# No "explain" phase: it prints the library's file paths and line numbers, which differ between machines.
settings.register_profile(
    PROFILE,
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

_LARGEST = 1.7976931348623157e308
_TINY = 2.2250738585072014e-308  # the smallest normal float
# The numbers where float arithmetic and derivative rules tend to break:
# signed zeros, the smallest subnormal, the smallest normal, the largest float.
EDGES = (
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    1e-320,
    _TINY,
    -_TINY,
    1e-300,
    -1e-300,
    1e-8,
    -1e-8,
    1.0,
    -1.0,
    1e300,
    -1e300,
    1e308,
    -1e308,
    _LARGEST,
    -_LARGEST,
)
# Points where an activation or a loss bends (relu, abs, leaky_relu, elu at 0; hinge at margin 1).
KINKS = (0.0, 1.0, -1.0)


def values(min_value=None, max_value=None, *, edges=True, kinks=KINKS, avoid=(), gap=1e-6):
    """Finite floats in [min_value, max_value] (default: every finite float), edges drawn often.

    `edges`: also draw `EDGES` and points a hair from each of `kinks`
    (k ± 1e-12), where one-sided derivatives differ. `avoid`: points to
    stay at least `gap` away from (a kink, for a numerical check).
    """
    lo = _bound("min_value", min_value, -_LARGEST, math.inf)
    hi = _bound("max_value", max_value, _LARGEST, -math.inf)
    if lo > hi:
        raise ValueError(
            bilingual(
                f"values: [{min_value!r}, {max_value!r}] 안에 유한한 float이 없습니다",
                f"values: there is no finite float in [{min_value!r}, {max_value!r}]",
            )
        )
    for name, points in (("kinks", kinks), ("avoid", avoid)):
        if not all(_finite(k) for k in points):
            raise ValueError(
                bilingual(
                    f"values: {name}는 유한한 숫자들이어야 합니다: {points!r}",
                    f"values: {name} must be finite numbers, got {points!r}",
                )
            )
    if not (_finite(gap) and gap >= 0):
        raise ValueError(
            bilingual(
                f"values: gap은 0 이상의 유한한 숫자여야 합니다: {gap!r}",
                f"values: gap must be a finite number >= 0, got {gap!r}",
            )
        )
    parts = [st.floats(lo, hi, allow_nan=False, allow_infinity=False)]
    if edges:
        special = [x for x in EDGES if lo <= x <= hi]
        special += [k + d for k in kinks for d in (-1e-12, 1e-12) if lo <= k + d <= hi]
        if special:
            unique = {repr(x): x for x in special}.values()  # by repr: a set would merge 0.0 and -0.0
            parts.insert(0, st.sampled_from(sorted(unique, key=lambda x: (abs(x), math.copysign(1.0, x)))))
    drawn = st.one_of(parts)
    if avoid:
        avoid = tuple(float(a) for a in avoid)
        drawn = drawn.filter(lambda x: all(abs(x - a) >= gap for a in avoid))
    return drawn


def _finite(x):
    return not isinstance(x, bool) and isinstance(x, numbers.Real) and math.isfinite(x)


def _bound(name, x, default, outside):
    """A bound of `values` as the nearest float inside the range it allows: the default for None,
    the largest float for a number beyond the floats (-10**400 allows every negative float),
    `outside` (an empty range) for an infinity on the wrong side."""
    if x is None:
        return default
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or x != x:
        raise ValueError(
            bilingual(
                f"values: {name}는 NaN이 아닌 숫자나 None이어야 합니다: {x!r}",
                f"values: {name} must be a number (not NaN) or None, got {x!r}",
            )
        )
    try:
        bound = float(x)
    except OverflowError:  # an int beyond the floats
        bound = math.inf if x > 0 else -math.inf
    if math.isinf(bound):
        return max(-_LARGEST, min(_LARGEST, bound)) if (bound < 0) == (default < 0) else outside
    if name == "min_value" and bound < x:  # an int rounded down: the next float is the first one allowed
        bound = math.nextafter(bound, math.inf)
    if name == "max_value" and bound > x:
        bound = math.nextafter(bound, -math.inf)
    return bound


def inputs(n, min_value=-3.0, max_value=3.0, **options):
    """A list of `n` numbers from `values(min_value, max_value, **options)`: the arguments of an expression."""
    if isinstance(n, bool) or not (isinstance(n, int) and n >= 0):
        raise ValueError(
            bilingual(f"inputs: n은 0 이상의 정수여야 합니다: {n!r}", f"inputs: n must be an int >= 0, got {n!r}")
        )
    return st.lists(values(min_value, max_value, **options), min_size=n, max_size=n)


_CONSTANTS = (2.5, -1.5, 0.5, 3.0)


def expressions(n_inputs=2, max_nodes=8, ops=None, rows=None, guard_domains=True, constants=None):
    """Random computation graphs (`Expression`s) over the op table, the losses and your own ops.

    - `n_inputs`: the graph is a function of x0 .. x{n_inputs-1}; each may appear many times.
    - `max_nodes`: at most this many ops are drawn (guards add a few more).
    - `ops`: your own ops by name, `{"square": square}`; each is a function of Values
      returning a Value, printed as a call (`square(x0)`). Together they are drawn about
      as often as all the table's rows, since they are what is under test.
    - `rows`: names of the table's rows to draw from (default: all of `graphs.table_rows()`,
      e.g. "tanh", "+", "**c", "softmax", "mse"); `rows=()` draws only your `ops`.
    - `guard_domains`: give log, sqrt, /, powers and bce inputs inside their domain
      (`(x0.sigmoid() + 0.5).log()`), so every finite input can be evaluated; False draws
      the ops bare (for tests of the engine's errors at the domain's edge).
    - `constants`: a strategy for the numbers on one side of + - * / (default: a few small
      non-zero numbers).

    Hypothesis shrinks a failing graph towards fewer ops and simpler rows.
    """
    if isinstance(n_inputs, bool) or not (isinstance(n_inputs, int) and n_inputs >= 1):
        raise ValueError(
            bilingual(
                f"n_inputs는 1 이상의 정수여야 합니다: {n_inputs!r}", f"n_inputs must be an int >= 1, got {n_inputs!r}"
            )
        )
    if isinstance(max_nodes, bool) or not (isinstance(max_nodes, int) and 0 <= max_nodes <= 200):
        raise ValueError(
            bilingual(
                f"max_nodes는 0 이상 200 이하의 정수여야 합니다: {max_nodes!r}",
                f"max_nodes must be an int in [0, 200], got {max_nodes!r}",
            )
        )
    table = table_rows()
    if isinstance(rows, str):
        raise TypeError(
            bilingual(
                f"rows는 행 이름의 리스트여야 합니다 (예: rows=[{rows!r}])",
                f"rows must be a list of row names (e.g. rows=[{rows!r}])",
            )
        )
    if rows is not None:
        known = {row.name: row for row in table}
        unknown = [name for name in rows if name not in known]
        if unknown:
            raise ValueError(
                bilingual(
                    f"표에 없는 행 {unknown}: 가능한 이름은 {sorted(known)}",
                    f"rows not in the table: {unknown}; known rows: {sorted(known)}",
                )
            )
        table = [known[name] for name in rows]
    if ops is not None and not isinstance(ops, Mapping):
        raise TypeError(
            bilingual(
                f"ops는 이름에서 함수로 가는 dict여야 합니다 (예: {{'square': square}}), 받은 자료형: {type(ops).__name__}",
                f"ops must be a dict from names to functions (e.g. {{'square': square}}), got {type(ops).__name__}",
            )
        )
    if constants is not None and not isinstance(constants, st.SearchStrategy):
        raise TypeError(
            bilingual(
                f"constants는 hypothesis 전략이어야 합니다 (예: st.sampled_from([2.5])): {constants!r}",
                f"constants must be a hypothesis strategy (e.g. st.sampled_from([2.5])), got {constants!r}",
            )
        )
    mine = [user_row(name, fn) for name, fn in (ops or {}).items()]
    if not (table or mine) and max_nodes:
        raise ValueError(
            bilingual(
                "그릴 연산이 없습니다 (rows와 ops가 모두 비었습니다)",
                "no ops to draw from (rows and ops are both empty)",
            )
        )
    # Your ops are what is under test: they are drawn about as often as all the table's rows together,
    # and a shrinking graph keeps them (hypothesis shrinks one_of towards its first branch).
    rows_ = st.one_of([st.sampled_from(group) for group in (mine, table) if group])
    numbers = st.sampled_from(_CONSTANTS) if constants is None else constants
    return _expressions(n_inputs, max_nodes, rows_, guard_domains, numbers)


@st.composite
def _expressions(draw, n_inputs, max_nodes, table, guard_domains, numbers):
    budget = [max_nodes]  # ops left to draw in this graph, shared by all its nodes
    return Expression(draw(_nodes(n_inputs, budget, table, guard_domains, numbers)), n_inputs)


@st.composite
def _nodes(draw, n_inputs, budget, table, guard_domains, numbers):
    """One node and its subtree. Each subtree is its own draw, so hypothesis can shrink a graph by
    replacing a node with one of its subtrees (-(-(sin(x0))) becomes sin(x0))."""
    # 0 is a leaf, and hypothesis shrinks integers towards 0: a failing graph loses its ops.
    if budget[0] <= 0 or draw(st.integers(0, 3)) == 0:
        return Node.input(draw(st.integers(0, n_inputs - 1)))
    budget[0] -= 1
    row = draw(table)
    k = draw(st.sampled_from(row.arities))
    param = draw(st.sampled_from(row.params(k)))
    side = draw(st.integers(0, 2)) if row.constants else 0  # 1: a number on the right, 2: on the left
    children = [draw(_nodes(n_inputs, budget, table, guard_domains, numbers)) for _ in range(k - (side > 0))]
    if side:
        children.insert(1 if side == 1 else 0, Node.number(draw(numbers)))
    if guard_domains:
        for i, kind in row.guard(k, param):
            if children[i].row is not None or children[i].constant is None:
                children[i] = guarded(children[i], kind)
    return Node(row, children, param)


def mlps(n_inputs=(1, 3), widths=(1, 3), depth=(1, 2), activations=ACTIVATIONS, n_outputs=1):
    """Small `nn.MLP`s: input size, hidden widths, depth and activation drawn; weights from a drawn seed.

    The ranges are (low, high), inclusive. The model is printed as the call that builds it.
    """
    hidden = st.lists(st.integers(*widths), min_size=depth[0] - 1, max_size=depth[1] - 1)
    return st.builds(
        MLP,
        nin=st.integers(*n_inputs),
        nouts=hidden.map(lambda ws: [*ws, n_outputs]),
        activation=st.sampled_from(tuple(activations)),
        seed=st.integers(0, 2**16),
    )
