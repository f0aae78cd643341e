"""Optimizer messages and settings read at step time: what overflowed and what can help, a learning rate changed
after construction, what was passed instead of parameters. (No torch needed: test_optim.py compares with torch.)"""

import math

import pytest

from micrograd_ko.engine import Value
from micrograd_ko.optim import SGD, Adam


def _halves(message):
    korean, english = message.split(" / ")
    return korean, english


@pytest.mark.parametrize("gradient", [5e155, 1e160, -1e300])
def test_adams_overflow_names_g_squared_and_advises_scaling_or_clipping(gradient):
    """Adam's v = beta2*v + (1 - beta2)*g*g leaves the floats for |g| above about 4.2e155 (beta2 = 0.999)."""
    ps = [Value(1.0), Value(-2.0)]
    ps[0].grad, ps[1].grad = 0.5, gradient
    opt = Adam(ps, lr=0.1)
    with pytest.raises(OverflowError) as error:
        opt.step()
    korean, english = _halves(str(error.value))
    shown = f"{gradient:.6g}"
    assert shown in korean and shown in english and "parameter 1" in english and "매개변수 1" in korean
    assert "g²" in english and "g²" in korean
    assert "would not help" in english and "소용없습니다" in korean
    assert "scale the loss" in english and "clip" in english and "자르세요" in korean
    assert [p.data for p in ps] == [1.0, -2.0] and opt.v == [0.0, 0.0] and opt.t == 0


def test_adam_steps_with_a_gradient_just_below_the_overflow():
    p = Value(1.0)
    p.grad = 4e155  # (1 - 0.999) * g * g = 1.6e308, still a float
    opt = Adam([p], lr=0.1)
    opt.step()
    assert p.data == pytest.approx(0.9) and math.isfinite(opt.v[0])


def test_sgds_velocity_overflow_is_named_and_lr_is_not_blamed():
    """v = momentum*v + g overflows on the second step; the update lr*v would be about 1.9e8, lr is not the cause."""
    p = Value(1.0)
    opt = SGD([p], lr=1e-300, momentum=0.9)
    p.grad = 1e308
    opt.step()
    before = (p.data, list(opt.velocity))
    with pytest.raises(OverflowError) as error:
        opt.step()
    korean, english = _halves(str(error.value))
    assert "momentum velocity" in english and "모멘텀 속도" in korean
    assert "1e+308" in english and "1e+308" in korean and "momentum=0.9" in korean
    assert "would not help" in english and "would become" not in english
    assert (p.data, opt.velocity) == before


@pytest.mark.parametrize(
    ("lr", "error"),
    [
        (-5, ValueError),
        (0.0, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        ("x", TypeError),
        (10**400, ValueError),
        (True, TypeError),
    ],
)
@pytest.mark.parametrize(
    "make", [lambda ps: SGD(ps, lr=0.1), lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps)]
)
def test_a_learning_rate_changed_after_construction_is_checked_at_step(make, lr, error):
    p = Value(1.0)
    opt = make([p])
    opt.lr = lr  # was: lr = -5 climbed the loss (1.0 -> 6.0), 'x' gave a raw TypeError
    p.grad = 1.0
    with pytest.raises(error) as info:
        opt.step()
    korean, english = _halves(str(info.value))
    assert repr(lr) in korean and repr(lr) in english and "nothing was updated" in english
    assert p.data == 1.0
    opt.lr = 0.5  # a good rate again: it steps
    opt.step()
    assert p.data < 1.0


def test_a_learning_rate_set_to_an_int_steps_as_its_float():
    a, b = Value(1.0), Value(1.0)
    one, other = SGD([a], lr=0.1), SGD([b], lr=0.1)
    one.lr, other.lr = 3, 3.0
    a.grad = b.grad = 0.25
    one.step()
    other.step()
    assert a.data == b.data == 0.25


@pytest.mark.parametrize(("params", "named"), [([1.0], "float"), (5, "int")])
def test_what_was_passed_as_parameters_is_named_in_both_languages(params, named):
    with pytest.raises(TypeError) as info:
        SGD(params)
    korean, english = _halves(str(info.value))
    assert named in korean and named in english


def test_an_int_beyond_the_floats_is_out_of_range_at_construction():
    with pytest.raises(ValueError, match="out of range"):  # was: a raw OverflowError from math.isfinite
        SGD([Value(1.0)], lr=10**400)


def test_an_optimizer_of_the_users_without_a_learning_rate_is_told_so():
    from micrograd_ko.optim import Optimizer

    class Halving(Optimizer):  # a learner's own rule, which forgot self.lr
        def _compute(self, data, grads, skip):
            return [d / 2 for d in data], []

        def _commit(self, state):
            pass

    p = Value(1.0)
    p.grad = 0.0
    with pytest.raises(TypeError, match="lr=None"):
        Halving([p]).step()
    assert p.data == 1.0
