"""Each primitive op at the points the rules single out: PyTorch's choice of derivative at
each kink, powers at the edges of their domain, the local derivatives stored on a node.

Each op against PyTorch and central differences over its whole domain, to
second order, and random graphs of every op: tests/test_engine_graphs.py
(with micrograd_ko.testing).
"""

import math

import pytest
import torch
import torch.nn.functional as F

import micrograd_ko as ko
from micrograd_ko import Value


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
    # tanh' = 1 - tanh^2 = sech^2; where |tanh| >= 1/2 the rule uses sech^2 (3 ulps here; 1 - t^2 is 19 ulps off)
    assert t.local_grads()[0] == pytest.approx(0.00986603716544019, rel=1e-15)  # sech(3)^2 (mpmath, 40 digits)
    assert t.local_grads()[0] == pytest.approx(1.0 - t.data**2, rel=1e-13)
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


def test_softmax_of_large_inputs_does_not_overflow():
    probs = [p.data for p in ko.softmax([1000.0, 1000.0, -1000.0])]
    assert probs == [0.5, 0.5, 0.0]


@pytest.mark.parametrize("name", ["leaky_relu", "elu"])
def test_a_slope_of_minus_zero_gives_pytorchs_sign_whichever_slope_came_first(name):
    """The rows are cached per slope, and -0.0 == 0.0: leaky_relu(-0.0) at x = -3 returned the -0.0 of the
    row made first for 0.0 (and the other way round), a sign that depended on the process's history."""
    torch_fn = getattr(F, name)
    for alpha in (0.0, -0.0, 0.0):
        mine = getattr(Value(-3.0), name)(alpha).data
        theirs = torch_fn(torch.tensor(-3.0, dtype=torch.float64), alpha).item()
        assert (mine, math.copysign(1.0, mine)) == (theirs, math.copysign(1.0, theirs))


def test_a_numpy_exponent_gives_the_float_exponents_slope_and_leaves_no_row_behind():
    """`x ** np.float32(1.5)` made the power row with numpy's float32 as its exponent, so its slope was
    computed in float32 (1.5732132, PyTorch 1.5732132722552274) and stored as a numpy number; and since
    np.float32(1.5) == 1.5, that row stayed in the cache for every later `x ** 1.5` of the process."""
    np = pytest.importorskip("numpy")
    expected = torch_value_and_grads(lambda x: x**1.5, [1.1])
    for exponent in (np.float32(1.5), 1.5, np.float64(1.5)):
        x = Value(1.1)
        y = x**exponent
        y.backward()
        assert type(y.local_grads()[0]) is float and type(x.grad) is float
        assert (y.data, [x.grad]) == expected  # (a float32 would equal 1.5732132722552274 rounded: types first)
