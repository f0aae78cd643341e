"""karpathy's micrograd lecture on micrograd_ko, digit for digit (issue 20, the engine's part).

- `repr` prints the data with every digit, as the lecture does;
- the lecture's way of adding an op (`out = Value(t, (x,), 'tanh'); out._backward = _backward`)
  is differentiated by `backward()` through that closure;
- `backward()` twice leaves the output's gradient at 1.0 and the leaves accumulate, as micrograd 0.1.0.
"""

import math
import random

import pytest

import micrograd_ko as ko
from micrograd_ko import Value, grad
from micrograd_ko.engine import node_kind

mg = pytest.importorskip("micrograd.engine")  # karpathy's micrograd 0.1.0 (the test extra installs it)


# -- the second lecture's ops, written as in the lecture, OUTSIDE the class ---------------------


def lecture_tanh(self):
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def lecture_exp(self):
    x = self.data
    out = Value(math.exp(x), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def lecture_pow(self, other):
    assert isinstance(other, (int, float)), "only supporting int/float powers for now"
    out = Value(self.data**other, (self,), f"**{other}")

    def _backward():
        self.grad += other * (self.data ** (other - 1)) * out.grad

    out._backward = _backward
    return out


def lecture_truediv(self, other):  # self / other
    return self * other**-1


def composed_tanh(self):
    # the lecture's second form of tanh: e = (2n).exp(); (e - 1) / (e + 1)
    e = (2 * self).exp()
    return (e - 1) / (e + 1)


@pytest.fixture
def lecture_ops(monkeypatch):
    monkeypatch.setattr(Value, "tanh", lecture_tanh)
    monkeypatch.setattr(Value, "exp", lecture_exp)
    monkeypatch.setattr(Value, "__pow__", lecture_pow)
    monkeypatch.setattr(Value, "__truediv__", lecture_truediv)


# -- the lecture's MLP (Neuron, Layer, MLP), trained on its four examples -----------------------


class Neuron:
    def __init__(self, nin, rng):
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(rng.uniform(-1, 1))

    def __call__(self, x, act):
        return act(sum((wi * xi for wi, xi in zip(self.w, x)), self.b))

    def parameters(self):
        return self.w + [self.b]


class MLP:
    def __init__(self, nin, nouts, seed):
        rng = random.Random(seed)
        sizes = [nin] + nouts
        self.layers = [[Neuron(sizes[i], rng) for _ in range(sizes[i + 1])] for i in range(len(nouts))]

    def __call__(self, x, act):
        for layer in self.layers:
            x = [n(x, act) for n in layer]
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for n in layer for p in n.parameters()]


XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def train(act, steps=20, seed=1337):
    """The lecture's training loop; the gradients of every step."""
    model = MLP(3, [4, 4, 1], seed)
    history = []
    for _ in range(steps):
        ypred = [model(x, act) for x in XS]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(YS, ypred))
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        history.append((loss.data, [p.grad for p in model.parameters()]))
        for p in model.parameters():
            p.data += -0.05 * p.grad
    return history


def test_the_lecture_ops_give_the_built_in_gradients_while_training(monkeypatch):
    builtin = train(lambda v: v.tanh())
    builtin_composed = train(composed_tanh)
    with monkeypatch.context() as m:
        m.setattr(Value, "tanh", lecture_tanh)
        m.setattr(Value, "exp", lecture_exp)
        m.setattr(Value, "__pow__", lecture_pow)
        m.setattr(Value, "__truediv__", lecture_truediv)
        assert node_kind(Value(0.5).tanh()) == "closure"
        lecture = train(lambda v: v.tanh())
        lecture_composed = train(composed_tanh)  # exp, / and ** of the lecture, as closures
    # same loop, same seed; the lecture computes tanh from exp, so the values differ in the last digits (measured: 4e-13)
    for (loss_b, grads_b), (loss_l, grads_l) in zip(builtin, lecture):
        assert loss_l == pytest.approx(loss_b, rel=1e-11)
        assert grads_l == pytest.approx(grads_b, rel=1e-11, abs=1e-14)
    # the lecture's division is self * other**-1, ours one op: the same gradients to rounding (measured: 2e-13)
    for (loss_b, grads_b), (loss_l, grads_l) in zip(builtin_composed, lecture_composed):
        assert loss_l == pytest.approx(loss_b, rel=1e-11)
        assert grads_l == pytest.approx(grads_b, rel=1e-11, abs=1e-14)
    assert builtin[-1][0] < builtin[0][0] / 2  # it trained


def test_one_closure_node_against_micrograd_digit_for_digit(lecture_ops):
    def lecture_neuron(V):
        x1, x2, w1, w2 = V(2.0), V(0.0), V(-3.0), V(1.0)
        b = V(6.8813735870195432)
        n = x1 * w1 + x2 * w2 + b
        return (x1, x2, w1, w2), n

    leaves, n = lecture_neuron(Value)
    o = n.tanh()
    assert node_kind(o) == "closure"
    o.backward()
    m_leaves, m_n = lecture_neuron(mg.Value)
    m_o = _mg_tanh(m_n)
    m_o.backward()
    assert o.data == m_o.data == 0.7071067811865476
    assert [x.grad for x in leaves] == [x.grad for x in m_leaves]
    assert repr(o) == "Value(data=0.7071067811865476, grad=1.0)"


def _mg_tanh(v):
    t = (math.exp(2 * v.data) - 1) / (math.exp(2 * v.data) + 1)
    out = mg.Value(t, (v,), "tanh")

    def _backward():
        v.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def test_the_lectures_manual_backward_steps():
    # o.grad = 1.0; o._backward(); n._backward(); ... as the lecture does before writing backward()
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    for node in (o, n, b, x1w1x2w2, x2w2, x1w1):
        node._backward()
    assert n.grad == pytest.approx(0.5) and x1.grad == pytest.approx(-1.5) and w1.grad == pytest.approx(1.0)
    assert (x2.grad, w2.grad) == (pytest.approx(0.5), 0.0)


# -- the points of the issue, one by one ------------------------------------------------------


def test_repr_shows_every_digit():
    assert repr(Value(0.16578526021381612)) == "Value(data=0.16578526021381612, grad=0.0)"
    assert "data=-0.9119817024497696" in repr(Value(-0.9119817024497696))
    assert repr(Value(1.5, label="a")) == "Value(data=1.5, grad=0.0, label='a')"
    x = Value(0.1) + Value(0.2)
    assert repr(x).startswith("Value(data=0.30000000000000004,")


def test_a_node_without_a_rule_says_both_ways_to_add_one():
    a = Value(2.0)
    out = Value(4.0, (a,), "**2")
    assert node_kind(out) == "missing"
    with pytest.raises(RuntimeError) as error:
        out.backward()
    message = str(error.value)
    assert "\n" not in message and " / " in message  # one line, Korean / English
    assert "_backward" in message and "from_op" in message and "**2" in message
    assert a.grad == 0.0 and out.grad == 0.0  # nothing changed


def test_a_closure_node_is_refused_by_create_graph_with_a_clear_error():
    x = Value(0.5)
    y = lecture_tanh(x)
    assert grad(y, x) == pytest.approx(1 - math.tanh(0.5) ** 2)  # first order: fine
    with pytest.raises(RuntimeError, match="_backward closure.*Op and Value.from_op") as error:
        grad(y, x, create_graph=True)
    assert " / " in str(error.value)


def test_create_graph_refuses_a_closure_node_only_on_a_path_to_a_requested_input():
    c, x = Value(0.3), Value(2.0)
    out = lecture_tanh(c) * x + x * x
    (first,) = grad(out, [x], create_graph=True)  # the closure node is a constant for x
    assert first.data == math.tanh(0.3) + 4.0
    assert grad(first, [x]) == [2.0]
    assert grad(first, [c]) == [pytest.approx(1 - math.tanh(0.3) ** 2, rel=1e-15)]  # first-order through the closure
    for requested in ([c], [x, c]):
        with pytest.raises(RuntimeError, match="_backward closure"):
            grad(out, requested, create_graph=True)
    # Deeper: the closure sits below a node that does not lead to x, and above one that does not either.
    y = lecture_exp(lecture_tanh(c) + 1.0) * x.exp()
    (dy,) = grad(y, [x], create_graph=True)
    assert dy.data == pytest.approx(math.exp(math.tanh(0.3) + 1.0) * math.exp(2.0), rel=1e-15)
    # A node with no rule at all is still refused anywhere, as grad() without create_graph refuses it.
    z = Value(1.0, (c,), "f") * x + x
    with pytest.raises(RuntimeError, match="no local-derivative rule"):
        grad(z, [x])
    with pytest.raises(RuntimeError, match="no local-derivative rule"):
        grad(z, [x], create_graph=True)


def test_only_nodes_made_by_the_constructor_take_a_closure():
    a = Value(1.0)
    with pytest.raises(AttributeError, match="already backpropagated by the rule of its op"):
        (a * 2)._backward = lambda: None
    with pytest.raises(AttributeError, match="no parents"):
        a._backward = lambda: None
    with pytest.raises(TypeError, match="must be a function"):
        Value(1.0, (a,), "f")._backward = 3.0
    with pytest.raises(TypeError, match="every child must be a Value"):
        Value(1.0, (a, 2.0), "+")
    kinds = [node_kind(v) for v in (a, a * 2, ko.sum([a, a]), lecture_exp(a), Value(1.0, (a,), "f"))]
    assert kinds == ["leaf", "op", "op", "closure", "missing"]


def test_a_closure_node_refuses_to_be_copied_or_pickled():
    import copy
    import pickle

    y = lecture_exp(Value(0.5))
    with pytest.raises(TypeError, match="closure refers to the original nodes"):
        copy.deepcopy(y)
    with pytest.raises(TypeError, match="cannot be pickled") as error:
        pickle.dumps(y)
    assert " / " in str(error.value)


def test_a_shallow_copy_of_a_closure_node_refuses_and_a_copy_below_it_is_right():
    # copy.copy(out) would share the closure, which reads the ORIGINAL node's .grad: x.grad stayed 0.0.
    import copy

    x = Value(0.5)
    out = lecture_tanh(x)
    with pytest.raises(TypeError, match="closure refers to the original nodes") as error:
        copy.copy(out)
    assert " / " in str(error.value)
    missing = Value(1.0, (x,), "f")  # no closure yet: copying is harmless, and the copy still refuses backward
    assert copy.copy(missing)._prev == (x,)
    # A copy of a node ABOVE a closure node shares that node, so its gradient is right.
    above = copy.copy(out * 2.0)
    above.backward()
    assert x.grad == pytest.approx(2 * (1 - math.tanh(0.5) ** 2), rel=1e-15)
    # An op node copies shallowly as before: same parents, same local derivatives, its own grad.
    a = Value(3.0)
    b = a * a
    b.grad = 5.0
    c = copy.copy(b)
    assert c is not b and c._prev == b._prev and c.local_grads() == b.local_grads() and c.grad == 5.0
    c.backward()
    assert a.grad == 6.0 and b.grad == 5.0


def test_a_closure_that_overflows_is_caught_by_the_policy():
    x = Value(1e300)

    def huge(v):
        out = Value(1.0, (v,), "huge")

        def _backward():
            v.grad += 1e300 * 1e300 * out.grad  # inf

        out._backward = _backward
        return out

    with pytest.raises(OverflowError, match="beyond the float range"):
        huge(x).backward()
    assert x.grad == 0.0


def test_backward_twice_as_micrograd():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    c.backward()
    c.backward()
    m_a, m_b = mg.Value(2.0), mg.Value(3.0)
    m_c = m_a * m_b
    m_c.backward()
    m_c.backward()
    assert (a.grad, b.grad, c.grad) == (m_a.grad, m_b.grad, m_c.grad) == (6.0, 4.0, 1.0)


def test_backward_twice_on_a_deeper_graph_adds_true_gradients_on_every_node_but_the_output():
    # micrograd 0.1.0 hands the inner node's old gradient on again (a: 3 then 3 + 2*3 = 9);
    # here each pass adds the true gradient (a: 3 then 6), as PyTorch; the output stays at 1.0.
    a, b = Value(2.0), Value(3.0)
    d = a * b
    e = d + 1.0
    e.backward()
    e.backward()
    assert (a.grad, d.grad, e.grad) == (6.0, 2.0, 1.0)
    m_a, m_b = mg.Value(2.0), mg.Value(3.0)
    m_e = m_a * m_b + 1.0
    m_e.backward()
    m_e.backward()
    assert (m_a.grad, m_e.grad) == (9.0, 1)


def test_one_parent_without_the_tuple_comma_gets_the_way_to_write_it():
    """`Value(data, (x), 'tanh')`: `(x)` is x itself, not a tuple. Python's own "'Value' object is not
    iterable" came from inside the constructor; the error now says to write (x,)."""
    x = Value(0.5)
    for children in (x, 2.0, None):
        with pytest.raises(TypeError, match=r"write \(x,\), not \(x\)") as caught:
            Value(1.0, children, "tanh")
        assert "부모가 하나면" in str(caught.value)
