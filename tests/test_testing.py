"""micrograd_ko.testing: check_grads to second order, the op to blame, kinks, graph strategies, shrinking."""

import contextlib
import math
import os
import re
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st

import micrograd_ko as ko  # the printed graphs call ko.sum, ko.losses.mse, ...
from micrograd_ko import GradcheckError, Op, Value, engine, gradcheck, losses
from micrograd_ko.engine import MathDomainError, topological_order
from micrograd_ko.testing import CheckGradsError, check_grads
from micrograd_ko.testing import strategies as mst
from micrograd_ko.testing.graphs import unreachable_rows

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# -- a learner's ops, made with Op and Value.from_op ---------------------------------------------

# sin with the derivative sqrt(1 - sin(x)^2) = |cos x|: right only where cos x > 0.
WRONG_SIN = Op("sin", lambda inputs, out: ((1 - out * out) ** 0.5,))
RIGHT_SIN = Op("sin", lambda inputs, out: (_cos(inputs[0]),), lambda inputs: math.sin(inputs[0]))


def _cos(x):
    """cos of a float, or of a Value as sin(pi/2 - x): a graph, so the rule can be differentiated again."""
    if isinstance(x, Value):
        shifted = math.pi / 2 - x
        return Value.from_op(math.sin(shifted.data), RIGHT_SIN, [shifted])
    return math.cos(x)


def wrong_sin(x):
    return Value.from_op(math.sin(x.data), WRONG_SIN, [x])


def right_sin(x):
    return Value.from_op(math.sin(x.data), RIGHT_SIN, [x])


# ------------------------------------------------------------------------------------------------
# check_grads passes on right functions, to second order
# ------------------------------------------------------------------------------------------------


def smooth(x, y):
    return (x * y).tanh() + y.exp() / (1 + x**2) + (x - y).sigmoid() * (y * y + 0.5).log() + x.gelu() * y.softplus()


@pytest.mark.parametrize("against", ["numeric", "torch"])
@pytest.mark.parametrize("point", [(0.3, -1.2), (-2.0, 0.7), (1.5, 2.5)])
def test_right_function_passes_to_second_order(against, point):
    assert check_grads(smooth, point, order=2, against=against) is True


@pytest.mark.parametrize("point", [0.3, 2.5, -4.0])
def test_a_right_user_op_passes_to_second_order(point):
    assert check_grads(lambda x: right_sin(x * x) * x, [point], order=2) is True


def test_third_order_against_torch():
    assert check_grads(lambda x, y: (x * y).tanh() * y.exp(), [0.4, -0.3], order=3, against="torch")


def test_micrograd_reference_for_the_ops_it_has():
    assert check_grads(
        lambda x, y: (x * y - y / (x**2 + 1)).relu() * 3 + ko.sum([x, y, x * x]), [0.8, 1.7], against="micrograd"
    )
    with pytest.raises(NotImplementedError, match="'tanh'"):
        check_grads(lambda x: x.tanh(), [0.5], against="micrograd")
    with pytest.raises(ValueError, match="order=1"):
        check_grads(lambda x: x * x, [0.5], order=2, against="micrograd")


def test_inputs_are_read_not_changed():
    x = Value(0.7)
    x.grad = 5.0
    assert check_grads(lambda v: v.sigmoid() * v, [x], order=2)
    assert (x.data, x.grad) == (0.7, 5.0)


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"order": 0}, "order"),
        ({"order": 1.5}, "order"),
        ({"against": "jax"}, "against"),
        ({"kinks": "ignore"}, "kinks"),
        ({"eps": 0}, "eps"),
        ({"eps": -1e-6}, "eps"),
        ({"eps": "a"}, "eps"),
        ({"eps": float("nan")}, "eps"),
        ({"eps": 1.0}, "eps"),
        ({"eps": True}, "eps"),
        ({"rtol": "a"}, "rtol"),
        ({"rtol": float("nan")}, "rtol"),
        ({"rtol": -1e-4}, "rtol"),
        ({"rtol": float("inf")}, "rtol"),
        ({"atol": "a"}, "atol"),
        ({"atol": float("nan")}, "atol"),
        ({"atol": -1.0}, "atol"),
    ],
)
def test_bad_arguments_are_named_in_both_languages(bad, match):
    with pytest.raises(ValueError, match=match) as info:
        check_grads(lambda x: x * x, [1.0], **bad)
    assert " / " in str(info.value)


@pytest.mark.parametrize("x", [1.7976931348623157e308, -1.7976931348623157e308, 1.7976931e308])
def test_a_step_beyond_the_largest_float_is_named_not_blamed_on_an_inf_input(x):
    # the user passed a finite number; it is x + h that leaves the float range
    checks = [lambda: gradcheck(lambda v: v * 1.0, [x])]
    if abs(x) == 1.7976931348623157e308:
        checks.append(lambda: check_grads(lambda v: v * 1.0, [x]))  # no step fits: the largest float has no x + h
    else:
        assert check_grads(lambda v: v * 1.0, [x])  # check_grads shrinks its step until x + h is a float
    for check in checks:
        with pytest.raises(ValueError, match="leaves the float range") as info:
            check()
        assert "input[0]" in str(info.value) and " / " in str(info.value) and "Value(inf)" not in str(info.value)
    assert check_grads(lambda v: v * 1.0, [x], against="torch")  # no step: nothing to refuse


@pytest.mark.parametrize("args", [None, "0.5", b"1", object()])
def test_args_that_are_no_list_of_numbers_are_named(args):
    with pytest.raises(TypeError, match="args must be a list of numbers or Values") as info:
        check_grads(lambda x: x * x, args)
    assert " / " in str(info.value)


def test_fn_must_return_a_value():
    with pytest.raises(TypeError, match="Value"):
        check_grads(lambda x: 3.0, [1.0])


# ------------------------------------------------------------------------------------------------
# a wrong rule fails, naming the op
# ------------------------------------------------------------------------------------------------


def test_wrong_sin_passes_where_cos_is_positive_and_fails_where_it_is_negative():
    assert check_grads(wrong_sin, [0.3])  # |cos| = cos here: the wrong rule looks right
    with pytest.raises(CheckGradsError) as info:
        check_grads(wrong_sin, [2.5])
    error = info.value
    assert isinstance(error, AssertionError) and isinstance(error, GradcheckError)
    message = str(error)
    assert "'sin'" in message and error.op == "sin" and not error.kink
    assert "input[0] = 2.5" in message
    # both numbers: backward |cos 2.5|, numerical cos 2.5
    assert error.backward == pytest.approx(abs(math.cos(2.5)), rel=1e-12)
    assert error.reference == pytest.approx(math.cos(2.5), rel=1e-8)
    assert repr(error.backward) in message and repr(error.reference) in message


def test_the_wrong_op_is_blamed_inside_a_bigger_graph():
    # exp, +, * and tanh downstream of sin all disagree too; sin is the first to.
    def f(x, y):
        return (wrong_sin(x * y) + x.tanh()).exp() * y

    with pytest.raises(CheckGradsError) as info:
        check_grads(f, [2.0, 1.3])
    assert info.value.op == "sin"
    assert re.search(r"first node to disagree: 'sin'", str(info.value))


def test_the_wrong_op_is_blamed_against_torch_too():
    plus_one = Op("+", lambda inputs, out: (1.0, 2.0), lambda inputs: inputs[0] + inputs[1])  # d/dy should be 1

    def f(x, y):
        t = x.tanh()
        return Value.from_op(t.data + y.data, plus_one, [t, y]) * x

    with pytest.raises(CheckGradsError) as info:
        check_grads(f, [0.5, -0.25], against="torch")
    assert info.value.op == "+" and info.value.index == (1,)
    assert "PyTorch" in str(info.value) and "stored local derivatives [1.0, 2.0]" in str(info.value)


def test_a_rule_right_on_floats_but_wrong_on_values_fails_at_second_order():
    # d(x^2)/dx: 2x on floats (so backward is right), 3x on Values (what create_graph differentiates)
    square = Op(
        "square",
        lambda inputs, out: (2 * inputs[0] if isinstance(inputs[0], float) else 3 * inputs[0],),
        lambda inputs: inputs[0] ** 2,
    )

    def f(x, y):
        return Value.from_op((x * y).data ** 2, square, [x * y]).tanh()

    assert check_grads(f, [0.3, 0.2], order=1)
    for against in ("numeric", "torch"):
        if against == "torch":
            continue  # PyTorch has no 'square' op: the numeric check is the one that applies
        with pytest.raises(CheckGradsError) as info:
            check_grads(f, [0.3, 0.2], order=2, against=against)
        assert info.value.op == "square" and len(info.value.index) == 2
        assert "first derivative rule to disagree: 'square'" in str(info.value)


def test_a_users_op_is_replayed_in_torch_by_its_name():
    assert check_grads(lambda x: right_sin(x * x) * x, [2.5], order=2, against="torch")
    with pytest.raises(CheckGradsError) as info:
        check_grads(wrong_sin, [2.5], against="torch")
    assert info.value.op == "sin" and info.value.reference == pytest.approx(math.cos(2.5), rel=1e-12)


def test_unknown_op_against_torch_says_to_check_numerically():
    mystery = Op("mystery", lambda inputs, out: (1.0,), lambda inputs: inputs[0])
    with pytest.raises(NotImplementedError, match="'mystery'.*against='numeric'"):
        check_grads(lambda x: Value.from_op(x.data, mystery, [x]), [0.3], against="torch")


LOSS_GRAPHS = {
    "bce": (lambda z, w: losses.bce([z.sigmoid(), w.sigmoid()], [0.25, 1.0]), [0.3, -1.2]),
    "bce_with_logits": (lambda z: losses.bce_with_logits(z, 0.25), [0.3]),
    "bce_with_logits list": (lambda z, w: losses.bce_with_logits([z, w * z], [0.0, 0.75]), [0.3, -2.0]),
    "hinge": (lambda z, w: losses.hinge([z, w], [1.0, -1.0]), [0.3, -0.2]),
    "hinge of a graph": (lambda z: losses.hinge(z.tanh() * 3, -1.0), [0.1]),
    "cross_entropy": (lambda a, b, c: losses.cross_entropy([a, b * a, c], 1), [0.3, 0.1, -0.5]),
    "cross_entropy, index 0.0": (lambda a, b: losses.cross_entropy([a, b], 0.0), [0.3, 2.0]),
    "cross_entropy, one logit": (lambda a: losses.cross_entropy([a * a], 0), [0.3]),
    "mse": (lambda a, b: losses.mse([a, b.tanh()], [b, 0.5]), [0.3, 0.1]),
    "mse of numbers": (lambda a: losses.mse(a, 0.7), [0.3]),
}


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("name", sorted(LOSS_GRAPHS))
def test_every_loss_is_replayed_in_torch_to_second_order(name, order):
    fn, point = LOSS_GRAPHS[name]
    assert check_grads(fn, point, order=order, against="torch") is True
    assert check_grads(fn, point, order=order) is True


def _named_like(name, n_inputs, params=None):
    """A user's op that shares a name with a library function but not its meaning or its number of inputs."""
    op = Op(name, lambda inputs, out: (1.0,) + (0.0,) * (len(inputs) - 1), lambda inputs: inputs[0])
    if params is not None:
        op.params = params
    return (lambda *xs: Value.from_op(xs[0].data, op, list(xs))), [0.3] * n_inputs


@pytest.mark.parametrize(
    "name, n_inputs, params",
    [
        ("pow", 1, None),
        ("clamp", 1, None),
        ("rand", 1, None),
        ("tensor", 1, None),
        ("sort", 1, None),
        ("softmax", 1, None),
        ("softmax", 2, {"index": 5}),
        ("leaky_relu", 1, None),
        ("elu", 1, None),
        ("cross_entropy", 1, None),
        ("bce", 1, None),
        ("bce", 3, None),
        ("mse", 1, None),
        ("dot", 3, None),
        ("hinge", 1, None),
        ("max", 1, None),
        ("**", 3, None),
    ],
)
@pytest.mark.parametrize("order", [1, 2])
def test_an_op_torch_cannot_replay_is_named_never_a_raw_error(name, n_inputs, params, order):
    fn, point = _named_like(name, n_inputs, params)
    with pytest.raises(NotImplementedError) as info:
        check_grads(fn, point, order=order, against="torch")
    message = str(info.value)
    assert f"'{name}'" in message and "against='numeric'" in message and " / " in message


# ------------------------------------------------------------------------------------------------
# kinks: as gradcheck
# ------------------------------------------------------------------------------------------------

KINKED = {
    "relu": (Value.relu, 0.0),
    "abs": (abs, 0.0),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), 0.0),
    "elu(0.5)": (lambda x: x.elu(0.5), 0.0),
    "hinge": (lambda x: losses.hinge(x, 1.0), 1.0),
    "relu(x) - relu(-x)": (lambda x: x.relu() - (-x).relu(), 0.0),  # = x, smooth, yet backward says 0 at 0
}


def _gradcheck_fails(fn, x):
    try:
        gradcheck(fn, [x])
    except GradcheckError:
        return True
    return False


@pytest.mark.parametrize("name", sorted(KINKED))
@pytest.mark.parametrize("offset", [0.0, 1e-3, -1e-3])
def test_kinks_are_handled_as_gradcheck_handles_them(name, offset):
    fn, kink = KINKED[name]
    x = kink + offset
    expected_failure = _gradcheck_fails(fn, x)
    # the premise: gradcheck fails exactly on the kink, except for abs, whose central difference is abs'(0) = 0
    assert expected_failure == (offset == 0.0 and name != "abs")
    if expected_failure:
        with pytest.raises(CheckGradsError) as info:
            check_grads(fn, [x])
        assert info.value.kink and "kinks='skip'" in str(info.value)
        assert check_grads(fn, [x], kinks="skip") is False
    else:
        assert check_grads(fn, [x]) is True
        assert check_grads(fn, [x], kinks="skip") is True


def test_skip_does_not_hide_a_wrong_rule_next_to_a_kink():
    with pytest.raises(CheckGradsError) as info:
        check_grads(lambda x: wrong_sin(x + 2.5) + x.relu(), [0.3], kinks="skip")
    assert info.value.op == "sin"


# -- a wrong rule is never taken for a kink (kink detection has its own, finite-difference scale) --

SIN_FROM_OUT = Op("sin", lambda xs, out: ((1 - out * out) ** 0.5,), lambda xs: math.sin(xs[0]))  # |cos|


def _lecture_sin(x):
    """The lecture's way: Value(data, children, op) and a _backward closure, here with |cos| as the rule."""
    out = Value(math.sin(x.data), (x,), "sin")

    def _backward():
        x.grad += (1 - out.data**2) ** 0.5 * out.grad

    out._backward = _backward
    return out


@pytest.mark.parametrize("x", [2.0, 2.5, 3.0])
@pytest.mark.parametrize("against", ["torch", "numeric"])
@pytest.mark.parametrize("make", ["from_op", "lecture"])
def test_a_wrong_rule_fails_and_is_named_not_called_a_kink(x, against, make):
    sin = (lambda v: Value.from_op(math.sin(v.data), SIN_FROM_OUT, [v])) if make == "from_op" else _lecture_sin
    fn = lambda v: sin(v) * v.tanh()  # noqa: E731
    for kinks in ("skip", "raise"):
        with pytest.raises(CheckGradsError) as info:
            check_grads(fn, [x], against=against, kinks=kinks)
        assert info.value.op == "sin" and not info.value.kink
        assert "kink" not in str(info.value) and "꺾" not in str(info.value)


@pytest.mark.parametrize("x", [0.3, 2.0])
@pytest.mark.parametrize("against", ["torch", "numeric"])
def test_a_rule_constant_on_values_fails_at_second_order_as_a_wrong_rule(x, against):
    # right on floats (backward passes), a constant on Values: create_graph differentiates it to 0
    op = Op(
        "sin",
        lambda xs, out: (math.cos(xs[0].data if isinstance(xs[0], Value) else xs[0]),),
        lambda xs: math.sin(xs[0]),
    )
    fn = lambda v: Value.from_op(math.sin(v.data), op, [v]) * v  # noqa: E731
    assert check_grads(fn, [x], against=against, kinks="skip")
    with pytest.raises(CheckGradsError) as info:
        check_grads(fn, [x], order=2, against=against, kinks="skip")
    assert info.value.op == "sin" and not info.value.kink and "kink" not in str(info.value)


# -- a step that is large next to a singularity: refined, never a false failure, kink or blame ----


@pytest.mark.parametrize("y", [1e-5, 3e-6, 2e-6, 1.5e-6, -1e-5])
@pytest.mark.parametrize("order", [1, 2])
def test_a_right_function_near_a_singularity_passes(y, order):
    # h = 1e-6 is a tenth of y and more: the central difference alone is off by 1% and more
    assert check_grads(lambda x, z: x / z, [1.0, y], order=order) is True
    assert check_grads(lambda z: z**-2, [y], order=order) is True
    if y > 0:
        assert check_grads(lambda z: z.log(), [y], order=order) is True
        assert check_grads(lambda z: z.sqrt() * 3, [y], order=order) is True


@pytest.mark.parametrize("x", [1e-6, 5e-7])
def test_a_first_step_that_leaves_the_domain_shrinks(x):
    # log at 1e-6 with h = 1e-6 would evaluate log(0): the step shrinks with the distance to the edge
    assert check_grads(lambda z: z.log(), [x], order=2) is True
    assert check_grads(lambda z: (z * 2).sqrt(), [x]) is True


def test_a_wrong_rule_near_a_singularity_is_still_blamed():
    wrong_div = Op("/", lambda xs, out: (1 / xs[1], xs[0] / xs[1] ** 2), lambda xs: xs[0] / xs[1])  # sign of d/dy
    fn = lambda x, y: Value.from_op(x.data / y.data, wrong_div, [x, y]) * x  # noqa: E731
    for against in ("numeric", "torch"):
        with pytest.raises(CheckGradsError) as info:
            check_grads(fn, [1.0, 1e-5], against=against, kinks="skip")
        assert info.value.op == "/" and info.value.index == (1,) and not info.value.kink


@pytest.mark.parametrize("y", [5e-7, -5e-7, 1e-9, 1e-12])
@pytest.mark.parametrize("order", [1, 2])
def test_a_step_across_a_pole_starts_again_below_it(y, order):
    # h = 1e-6 > |y|: x / (y - h) is on the other side of the pole (or y - h/2 = 0 is the pole itself);
    # the differences look like a jump at that step and settle at smaller ones
    assert check_grads(lambda x, z: x / z, [1.0, y], order=order) is True


def test_a_kink_stays_a_kink_at_every_step_and_a_hair_from_it_the_derivative_is_checked():
    with pytest.raises(CheckGradsError) as info:
        check_grads(Value.relu, [0.0])
    assert info.value.kink and info.value.op == "relu"
    # relu'(1e-12) = 1: the steps shrink below 1e-12 and agree (gradcheck, with its one step, fails there)
    assert check_grads(Value.relu, [1e-12]) is True and _gradcheck_fails(Value.relu, 1e-12)


# ------------------------------------------------------------------------------------------------
# strategies: values
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("edge", [0.0, 5e-324, 1e-320, 1.7976931348623157e308, -1e308])
def test_values_reach_the_edges(edge):
    found = find(
        mst.values(),
        lambda x: x == edge and math.copysign(1, x) == math.copysign(1, edge),
        settings=settings(database=None, max_examples=2000),
    )
    assert found == edge


def test_values_reach_negative_zero_and_near_kinks():
    # derandomized: the same examples on every run (a random search could miss on CI)
    fixed = settings(database=None, derandomize=True, max_examples=2000)
    assert math.copysign(1, find(mst.values(), lambda x: x == 0 and math.copysign(1, x) < 0, settings=fixed)) < 0
    assert find(mst.values(-2, 2), lambda x: 0 < abs(x - 1.0) < 1e-9, settings=fixed) != 1.0


@settings(max_examples=200, database=None, derandomize=True)
@given(mst.values(-3, 0.5, avoid=(0.0,), gap=1e-3))
def test_values_respect_bounds_and_avoid(x):
    assert -3 <= x <= 0.5 and abs(x) >= 1e-3 and math.isfinite(x)


@pytest.mark.parametrize(
    "bounds, match",
    [
        ((2, 1), "no finite float in"),
        ((math.inf, None), "no finite float in"),
        ((None, -math.inf), "no finite float in"),
        ((10**400, None), "no finite float in"),
        ((None, -(10**400)), "no finite float in"),
        (("a", 1), "min_value must be a number"),
        ((0, "b"), "max_value must be a number"),
        ((True, 2), "min_value must be a number"),
        ((math.nan, 1.0), r"min_value must be a number \(not NaN\)"),
        ((0.0, math.nan), r"max_value must be a number \(not NaN\)"),
    ],
)
def test_values_bad_bounds(bounds, match):
    with pytest.raises(ValueError, match=match) as info:
        mst.values(*bounds)
    assert " / " in str(info.value)


@pytest.mark.parametrize("bounds", [(-(10**400), 0), (-math.inf, 0), (0, 10**400), (0, math.inf)])
def test_values_bounds_beyond_the_floats_allow_every_float_on_that_side(bounds):
    drawn = find(mst.values(*bounds), lambda x: abs(x) == 1.7976931348623157e308, settings=settings(database=None))
    assert abs(drawn) == 1.7976931348623157e308 and (drawn <= 0 if bounds[1] == 0 else drawn >= 0)


def test_values_integer_bounds_are_not_crossed_by_rounding():
    lo, hi = 10**17 + 1, 10**17 + 100  # float(10**17 + 1) == 1e17, below the bound
    drawn = find(mst.values(lo, hi, edges=False), lambda x: True, settings=settings(database=None))
    assert lo <= drawn <= hi


@pytest.mark.parametrize("options", [{"kinks": ["a"]}, {"avoid": [math.nan]}, {"gap": math.nan}, {"gap": -1.0}])
def test_values_bad_options(options):
    with pytest.raises(ValueError, match="values: ") as info:
        mst.values(**options)
    assert " / " in str(info.value)


# ------------------------------------------------------------------------------------------------
# strategies: expressions cover the table; repr is code that builds the same graph
# ------------------------------------------------------------------------------------------------


def _row_of(node):
    """The name of the table row a built node comes from (x ** 2 -> '**c', 2.0 ** x -> 'c**')."""
    params = getattr(node._op, "params", {})
    if "exponent" in params:
        return "**c"
    if "base" in params:
        return "c**"
    return str(node._op)


def _every_row_of_the_table():
    """(rows a graph calls, rows only derivative rules call), read from the engine and the losses, not from the strategy."""
    unary = {op.name for op in vars(engine).values() if isinstance(op, engine.Unary) and not op.params} | set(
        engine.UNARY_OPS
    )
    helpers = {name for name in unary if name != "neg" and not callable(getattr(Value, name, None))}  # e.g. gaussian
    binary = {op.name for op in vars(engine).values() if isinstance(op, engine.Binary)}
    called = (unary - helpers) | binary | {"**c", "c**", "sum", "dot", "softmax"} | set(losses.LOSSES)
    return called, helpers


def test_every_row_of_the_table_is_drawn_over_a_few_hundred_graphs():
    called_rows, helper_rows = _every_row_of_the_table()
    counts, in_derivatives = Counter(), Counter()
    graphs = []

    @settings(
        max_examples=300, database=None, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(mst.expressions(n_inputs=3, max_nodes=10))
    def draw(expr):
        graphs.append(expr)
        leaves = [Value(0.3), Value(-0.7), Value(1.1)]
        try:
            out = expr(*leaves)
            first = ko.grad(out, leaves, create_graph=True)
        except (OverflowError, MathDomainError):
            return
        counts.update(_row_of(node) for node in topological_order(out) if node._a is not None)
        for g in first:
            in_derivatives.update(_row_of(node) for node in topological_order(g) if node._a is not None)

    draw()
    assert len(graphs) == 300
    assert len(called_rows) >= 29  # 14 one-input rows, 5 two-input rows, 2 powers, sum/dot/softmax, 5 losses
    missing = called_rows - set(counts)
    assert not missing, f"rows never drawn in 300 graphs: {sorted(missing)}; counts: {counts}"
    assert min(counts[row] for row in called_rows) >= 5, counts
    # rows that only derivative rules use (gaussian in erf' and gelu') appear in second-order graphs
    assert not helper_rows - set(in_derivatives), (helper_rows, in_derivatives)
    assert unreachable_rows() == []


def _same_graph(a, b):
    """Same shape, same ops, same numbers (bit for bit) and same parents, node by node."""
    order_a, order_b = topological_order(a), topological_order(b)
    if len(order_a) != len(order_b):
        return False
    position_a = {node: i for i, node in enumerate(order_a)}
    position_b = {node: i for i, node in enumerate(order_b)}
    for x, y in zip(order_a, order_b):
        if str(x._op) != str(y._op) or repr(x.data) != repr(y.data) or list(x.local_grads()) != list(y.local_grads()):
            return False
        if [position_a[p] for p in x._prev] != [position_b[p] for p in y._prev]:
            return False
    return True


def square(x):  # a user op, in scope for eval(repr(expr)) below
    return x * x


@settings(max_examples=150, database=None, derandomize=True, deadline=None)
@given(mst.expressions(n_inputs=2, ops={"square": square}), mst.inputs(2))
def test_eval_of_repr_builds_the_same_graph(expr, xs):
    code = repr(expr)
    assert code.startswith("lambda x0, x1: ")
    rebuilt = eval(code)
    try:
        out = expr(*[Value(x) for x in xs])
    except (OverflowError, MathDomainError):
        with pytest.raises((OverflowError, MathDomainError)):
            rebuilt(*[Value(x) for x in xs])
        return
    assert _same_graph(out, rebuilt(*[Value(x) for x in xs]))


def test_a_graph_without_ops_is_an_input():
    expr = find(mst.expressions(n_inputs=3, max_nodes=0), lambda e: True, settings=settings(database=None))
    assert repr(expr) == "lambda x0, x1, x2: x0"
    x = Value(2.0)
    assert expr(x, 1.0, 1.0) is x


def test_rows_and_ops_choose_the_table():
    expr = find(
        mst.expressions(rows=["tanh"], ops={"square": square}),
        lambda e: {"tanh", "square"} <= set(e.rows()),
        settings=settings(database=None),
    )
    assert set(expr.rows()) == {"tanh", "square"}
    with pytest.raises(ValueError, match="sin"):
        mst.expressions(rows=["sin"])
    with pytest.raises(ValueError, match="identifier"):
        mst.expressions(ops={"my op": square})


@pytest.mark.parametrize("name", ["lambda", "if", "None", "x0", "x1", "x7", "ko"])
def test_an_op_name_that_the_printed_code_cannot_call_is_refused(name):
    # `lambda x0, x1: x0(x0)` or `lambda(x0)` would not run when pasted
    with pytest.raises(ValueError, match="op name") as info:
        mst.expressions(ops={name: square})
    assert " / " in str(info.value)


def test_a_users_op_that_returns_no_value_is_named():
    expr = find(
        mst.expressions(n_inputs=1, rows=(), ops={"half": lambda x: 0.5}),
        lambda e: len(e) > 0,
        settings=settings(database=None),
    )
    with pytest.raises(TypeError, match=r"ops\['half'\] must return a Value"):
        expr(Value(1.0))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: mst.expressions(n_inputs=True), ValueError, "n_inputs"),
        (lambda: mst.expressions(max_nodes=False), ValueError, "max_nodes"),
        (lambda: mst.expressions(rows="tanh"), TypeError, "rows must be a list"),
        (lambda: mst.inputs("a"), ValueError, "inputs: n must be"),
        (lambda: mst.inputs(-1), ValueError, "inputs: n must be"),
    ],
)
def test_strategy_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert " / " in str(info.value)


def test_ops_must_be_a_mapping_and_constants_a_strategy():
    with pytest.raises(TypeError, match="ops must be a dict") as info:
        mst.expressions(ops=[("square", square)])
    assert " / " in str(info.value)
    with pytest.raises(TypeError, match="constants must be a hypothesis strategy"):
        mst.expressions(constants=2.5)


@pytest.mark.parametrize("constant", [math.inf, -math.inf, math.nan, "a", True])
def test_a_constant_that_is_not_a_finite_number_is_refused(constant):
    # `(inf * x1)` is not runnable code
    with pytest.raises(ValueError, match="a constant of the graph must be a finite number"):
        find(
            mst.expressions(rows=["*"], constants=st.just(constant)),
            lambda e: False,  # any graph that draws a constant raises
            settings=settings(database=None),
        )


def test_finite_constants_print_as_runnable_code():
    for constant in (1e300, -0.0, -1.5):
        expr = find(
            mst.expressions(n_inputs=1, rows=["*", "-"], constants=st.just(constant)),
            lambda e: repr(constant) in repr(e),
            settings=settings(database=None),
        )
        assert eval(repr(expr))(Value(0.5)).data == expr(Value(0.5)).data


def test_guarded_domains_always_evaluate_inside_the_domain():
    @settings(max_examples=150, database=None, derandomize=True, deadline=None)
    @given(mst.expressions(n_inputs=2, rows=["log", "sqrt", "/", "**", "**c", "bce"]), mst.inputs(2, -50, 50))
    def evaluate(expr, xs):
        with contextlib.suppress(
            OverflowError
        ):  # values may leave the float range; a domain error would be a broken guard
            expr(*xs)

    evaluate()


# ------------------------------------------------------------------------------------------------
# a planted wrong derivative is found and shrunk to a few nodes of runnable code
# ------------------------------------------------------------------------------------------------

# cube(x) = x^3 with the derivative 3 x |x|: right for x >= 0, wrong sign for x < 0.
CUBE = Op("cube", lambda inputs, out: (3 * inputs[0] * abs(inputs[0]),))


def cube(x):
    return Value.from_op(x.data**3, CUBE, [x])


def _fails(case):
    expr, xs = case
    try:
        check_grads(expr, xs, kinks="skip")
    except CheckGradsError:
        return True
    except (OverflowError, MathDomainError):
        return False
    return False


def test_a_planted_wrong_derivative_is_found_and_shrunk_to_runnable_code():
    cases = st.tuples(mst.expressions(n_inputs=2, ops={"cube": cube}), mst.inputs(2))
    expr, xs = find(cases, _fails, settings=settings(database=None, derandomize=True, max_examples=1000))
    assert len(expr) <= 2, repr(expr)  # one or two ops: cube(x1), measured
    assert "cube(" in repr(expr)
    # the printed code, pasted back, reproduces the failure and names the op
    with pytest.raises(CheckGradsError) as info:
        check_grads(eval(repr(expr)), xs)
    assert info.value.op == "cube"


def test_hypothesis_prints_the_smallest_failing_graph_as_a_lambda():
    @settings(max_examples=400, database=None, derandomize=True, deadline=None, print_blob=False)
    @given(expr=mst.expressions(n_inputs=2, ops={"cube": cube}), xs=mst.inputs(2))
    def test_cube(expr, xs):
        check_grads(expr, xs, kinks="skip")

    with pytest.raises(CheckGradsError) as info:
        test_cube()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    printed = re.search(r"expr=(lambda x0, x1: .*),\n", notes)
    assert printed, notes
    code = printed.group(1)
    xs = eval(re.search(r"xs=(\[.*\]),\n", notes).group(1))
    assert code.count("(") <= 6, code  # a few nodes
    with pytest.raises(CheckGradsError, match="'cube'"):
        check_grads(eval(code), xs)


def test_skipping_kinks_leaves_most_random_points_checked():
    results = Counter()

    @settings(max_examples=200, database=None, derandomize=True, deadline=None)
    @given(mst.expressions(n_inputs=2), mst.inputs(2))
    def run(expr, xs):
        try:
            results[check_grads(expr, xs, kinks="skip")] += 1
        except (OverflowError, MathDomainError):
            results["error"] += 1

    run()
    assert results[True] >= 0.75 * sum(results.values()), results  # skipped (False) or not evaluable: a minority


# ------------------------------------------------------------------------------------------------
# strategies: mlps, the profile, and a clear hint without hypothesis
# ------------------------------------------------------------------------------------------------


@settings(max_examples=25, database=None, derandomize=True, deadline=None)
@given(model=mst.mlps(), data=st.data())
def test_small_mlps_have_the_gradients_of_torch(model, data):
    xs = data.draw(mst.inputs(len(model.layers[0].neurons[0].w)))
    result = check_grads(lambda *v: model(list(v)), xs, against="torch", kinks="skip")
    assume(result)


def test_the_profile_is_registered_derandomized_without_database():
    profile = settings.get_profile(mst.PROFILE)
    assert mst.PROFILE == "micrograd_ko"
    assert profile.derandomize is True and profile.database is None and profile.deadline is None


def test_without_hypothesis_check_grads_works_and_strategies_say_how_to_install():
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "from micrograd_ko.testing import check_grads\n"
        "assert check_grads(lambda x: x.tanh(), [0.5])\n"
        "try:\n"
        "    from micrograd_ko.testing import strategies\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'micrograd_ko[testing]'" in result.stdout and "hypothesis" in result.stdout


def test_testing_is_a_lazy_attribute_of_the_package_without_importing_hypothesis():
    code = (
        "import sys, micrograd_ko\n"
        "assert 'micrograd_ko.testing' not in sys.modules and 'hypothesis' not in sys.modules\n"
        "assert 'testing' in micrograd_ko.__all__\n"
        "assert micrograd_ko.testing.check_grads(lambda x: x.tanh(), [0.5])\n"
        "assert 'hypothesis' not in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


# ------------------------------------------------------------------------------------------------
# README's section runs and prints what its comments say
# ------------------------------------------------------------------------------------------------


def test_readme_testing_section_runs_and_its_comments_are_true(capsys):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as file:
        readme = file.read()
    code = re.search(r"### 미분 테스트하기: `micrograd_ko.testing`.*?```python\n(.*?)```", readme, re.S).group(1)
    namespace = {}
    exec(compile(code, "README testing", "exec"), namespace)
    op, backward, reference = capsys.readouterr().out.split()
    assert op == "sin" and backward.startswith("0.416") and reference.startswith("-0.416")
    assert float(backward) == pytest.approx(abs(math.cos(2.0))) and float(reference) == pytest.approx(math.cos(2.0))
    with pytest.raises(CheckGradsError) as info:
        namespace["test_sin"]()
    notes = "\n".join(info.value.__notes__)
    assert "expr=lambda x0, x1: sin(x1)," in notes and "xs=[-0.0, 2.0]," in notes
