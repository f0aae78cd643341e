"""Every primitive op: value and backward against PyTorch (CPU, float64) and
against central differences, over the op's whole domain; PyTorch's choice of
derivative at each kink; second derivatives of every activation.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

import micrograd_ko as ko
from micrograd_ko import Value, gradcheck


def reals(lo, hi, *, away_from=(), gap=1e-3):
    """Finite floats in [lo, hi], at least `gap` from each point in `away_from`."""
    xs = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return xs.filter(lambda x: all(abs(x - k) >= gap for k in away_from)) if away_from else xs


def ko_value_and_grads(fn, xs):
    leaves = [Value(x) for x in xs]
    out = fn(*leaves)
    out.backward()
    return out.data, [v.grad for v in leaves]


def torch_value_and_grads(fn, xs):
    leaves = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in xs]
    out = fn(*leaves)
    grads = torch.autograd.grad(out, leaves, allow_unused=True)
    return out.item(), [0.0 if g is None else g.item() for g in grads]


def assert_close(actual, expected, rel, abs_=1e-12, what=""):
    assert math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_), f"{what}: {actual!r} != {expected!r}"


@dataclass(frozen=True)
class Case:
    """One primitive op, written for micrograd_ko and for PyTorch, with its domain."""

    name: str
    ko: Callable
    torch: Callable
    domain: tuple  # one strategy per input
    kinks: tuple = ()  # inputs where the derivative jumps: no central difference across them
    rel: float = 1e-12  # tolerance against PyTorch
    params: dict = field(default_factory=dict)


def unary(name, ko_fn, torch_fn, lo, hi, kinks=(), rel=1e-12):
    return Case(name, ko_fn, torch_fn, (reals(lo, hi, away_from=kinks),), kinks, rel)


UNARY = [
    unary("neg", lambda x: -x, lambda t: -t, -1e6, 1e6),
    unary("abs", abs, torch.abs, -1e6, 1e6, kinks=(0.0,)),
    unary("exp", Value.exp, torch.exp, -700, 50),
    unary("log", Value.log, torch.log, 1e-2, 1e12),
    unary("sqrt", Value.sqrt, torch.sqrt, 1e-2, 1e12),
    unary("tanh", Value.tanh, torch.tanh, -40, 40),
    unary("sigmoid", Value.sigmoid, torch.sigmoid, -700, 700),
    unary("relu", Value.relu, torch.relu, -1e6, 1e6, kinks=(0.0,)),
    unary("leaky_relu", Value.leaky_relu, F.leaky_relu, -1e6, 1e6, kinks=(0.0,)),
    unary("leaky_relu(0.2)", lambda x: x.leaky_relu(0.2), lambda t: F.leaky_relu(t, 0.2), -1e3, 1e3, kinks=(0.0,)),
    unary("elu", Value.elu, F.elu, -700, 1e6, kinks=(0.0,)),
    unary("elu(0.5)", lambda x: x.elu(alpha=0.5), lambda t: F.elu(t, alpha=0.5), -50, 50, kinks=(0.0,)),
    # PyTorch returns x itself above its threshold 20; the exact value differs there by < 2.1e-9.
    unary("softplus", Value.softplus, F.softplus, -700, 700, rel=1e-8),
    unary("silu", Value.silu, F.silu, -700, 700),
    unary("gelu", Value.gelu, F.gelu, -30, 30),
    unary("erf", Value.erf, torch.erf, -10, 10),
    unary("**2", lambda x: x**2, lambda t: t**2, -1e3, 1e3),
    unary("**3", lambda x: x**3, lambda t: t**3, -1e3, 1e3),
    unary("**0", lambda x: x**0, lambda t: t**0, -1e3, 1e3),
    unary("**1", lambda x: x**1, lambda t: t**1, -1e3, 1e3),
    unary("**-1", lambda x: x**-1, lambda t: t**-1, -1e3, 1e3, kinks=(0.0,)),
    unary("**-2", lambda x: x**-2, lambda t: t**-2, -1e3, 1e3, kinks=(0.0,)),
    unary("**0.5", lambda x: x**0.5, lambda t: t**0.5, 1e-2, 1e6),
    unary("**1.5", lambda x: x**1.5, lambda t: t**1.5, 1e-2, 1e3),
    unary("**-0.5", lambda x: x**-0.5, lambda t: t**-0.5, 1e-2, 1e6),
    unary("2**", lambda x: 2**x, lambda t: 2**t, -500, 500),
    unary("0.5**", lambda x: 0.5**x, lambda t: 0.5**t, -500, 500),
    unary("e**", lambda x: math.e**x, lambda t: math.e**t, -300, 300),
]


def binary(name, ko_fn, torch_fn, x_domain, y_domain):
    return Case(name, ko_fn, torch_fn, (x_domain, y_domain))


_ANY = reals(-1e3, 1e3)
_NONZERO = reals(-1e3, 1e3, away_from=(0.0,), gap=1e-2)
_POSITIVE = reals(1e-2, 1e2)
BINARY = [
    binary("x+y", lambda x, y: x + y, lambda x, y: x + y, _ANY, _ANY),
    binary("x-y", lambda x, y: x - y, lambda x, y: x - y, _ANY, _ANY),
    binary("x*y", lambda x, y: x * y, lambda x, y: x * y, _ANY, _ANY),
    binary("x/y", lambda x, y: x / y, lambda x, y: x / y, _ANY, _NONZERO),
    binary("x**y", lambda x, y: x**y, lambda x, y: x**y, _POSITIVE, reals(-5, 5)),
]

# The same ops with a plain number on one side (__radd__, __rsub__, ... and the constant paths).
CONSTANT = 2.5
WITH_CONSTANT = [
    binary("x+c", lambda x: x + CONSTANT, lambda x: x + CONSTANT, _ANY, None),
    binary("c+x", lambda x: CONSTANT + x, lambda x: CONSTANT + x, _ANY, None),
    binary("x-c", lambda x: x - CONSTANT, lambda x: x - CONSTANT, _ANY, None),
    binary("c-x", lambda x: CONSTANT - x, lambda x: CONSTANT - x, _ANY, None),
    binary("x*c", lambda x: x * CONSTANT, lambda x: x * CONSTANT, _ANY, None),
    binary("c*x", lambda x: CONSTANT * x, lambda x: CONSTANT * x, _ANY, None),
    binary("x/c", lambda x: x / CONSTANT, lambda x: x / CONSTANT, _ANY, None),
    binary("c/x", lambda x: CONSTANT / x, lambda x: CONSTANT / x, _NONZERO, None),
]
WITH_CONSTANT = [Case(c.name, c.ko, c.torch, c.domain[:1]) for c in WITH_CONSTANT]

ALL = UNARY + BINARY + WITH_CONSTANT


@pytest.mark.parametrize("case", ALL, ids=lambda c: c.name)
@given(data=st.data())
def test_op_matches_torch_and_central_differences(case, data):
    xs = [data.draw(d, label=f"x{i}") for i, d in enumerate(case.domain)]
    value, grads = ko_value_and_grads(case.ko, xs)
    t_value, t_grads = torch_value_and_grads(case.torch, xs)
    assert_close(value, t_value, case.rel, what=f"{case.name} value at {xs}")
    for i, (g, tg) in enumerate(zip(grads, t_grads)):
        # abs 1e-15: slopes computed from the output (1 - tanh^2) move by that much
        # when the two libraries' values differ in the last bit.
        assert_close(g, tg, case.rel, abs_=1e-15, what=f"{case.name} d/dx{i} at {xs}")
    # Central differences need a step that stays on one side of every kink.
    assume(all(abs(x - k) > 1e-5 for x in xs for k in case.kinks))
    assert gradcheck(case.ko, xs)


@pytest.mark.parametrize(
    "name, fn, torch_fn, expected",
    [
        ("relu", Value.relu, torch.relu, 0.0),
        ("leaky_relu", Value.leaky_relu, F.leaky_relu, 0.01),
        ("leaky_relu(0.3)", lambda x: x.leaky_relu(0.3), lambda t: F.leaky_relu(t, 0.3), 0.3),
        ("elu", Value.elu, F.elu, 1.0),
        ("elu(0.4)", lambda x: x.elu(0.4), lambda t: F.elu(t, 0.4), 0.4),
        ("abs", abs, torch.abs, 0.0),
    ],
)
def test_derivative_at_the_kink_is_pytorchs_choice(name, fn, torch_fn, expected):
    value, (g,) = ko_value_and_grads(fn, [0.0])
    t_value, (tg,) = torch_value_and_grads(torch_fn, [0.0])
    assert value == t_value == 0.0
    assert g == tg == expected


@pytest.mark.parametrize(
    "fn, torch_fn, x",
    [
        (lambda x: x**0, lambda t: t**0, 0.0),  # d/dx x^0 = 0, also at 0
        (lambda x: x**1, lambda t: t**1, 0.0),
        (lambda x: x**2, lambda t: t**2, 0.0),
        (lambda x: x**3, lambda t: t**3, -2.0),  # negative base, integer exponent
    ],
)
def test_powers_at_edges_of_their_domain_match_torch(fn, torch_fn, x):
    assert ko_value_and_grads(fn, [x]) == torch_value_and_grads(torch_fn, [x])


def test_local_derivatives_are_stored_on_the_node():
    x, y = Value(3.0), Value(-2.0)
    assert (x * y).local_grads() == (-2.0, 3.0)
    assert (x / y).local_grads() == (1.0 / -2.0, -3.0 / 4.0)  # d/dy x/y = -x/y^2
    t = x.tanh()
    assert t.local_grads() == (1.0 - t.data**2,)
    assert ko.dot([x, y], [y, x]).local_grads() == (-2.0, 3.0, 3.0, -2.0)
    assert ko.sum([x, y, x]).local_grads() == (1.0, 1.0, 1.0)


def test_softmax_local_derivatives_are_s_i_times_delta_minus_s_j():
    xs = [Value(v) for v in (0.5, -1.0, 2.0)]
    outs = ko.softmax(xs)
    s = [o.data for o in outs]
    expected = torch.softmax(torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64), 0)
    assert s == pytest.approx(expected.tolist(), rel=1e-15)
    for i, out in enumerate(outs):
        assert out._prev == tuple(xs)
        want = [s[i] * ((1.0 if i == j else 0.0) - s[j]) for j in range(3)]
        assert list(out.local_grads()) == pytest.approx(want, rel=1e-15, abs=1e-17)


NARY = [
    ("sum", lambda *v: ko.sum(v), lambda *t: torch.stack(t).sum()),
    (
        "dot",
        lambda *v: ko.dot(v[: len(v) // 2], v[len(v) // 2 :]),
        lambda *t: torch.stack(t[: len(t) // 2]) @ torch.stack(t[len(t) // 2 :]),
    ),
    ("softmax[0]", lambda *v: ko.softmax(v)[0], lambda *t: torch.softmax(torch.stack(t), 0)[0]),
    ("softmax[-1]", lambda *v: ko.softmax(v)[-1], lambda *t: torch.softmax(torch.stack(t), 0)[-1]),
]


@pytest.mark.parametrize("name, fn, torch_fn", NARY, ids=[n[0] for n in NARY])
@given(xs=st.lists(reals(-30, 30), min_size=2, max_size=8).filter(lambda xs: len(xs) % 2 == 0))
def test_nary_op_matches_torch_and_central_differences(name, fn, torch_fn, xs):
    value, grads = ko_value_and_grads(fn, xs)
    t_value, t_grads = torch_value_and_grads(torch_fn, xs)
    assert_close(value, t_value, 1e-12, abs_=1e-15, what=f"{name} value")
    assert grads == pytest.approx(t_grads, rel=1e-10, abs=1e-14)
    assert gradcheck(fn, xs)


def test_softmax_of_large_inputs_does_not_overflow():
    probs = [p.data for p in ko.softmax([1000.0, 1000.0, -1000.0])]
    assert probs == [0.5, 0.5, 0.0]


# --------------------------------------------------------------------------
# Second and third derivatives (grad(..., create_graph=True))
# --------------------------------------------------------------------------


def ko_second_derivative(fn, x):
    v = Value(x)
    (first,) = ko.grad(fn(v), [v], create_graph=True)
    assert isinstance(first, Value)
    return first.data, ko.grad(first, v)


def torch_second_derivative(fn, x):
    t = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad(fn(t), t, create_graph=True)
    if not first.requires_grad:  # a constant slope (relu, leaky_relu for x > 0, ...)
        return first.item(), 0.0
    (second,) = torch.autograd.grad(first, t, allow_unused=True)
    return first.item(), 0.0 if second is None else second.item()


ACTIVATIONS = [c for c in UNARY if c.name not in ("neg",)]


@pytest.mark.parametrize("case", ACTIVATIONS, ids=lambda c: c.name)
@given(data=st.data())
def test_second_derivative_matches_torch(case, data):
    x = min(max(data.draw(case.domain[0], label="x"), -300.0), 300.0)
    first, second = ko_second_derivative(case.ko, x)
    t_first, t_second = torch_second_derivative(case.torch, x)
    assert_close(first, t_first, case.rel, abs_=1e-15, what=f"{case.name}' at {x}")
    # softplus: PyTorch's second derivative is exactly 0 above its threshold 20
    abs_tol = 1e-8 if case.name == "softplus" else 1e-15
    assert_close(second, t_second, 1e-9, abs_=abs_tol, what=f"{case.name}'' at {x}")


# x = 0 exactly is left out: there PyTorch masks d/dx b**x to 0 by a `where`, so its
# d2/dx db of b**x is 0 where the true value (and ours) is b**(x-1) = 1/b.
@given(x=reals(-5, 5, away_from=(0.0,), gap=1e-300), y=reals(0.1, 5))
def test_mixed_second_derivatives_match_torch(x, y):
    def f(a, b):
        return (a * b).tanh() + b**a / (1 + a * a) + (a - b).sigmoid() * b.log()

    va, vb = Value(x), Value(y)
    ga, gb = ko.grad(f(va, vb), [va, vb], create_graph=True)
    hessian = [ko.grad(ga, [va, vb]), ko.grad(gb, [va, vb])]
    t = torch.autograd.functional.hessian(
        f, (torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64))
    )
    for i in range(2):
        for j in range(2):
            assert_close(hessian[i][j], t[i][j].item(), 1e-9, abs_=1e-12, what=f"H[{i}][{j}]")


@given(x=reals(-3, 3))
def test_third_derivative_of_tanh(x):
    v = Value(x)
    d1 = ko.grad(v.tanh(), v, create_graph=True)
    d2 = ko.grad(d1, v, create_graph=True)
    d3 = ko.grad(d2, v)
    t, dt = math.tanh(x), 1 - math.tanh(x) ** 2
    assert_close(d2.data, -2 * t * dt, 1e-12, what="tanh''")
    assert_close(d3, dt * (6 * t * t - 2), 1e-9, abs_=1e-15, what="tanh'''")
    tt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (g1,) = torch.autograd.grad(torch.tanh(tt), tt, create_graph=True)
    (g2,) = torch.autograd.grad(g1, tt, create_graph=True)
    (g3,) = torch.autograd.grad(g2, tt)
    assert_close(d3, g3.item(), 1e-9, abs_=1e-15, what="tanh''' vs torch")
