"""The RBM's fast sums give, bit for bit, the numbers of the textbook CD-1.

`rbm.py` writes its sums as `sum(map(mul, ...))` and adds up only the weights
of the hidden units that fired; the oracle here is CD-1 written the textbook
way, one generator term and one product at a time. Floats are compared through
`repr`, which tells -0.0 from 0.0 (`==` does not).
"""

import math
import random

import pytest

from micrograd_ko import datasets, rbm


def textbook_hidden(machine, v):
    return [rbm._sigmoid(sum(w * x for w, x in zip(row, v)) + c) for row, c in zip(machine.W, machine.b_hidden)]


def textbook_visible(machine, h):
    W = machine.W
    return [rbm._sigmoid(sum(W[j][i] * h[j] for j in range(len(h))) + b) for i, b in enumerate(machine.b_visible)]


def textbook_cd1_step(machine, batch, lr, rng):
    n_h, n_v = machine.n_hidden, machine.n_visible
    dW = [[0.0] * n_v for _ in range(n_h)]
    db_v, db_h, error = [0.0] * n_v, [0.0] * n_h, 0.0
    for v0 in batch:
        h0 = textbook_hidden(machine, v0)
        h0_sample = [1.0 if rng.random() < p else 0.0 for p in h0]
        v1 = textbook_visible(machine, h0_sample)
        h1 = textbook_hidden(machine, v1)
        for j in range(n_h):
            for i in range(n_v):
                dW[j][i] += h0[j] * v0[i] - h1[j] * v1[i]
            db_h[j] += h0[j] - h1[j]
        for i in range(n_v):
            db_v[i] += v0[i] - v1[i]
            error += (v0[i] - v1[i]) ** 2
    scale = lr / len(batch)
    for j in range(n_h):
        for i in range(n_v):
            machine.W[j][i] += scale * dW[j][i]
        machine.b_hidden[j] += scale * db_h[j]
    for i in range(n_v):
        machine.b_visible[i] += scale * db_v[i]
    return error / (len(batch) * n_v)


def twin_machines(n_visible, n_hidden, seed, edit=None):
    machines = [rbm.RBM(n_visible, n_hidden, seed=seed, std=0.5) for _ in range(2)]
    if edit:
        for machine in machines:
            edit(machine)
    return machines


def set_weight(j, i, value):
    def edit(machine):
        machine.W[j][i] = value

    return edit


def negative_zeros(machine):
    machine.W = [[-0.0] * machine.n_visible for _ in range(machine.n_hidden)]
    machine.b_visible = [-0.0] * machine.n_visible


DIGITS = datasets.digits()[0][:12]  # many pixels are exactly 0.0
_rng = random.Random(7)
RANDOM = [[_rng.choice([0.0, -0.0, 1.0, 0.25, _rng.random()]) for _ in range(6)] for _ in range(9)]


@pytest.mark.parametrize(
    ("data", "n_hidden", "edit"),
    [
        (DIGITS, 8, None),
        (RANDOM, 4, None),
        (RANDOM, 4, set_weight(2, 3, math.inf)),  # inf * 0.0 is nan: the products are kept
        (RANDOM, 4, set_weight(1, 0, math.nan)),
        (RANDOM, 4, negative_zeros),
    ],
    ids=["digits", "random", "inf-weight", "nan-weight", "negative-zeros"],
)
def test_cd1_step_is_the_textbook_cd1_bit_for_bit(data, n_hidden, edit):
    fast, slow = twin_machines(len(data[0]), n_hidden, seed=3, edit=edit)
    fast_rng, slow_rng = random.Random(5), random.Random(5)
    for start in range(0, len(data), 5):  # batches of 5 and a shorter last one
        batch = data[start : start + 5]
        assert repr(fast.cd1_step(batch, 0.3, fast_rng)) == repr(textbook_cd1_step(slow, batch, 0.3, slow_rng))
        assert repr((fast.W, fast.b_visible, fast.b_hidden)) == repr((slow.W, slow.b_visible, slow.b_hidden))
    assert fast_rng.getstate() == slow_rng.getstate()  # one draw per hidden unit, in order


def test_probabilities_are_the_textbook_sums_bit_for_bit():
    rng = random.Random(0)
    machine = rbm.RBM(7, 5, seed=1, std=3.0)
    for _ in range(20):
        v = [rng.random() for _ in range(7)]
        h = [rng.choice([0.0, 1.0, rng.random()]) for _ in range(5)]
        assert repr(machine.hidden_probs(v)) == repr(textbook_hidden(machine, v))
        assert repr(machine.visible_probs(h)) == repr(textbook_visible(machine, h))


def test_wrong_lengths_and_an_empty_batch_are_named():
    machine = rbm.RBM(3, 2, seed=0)
    with pytest.raises(ValueError, match="v has length 2, expected 3"):
        machine.hidden_probs([0.0, 1.0])
    with pytest.raises(ValueError, match="h has length 3, expected 2"):
        machine.visible_probs([0.0, 1.0, 1.0])  # the textbook loop: IndexError
    with pytest.raises(ValueError, match="v has length 4, expected 3"):
        machine.cd1_step([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]], 0.1, random.Random(0))
    with pytest.raises(ValueError, match="mini-batch is empty"):
        machine.cd1_step([], 0.1, random.Random(0))


DATA = [[0.0, 1.0, 0.5, 1.0], [1.0, 0.0, 0.25, 0.0]] * 3


def both_halves(message):
    """The Korean and the English half of a bilingual message (after the 'RBM: ' prefix)."""
    korean, english = message.split(": ", 1)[1].split(" / ")
    return korean, english


@pytest.mark.parametrize(
    ("setting", "error"),
    [
        ({"batch_size": -1}, ValueError),  # was: no training, and a reported error of 0.0 every epoch
        ({"batch_size": 0}, ValueError),  # was: range() arg 3 must not be zero
        ({"batch_size": True}, TypeError),
        ({"batch_size": 2.0}, TypeError),
        ({"epochs": -3}, ValueError),  # was: [] as if it had trained
        ({"epochs": 1.5}, TypeError),
        ({"epochs": True}, TypeError),
        ({"lr": float("nan")}, ValueError),  # was: nan weights, silently
        ({"lr": float("inf")}, ValueError),
        ({"lr": 0.0}, ValueError),
        ({"lr": -0.1}, ValueError),
        ({"lr": "a"}, TypeError),
    ],
)
def test_bad_training_settings_are_refused_at_the_call(setting, error):
    machine = rbm.RBM(4, 3, seed=0)
    before = repr((machine.W, machine.b_visible, machine.b_hidden))
    with pytest.raises(error) as info:
        machine.fit(DATA, **setting)
    ((name, value),) = setting.items()
    korean, english = both_halves(str(info.value))
    assert name in korean and name in english and repr(value) in korean and repr(value) in english
    assert repr((machine.W, machine.b_visible, machine.b_hidden)) == before


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "named"),
    [
        ((True, 3), {}, TypeError, "n_visible"),
        ((4, False), {}, TypeError, "n_hidden"),
        ((4, 3.0), {}, TypeError, "n_hidden"),
        ((0, 3), {}, ValueError, "n_visible"),
        ((4, 3), {"std": float("nan")}, ValueError, "std"),  # was: nan weights, silently
        ((4, 3), {"std": -1.0}, ValueError, "std"),
        ((4, 3), {"std": "x"}, TypeError, "std"),
    ],
)
def test_bad_sizes_and_std_are_refused(args, kwargs, error, named):
    with pytest.raises(error) as info:
        rbm.RBM(*args, **kwargs)
    korean, english = both_halves(str(info.value))
    assert named in korean and named in english


def test_zero_epochs_trains_nothing_and_returns_an_empty_history():
    machine = rbm.RBM(4, 3, seed=0)
    before = repr((machine.W, machine.b_visible, machine.b_hidden))
    assert machine.fit(DATA, epochs=0) == []
    assert repr((machine.W, machine.b_visible, machine.b_hidden)) == before
    with pytest.raises(ValueError, match="data"):  # the data is still checked
        machine.fit([[0.0, 2.0, 0.0, 0.0]], epochs=0)


def sigmoid_mlp():
    from micrograd_ko import nn

    return nn.MLP(4, [3, 2, 1], activation="sigmoid", seed=0)


@pytest.mark.parametrize(
    "setting", [{"batch_size": -1}, {"batch_size": 0}, {"epochs": -1}, {"lr": float("nan")}, {"lr": "a"}]
)
def test_pretrain_refuses_bad_settings_before_changing_any_weight(setting):
    model = sigmoid_mlp()
    before = [p.data for p in model.parameters()]
    with pytest.raises((TypeError, ValueError)) as info:
        rbm.pretrain(model, DATA, **setting)
    assert next(iter(setting)) in str(info.value)  # was, for lr=nan: "weights[0][0]: expected a finite float"
    assert [p.data for p in model.parameters()] == before


def test_pretrain_with_zero_epochs_keeps_the_models_weights():
    model = sigmoid_mlp()
    before = [p.data for p in model.parameters()]
    assert rbm.pretrain(model, DATA, epochs=0) == [[], []]
    assert [p.data for p in model.parameters()] == before


def test_pretrain_still_trains_and_writes_the_hidden_layers():
    model = sigmoid_mlp()
    before = [p.data for p in model.parameters()]
    histories = rbm.pretrain(model, DATA, epochs=2, batch_size=2, seed=0)
    assert [len(h) for h in histories] == [2, 2]
    assert [p.data for p in model.layers[0].parameters()] != before[: len(model.layers[0].parameters())]


@pytest.mark.parametrize(
    ("data", "error", "named"),
    [
        ([[0.0, 1.0, 0.5, 1.0], [0, 1, "a", 1]], TypeError, "data[1][2]"),
        ([[0.0, 1.0, 0.5, 1.0], 5], TypeError, "data[1]"),
        ([[0.0, 1.0, 0.5, 1.0], [0, 1, 2, 1]], ValueError, "data[1]"),
        ([[0.0, 1.0, 0.5, 1.0], [0, 1, float("nan"), 1]], ValueError, "data[1]"),
        ([[0.0, 1.0, 0.5, 1.0], [0, 1]], ValueError, "data[1]"),
        ((row for row in [[0.0, 1.0, 0.5, 1.0], [0, "b", 1, 1]]), TypeError, "data[1][1]"),  # a generator, read once
        (5, TypeError, "int"),
    ],
)
def test_a_bad_row_is_named(data, error, named):
    with pytest.raises(error) as info:
        rbm.RBM(4, 3, seed=0).fit(data)
    assert named in str(info.value)


@pytest.mark.parametrize("model", [3, "mlp", None])
def test_pretrain_names_a_model_that_is_not_an_mlp(model):
    with pytest.raises(TypeError, match="pretrain: .*MLP"):  # was: 'int' object has no attribute 'layers'
        rbm.pretrain(model, DATA)
