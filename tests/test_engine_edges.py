"""Edges of the engine: infinite slopes, bad constants, and the per-thread no_grad switch."""

import math
import threading

import pytest

import micrograd_ko as ko
from micrograd_ko import Value, grad, no_grad
from micrograd_ko.engine import is_grad_enabled

# -- a local derivative that is infinite or beyond the floats is one clear error --


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x.sqrt(),  # sqrt'(0) = +inf
        lambda x: x**0.5,
        lambda x: x**0.25,
    ],
)
def test_infinite_slope_at_zero_is_one_clear_error_in_every_path(make):
    x = Value(0.0)
    with pytest.raises(OverflowError, match="국소적 미분.*/ the local derivative is infinite"):
        make(x)
    # grad(), with or without create_graph, goes through the same forward: same error.
    for create_graph in (False, True):
        with pytest.raises(OverflowError, match="the local derivative is infinite"):
            grad(make(Value(0.0)), Value(0.0), create_graph=create_graph)
    with no_grad():  # only the value is wanted: fine
        assert make(Value(0.0)).data == 0.0


def test_reciprocal_as_power_and_as_division_agree_at_tiny_inputs():
    # 1/x and x**-1 have the same slope -1/x^2 = -1e600 at 1e-300: both refuse.
    for make in (lambda x: x**-1, lambda x: 1 / x, lambda x: Value(1.0) / x):
        with pytest.raises(OverflowError, match="the local derivative"):
            make(Value(1e-300))
    # where the slope is a float, both give the same gradient
    a, b = Value(1e-100), Value(1e-100)
    (a**-1).backward()
    (1 / b).backward()
    assert a.grad == pytest.approx(b.grad, rel=1e-12) and math.isfinite(a.grad)


def test_log_of_the_smallest_subnormal_has_a_slope_beyond_the_floats():
    with pytest.raises(OverflowError, match="d/dx log"):
        Value(5e-324).log()
    assert Value(1e-300).log().local_grads() == (1.0 / 1e-300,)


@pytest.mark.parametrize("method", ["leaky_relu", "elu"])
@pytest.mark.parametrize(
    "alpha, error",
    [(math.nan, ValueError), (math.inf, ValueError), (Value(0.1), TypeError), ("0.1", TypeError), (True, TypeError)],
)
def test_activation_constants_must_be_finite_plain_numbers(method, alpha, error):
    with pytest.raises(error, match=f"{method}\\(alpha\\).*/ the constant must be"):
        getattr(Value(-1.0), method)(alpha)


def test_abs_is_a_method_as_well_as_the_builtin():
    x = Value(-3.0)
    y = x.abs()
    y.backward()
    assert y.data == 3.0 and x.grad == -1.0 and abs(x)._op == "abs"


def test_op_rows_carry_forward_derivative_and_korean_name():
    from micrograd_ko.engine import ACTIVATIONS, UNARY_OPS

    for name, op in UNARY_OPS.items():
        assert op.name == name and op.korean
        x = 0.7
        out = op.forward([x])
        assert out == getattr(Value(x), name)().data
        (d,) = op.derivative([x], out)
        v = Value(x)
        assert d == grad(getattr(v, name)(), v)
    for name in ACTIVATIONS:
        assert callable(getattr(Value, name))


def test_from_op_checks_its_arguments():
    from micrograd_ko.engine import Op

    half = Op("half", lambda inputs, out: (0.5,), lambda inputs: inputs[0] / 2)
    x = Value(4.0)
    y = Value.from_op(2.0, half, [x])
    y.backward()
    assert x.grad == 0.5 and y._op == "half"
    with pytest.raises(TypeError, match="every parent must be a Value"):
        Value.from_op(2.0, half, [4.0])
    with pytest.raises(ValueError, match="1 parents but 2 local derivatives"):
        Value.from_op(2.0, half, [x], local_grads=(1.0, 2.0))
    with pytest.raises(ValueError, match="expected a finite number"):
        Value.from_op(math.inf, half, [x])


# -- no_grad is per thread ------------------------------------------------------


def test_no_grad_in_one_thread_does_not_stop_another_threads_graph():
    inside, release = threading.Event(), threading.Event()

    def evaluator():
        with no_grad():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=evaluator)
    t.start()
    assert inside.wait(10)
    try:
        assert is_grad_enabled() and ko.is_grad_enabled()
        x = Value(3.0)
        y = x * x
        y.backward()
        assert x.grad == 6.0
        assert (x.tanh() + x.relu())._prev  # one- and two-parent nodes record too
        assert ko.sum([x, x])._prev and ko.dot([x], [x])._prev
    finally:
        release.set()
        t.join()


def test_concurrent_evaluation_never_zeroes_the_training_threads_gradients():
    stop = threading.Event()

    def evaluate_forever():
        while not stop.is_set():
            with no_grad():
                Value(1.0) * Value(2.0)

    workers = [threading.Thread(target=evaluate_forever) for _ in range(2)]
    for w in workers:
        w.start()
    try:
        zeros = 0
        for i in range(2000):
            x = Value((i % 7 + 1) / 10)
            (x * x).tanh().backward()
            zeros += x.grad == 0.0
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert zeros == 0


def test_interleaved_exits_of_two_threads_leave_recording_on():
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def thread_a():
        with no_grad():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def thread_b():
        a_in.wait(10)
        with no_grad():
            b_in.set()
            a_out.wait(10)  # A leaves first, then B

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert is_grad_enabled()
    x = Value(2.0)
    (x * x).backward()
    assert x.grad == 4.0
    from micrograd_ko import engine

    assert engine._paused_threads == 0


def test_no_grad_nests_and_restores_within_a_thread():
    with no_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
        assert (Value(1.0) * 2)._prev == ()
    assert is_grad_enabled()


# -- every op at the edges of the floats: exact where the math is finite, OverflowError where not --

BIG = 1e308


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: ko.sum([BIG]), BIG),
        (lambda: ko.sum([BIG, -BIG]), 0.0),
        (lambda: ko.sum([BIG, -BIG, 1.0]), 1.0),  # fsum: no cancellation error
        (lambda: ko.sum([BIG, 1.0, -BIG, 1e-300]), 1.0),
        (lambda: ko.dot([1e200], [1e-200]), 1.0),
        (lambda: ko.dot([1e200, 1e200], [1e200, -1e200]), 0.0),  # products overflow, the sum does not
        (lambda: ko.dot([1e200, 1e200, 3.0], [1e200, -1e200, 2.0]), 6.0),
        (lambda: Value(BIG) + Value(-BIG), 0.0),
        (lambda: Value(BIG).tanh(), 1.0),
        (lambda: Value(-BIG).tanh(), -1.0),
        (lambda: Value(-BIG).sigmoid(), 0.0),
        (lambda: Value(BIG).sigmoid(), 1.0),
        (lambda: Value(BIG).softplus(), BIG),
        (lambda: Value(-BIG).softplus(), 0.0),
        (lambda: Value(-BIG).elu(), -1.0),
        (lambda: Value(-BIG).gelu(), 0.0),
        (lambda: Value(-BIG).silu(), 0.0),
        (lambda: Value(BIG).gelu(), BIG),
        (lambda: Value(BIG).log(), math.log(BIG)),
        (lambda: Value(BIG).sqrt(), math.sqrt(BIG)),
        (lambda: ko.softmax([BIG, -BIG, 0.0])[0], 1.0),
        (lambda: ko.softmax([1e16, 1e16, 1e16])[1], 1 / 3),
        (lambda: ko.softmax([BIG])[0], 1.0),
    ],
)
def test_finite_where_the_math_is_finite(make, expected):
    out = make()
    assert out.data == expected
    out.backward()  # and the backward pass stays finite too
    assert all(math.isfinite(p.grad) for p in out._prev)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ko.sum([BIG, BIG]),
        lambda: ko.sum([BIG, BIG, -1.0]),
        lambda: ko.dot([BIG], [10.0]),
        lambda: ko.dot([BIG, 1.0], [10.0, 1.0]),
        lambda: ko.dot([BIG, BIG, BIG], [1.0, 1.0, 1.0]),
        lambda: Value(BIG) + BIG,
        lambda: Value(BIG) * 10,
        lambda: Value(BIG) - (-BIG),
        lambda: Value(BIG).exp(),
        lambda: Value(BIG) ** 2,
        lambda: 2 ** Value(BIG),
        lambda: Value(10.0) ** Value(400.0),
    ],
)
def test_overflow_where_the_math_leaves_the_floats(make):
    with pytest.raises(OverflowError, match="/ the result is too large for a float"):
        make()


# -- found by a fresh-eyes review ------------------------------------------------


def test_math_functions_on_a_value_are_an_error_not_a_silent_zero_gradient():
    x, w = Value(0.5), Value(2.0)
    with pytest.raises(TypeError, match="x.exp\\(\\) instead of math.exp\\(x\\)"):
        math.exp(-(x * w))
    with pytest.raises(TypeError, match="cuts the computation graph"):
        float(x)


def test_power_with_a_value_exponent_refuses_an_infinite_slope():
    for base, exponent in ((1e300, 1.02), (2.0, 1023.9)):
        with pytest.raises(OverflowError, match="the local derivative"):
            Value(base) ** Value(exponent)
    with no_grad():
        assert (Value(2.0) ** Value(1023.9)).data == 2.0**1023.9


@pytest.mark.parametrize(
    "local_grads, error, message",
    [
        ([math.nan], OverflowError, "the local derivative"),
        ([math.inf], OverflowError, "the local derivative"),
        ([10**400], OverflowError, "the local derivative"),  # (an int beyond the floats: Python's own error before)
        ([Value(2.0)], TypeError, "local derivative 0 is not a plain number"),
        (["a"], TypeError, "local derivative 0 is not a plain number"),
        ([1.0, 2.0, 3.0], ValueError, "1 parents but 3 local derivatives"),
        (2.0, TypeError, "got the single number 2.0"),
        (object(), ValueError, "1 parents but \\? local derivatives"),
    ],
)
def test_from_op_checks_the_local_derivatives_it_is_given(local_grads, error, message):
    op = ko.Op("twice", lambda inputs, out: (2.0,), lambda inputs: 2 * inputs[0])
    with pytest.raises(error, match=message):
        Value.from_op(2.0, op, [Value(1.0)], local_grads=local_grads)
    bad_rule = ko.Op("bad", lambda inputs, out: (math.inf,))
    with pytest.raises(OverflowError, match="the local derivative"):
        Value.from_op(2.0, bad_rule, [Value(1.0)])


def test_from_op_wants_an_op_with_a_rule():
    with pytest.raises(TypeError, match="op must be a micrograd_ko.Op, got str"):
        Value.from_op(1.0, "sin", [Value(1.0)], local_grads=[1.0])
    ruleless = ko.Op("sin", None)
    x = Value(0.5)
    y = Value.from_op(math.sin(0.5), ruleless, [x], local_grads=[math.cos(0.5)])
    y.backward()
    assert x.grad == math.cos(0.5)
    with pytest.raises(RuntimeError, match="no local-derivative rule is known for op 'sin'"):
        grad(y, x, create_graph=True)
    with pytest.raises(RuntimeError, match="no local-derivative rule"):
        Value.from_op(1.0, ruleless, [x])


def test_lecture_style_backward_by_hand():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    d = c + Value(10.0)
    d.grad = 1.0
    d._backward()
    c._backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    Value(1.0)._backward()  # a leaf: nothing to do
    with pytest.raises(RuntimeError, match="no local-derivative rule"):
        Value(5.0, (a, b), "+")._backward()


def test_a_failed_backward_leaves_every_gradient_as_it_was():
    a, b = Value(2.0), Value(3.0)
    (a * b).backward()
    before = (a.grad, b.grad)
    unknown = Value(5.0, (a, b), "+")
    with pytest.raises(RuntimeError, match="no local-derivative rule"):
        (unknown * 2).backward()
    assert (a.grad, b.grad) == before


@pytest.mark.parametrize(
    "make, what",
    [
        (lambda: ko.softmax(5), "softmax"),
        (lambda: ko.dot(1, 2), "dot"),
        (lambda: ko.sum(None), "sum"),
        (lambda: grad(Value(1.0) * 2, 5), "grad"),
    ],
)
def test_a_number_where_a_list_is_needed_is_named(make, what):
    with pytest.raises(TypeError, match=f"{what}: .*/ expected a list of numbers or Values, got"):
        make()


def test_huge_ints_labels_and_nan_data_get_clear_messages():
    with pytest.raises(ValueError, match="too large for a float \\(401 digits\\)"):
        Value(10**400)
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=5)
    x = Value(1.0)
    x.data = math.nan
    with pytest.raises(ValueError, match="an input is NaN"):
        x * 2


def test_graphs_copy_and_refuse_pickle_clearly():
    import copy
    import pickle

    x = Value(3.0)
    y = (x * 2).tanh()
    z = copy.deepcopy(y)
    z.backward()
    assert z.data == y.data and z._op is y._op and x.grad == 0.0
    with pytest.raises(TypeError, match="cannot be pickled; save a model with model.save"):
        pickle.dumps(y)


def test_gradcheck_names_a_step_outside_the_domain_and_takes_one_number():
    with pytest.raises(ValueError, match="input\\[0\\] = 1e-09 stepped to .*smaller eps"):
        ko.gradcheck(lambda a: a.log(), [1e-9], eps=1.0)
    assert ko.gradcheck(lambda a: a.tanh(), 0.3)


def test_repr_of_a_cleared_gradient():
    x = Value(2.0)
    x.grad = None
    assert repr(x) == "Value(data=2.0, grad=None)"


def test_written_files_name_a_missing_folder_apart_from_an_unwritable_place(tmp_path):
    from micrograd_ko.files import write_file

    with pytest.raises(FileNotFoundError, match="the folder .*missing does not exist"):
        write_file(tmp_path / "missing" / "g.svg", "x")
    with pytest.raises(OSError, match="cannot write the file") as info:
        write_file("/proc/x.svg", "x")  # the folder exists, the file cannot be made
    assert "does not exist" not in str(info.value)


def test_a_label_set_by_hand_to_a_number_still_draws():
    from micrograd_ko.viz.node_view import node_name

    x = Value(1.0)
    x.label = 5
    assert node_name(x, 0) == "5"


@pytest.mark.parametrize("bad", ["a", None, [1.0], 1j, 10**400, float("nan") * 1j])
@pytest.mark.parametrize(
    "use",
    [
        lambda x: x.tanh(),
        lambda x: x + 1.0,
        lambda x: 2.0 * x,
        lambda x: ko.sum([x, 1.0]),
        lambda x: ko.dot([x], [2.0]),
        lambda x: ko.losses.mse([x], [1.0]),
    ],
)
def test_a_data_set_by_hand_to_no_number_is_named_by_the_next_op(bad, use):
    x = Value(1.0, label="w")
    x.data = bad
    with pytest.raises(TypeError, match=r"the \.data of 'w' is not a finite float \(") as error:
        use(x)
    assert ".data에는 숫자만" in str(error.value)


def test_a_value_kept_in_data_by_p_data_equals_p_minus_lr_grad_is_explained():
    """The learner's slip `p.data = p - lr * p.grad`: whichever op or backward() meets it says what happened."""
    hint = r"did you write p\.data = p - lr \* p\.grad\?"
    w, b = Value(0.5, label="w"), Value(0.1)
    w.data = w - 0.1
    y = (w + b) * (w + b)  # Value arithmetic on the inner Value goes through
    with pytest.raises(TypeError, match=hint):
        y.backward()
    assert (w.grad, b.grad) == (0.0, 0.0)  # nothing changed
    for use in (lambda v: v.tanh(), lambda v: ko.dot([v], [1.0]), lambda v: ko.losses.mse([v], [1.0])):
        with pytest.raises(TypeError, match=hint):
            use(w)
    model = ko.nn.MLP(2, [2, 1], seed=0)
    first = model.parameters()[0]
    first.data = first - 0.1
    with pytest.raises(TypeError, match=hint):
        model([1.0, 2.0])


def test_a_set_is_refused_where_the_order_of_the_numbers_matters():
    model = ko.nn.MLP(2, [3, 1], seed=0)
    for call in (lambda: model({5.0, 1.0}), lambda: ko.dot({1.0, 2.0}, [1.0, 2.0]), lambda: ko.sum(frozenset([1.0]))):
        with pytest.raises(TypeError, match="a set has no order") as error:
            call()
        assert "순서가 없어" in str(error.value)
    assert model([5.0, 1.0]).data == model((5.0, 1.0)).data  # lists and tuples keep their order


def test_deepcopy_of_a_deep_graph_copies_it_without_recursion_and_apart_from_the_original():
    import copy

    from micrograd_ko.engine import topological_order

    x = Value(0.5, label="x")
    y = x
    for _ in range(5000):  # copy.deepcopy's own walk failed from about 100 ops deep
        y = (y * 1.0001).tanh() + x
    z = copy.deepcopy(y)
    copied_x = next(n for n in topological_order(z) if n.label == "x")
    assert z.data == y.data and copied_x is not x and len(topological_order(z)) == len(topological_order(y))
    z.backward()
    assert x.grad == 0.0 and copied_x.grad != 0.0  # the copy's gradients are its own
    y.backward()
    assert copied_x.grad == x.grad
    pair = copy.deepcopy([y, x])  # one memo: the copied output still reaches the copied leaf
    assert pair[1] in topological_order(pair[0])


def test_an_op_is_checked_when_made_and_a_bare_number_as_derivatives_is_explained():
    from micrograd_ko.engine import Op

    with pytest.raises(TypeError, match="derivative must be a function"):
        Op("f", 3)
    with pytest.raises(TypeError, match="forward must be a function"):
        Op("f", None, "x")
    with pytest.raises(TypeError, match="names must be str"):
        Op(3, None)
    bare = Op("twice", lambda inputs, out: 2.0)  # meant (2.0,)
    with pytest.raises(TypeError, match=r"got the single number 2\.0; return \(d,\)"):
        Value.from_op(2.0, bare, [Value(1.0)])


@pytest.mark.parametrize("convert, name", [(int, "int"), (round, "round"), (lambda v: round(v, 2), "round")])
def test_int_and_round_of_a_value_say_to_use_data_in_both_languages(convert, name):
    with pytest.raises(TypeError, match=rf"{name}\(x\) .* x\.data") as error:
        convert(Value(1.7))
    assert f"{name}(x.data)" in str(error.value).split(" / ")[0]  # the Korean half shows the fix too


def test_a_format_spec_on_a_value_says_to_format_its_data():
    loss = Value(0.123456)
    with pytest.raises(TypeError, match=r"loss\.data:\.4f|x\.data:\.4f") as error:
        f"{loss:.4f}"
    assert " / " in str(error.value) and "x.data:.4f" in str(error.value).split(" / ")[0]
    assert f"{loss}" == str(loss) == repr(loss)  # no spec: printing a Value stays as it was


@pytest.mark.parametrize("power", [lambda x: x ^ 2, lambda x: 2 ^ x, lambda x: x ^ x])
def test_a_caret_on_a_value_says_to_write_the_power_operator(power):
    """x ^ 2 for a square was Python's "unsupported operand type(s) for ^": ^ is the bitwise XOR."""
    with pytest.raises(TypeError) as error:
        power(Value(3.0))
    ko, en = str(error.value).split(" / ")
    assert "**" in ko and "XOR" in ko and "**" in en and "power" in en
