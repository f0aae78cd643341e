"""gradcheck: passes for correct gradients, and names input, analytic and numerical when wrong."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_ko import GradcheckError, Value, gradcheck
from micrograd_ko.engine import Op
from micrograd_ko.gradcheck import numerical_grad

# x**2 with a wrong local derivative (x instead of 2x): the bug gradcheck is for.
BAD_SQUARE = Op("bad_square", lambda inputs, out: (inputs[0],))


def bad_square(x):
    return Value.from_op(x.data**2, BAD_SQUARE, (x,))


def test_passes_for_a_correct_function():
    assert gradcheck(lambda x, y: (x * y).tanh() + y.exp() / (1 + x**2), [0.3, -1.2]) is True


def test_failure_lists_input_analytic_and_numerical():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: bad_square(x) + y * 3, [1.5, 2.0])
    message = str(info.value)
    # only the wrong input is listed, with its value, analytic 1.5 and numerical 3.0
    assert "input[0] = 1.5" in message and "input[1]" not in message
    analytic, numerical = map(float, re.search(r"backward (\S+), numerical (\S+)", message).groups())
    assert analytic == 1.5
    assert numerical == pytest.approx(3.0, rel=1e-8)
    assert "역전파" in message and "수치 미분" in message


def test_gradcheck_error_is_an_assertion_error():
    with pytest.raises(AssertionError):
        gradcheck(bad_square, [2.0])


def test_tolerances_are_used():
    # analytic 2.0 vs numerical 4.0 at x = 2: a tolerance wider than the gap passes
    assert gradcheck(bad_square, [2.0], atol=2.5)
    with pytest.raises(GradcheckError):
        gradcheck(bad_square, [2.0], atol=1.9, rtol=0.0)


def test_does_not_touch_the_given_values():
    x = Value(0.7)
    x.grad = 5.0
    gradcheck(lambda v: v.sigmoid() * v, [x])
    assert x.grad == 5.0 and x.data == 0.7


def test_fn_must_return_a_value():
    with pytest.raises(TypeError, match="float"):
        gradcheck(lambda x: 3.0, [1.0])


def test_step_grows_with_the_input():
    # with a fixed step of 1e-6, x + h == x at 1e12 and the difference would be 0
    (g,) = numerical_grad(lambda x: x * 2.0, [Value(1e12)])
    assert g == pytest.approx(2.0, rel=1e-9)


@given(x=st.floats(-3, 3), y=st.floats(0.5, 3))
def test_numerical_grad_is_close_to_the_true_derivative(x, y):
    gx, gy = numerical_grad(lambda a, b: a * a * b + b.log(), [Value(x), Value(y)])
    assert gx == pytest.approx(2 * x * y, abs=1e-6)
    assert gy == pytest.approx(x * x + 1 / y, abs=1e-6)
