"""micrograd_ko.compile: straight-line code equals the interpreted engine, on random graphs with every op."""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import micrograd_ko as ko
from micrograd_ko import Value, engine, losses
from micrograd_ko.compiler import CompileError, GuardError, StructureError
from micrograd_ko.engine import Op

# name -> (arity, build(values, constant) -> Value). Domain-restricted ops get
# inputs that are always inside the domain, whatever numbers come later.
OPS = {
    "+": (2, lambda v, c: v[0] + v[1]),
    "-": (2, lambda v, c: v[0] - v[1]),
    "*": (2, lambda v, c: v[0] * v[1]),
    "/": (2, lambda v, c: v[0] / (v[1] * v[1] + 0.5)),
    "**": (2, lambda v, c: (v[0] * v[0] + 0.5) ** v[1].tanh()),
    "neg": (1, lambda v, c: -v[0]),
    "abs": (1, lambda v, c: abs(v[0])),
    "exp": (1, lambda v, c: (v[0].tanh() * 3).exp()),
    "log": (1, lambda v, c: (v[0] * v[0] + 0.1).log()),
    "sqrt": (1, lambda v, c: (v[0] * v[0] + 0.1).sqrt()),
    "tanh": (1, lambda v, c: v[0].tanh()),
    "sigmoid": (1, lambda v, c: v[0].sigmoid()),
    "relu": (1, lambda v, c: v[0].relu()),
    "leaky_relu": (1, lambda v, c: v[0].leaky_relu(0.1)),
    "elu": (1, lambda v, c: v[0].elu(0.7)),
    "softplus": (1, lambda v, c: v[0].softplus()),
    "silu": (1, lambda v, c: v[0].silu()),
    "gelu": (1, lambda v, c: v[0].gelu()),
    "erf": (1, lambda v, c: v[0].erf()),
    "**c": (1, lambda v, c: v[0].tanh() ** 3),
    "**-0.5": (1, lambda v, c: (v[0] * v[0] + 0.5) ** -0.5),
    "c**": (1, lambda v, c: 3.0 ** v[0].tanh()),
    "const*": (1, lambda v, c: c * v[0]),
    "sum": (3, lambda v, c: ko.sum(v)),
    "dot": (4, lambda v, c: ko.dot(v[:2], v[2:])),
    "softmax": (3, lambda v, c: ko.softmax(v)[1]),
    "mse": (3, lambda v, c: losses.mse([v[0], v[1]], [v[2], c])),
    "bce": (1, lambda v, c: losses.bce(v[0].sigmoid(), abs(c) / 3)),
    "bce_with_logits": (1, lambda v, c: losses.bce_with_logits(v[0], 1.0 if c > 0 else 0.0)),
    "cross_entropy": (3, lambda v, c: losses.cross_entropy(v, 2)),
    "hinge": (1, lambda v, c: losses.hinge(v[0], 1.0 if c > 0 else -1.0)),
    "batch hinge": (2, lambda v, c: losses.hinge(v, [1.0, -1.0])),
    "batch bce_with_logits": (3, lambda v, c: losses.bce_with_logits(v, [0.0, 1.0, abs(c) / 2])),
}

numbers = st.floats(-2, 2, allow_nan=False)
steps = st.lists(
    st.tuples(st.sampled_from(sorted(OPS)), st.lists(st.integers(0, 1000), min_size=4, max_size=4), numbers),
    min_size=1,
    max_size=10,
)


def build(program, params):
    """fn(xs): applies the drawn ops to a growing pool (inputs, parameters, earlier results)."""

    def fn(xs):
        pool = list(xs) + list(params)
        for name, picks, c in program:
            arity, op = OPS[name]
            pool.append(op([pool[i % len(pool)] for i in picks[:arity]], c))
        return ko.sum(pool[len(xs) + len(params) :]) if len(program) > 1 else pool[-1]

    return fn


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


@given(program=steps, xs=st.lists(numbers, min_size=1, max_size=3), data=st.data())
def test_random_graphs_with_every_op_give_the_interpreted_value_and_gradients(program, xs, data):
    params = [Value(data.draw(numbers)) for _ in range(3)]
    fn = build(program, params)
    try:
        compiled = ko.compile(fn, xs)
    except OverflowError:
        assume(False)
    new_xs = data.draw(st.lists(numbers, min_size=len(xs), max_size=len(xs)))
    for p in params:  # parameters are read live, and gradients add to what is there
        p.data = data.draw(numbers)
        p.grad = data.draw(numbers)
    held = [p.grad for p in params]
    try:
        expected = fn([Value(x) for x in new_xs])
    except OverflowError:
        assume(False)
    expected.backward()
    expected_grads = [p.grad for p in params]
    for p, g in zip(params, held):
        p.grad = g
    assert close(compiled(new_xs), expected.data)
    for p, g in zip(params, expected_grads):
        assert close(p.grad, g), (p.grad, g)


def test_source_is_the_wengert_list_and_no_label_reaches_it():
    w, b = Value(-2.0, label="sum"), Value(0.5, label="abs\nimport os")
    step = ko.compile(lambda x: (w * x + b).tanh(), 1.0)
    assert "p0 = P[0].data" in step.source and "_tanh(" in step.source and "v2" in step.source
    assert "sum =" not in step.source and "import os" not in step.source
    assert "순전파" in step.source and "역전파" in step.source
    assert step.parameters == [w, b] or step.parameters == [b, w]
    out = step(3.0)
    assert out == math.tanh(-2.0 * 3.0 + 0.5)
    slope = engine.TANH.df(-2.0 * 3.0 + 0.5, out)  # the row's tanh' (sech^2 where tanh saturates)
    assert w.grad == slope * 3.0 and b.grad == slope


def test_constants_are_frozen_and_parameters_read_live():
    w = Value(2.0)
    step = ko.compile(lambda x: w * x * Value(10.0), 1.0)
    assert step(1.0) == 20.0
    w.data = 3.0
    assert step(2.0) == 60.0
    assert w.grad == 10.0 + 20.0


def test_nested_list_arguments_and_an_extra_output():
    w = Value(0.5)

    def fn(points, targets):
        preds = [w * (x0 + x1) for x0, x1 in points]
        return losses.mse(preds, targets), preds

    step = ko.compile(fn, [[1.0, 2.0], [3.0, 4.0]], [0.0, 1.0])
    loss, preds = step([[0.0, 1.0], [1.0, 1.0]], [1.0, 0.0])
    assert preds == [0.5, 1.0]
    assert loss == pytest.approx(((0.5 - 1.0) ** 2 + 1.0) / 2, rel=1e-15)


@pytest.mark.parametrize("args", [([1.0, 2.0, 3.0],), (1.0,), ([1.0, [2.0]],), ([1.0, 2.0], 3.0)])
def test_another_structure_is_a_clear_error(args):
    step = ko.compile(lambda xs: xs[0] * xs[1] * Value(2.0), [1.0, 2.0])
    with pytest.raises(StructureError, match="structure|arguments") as error:
        step(*args)
    assert "인자" in str(error.value) or "구조" in str(error.value)


def test_a_branch_on_a_traced_value_is_guarded_and_touches_no_gradient():
    w = Value(1.0)

    def fn(x):
        h = w * x
        return h * 2 if h > 0 else -h  # a Python branch: frozen by tracing

    strict = ko.compile(fn, 1.0, fallback=False)
    assert strict(3.0) == 6.0 and w.grad == 6.0
    with pytest.raises(GuardError, match="test_compile.py") as error:
        strict(-1.0)
    assert "분기" in str(error.value) and "branch" in str(error.value)
    assert w.grad == 6.0
    step = ko.compile(fn, 1.0)  # by default the engine takes the call: the other branch, exactly
    assert step(-1.0) == 1.0 and w.grad == 6.0 + 1.0 and step.handed_over == 1


def test_max_of_values_is_guarded_by_its_comparisons():
    a, b = Value(1.0), Value(2.0)
    step = ko.compile(lambda x: max(a * x, b * x), 1.0, fallback=False)
    assert step(2.0) == 4.0 and b.grad == 2.0 and a.grad == 0.0
    with pytest.raises(GuardError):
        step(-1.0)


def test_an_op_without_a_forward_rule_is_frozen_or_refused():
    x = Value(1.0)
    twice = Op("twice", lambda inputs, out: (2.0,))
    frozen = ko.compile(lambda x: Value.from_op(2.0, twice, (x * 3.0,)), 1.0)  # a number fn did not read: frozen
    assert frozen(5.0) == 2.0 and frozen.handed_over == 0
    with pytest.raises(CompileError, match=r"\.data"):
        ko.compile(lambda: Value.from_op(2.0 * x.data, twice, (x,)))
    with pytest.raises(CompileError, match="mystery"):
        ko.compile(lambda: Value(3.0, (x,), "mystery"))


def test_overflow_and_domain_errors_are_clear_and_add_nothing():
    w = Value(1.0)
    step = ko.compile(lambda x: (w * x).exp() * Value(1e300), 1.0)
    with pytest.raises(OverflowError, match="float"):
        step(700.0)
    assert w.grad == 0.0
    logs = ko.compile(lambda x: (w * x).log(), 1.0)
    with pytest.raises(ko.engine.MathDomainError):
        logs(-1.0)


def test_bad_calls_are_refused():
    with pytest.raises(TypeError, match="callable"):
        ko.compile(3.0)
    with pytest.raises(CompileError, match="Value"):
        ko.compile(lambda x: 3.0, 1.0)
    with pytest.raises(TypeError, match="lists of numbers"):
        ko.compile(lambda x: x, Value(1.0))
    with ko.no_grad(), pytest.raises(CompileError, match="no_grad"):
        ko.compile(lambda x: x * 2, 1.0)
    double = ko.compile(lambda xs: xs[0] * Value(2.0), [1.0])
    with pytest.raises(ValueError, match="finite"):
        double([math.nan])
    with pytest.raises(StructureError):
        double([True])


@pytest.mark.parametrize("item", ["a", True, Value(1.0), None])
def test_an_item_that_is_no_number_is_named_not_taken_for_another_structure(item):
    step = ko.compile(lambda xs: xs[0] * xs[1] * Value(2.0), [1.0, 2.0])
    with pytest.raises(StructureError, match=r"args\[0\]\[1\] is not a number") as error:
        step([1.0, item])
    assert "compile again" not in str(error.value) and "숫자가 아닙니다" in str(error.value)


def test_a_number_beyond_the_floats_gets_the_engines_own_error():
    step = ko.compile(lambda xs: xs[0] * xs[1] * Value(2.0), [1.0, 2.0])
    with pytest.raises(ValueError) as interpreted:
        Value(10**400)
    with pytest.raises(ValueError) as compiled:
        step([1.0, 10**400])
    assert str(compiled.value) == str(interpreted.value)
    assert step([1.0, 3]) == 6.0  # an int is a number


def test_star_import_keeps_pythons_compile():
    assert "compile" not in ko.__all__  # `from micrograd_ko import *` must not hide Python's compile
    assert ko.compile.__module__ == "micrograd_ko.compiler"


def test_an_mlp_step_equals_backward():
    from micrograd_ko.nn import MLP

    model = MLP(2, [8, 8, 1], activation="tanh", seed=0)
    X = [[0.5, -1.0], [1.5, 0.25], [-0.3, 0.7]]
    Y = [1.0, -1.0, 1.0]

    def step_loss(X, Y):
        return ko.sum([losses.hinge(model(x), t) for x, t in zip(X, Y)]) / len(X)

    step = ko.compile(step_loss, X, Y)  # Y are inputs here: hinge reads them as constants, so...
    X2 = [[0.1, 0.2], [0.3, -0.4], [2.0, 1.0]]
    loss = step(X2, Y)  # ...the same labels, new points
    got = [p.grad for p in model.parameters()]
    model.zero_grad()
    expected = step_loss(X2, Y)
    expected.backward()
    assert loss == expected.data
    assert got == [p.grad for p in model.parameters()]


def test_forward_only_returns_the_numbers_and_touches_no_gradient():
    from micrograd_ko.nn import MLP

    model = MLP(3, [4, 2], activation="tanh", seed=0)
    predict = ko.compile(model, [0.1, 0.2, 0.3], gradients=False)
    x = [1.0, -0.5, 2.0]
    assert predict(x) == [v.data for v in model(x)]
    assert all(p.grad == 0.0 for p in model.parameters())
    assert "P[0].grad" not in predict.source


def test_tracing_watches_only_its_own_thread():
    """A Value made by another thread while one thread traces is not taken for a constant of fn."""
    import queue
    import threading

    from micrograd_ko import compile as compile_fn

    # Locks and a SimpleQueue hold no state compile pictures (fn's state must not change while traced), so the
    # other thread can wait for the trace, make its Value and hand it over while fn waits.
    started, made, box = threading.Lock(), threading.Lock(), queue.SimpleQueue()
    started.acquire()
    made.acquire()

    def other_thread():
        started.acquire(timeout=10)
        leaf = Value(7.0)  # made while the main thread traces
        assert leaf > 1.0  # a comparison there is no guard here
        box.put(leaf)
        made.release()

    w = Value(0.5)
    t = threading.Thread(target=other_thread)
    t.start()

    def fn(x):
        started.release()
        made.acquire(timeout=10)
        leaf = box.get(timeout=10)
        box.put(leaf)  # kept for the test
        return w * x + leaf  # the other thread's leaf: a parameter, read live

    step = compile_fn(fn, 2.0)
    t.join()
    leaf = box.get_nowait()
    assert step(3.0) == 0.5 * 3.0 + 7.0
    leaf.data = 8.0
    assert step(3.0) == 0.5 * 3.0 + 8.0
    assert not any(step._guards) and any(p is leaf for p in step.parameters)


@pytest.mark.parametrize("fallback", ["no", 0, 1, None])
def test_fallback_must_be_true_or_false(fallback):
    with pytest.raises(TypeError) as error:
        ko.compile(lambda x: x * 2.0, 1.0, fallback=fallback)
    korean, english = str(error.value).split(" / ")
    assert "fallback" in korean and repr(fallback) in korean
    assert f"fallback must be True or False, got {fallback!r}" in english


def test_arguments_nested_too_deep_are_a_clear_error_not_a_recursion_error():
    deep = 1.0
    for _ in range(1200):
        deep = [deep]
    with pytest.raises(TypeError, match="the arguments are nested more than 100 deep"):
        ko.compile(lambda x: Value(2.0) * 3, deep)


def test_a_numpy_array_argument_is_refused_with_the_way_to_pass_it():
    import numpy as np

    with pytest.raises(TypeError, match=r"args\[0\] is a ndarray \(for an array, pass \.tolist\(\)\)"):
        ko.compile(lambda x: Value(2.0) * x[0], np.array([1.0]))
    assert ko.compile(lambda x: Value(2.0) * x[0], np.array([1.0]).tolist())([3.0]) == 6.0


def test_a_compiled_function_refuses_pickle_and_deepcopy_in_both_languages():
    """Python's own errors came out of the library ('cannot pickle 'module' object', 'Can't pickle local
    object'); a shallow copy is the same function."""
    import copy
    import pickle

    w = Value(0.5)
    f = ko.compile(lambda x: w * x, 1.0)
    for how in (copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError, match="cannot be pickled or deep-copied") as error:
            how(f)
        assert "pickle하거나 deepcopy할 수 없습니다" in str(error.value)
    w.grad = 0.0
    assert copy.copy(f)(3.0) == 1.5 and w.grad == 3.0
