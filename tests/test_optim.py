"""SGD and Adam against torch.optim: 5 steps on a fixed quadratic agree to 1e-12."""

import math

import pytest

from micrograd_ko.engine import Value
from micrograd_ko.nn import MLP
from micrograd_ko.optim import SGD, Adam

torch = pytest.importorskip("torch")

START = [1.5, -2.0, 0.3, 4.0]
SCALES = [3.0, 0.5, 1.2, 0.01]


def quadratic(ps, mul):
    # sum_i a_i (p_i - 1)^2 + p_0 p_1: curved differently along each axis, coupled
    return sum(mul(a, (p - 1) ** 2) for a, p in zip(SCALES, ps)) + ps[0] * ps[1]


def five_steps(make_ours, make_torch):
    ours = [Value(x) for x in START]
    opt = make_ours(ours)
    for _ in range(5):
        opt.zero_grad()
        quadratic(ours, lambda a, b: a * b).backward()
        opt.step()
    theirs = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    topt = make_torch([theirs])
    for _ in range(5):
        topt.zero_grad()
        quadratic(theirs, lambda a, b: a * b).backward()
        topt.step()
    return [p.data for p in ours], theirs.tolist()


CASES = {
    "sgd": dict(lr=0.05),
    "sgd_momentum": dict(lr=0.05, momentum=0.9),
    "sgd_momentum_decay": dict(lr=0.02, momentum=0.5, weight_decay=0.1),
    "adam": dict(lr=0.1),
    "adam_betas_eps": dict(lr=0.3, betas=(0.8, 0.99), eps=1e-6),
    "adam_decay": dict(lr=0.1, weight_decay=0.05),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_five_steps_match_torch(case):
    kwargs = CASES[case]
    if case.startswith("sgd"):
        ours, theirs = five_steps(lambda p: SGD(p, **kwargs), lambda p: torch.optim.SGD(p, **kwargs))
    else:
        ours, theirs = five_steps(lambda p: Adam(p, **kwargs), lambda p: torch.optim.Adam(p, **kwargs))
    assert ours != START  # the parameters moved
    for a, b in zip(ours, theirs):
        assert abs(a - b) <= 1e-12


def test_adam_defaults_are_torchs():
    opt = Adam([Value(0.0)])
    assert (opt.lr, opt.betas, opt.eps) == (1e-3, (0.9, 0.999), 1e-8)


def test_zero_grad_clears_the_gradients():
    p = Value(2.0)
    (p * p).backward()
    opt = SGD([p], lr=0.1)
    opt.zero_grad()
    assert p.grad == 0.0


def test_a_non_finite_gradient_stops_the_step_before_any_update():
    ps = [Value(1.0), Value(2.0)]
    ps[0].grad, ps[1].grad = 1.0, math.inf
    opt = Adam(ps, lr=0.1)
    with pytest.raises(FloatingPointError, match="not finite"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0] and opt.t == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda: SGD([Value(1.0)], lr=0),
        lambda: SGD([Value(1.0)], lr=-0.1),
        lambda: SGD([Value(1.0)], lr=math.nan),
        lambda: SGD([Value(1.0)], lr=0.1, momentum=-1),
        lambda: Adam([Value(1.0)], betas=(1.0, 0.999)),
        lambda: Adam([]),
        lambda: SGD([1.0], lr=0.1),
    ],
)
def test_bad_settings_are_rejected(call):
    with pytest.raises((TypeError, ValueError)):
        call()


@pytest.mark.parametrize("optimizer", [SGD, Adam])
def test_passing_the_model_or_the_uncalled_method_says_pass_model_parameters(optimizer):
    model = MLP(2, [3, 1], seed=0)
    for wrong in (model, model.parameters):
        with pytest.raises(TypeError) as error:
            optimizer(wrong, lr=0.1)
        message = str(error.value)
        assert "model.parameters()" in message and " / " in message and "not iterable" not in message


def test_a_learning_rate_out_of_range_is_named_with_its_bounds():
    with pytest.raises(ValueError, match=r"lr=0: .* / lr=0 is out of range \(0.0 < lr < inf\)"):
        SGD([Value(1.0)], lr=0)
