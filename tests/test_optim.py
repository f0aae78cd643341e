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
    with pytest.raises(FloatingPointError, match="the gradient of parameter 1 is not finite"):
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


@pytest.mark.parametrize("betas", [0.9, (0.9,), (0.9, 0.99, 0.999), "ab"])
def test_betas_that_are_not_a_pair_say_so(betas):
    with pytest.raises(TypeError) as error:
        Adam([Value(1.0)], betas=betas)
    assert "betas is a pair (beta1, beta2)" in str(error.value) and "두 수의 쌍" in str(error.value)
    assert "unpack" not in str(error.value)


def test_adam_eps_must_be_positive_so_a_zero_gradient_never_divides_by_zero():
    with pytest.raises(ValueError, match="keeps the step finite when a gradient is 0"):
        Adam([Value(1.0)], lr=0.1, eps=0)
    with pytest.raises(ValueError, match=r"0.0 < eps < inf"):
        Adam([Value(1.0)], lr=0.1, eps=-1e-8)
    p = Value(1.0)  # a zero gradient with the smallest eps moves nothing and divides nothing by zero
    opt = Adam([p], lr=0.1, eps=5e-324)
    opt.step()
    assert p.data == 1.0


def test_sgd_without_lr_uses_torchs_default():
    p, theirs = Value(1.0), torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt, topt = SGD([p]), torch.optim.SGD([theirs])
    assert opt.lr == topt.defaults["lr"] == 1e-3
    p.grad, theirs.grad = 2.0, torch.tensor([2.0], dtype=torch.float64)
    opt.step()
    topt.step()
    assert p.data == theirs.item()


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_parameter_whose_grad_is_none_is_skipped_as_in_torch(case):
    kwargs = CASES[case]
    ours = [Value(x) for x in START[:2]]
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START[:2]]
    make_ours, make_torch = (SGD, torch.optim.SGD) if case.startswith("sgd") else (Adam, torch.optim.Adam)
    opt, topt = make_ours(ours, **kwargs), make_torch(theirs, **kwargs)
    for step in range(4):  # parameter 0 has no gradient at steps 1 and 2
        grads = [0.5 * (step + 1), -1.0 + step]
        for i in range(2):
            none = i == 0 and step in (1, 2)
            ours[i].grad = None if none else grads[i]
            theirs[i].grad = None if none else torch.tensor(grads[i], dtype=torch.float64)
        opt.step()
        topt.step()
        for a, b in zip(ours, theirs):
            assert abs(a.data - b.item()) <= 1e-12


def test_duplicate_parameters_are_refused_like_torch():
    p = Value(1.0)
    with pytest.raises(ValueError) as error:
        SGD([p, Value(2.0), p], lr=0.1)
    assert "optimizer got duplicate parameters (parameter 2 is parameter 0 again)" in str(error.value)
    assert "같은 매개변수가 두 번" in str(error.value)


@pytest.mark.parametrize(
    "make", [lambda ps: SGD(ps, lr=1e10), lambda ps: SGD(ps, lr=1e10, momentum=0.9), lambda ps: Adam(ps, lr=0.1)]
)
def test_a_step_never_writes_a_non_finite_weight_or_state(make):
    ps = [Value(1.0), Value(2.0)]
    ps[0].grad, ps[1].grad = 1.0, 1e300
    opt = make(ps)
    with pytest.raises(OverflowError) as error:
        opt.step()
    message = str(error.value)
    assert "nothing was updated" in message and "학습률" in message or "lr" in message
    assert [p.data for p in ps] == [1.0, 2.0]  # all or nothing: parameter 0 did not move either
    if isinstance(opt, SGD):  # lr * gradient is beyond the floats: a smaller lr is the remedy
        assert "parameter 1 would become -inf" in message and "smaller learning rate" in message
        assert opt.velocity == [None, None]
    else:  # g² overflows Adam's v; its step is about lr whatever g is: a smaller lr is no remedy
        assert "g²" in message and "parameter 1" in message and "would not help" in message
        assert "use a smaller learning rate" not in message
        assert opt.m == [0.0, 0.0] and opt.steps == [0, 0] and opt.t == 0


def test_a_gradient_that_is_not_a_number_is_named():
    p = Value(1.0)
    p.grad = "0.5"
    with pytest.raises(TypeError, match="the gradient of parameter 0 is not a number"):
        SGD([p], lr=0.1).step()


def test_a_learning_rate_that_is_not_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="lr must be a number, got '0.1'"):
        SGD([Value(1.0)], lr="0.1")


def _reference_step(opt, ps):
    """The update rules one parameter at a time, as written in the docstrings: what step() must give bit for bit."""
    grads = [None if p.grad is None else float(p.grad) for p in ps]
    if isinstance(opt, SGD):
        out = []
        for i, (p, g) in enumerate(zip(ps, grads)):
            if g is None:
                out.append(p.data)
                continue
            if opt.weight_decay:
                g = g + opt.weight_decay * p.data
            if opt.momentum:
                v = opt.velocity[i]
                g = g if v is None else opt.momentum * v + g
            out.append(p.data - opt.lr * g)
        return out
    beta1, beta2 = opt.betas
    out = []
    for i, (p, g) in enumerate(zip(ps, grads)):
        if g is None:
            out.append(p.data)
            continue
        if opt.weight_decay:
            g = g + opt.weight_decay * p.data
        t = opt.steps[i] + 1
        m = opt.m[i] + (1.0 - beta1) * (g - opt.m[i])
        v = beta2 * opt.v[i] + (1.0 - beta2) * g * g
        out.append(p.data - opt.lr / (1.0 - beta1**t) * m / (math.sqrt(v) / math.sqrt(1.0 - beta2**t) + opt.eps))
    return out


class _FloatSubclass(float):
    pass


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.1),
        lambda ps: SGD(ps, lr=0.03, momentum=0.9),
        lambda ps: SGD(ps, lr=0.03, momentum=0.5, weight_decay=0.01),
        lambda ps: Adam(ps, lr=0.01),
        lambda ps: Adam(ps, lr=0.2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ],
)
def test_step_over_whole_lists_is_the_rule_one_parameter_at_a_time_bit_for_bit(make):
    import random
    import struct

    rng = random.Random(7)
    ps = [Value(rng.uniform(-2, 2)) for _ in range(40)] + [Value(-0.0), Value(0.0)]
    opt = make(ps)
    for step in range(12):
        for p in ps:
            kind = rng.random()
            if step % 3 == 1 and kind < 0.1:
                p.grad = None  # skipped: keeps its value, velocity and Adam's step count
            elif step % 3 == 2 and kind < 0.2:
                p.grad = rng.choice([3, _FloatSubclass(0.25), -0.0, 1e-320])  # not a plain float: the slow path
            else:
                p.grad = rng.gauss(0.0, 10.0 ** rng.randint(-8, 3))
        expected = _reference_step(opt, ps)
        opt.step()
        assert [struct.pack("d", p.data) for p in ps] == [struct.pack("d", x) for x in expected]
        assert all(type(p.data) is float for p in ps)


def test_a_sum_of_finite_gradients_that_overflows_still_steps():
    ps = [Value(0.0), Value(0.0)]
    ps[0].grad = ps[1].grad = 1e308  # their sum is inf: each is finite
    SGD(ps, lr=1e-308).step()
    assert [p.data for p in ps] == [0.0 - 1e-308 * 1e308] * 2


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.03, momentum=0.9),
        lambda ps: SGD(ps, lr=0.03, momentum=0.5, weight_decay=0.01),
        lambda ps: Adam(ps, lr=0.01, weight_decay=0.1),
    ],
)
def test_state_set_by_hand_is_read_as_it_is(make, in_place):
    """The usual step (every velocity known, every step count equal) looks at the state itself, each step."""
    import struct

    ps = [Value(0.1 * k - 0.4) for k in range(9)]
    opt = make(ps)
    for step in range(5):
        for k, p in enumerate(ps):
            p.grad = 0.3 * k - 1.0 + 0.01 * step
        if step == 2:  # a velocity None again for some; step counts that differ
            if isinstance(opt, SGD):
                state = [None if k % 3 == 0 else 0.5 for k in range(len(ps))]
                if in_place:
                    opt.velocity[:] = state
                else:
                    opt.velocity = state
            else:
                state = [k % 2 + 2 for k in range(len(ps))]
                if in_place:
                    opt.steps[:] = state
                else:
                    opt.steps = state
        expected = _reference_step(opt, ps)
        opt.step()
        assert [struct.pack("d", p.data) for p in ps] == [struct.pack("d", x) for x in expected]
