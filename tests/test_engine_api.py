"""Bad input gives clear errors; extreme inputs stay finite; micrograd lecture code runs unchanged."""

import math

import pytest
import torch
import torch.nn.functional as F

import micrograd_ko
from micrograd_ko import Value

# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("data, type_name", [("a", "str"), (None, "NoneType"), ([1], "list"), (1j, "complex")])
def test_value_of_a_non_number_names_the_type(data, type_name):
    with pytest.raises(TypeError, match=type_name) as info:
        Value(data)
    assert " / " in str(info.value)  # Korean / English


@pytest.mark.parametrize(
    "data, korean, english",
    [
        ("3", "float('3')처럼 숫자로 바꿔서 넣으세요", "'3' is a number written as text: pass float('3')"),
        (None, "return이 빠지지 않았나요?", "lack a return?"),
        ("a", "str입니다 ('a')", "got str ('a')"),
    ],
)
def test_the_non_numbers_a_learner_meets_first_get_a_hint(data, korean, english):
    """Value("3") (a number read as text) and Value(None) (a helper without a return) say what to do."""
    with pytest.raises(TypeError) as info:
        Value(data)
    ko, en = str(info.value).split(" / ")
    assert korean in ko and english in en


def test_value_of_a_value_or_a_non_finite_number_is_refused():
    with pytest.raises(TypeError, match="Value"):
        Value(Value(1.0))
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="finite"):
            Value(bad)


def test_operand_of_the_wrong_type_names_the_type():
    with pytest.raises(TypeError, match="str"):
        Value(1.0) + "2"
    with pytest.raises(TypeError, match="NoneType"):
        None * Value(1.0)


@pytest.mark.parametrize(
    "make, op, value",
    [
        (lambda: Value(0.0).log(), "log", "0.0"),
        (lambda: Value(-1.0).log(), "log", "-1.0"),
        (lambda: Value(-1.0).sqrt(), "sqrt", "-1.0"),
        (lambda: Value(0.0) ** -1, "**-1", "0.0"),
        (lambda: Value(-2.0) ** 0.5, "**0.5", "-2.0"),
        (lambda: Value(-2.0) ** Value(2.0), "**", "-2.0"),
        (lambda: 0 ** Value(-1.0), "0**", "-1.0"),
        (lambda: Value(1.0) / 0, "/", "0.0"),
        (lambda: 1 / Value(0.0), "/", "0.0"),
    ],
)
def test_domain_errors_name_the_op_and_the_value(make, op, value):
    with pytest.raises(ValueError) as info:
        make()
    message = str(info.value)
    assert message.startswith(f"{op}({value})"), message
    assert " / " in message  # Korean / English


def test_division_by_zero_is_also_a_zero_division_error():
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)


@pytest.mark.parametrize("make", [lambda: Value(710.0).exp(), lambda: 2 ** Value(1100.0), lambda: Value(1e200) ** 2])
def test_overflow_raises_overflow_error_with_a_message(make):
    with pytest.raises(OverflowError, match="float"):
        make()


@pytest.mark.parametrize(
    "method, torch_fn, x",
    [
        ("sigmoid", torch.sigmoid, -1000.0),
        ("sigmoid", torch.sigmoid, 1000.0),
        ("tanh", torch.tanh, 1000.0),
        ("tanh", torch.tanh, -1000.0),
        ("softplus", F.softplus, 1000.0),
        ("softplus", F.softplus, -1000.0),
        ("silu", F.silu, -1000.0),
        ("elu", F.elu, -1000.0),
        ("gelu", F.gelu, -1000.0),
        ("exp", torch.exp, -1000.0),
    ],
)
def test_extreme_inputs_stay_finite_and_match_torch(method, torch_fn, x):
    v = Value(x)
    out = getattr(v, method)()
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    t_out = torch_fn(t)
    t_out.backward()
    assert math.isfinite(out.data) and math.isfinite(v.grad)
    assert out.data == t_out.item() and v.grad == t.grad.item()


# --------------------------------------------------------------------------
# karpathy's micrograd lecture, unchanged
# --------------------------------------------------------------------------


def test_lecture_expression_builds_and_backpropagates():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    assert L.data == -8.0
    assert set(d._prev) == {e, c} and d._op == "+" and e._op == "*"
    assert a._op == "" and len(a._prev) == 0 and a.grad == 0
    L.backward()
    grads = {n.label: n.grad for n in (a, b, c, d, e, f, L)}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0, "L": 1.0}


def test_lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0), abs=1e-6)
    # the lecture's second version: tanh spelled out with exp and division
    x1, x2, w1, w2, b = (Value(v) for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432))
    e = (2 * (x1 * w1 + x2 * w2 + b)).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0), abs=1e-6)


def _trace(root):
    """The lecture's graph walk for draw_dot (recursive, as in the lecture)."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def test_lecture_trace_and_node_fields():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    d = a * b + a
    nodes, edges = _trace(d)
    assert len(nodes) == 4 and len(edges) == 4
    rows = sorted(f"{n.label} | data {n.data:.4f} | grad {n.grad:.4f} | {n._op}" for n in nodes)
    assert rows[-2:] == ["a | data 2.0000 | grad 0.0000 | ", "b | data -3.0000 | grad 0.0000 | "]
    assert "Value(data=-4" in repr(d)


def test_lecture_constructor_form_builds_but_cannot_backpropagate():
    a, b = Value(2.0), Value(3.0)
    out = Value(a.data + b.data, (a, b), "+")
    assert out.data == 5.0 and out._op == "+" and set(out._prev) == {a, b}
    with pytest.raises(RuntimeError, match=r"\+"):
        out.backward()


def test_numbers_on_either_side_and_powers():
    x = Value(3.0)
    assert [v.data for v in (x + 1, 1 + x, x - 1, 1 - x, 2 * x, x * 2, x / 2, 6 / x, -x, abs(-x))] == [
        4.0,
        4.0,
        2.0,
        -2.0,
        6.0,
        6.0,
        1.5,
        2.0,
        -3.0,
        3.0,
    ]
    assert (x**2).data == 9.0 and (2**x).data == 8.0 and (x ** Value(2.0)).data == 9.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: Value(1e308) * 10,
        lambda: Value(1e308) + Value(1e308),
        lambda: Value(-1e308) - 1e308,
        lambda: Value(1e300) / 1e-300,
        lambda: micrograd_ko.sum([1e308, 1e308]),
    ],
)
def test_overflow_is_an_error_not_a_silent_inf(make):
    with pytest.raises(OverflowError, match="float"):
        make()


def test_a_power_whose_slope_overflows_says_so():
    assert (Value(1e-100) ** -1).data == pytest.approx(1e100)
    with pytest.raises(OverflowError, match="d/dx"):  # 1e300 fits, the slope -1e600 does not
        Value(1e-300) ** -1


def test_star_import_keeps_pythons_sum():
    namespace = {}
    exec("from micrograd_ko import *\nresult = sum((x for x in [1, 2]), 10)", namespace)
    assert namespace["result"] == 13


@pytest.mark.parametrize("flag", ["False", "no", 1, None])
def test_grad_takes_create_graph_as_a_bool_only(flag):
    """`grad(y, x, create_graph="False")`: the string is true, so it returned a Value where a float was
    meant (and None, 0 or 1 passed as it happened); a flag that is no bool is now a TypeError naming it."""
    x = Value(3.0)
    with pytest.raises(TypeError, match="create_graph must be True or False"):
        micrograd_ko.grad(x * x, x, create_graph=flag)
    assert micrograd_ko.grad(x * x, x, create_graph=False) == 6.0
    assert micrograd_ko.grad(x * x, x, create_graph=True).data == 6.0


def test_a_subclass_of_value_says_its_own_class_and_pickles():
    """A Value's `__class__` became a property (so compile's tracer hears isinstance) that answered Value for
    every Value: a learner's `class Param(Value)` then failed to pickle ("args[0] from __newobj__ args has
    the wrong class"), where it had pickled and copied as a Param."""
    import copy
    import pickle

    class Param(Value):
        pass

    globals()["Param"] = Param  # (pickle finds a class by its module's name)
    Param.__qualname__ = "Param"
    try:
        p = Param(1.5, label="p")
        assert p.__class__ is Param and isinstance(p, Value) and not isinstance(p, float)
        for twin in (pickle.loads(pickle.dumps(p)), copy.copy(p), copy.deepcopy(p)):
            assert type(twin) is Param and twin.data == 1.5 and twin.label == "p"
    finally:
        del globals()["Param"]


def test_the_micrograd_constructor_names_an_op_that_is_no_str():
    """`Value(1.0, (x,), 3)` was accepted, and the node drawn with the name 3."""
    with pytest.raises(TypeError, match="_op must be the op's name"):
        Value(1.0, (Value(2.0),), 3)
    assert Value(1.0, (Value(2.0),), "tanh")._op == "tanh"
