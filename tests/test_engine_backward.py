"""backward() and grad(): node reuse, accumulation, depth, no_grad, and the Op contract."""

import pickle
import sys

import pytest
import torch

import micrograd_ko as ko
from micrograd_ko import Value
from micrograd_ko.engine import Op, is_grad_enabled, topological_order


def test_a_node_used_twice_gets_both_contributions():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0

    a = Value(-2.0)
    b = a + a
    c = b + b
    c.backward()
    assert (a.grad, b.grad, c.grad) == (4.0, 2.0, 1.0)


def _torch_graph(values):
    x, y = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values)
    h1 = (x * y).tanh()
    h2 = h1 * x + y.sigmoid()
    h3 = (h2 * h1).exp()
    for h in (h1, h2, h3):
        h.retain_grad()
    return h3, (x, y, h1, h2, h3)


def _ko_graph(values):
    x, y = (Value(v) for v in values)
    h1 = (x * y).tanh()
    h2 = h1 * x + y.sigmoid()
    h3 = (h2 * h1).exp()
    return h3, (x, y, h1, h2, h3)


def test_two_backward_calls_add_up_on_leaves_and_inner_nodes_as_in_torch():
    out, nodes = _ko_graph((0.4, -1.3))
    t_out, t_nodes = _torch_graph((0.4, -1.3))
    out.backward()
    once = [n.grad for n in nodes]
    out.backward()
    t_out.backward(retain_graph=True)
    t_out.backward()
    # each pass computes its gradients from zero and then adds them: exactly twice, everywhere,
    # including the inner nodes (a naive second pass would hand their old gradient on again);
    # the output's own gradient stays 1.0, as in micrograd (torch would say 2)
    assert [n.grad for n in nodes[:-1]] == [2 * g for g in once[:-1]]
    assert nodes[-1].grad == 1.0
    assert [n.grad for n in nodes[:-1]] == pytest.approx([t.grad.item() for t in t_nodes[:-1]], rel=1e-12)


def test_backward_adds_to_gradients_already_held():
    x = Value(2.0)
    x.grad = 10.0
    (x * 3).backward()
    assert x.grad == 13.0


def test_zero_grad_clears_every_node():
    x, y = Value(1.0), Value(2.0)
    z = (x * y).tanh() + x
    z.backward()
    z.zero_grad()
    assert all(n.grad == 0.0 for n in topological_order(z))


def test_chain_of_a_million_ops_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 1000
    x = Value(0.5)
    y = x
    for _ in range(500_000):
        y = -(y * 1.0)  # 1,000,000 ops (and 500,000 constant leaves) deep
    assert len(topological_order(y)) == 1_500_001
    y.backward()
    assert y.data == 0.5 and x.grad == 1.0
    assert ko.grad(y, [x]) == [1.0]


def test_topological_order_puts_parents_first():
    x, y = Value(1.0), Value(2.0)
    s = ko.sum([x * y, x.tanh(), ko.dot([x, y], [y, x])])
    order = topological_order(s)
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order) == 6 and order[-1] is s
    assert all(position[id(p)] < position[id(n)] for n in order for p in n._prev)


# --------------------------------------------------------------------------
# no_grad
# --------------------------------------------------------------------------


def test_no_grad_records_no_graph():
    w = Value(2.0)
    with ko.no_grad():
        assert not is_grad_enabled()
        y = ko.dot([w], [Value(3.0)]).tanh() * w + 1
        s = ko.softmax([w, y])[0]
    assert is_grad_enabled()
    for node in (y, s):
        assert node._op == "" and node._prev == ()
    with pytest.raises(RuntimeError, match=r"was computed inside no_grad\(\), so it has no graph"):
        y.backward()  # (PyTorch also refuses: a silent zero gradient would mislead)
    assert w.grad == 0.0 and y.grad == 0.0
    assert pickle.loads(pickle.dumps(y))._op is y._op  # still the mark after a round trip
    Value(3.0).backward()  # a leaf made with Value(...) is no such case


def test_from_op_inside_no_grad_makes_a_leaf_without_asking_the_rule():
    # As sqrt(0.0) inside no_grad (whose slope 0.5 / 0 is never needed), an Op's derivative is not computed.
    asked = []

    def derivative(inputs, out):
        asked.append(inputs)
        return (float("inf"),)  # a rule that would be refused if it were asked

    op = Op("spy", derivative, lambda inputs: 2.0 * inputs[0])
    x = Value(3.0)
    with ko.no_grad():
        y = Value.from_op(6.0, op, [x])
        loss = ko.losses.cross_entropy([x, Value(1.0)], 0)
        root = Value(0.0).sqrt()
    assert (y.data, y._prev, asked) == (6.0, (), [])
    assert loss._prev == () and root.data == 0.0
    with pytest.raises(OverflowError):  # outside no_grad the rule is asked, and its inf refused
        Value.from_op(6.0, op, [x])
    assert asked == [[3.0]]


def test_no_grad_is_restored_after_an_error_and_nests():
    with pytest.raises(ValueError), ko.no_grad():
        Value(-1.0).log()
    assert is_grad_enabled()
    with ko.no_grad():
        with ko.no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()


# --------------------------------------------------------------------------
# grad()
# --------------------------------------------------------------------------


def test_grad_returns_gradients_and_leaves_grad_untouched():
    x, y = Value(0.3), Value(-0.8)
    h = x * y
    out = (h + x).tanh()
    out.backward()
    before = [n.grad for n in topological_order(out)]
    gx, gy = ko.grad(out, [x, y])
    assert [n.grad for n in topological_order(out)] == before
    assert (gx, gy) == (x.grad, y.grad)  # the same numbers backward found
    assert ko.grad(out, x) == gx  # a single input gives a single gradient
    assert ko.grad(out, [Value(1.0)]) == [0.0]  # not in the graph


def test_grad_with_create_graph_returns_values_and_touches_no_grad():
    x = Value(0.5)
    out = x.sigmoid() * x
    (g,) = ko.grad(out, [x], create_graph=True)
    assert isinstance(g, Value) and x.grad == 0.0
    s = 1 / (1 + 2.718281828459045**-0.5)
    assert g.data == pytest.approx(s + 0.5 * s * (1 - s), rel=1e-12)


def test_grad_rejects_non_values():
    with pytest.raises(TypeError, match="float"):
        ko.grad(Value(1.0) * 2, [1.0])
    with pytest.raises(TypeError, match="float"):
        ko.grad(2.0, [Value(1.0)])


def test_create_graph_inside_no_grad_is_refused():
    x = Value(1.0)
    y = x * x
    with ko.no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        ko.grad(y, [x], create_graph=True)


# --------------------------------------------------------------------------
# The Op contract other modules build on: Op(name, derivative, **params) and Value._make
# --------------------------------------------------------------------------


def _cube_derivative(inputs, out):
    (x,) = inputs
    return (3 * x * x,)  # works on floats and on Values


CUBE = Op("cube", _cube_derivative, note="x^3")


def cube(x):
    return Value.from_op(x.data**3, CUBE, (x,))


def test_a_new_primitive_op_gets_first_and_second_derivatives_from_its_rule():
    assert CUBE == "cube" and CUBE.params == {"note": "x^3"}
    x = Value(2.0)
    y = cube(x)
    assert y._op == "cube" and y._prev == (x,) and y.local_grads() == (12.0,)
    y.backward()
    assert x.grad == 12.0
    (g,) = ko.grad(cube(x), [x], create_graph=True)
    assert ko.grad(g, x) == 12.0  # d2/dx2 x^3 = 6x


def test_make_with_given_local_derivatives_and_many_inputs():
    half_sum = Op("half_sum", lambda inputs, out: (0.5,) * len(inputs))
    xs = [Value(v) for v in (1.0, 2.0, 3.0)]
    y = Value.from_op(3.0, half_sum, xs)
    assert y.local_grads() == (0.5, 0.5, 0.5)
    z = Value.from_op(6.0, half_sum, xs, local_grads=(1.0, 2.0, 3.0))
    (y + z).backward()
    assert [x.grad for x in xs] == [1.5, 2.5, 3.5]
    with ko.no_grad():
        assert Value.from_op(1.0, half_sum, xs)._prev == ()


def test_a_gradient_cleared_to_none_counts_as_zero_and_junk_is_a_clear_error():
    x = Value(2.0)
    x.grad = None  # PyTorch's way of clearing a gradient (the optimizers accept it)
    (x * 3).backward()
    assert x.grad == 3.0
    y = Value(2.0)
    out = (y * 3).tanh()
    y.grad = [1.0]
    with pytest.raises(TypeError, match="is not a number") as error:
        out.backward()
    assert " / " in str(error.value)


def test_the_output_gradient_is_one_after_every_backward_even_if_it_held_one():
    x = Value(0.3)
    h = x.tanh()
    out = h * 2.0
    out.backward()
    h.backward()  # h already held 2.0 from the first pass
    assert h.grad == 1.0
    assert x.grad == pytest.approx(3 * (1 - h.data**2))


def test_grad_from_a_value_computed_inside_no_grad_says_it_has_no_graph_as_backward_does():
    a = Value(2.0)
    with ko.no_grad():
        c = a * 3.0
    for create_graph in (False, True):
        with pytest.raises(RuntimeError, match=r"grad: this Value \(6\.0\) was computed inside no_grad\(\)"):
            ko.grad(c, [a], create_graph=create_graph)


def test_a_gradient_set_to_a_value_by_hand_is_named_not_called_an_overflow():
    """`x.grad = grad(y, [x], create_graph=True)[0]` puts a Value in .grad; backward() then must say so, not
    blame exploding gradients and the learning rate (a Value is always truthy, so `g - g` looked non-zero)."""
    x = Value(2.0)
    out = (x * 3).tanh()
    x.grad = Value(0.5)
    with pytest.raises(TypeError, match=r"the \.grad of node .* is not a number \(Value\)") as error:
        out.backward()
    assert "기울기 폭발" not in str(error.value) and " / " in str(error.value)
    assert isinstance(x.grad, Value) and x.grad.data == 0.5  # left as it was


def test_create_graph_refuses_slopes_given_to_from_op_that_its_rule_would_not_give():
    """A straight-through estimator: `from_op(1.0, sign, [x], local_grads=[1.0])` where sign's rule says 0.
    backward() and grad() use the given 1.0 (d/dx of s * x at 0.3 is 1.3), but grad(create_graph=True)
    differentiated the rule and returned 1.0: two first derivatives for one node. Now it refuses; slopes
    given that equal the rule's (a cube's 3x², computed by hand) are differentiated again as before."""
    sign = Op("sign", lambda xs, out: (0.0,), forward=lambda xs: 1.0 if xs[0] > 0 else -1.0)
    x = Value(0.3)
    y = Value.from_op(1.0, sign, [x], local_grads=[1.0]) * x
    assert ko.grad(y, x) == 1.3
    with pytest.raises(RuntimeError, match=r"given to from_op as local_grads=.*create_graph=False"):
        ko.grad(y, x, create_graph=True)
    cube = Op("cube", lambda xs, out: (3.0 * xs[0] ** 2,), forward=lambda xs: xs[0] ** 3)
    z = Value.from_op(0.3**3, cube, [x], local_grads=[3.0 * 0.3**2])
    first = ko.grad(z, x, create_graph=True)
    assert first.data == ko.grad(z, x) and ko.grad(first, x) == 6.0 * 0.3


def test_walking_many_roots_through_one_done_reads_only_what_each_adds():
    """`topological_order(root, done)` returned its new nodes as `islice(done, start, None)`, which steps
    over every node already in `done`: compile walks each guard's node so, and 10,000 comparisons in fn
    cost 10,000 walks over a growing `done` (quadratic: 4.4 s of compiling). Counted here, not timed."""

    class Counting(dict):
        read = 0

        def __iter__(self):
            for key in super().__iter__():
                Counting.read += 1
                yield key

        def __reversed__(self):
            for key in super().__reversed__():
                Counting.read += 1
                yield key

    x = Value(1.0)
    chain, y = [], x
    for _ in range(2000):
        y = -y  # (one parent: each walk adds one node)
        chain.append(y)
    done = Counting()
    walked = [topological_order(node, done) for node in chain]
    assert walked[0] == [x, chain[0]] and all(new == [node] for new, node in zip(walked[1:], chain[1:]))
    assert list(done) == [x, *chain]
    assert Counting.read <= 3 * len(done)  # (before: about 2,000 * 2,000 / 2)
