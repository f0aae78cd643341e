"""Initializers: the statistics of 10,000 draws against the textbook formulas, and seeding."""

import math
import random
import re
import statistics

import pytest

from micrograd_ko import init
from micrograd_ko.nn import MLP, Layer

FAN_IN, FAN_OUT = 50, 200  # different, so a rule that mixes them up fails

# name -> (mean, std) of the weights, written from the papers' formulas
EXPECTED = {
    "zeros": (0.0, 0.0),
    "normal": (0.0, 1.0),
    "uniform": (0.0, 2.0 / math.sqrt(12.0)),
    "xavier_uniform": (0.0, math.sqrt(6.0 / (FAN_IN + FAN_OUT)) / math.sqrt(3.0)),
    "xavier_normal": (0.0, math.sqrt(2.0 / (FAN_IN + FAN_OUT))),
    "he_uniform": (0.0, math.sqrt(6.0 / FAN_IN) / math.sqrt(3.0)),
    "he_normal": (0.0, math.sqrt(2.0 / FAN_IN)),
    "lecun_normal": (0.0, math.sqrt(1.0 / FAN_IN)),
}


def test_every_name_has_an_expectation_and_nn_init_is_this_module():
    import micrograd_ko.nn

    assert set(EXPECTED) == set(init.NAMES)
    assert micrograd_ko.nn.init is init


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_10000_weights_of_a_layer_match_the_formula(name):
    layer = Layer(FAN_IN, FAN_OUT, init=name, rng=11)
    weights = [w.data for n in layer.neurons for w in n.w]
    assert len(weights) == 10_000
    mean, std = EXPECTED[name]
    if std == 0.0:
        assert set(weights) == {0.0}
        return
    # the sample mean has standard error std / 100; the sample std is within ~3%
    assert abs(statistics.fmean(weights) - mean) < 4 * std / 100
    assert statistics.pstdev(weights) == pytest.approx(std, rel=0.03)
    assert init.get(name).std(FAN_IN, FAN_OUT) == pytest.approx(std, rel=1e-12)
    if name.endswith("uniform"):
        bound = std * math.sqrt(3.0)
        assert max(abs(w) for w in weights) <= bound
        assert max(abs(w) for w in weights) > 0.99 * bound


def test_normal_takes_a_std_and_biases_are_zero_unless_asked():
    layer = Layer(100, 100, init=init.normal(std=0.01), rng=0)
    weights = [w.data for n in layer.neurons for w in n.w]
    assert statistics.pstdev(weights) == pytest.approx(0.01, rel=0.03)
    assert all(n.b.data == 0.0 for n in layer.neurons)
    # Nielsen's set-up: W ~ N(0, 1/n_in), b ~ N(0, 1)
    wide = MLP(1, [10_000], init="lecun_normal", bias_init="normal", seed=0)
    biases = [n.b.data for n in wide.layers[0].neurons]
    assert statistics.pstdev(biases) == pytest.approx(1.0, rel=0.03)


def test_same_seed_is_bit_identical_and_different_seeds_differ():
    def weights(seed):
        return [p.data for p in MLP(3, [8, 8, 2], init="he_normal", bias_init="normal", seed=seed).parameters()]

    assert weights(42) == weights(42)
    assert weights(42) != weights(43)


def test_with_an_int_seed_the_global_random_state_is_never_used():
    random.seed(123)
    state = random.getstate()
    a = MLP(2, [16, 16, 1], dropout=0.2, seed=1)
    a([0.5, 0.5])
    assert random.getstate() == state
    random.seed(999)  # changing the global state changes nothing
    b = MLP(2, [16, 16, 1], dropout=0.2, seed=1)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_per_layer_initializers_and_callables():
    model = MLP(
        4,
        [6, 3],
        init=["zeros", lambda rng, fan_in, fan_out: fan_in * 10 + fan_out],
        bias_init=["normal", "zeros"],
        seed=0,
    )
    assert all(w.data == 0.0 for n in model.layers[0].neurons for w in n.w)
    assert any(n.b.data != 0.0 for n in model.layers[0].neurons)
    assert all(w.data == 63.0 for n in model.layers[1].neurons for w in n.w)
    with pytest.raises(ValueError, match=r"one entry per layer \(hidden and output\): 2 expected, got 1"):
        MLP(4, [6, 3], init=["zeros"])


def test_unknown_initializer_lists_the_names():
    with pytest.raises(ValueError) as error:
        MLP(2, [1], init="glorot")
    for name in init.NAMES:
        assert name in str(error.value)
    with pytest.raises(TypeError):
        init.get(0.5)


def test_a_callable_returning_a_non_number_is_rejected():
    with pytest.raises(TypeError):
        Layer(2, 2, init=lambda rng, fan_in, fan_out: "0.1")
    with pytest.raises(ValueError):
        Layer(2, 2, init=lambda rng, fan_in, fan_out: math.nan)


@pytest.mark.parametrize(
    ("make", "error", "named"),
    [
        (lambda: init.normal(std="a"), TypeError, "std"),
        (lambda: init.normal(std=True), TypeError, "std"),
        (lambda: init.normal(std=-1), ValueError, "std"),
        (lambda: init.normal(std=0), ValueError, "std"),
        (lambda: init.normal(std=math.nan), ValueError, "std"),
        (lambda: init.normal(mean=math.inf), ValueError, "mean"),
        (lambda: init.normal(mean="0"), TypeError, "mean"),
        (lambda: init.uniform(1, -1), ValueError, "a < b"),
        (lambda: init.uniform(0.5, 0.5), ValueError, "a < b"),
        (lambda: init.uniform("a", 1), TypeError, "a"),
        (lambda: init.uniform(-1, math.inf), ValueError, "b"),
        (lambda: init.xavier_uniform(gain="a"), TypeError, "gain"),
        (lambda: init.xavier_uniform(gain=0), ValueError, "gain"),
        (lambda: init.xavier_normal(gain=-2.0), ValueError, "gain"),
        (lambda: init.xavier_normal(gain=False), TypeError, "gain"),
    ],
)
def test_bad_initializer_arguments_are_refused_when_the_initializer_is_made(make, error, named):
    with pytest.raises(error, match=re.escape(named)) as caught:
        make()
    korean, english = str(caught.value).split(" / ")
    assert named.split()[0] in korean and named.split()[0] in english


def test_initializer_arguments_take_any_real_number_as_a_float():
    import fractions

    assert init.normal(std=fractions.Fraction(1, 4)).params == {"std": 0.25, "mean": 0.0}
    assert init.uniform(-2, 3).std(1, 1) == pytest.approx(5 / math.sqrt(12.0))
    assert init.xavier_uniform(gain=2).params["gain"] == 2.0
