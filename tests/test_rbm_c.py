"""RBM.cd1_step's arithmetic in C (micrograd_ko/rbm_cd1.c) against rbm.py's own loop: the same returned error,
weights, biases and random state, bit for bit, or a hand-over to the loop; random RBMs and numbers at the edges."""

import math
import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd_ko import rbm

pytestmark = pytest.mark.usefixtures("c_code_on")  # (conftest: compile's C form on; the suite runs without)

EDGES = [0.0, -0.0, 1.0, -1.0, 5e-324, -5e-324, 1e-300, 1e300, -1e300, 1e155, math.inf, -math.inf, math.nan]


def bits(x):
    return struct.pack("d", x) if type(x) is float else repr(x)


def state(machine):
    return [bits(x) for row in machine.W for x in row], [bits(x) for x in machine.b_visible + machine.b_hidden]


def both(weights, b_visible, b_hidden, batch, lr, seed, monkeypatch):
    """(outcome in C, outcome of rbm.py's loop), each (answer or error class, the RBM's numbers, random state)."""
    outcomes = []
    for c in (True, False):
        machine = rbm.RBM(len(b_visible), len(b_hidden), seed=0)
        machine.W = [list(row) for row in weights]
        machine.b_visible, machine.b_hidden = list(b_visible), list(b_hidden)
        rng = random.Random(seed)
        with monkeypatch.context() as patch:
            if not c:
                patch.setattr(rbm, "_cd1_in_c", lambda: None)
            try:
                answer = bits(machine.cd1_step([list(v) for v in batch], lr, rng))
            except Exception as error:  # noqa: BLE001 - the error class is part of what must agree
                answer = type(error)
        outcomes.append((answer, state(machine), rng.random()))
    return outcomes


def watch_the_c_code(monkeypatch):
    """A list that gets, for each call of the C code, whether it answered (not NotImplemented)."""
    answered = []
    real = rbm._cd1_in_c()

    class Spy:
        def cd1(self, *args):
            answer = real.cd1(*args)
            answered.append(answer is not NotImplemented)
            return answer

    monkeypatch.setattr(rbm, "_cd1_in_c", Spy)
    return answered


numbers = st.one_of(st.floats(-3.0, 3.0), st.sampled_from(EDGES), st.floats(allow_nan=True, allow_infinity=True))
probabilities = st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, -0.0, 1.0, 5e-324]))


@st.composite
def machines(draw, numbers=numbers, scales=(0.01, 1.0, 100.0)):
    """(weights, b_visible, b_hidden, batch, lr, seed): `both`'s arguments, the weights scaled by one of `scales`."""
    n_v, n_h, n_b = draw(st.integers(1, 6)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    scale = draw(st.sampled_from(scales))
    weights = [[draw(numbers) * scale for _ in range(n_v)] for _ in range(n_h)]
    b_visible = [draw(numbers) for _ in range(n_v)]
    b_hidden = [draw(numbers) for _ in range(n_h)]
    batch = [[draw(probabilities) for _ in range(n_v)] for _ in range(n_b)]
    return weights, b_visible, b_hidden, batch, draw(st.sampled_from([0.1, 1.0, 1e300])), draw(st.integers(0, 99))


FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip


@FUZZ
@given(machines())
def test_cd1_in_c_equals_the_python_loop(monkeypatch, case):
    in_c, in_python = both(*case, monkeypatch=monkeypatch)
    assert in_c == in_python


finite = st.one_of(st.floats(-3.0, 3.0), st.sampled_from([0.0, -0.0, 5e-324, 1e-300, 1e300, -1e300, 1e155]))


@FUZZ
@given(machines(finite, scales=(1.0,)))  # (scaled, 1e300 would not stay finite)
def test_with_finite_numbers_the_c_code_answers_and_equals_the_loop(monkeypatch, case):
    answered = watch_the_c_code(monkeypatch)
    in_c, in_python = both(*case, monkeypatch=monkeypatch)
    assert in_c == in_python
    assert answered == [True]


def test_it_is_the_c_code_that_answers(monkeypatch):
    assert rbm._cd1_in_c() is not None
    calls = watch_the_c_code(monkeypatch)
    machine = rbm.RBM(4, 3, seed=1)
    machine.fit([[0.0, 1.0, 0.5, 0.25]] * 12, epochs=2, batch_size=5, seed=2)
    assert calls and all(calls)


@pytest.mark.parametrize(
    "batch",
    [
        [[1e200, 0.0]],  # (v0 - v1) ** 2 overflows: Python raises OverflowError
        [[1, 0]],  # ints: not floats
        [(0.5, 0.5)],  # a tuple
    ],
)
def test_what_c_is_not_sure_of_goes_to_the_loop(monkeypatch, batch):
    in_c, in_python = both([[0.1, 0.2]], [0.0, 0.0], [0.0], batch, 0.1, 3, monkeypatch)
    assert in_c == in_python


def test_pretraining_an_mlp_gives_the_same_numbers(monkeypatch):
    from micrograd_ko import datasets, nn

    X, _ = datasets.digits()
    X = [[v / 16.0 for v in row] for row in X[:60]]
    results = []
    for c in (True, False):
        with monkeypatch.context() as patch:
            if not c:
                patch.setattr(rbm, "_cd1_in_c", lambda: None)
            model = nn.MLP(64, [8, 8, 10], activation="sigmoid", seed=0)
            errors = rbm.pretrain(model, X, epochs=2, seed=1)
            results.append(([[bits(e) for e in layer] for layer in errors], [bits(p.data) for p in model.parameters()]))
    assert results[0] == results[1]
