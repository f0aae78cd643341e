"""Random expression trees drawn from every op: value and every leaf's gradient equal PyTorch's.

A tree is built from three variables (each may appear many times, so nodes
are reused) and constants. Ops with a restricted domain get an input that
is always inside it (log(a*a + 0.1), a / (b*b + 0.5), ...), so every drawn
tree can be evaluated; the wrapping ops are themselves ops under test.
"""

import math

import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

import micrograd_ko as ko
from micrograd_ko import Value

N_VARIABLES = 3

# name -> (micrograd_ko version, PyTorch version); each takes the children's results.
UNARY = {
    "neg": (lambda a: -a, lambda a: -a),
    "abs": (abs, torch.abs),
    "exp": (lambda a: (a.tanh() * 3).exp(), lambda a: (a.tanh() * 3).exp()),
    "log": (lambda a: (a * a + 0.1).log(), lambda a: (a * a + 0.1).log()),
    "sqrt": (lambda a: (a * a + 0.1).sqrt(), lambda a: (a * a + 0.1).sqrt()),
    "tanh": (Value.tanh, torch.tanh),
    "sigmoid": (Value.sigmoid, torch.sigmoid),
    "relu": (Value.relu, torch.relu),
    "leaky_relu": (lambda a: a.leaky_relu(0.1), lambda a: F.leaky_relu(a, 0.1)),
    "elu": (lambda a: a.elu(0.7), lambda a: F.elu(a, 0.7)),
    "softplus": (Value.softplus, F.softplus),
    "silu": (Value.silu, F.silu),
    "gelu": (Value.gelu, F.gelu),
    "erf": (Value.erf, torch.erf),
    "square": (lambda a: a**2, lambda a: a**2),
    "cube": (lambda a: a**3, lambda a: a**3),
    "rsqrt": (lambda a: (a * a + 0.5) ** -0.5, lambda a: (a * a + 0.5) ** -0.5),
    "3**": (lambda a: 3.0 ** a.tanh(), lambda a: 3.0 ** a.tanh()),
    "c+": (lambda a: 1.5 + a, lambda a: 1.5 + a),
    "c-": (lambda a: 1.5 - a, lambda a: 1.5 - a),
    "c*": (lambda a: -0.75 * a, lambda a: -0.75 * a),
    "c/": (lambda a: 2.0 / (a * a + 0.5), lambda a: 2.0 / (a * a + 0.5)),
    "-c": (lambda a: a - 0.25, lambda a: a - 0.25),
    "/c": (lambda a: a / 3.0, lambda a: a / 3.0),
}
BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: a + b),
    "-": (lambda a, b: a - b, lambda a, b: a - b),
    "*": (lambda a, b: a * b, lambda a, b: a * b),
    "/": (lambda a, b: a / (b * b + 0.5), lambda a, b: a / (b * b + 0.5)),
    "**": (lambda a, b: (a * a + 0.5) ** b.tanh(), lambda a, b: (a * a + 0.5) ** b.tanh()),
}
NARY = {
    "sum": (ko.sum, lambda xs: torch.stack(xs).sum()),
    "dot": (
        lambda xs: ko.dot(xs[: len(xs) // 2], xs[len(xs) // 2 : 2 * (len(xs) // 2)]),
        lambda xs: (torch.stack(xs[: len(xs) // 2]) * torch.stack(xs[len(xs) // 2 : 2 * (len(xs) // 2)])).sum(),
    ),
    "softmax": (lambda xs: ko.softmax(xs)[0], lambda xs: torch.softmax(torch.stack(xs), 0)[0]),
}

leaves = st.one_of(
    st.tuples(st.just("var"), st.integers(0, N_VARIABLES - 1)),
    st.tuples(st.just("const"), st.floats(-3, 3, allow_nan=False)),
)
trees = st.recursive(
    leaves,
    lambda kids: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), kids),
        st.tuples(st.sampled_from(sorted(BINARY)), kids, kids),
        st.tuples(st.sampled_from(sorted(NARY)), st.lists(kids, min_size=2, max_size=4)),
    ),
    max_leaves=16,
)


def evaluate(tree, variables, side, constant):
    """The tree's value on one side (0: micrograd_ko, 1: PyTorch)."""
    kind = tree[0]
    if kind == "var":
        return variables[tree[1]]
    if kind == "const":
        return constant(tree[1])
    if kind in UNARY:
        return UNARY[kind][side](evaluate(tree[1], variables, side, constant))
    if kind in BINARY:
        return BINARY[kind][side](*(evaluate(t, variables, side, constant) for t in tree[1:]))
    return NARY[kind][side]([evaluate(t, variables, side, constant) for t in tree[1]])


def _close(a, b, scale):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-11 * scale)


@given(tree=trees, xs=st.lists(st.floats(-2, 2, allow_nan=False), min_size=N_VARIABLES, max_size=N_VARIABLES))
def test_random_expression_matches_torch(tree, xs):
    variables = [Value(x) for x in xs]
    try:
        out = evaluate(tree, variables, 0, Value)
    except OverflowError:  # products of products can leave the float range
        assume(False)
    out = out if isinstance(out, Value) else Value(out)
    out.backward()

    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    t_out = evaluate(tree, tensors, 1, lambda c: torch.tensor(c, dtype=torch.float64))
    assume(math.isfinite(t_out.item()))
    t_grads = torch.autograd.grad(t_out, tensors, allow_unused=True) if t_out.requires_grad else [None] * N_VARIABLES
    t_grads = [0.0 if g is None else g.item() for g in t_grads]

    # Sums of many terms may be added in another order: allow rounding relative to their size.
    scale = 1.0 + abs(t_out.item()) + max(abs(g) for g in t_grads)
    assert _close(out.data, t_out.item(), scale), (out.data, t_out.item())
    for i, (v, tg) in enumerate(zip(variables, t_grads)):
        assert _close(v.grad, tg, scale), f"d/dx{i}: {v.grad!r} != {tg!r}"
