"""A NaN or ±inf written into `.data` by hand is refused by every op, with one clear bilingual error.

The lecture's training loop updates `p.data += -lr * p.grad` by hand; when it
diverges a weight becomes inf or nan, and every later op used to pass it on
silently (abs(nan) = nan, tanh(inf) = 1.0, relu(nan) = 0.0) or fail inside
the library (`ko.sum`: "cannot convert NaN to integer ratio"). The policy
(engine.py's docstring): ValueError for NaN, OverflowError for ±inf, both
saying the .data was probably set by hand.
"""

import math

import pytest

import micrograd_ko as ko
from micrograd_ko import Value, losses, no_grad
from micrograd_ko.engine import UNARY_OPS
from micrograd_ko.nn import MLP

NAN_MESSAGE = "an input is NaN (was .data set by hand?)"
INF_MESSAGE = "an input is infinite (was .data set by hand?)"
BAD = [
    (math.nan, ValueError, NAN_MESSAGE),
    (math.inf, OverflowError, INF_MESSAGE),
    (-math.inf, OverflowError, INF_MESSAGE),
]


def spoiled(number):
    v = Value(1.0)
    v.data = number
    return v


def refuses(make, kind, message):
    with pytest.raises(kind) as error:
        make()
    text = str(error.value)
    assert message in text and " / " in text, text  # Korean / English
    if kind is OverflowError:
        assert not isinstance(error.value, ValueError)


ONE_INPUT = {name: (lambda op: lambda v: getattr(v, op)())(name) for name in UNARY_OPS}
ONE_INPUT.update(
    {
        "neg": lambda v: -v,
        "leaky_relu(2)": lambda v: v.leaky_relu(2.0),
        "elu(0.5)": lambda v: v.elu(0.5),
        "v ** 0": lambda v: v**0,
        "v ** 0.5": lambda v: v**0.5,
        "v ** 2": lambda v: v**2,
        "2 ** v": lambda v: 2.0**v,
        "1 ** v": lambda v: 1.0**v,
        "v + 1": lambda v: v + 1.0,
        "1 - v": lambda v: 1.0 - v,
        "v * 0": lambda v: v * 0.0,
        "v / 2": lambda v: v / 2.0,
        "1 / v": lambda v: 1.0 / v,
        "v - v": lambda v: v - v,
        "Value(1) ** v": lambda v: Value(1.0) ** v,
        "v ** Value(0)": lambda v: v ** Value(0.0),
        "sum": lambda v: ko.sum([Value(1.0), v, Value(-1.0)]),
        "dot": lambda v: ko.dot([v, Value(1.0)], [Value(0.0), Value(2.0)]),
        "dot (as x)": lambda v: ko.dot([Value(0.0)], [v]),
        "softmax": lambda v: ko.softmax([v, Value(1.0)]),
        "from_op": lambda v: Value.from_op(0.0, ko.Op("zero", lambda inputs, out: (0.0,)), [v]),
        "mse": lambda v: losses.mse([v, Value(1.0)], [0.0, 0.0]),
        "bce": lambda v: losses.bce(v, 1.0),
        "bce_with_logits": lambda v: losses.bce_with_logits(v, 1.0),
        "cross_entropy": lambda v: losses.cross_entropy([v, Value(1.0)], 1),
        "hinge": lambda v: losses.hinge(v, 1.0),  # max(0, 1 - nan) was a silent 0.0
    }
)


@pytest.mark.parametrize("name", sorted(ONE_INPUT))
@pytest.mark.parametrize("number, kind, message", BAD, ids=["nan", "inf", "-inf"])
def test_every_op_refuses_a_non_finite_input(name, number, kind, message):
    make = ONE_INPUT[name]
    refuses(lambda: make(spoiled(number)), kind, message)
    with no_grad():  # the values alone are refused as well
        refuses(lambda: make(spoiled(number)), kind, message)


@pytest.mark.parametrize("number, kind, message", BAD, ids=["nan", "inf", "-inf"])
def test_a_model_with_a_spoiled_weight_says_so(number, kind, message):
    model = MLP(2, [3, 1], seed=0)
    model.parameters()[0].data = number
    refuses(lambda: model([1.0, 2.0]), kind, message)


def test_the_lectures_diverging_manual_step_is_named():
    # p.data += -lr * p.grad with a huge learning rate: the weight becomes inf, the next forward says so.
    model = MLP(2, [3, 1], seed=0)
    loss = (model([1.0, 2.0]) - 1.0) ** 2
    loss.backward()
    for p in model.parameters():
        p.data += -1e308 * p.grad * 1e10
    assert any(math.isinf(p.data) for p in model.parameters())
    refuses(lambda: model([1.0, 2.0]), OverflowError, INF_MESSAGE)


def test_finite_edges_still_pass():
    # The checks refuse only NaN and inf: the largest floats and zeros of both signs still work.
    for x in (1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -0.0):
        v = Value(x)
        assert v.tanh().data == math.tanh(x)
        assert v.relu().data == max(0.0, x)
        assert abs(v).data == abs(x)
    assert ko.softmax([Value(-1e308), Value(1e308)])[1].data == 1.0
    assert (Value(1.0) / Value(1e308)).data == 1e-308


def test_compiled_code_refuses_a_spoiled_weight_as_the_engine_does():
    w, b = Value(0.5), Value(0.1)
    step = ko.compile(lambda x: (w * x + b).tanh(), 1.0)
    assert step(2.0) == math.tanh(0.5 * 2.0 + 0.1)
    for number, kind, message in BAD:
        w.data = number
        refuses(lambda: step(2.0), kind, message)
        refuses(lambda: (w * 2.0 + b).tanh(), kind, message)


def test_an_int_too_long_for_str_set_by_hand_is_named_not_a_raw_python_error():
    """A `.data` set by hand to an int past str()'s 4300 digits made every error about it, and the Value's
    own repr, raise Python's "Exceeds the limit (4300 digits) for integer string conversion"; a `.grad` set
    to an int beyond the floats made backward() raise "int too large to convert to float", compiled or not."""
    v = Value(1.0)
    v.data = 10**5000
    assert repr(v) == "Value(data=<int: 5001 digits>, grad=0.0)"
    for op in (lambda: v * 2.0, lambda: v.tanh(), lambda: ko.sum([v, 1.0])):
        with pytest.raises(TypeError, match=r"the \.data of Value is not a finite float \(int: <int: 5001 digits>\)"):
            op()
    for held in (10**400, 10**5000):
        w = Value(1.0)
        y = w * 3.0
        w.grad = held
        with pytest.raises(ko.engine.GradientOverflowError):
            y.backward()
        assert w.grad is held  # left as it was
        step = ko.compile(lambda x, w=w: w * x, 3.0)
        with pytest.raises(ko.engine.GradientOverflowError):
            step(3.0)
        assert w.grad is held
