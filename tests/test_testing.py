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
    ],
)
def test_bad_arguments_are_named_in_both_languages(bad, match):
    with pytest.raises(ValueError, match=match) as info:
        check_grads(lambda x: x * x, [1.0], **bad)
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
    assert (
        math.copysign(
            1, find(mst.values(), lambda x: x == 0 and math.copysign(1, x) < 0, settings=settings(database=None))
        )
        < 0
    )
    assert find(mst.values(-2, 2), lambda x: 0 < abs(x - 1.0) < 1e-9, settings=settings(database=None)) != 1.0


@settings(max_examples=200, database=None, derandomize=True)
@given(mst.values(-3, 0.5, avoid=(0.0,), gap=1e-3))
def test_values_respect_bounds_and_avoid(x):
    assert -3 <= x <= 0.5 and abs(x) >= 1e-3 and math.isfinite(x)


def test_values_bad_bounds():
    with pytest.raises(ValueError, match="min_value"):
        mst.values(2, 1)


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
