"""gradcheck: passes for correct gradients, and names input, analytic and numerical when wrong."""

import re

import pytest
from hypothesis import given

from micrograd_ko import GradcheckError, Value, gradcheck
from micrograd_ko.engine import Op
from micrograd_ko.gradcheck import numerical_grad, shifted_values, step
from micrograd_ko.testing import check_grads
from micrograd_ko.testing import strategies as mst

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


@given(x=mst.values(-3, 3), y=mst.values(0.5, 3))
def test_numerical_grad_is_close_to_the_true_derivative(x, y):
    gx, gy = numerical_grad(lambda a, b: a * a * b + b.log(), [Value(x), Value(y)])
    assert gx == pytest.approx(2 * x * y, abs=1e-6)
    assert gy == pytest.approx(x * x + 1 / y, abs=1e-6)


def test_the_step_is_eps_or_eps_times_x():
    assert step(0.5) == 1e-6 and step(-1e12) == 1e-6 * 1e12 and step(3.0, eps=1e-3) == 3e-3


def test_shifted_values_names_the_input_that_left_the_domain():
    with pytest.raises(ValueError, match=r"input\[1\] = 1e-07"):
        shifted_values(lambda xs: Value(xs[1]).log().data, [1.0, 1e-7], 1, eps=1.0)


@given(x=mst.values(-3, 3, avoid=(0.0,), gap=1e-3), y=mst.values(-3, 3))
def test_gradcheck_and_check_grads_agree(x, y):
    """check_grads shares gradcheck's numeric core: on the same function and point they pass or fail together."""

    def f(a, b):
        return bad_square(a) * b.tanh() + a.relu()

    try:
        gradcheck(f, [x, y])
        passed = True
    except GradcheckError:
        passed = False
    try:
        check_grads(f, [x, y])
        assert passed
    except GradcheckError:  # CheckGradsError is a GradcheckError
        assert not passed


@pytest.mark.parametrize(
    ("setting", "error", "named"),
    [
        ({"eps": 0}, ValueError, "eps"),
        ({"eps": -1e-6}, ValueError, "eps"),
        ({"eps": float("nan")}, ValueError, "eps"),
        ({"eps": "a"}, TypeError, "eps"),
        ({"eps": True}, TypeError, "eps"),
        ({"atol": "a"}, TypeError, "atol"),
        ({"atol": -1}, ValueError, "atol"),
        ({"rtol": float("nan")}, ValueError, "rtol"),
        ({"rtol": float("inf")}, ValueError, "rtol"),
    ],
)
def test_bad_settings_are_named_in_both_languages(setting, error, named):
    """eps=0 divided by zero, eps=nan blamed the input, and atol=-1 or rtol=nan blamed a correct gradient."""
    with pytest.raises(error) as info:
        gradcheck(lambda x: x * x, [0.3], **setting)
    message = str(info.value)
    (value,) = setting.values()
    korean, english = message.split(" / ")
    assert named in korean and named in english
    assert repr(value) in korean and repr(value) in english
    assert not isinstance(info.value, GradcheckError)


def test_numerical_grad_and_shifted_values_check_eps_too():
    with pytest.raises(ValueError, match="eps"):
        numerical_grad(lambda x: x * 2.0, [Value(1.0)], eps=0.0)
    with pytest.raises(ValueError, match="eps"):
        shifted_values(lambda xs: xs[0], [1.0], 0, eps=float("nan"))


def test_a_tolerance_of_zero_is_allowed():
    assert gradcheck(lambda x: x * 3.0, [0.5], atol=0, rtol=1e-6)
    assert gradcheck(lambda x: x * 3.0, [0.5], atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    ("fn", "inputs", "error", "named"),
    [
        (3, [1.0], TypeError, "fn"),
        (lambda x: x, "ab", TypeError, "inputs"),
        (lambda x: x, {1: 2}, TypeError, "inputs"),
        (lambda x, y: x * y, [1.0, "a"], TypeError, "input[1]"),
        (lambda x, y: x * y, [1.0, float("nan")], ValueError, "input[1]"),
    ],
)
def test_a_bad_function_or_input_is_named(fn, inputs, error, named):
    with pytest.raises(error) as info:
        gradcheck(fn, inputs)
    assert named in str(info.value) and "gradcheck" in str(info.value)


def test_the_type_fn_returned_is_named_in_both_languages():
    with pytest.raises(TypeError) as info:
        gradcheck(lambda x: 3.0, [1.0])
    korean, english = str(info.value).removeprefix("gradcheck: ").split(" / ")
    assert "float" in korean and "float" in english


@pytest.mark.parametrize(
    "fn, inputs", [(lambda a, b: a * b, [1.0]), (lambda a: a.tanh(), [1.0, 2.0]), (lambda: Value(1.0), [0.5])]
)
def test_inputs_that_do_not_fit_fns_arguments_are_named_in_both_languages(fn, inputs):
    for check in (gradcheck, check_grads):
        with pytest.raises(TypeError) as error:
            check(fn, inputs)
        ko, en = str(error.value).split(" / ", 1)
        n = len(inputs)
        assert f"입력 {n}개" in ko and f"called with {n} input" in en, str(error.value)


@pytest.mark.parametrize("fn", [lambda x: x.relu(), lambda x: (x * 2.0).leaky_relu(0.1), lambda x: abs(x) + x.relu()])
def test_a_disagreement_at_a_kink_says_so_with_both_slopes(fn):
    """relu at 0: backward 0.0 against a central difference of 0.5, which looked like a wrong rule. The
    message now says the point is a kink and gives the slope on each side (0 and 1 for relu)."""
    with pytest.raises(GradcheckError) as caught:
        gradcheck(fn, [0.0])
    message = str(caught.value)
    assert "꺾이는 점" in message and "a kink" in message
    left, right = re.search(r"slope (\S+) on the left, (\S+) on the right", message).groups()
    assert float(left) != float(right)


def test_a_wrong_rule_away_from_a_kink_is_not_called_a_kink():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(bad_square, [1.5])
    assert "kink" not in str(caught.value) and "꺾이는" not in str(caught.value)
