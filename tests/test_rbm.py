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
