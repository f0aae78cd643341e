"""Data sets: shapes, labels, seeding, geometry, and the shipped digits file."""

import hashlib
import math
from collections import Counter
from importlib import resources

import pytest

from micrograd_ko import datasets


def test_xor():
    X, y = datasets.xor()
    assert y == [int(a != b) for a, b in X]


@pytest.mark.parametrize("make", [datasets.moons, datasets.circles, datasets.spiral])
def test_seeded_shapes_and_reproducibility(make):
    X, y = make(n=101, seed=3)
    assert len(X) == len(y) == 101 and all(len(p) == 2 for p in X)
    assert make(n=101, seed=3) == (X, y)
    assert make(n=101, seed=4)[0] != X
    counts = Counter(y)
    assert max(counts.values()) - min(counts.values()) <= 1  # balanced classes


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = datasets.moons(40, noise=0.0, seed=0)
    for (a, b), label in zip(X, y):
        cx, cy = (0.0, 0.0) if label == 0 else (1.0, 0.5)
        assert math.hypot(a - cx, b - cy) == pytest.approx(1.0)
        assert (b >= -1e-12) if label == 0 else (b <= 0.5 + 1e-12)


def test_circles_without_noise_have_radius_1_and_factor():
    X, y = datasets.circles(50, noise=0.0, factor=0.3, seed=0)
    for (a, b), label in zip(X, y):
        assert math.hypot(a, b) == pytest.approx(1.0 if label == 0 else 0.3)


def test_spiral_has_the_requested_classes():
    X, y = datasets.spiral(n=90, classes=4, noise=0.0, seed=0)
    assert sorted(set(y)) == [0, 1, 2, 3]
    assert max(math.hypot(a, b) for a, b in X) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: datasets.moons(1),
        lambda: datasets.moons(10, noise=-0.1),
        lambda: datasets.circles(10, factor=1.5),
        lambda: datasets.spiral(2, classes=3),
        lambda: datasets.moons(10, seed="x"),
    ],
)
def test_bad_arguments_are_rejected(call):
    with pytest.raises((TypeError, ValueError)):
        call()


def test_digits_are_the_uci_test_set():
    X, y = datasets.digits()
    assert len(X) == len(y) == 1797
    assert all(len(x) == 64 for x in X)
    assert Counter(y) == {0: 178, 1: 182, 2: 177, 3: 183, 4: 181, 5: 182, 6: 181, 7: 179, 8: 174, 9: 180}
    assert min(min(x) for x in X) == 0.0 and max(max(x) for x in X) == 1.0
    raw, labels = datasets.digits(scale=False)
    assert labels == y
    assert raw[0][:8] == [0, 0, 5, 13, 9, 1, 0, 0]  # the first "0", top row
    assert all(v == int(v) and 0 <= v <= 16 for x in raw for v in x)
    assert X[5] == [v / 16 for v in raw[5]]


def test_the_shipped_file_is_the_cited_one_with_its_license():
    data = resources.files("micrograd_ko").joinpath("data")
    digest = hashlib.sha256(data.joinpath("digits.csv.gz").read_bytes()).hexdigest()
    citation = data.joinpath("digits_CITATION.txt").read_text(encoding="utf-8")
    assert digest in citation
    assert "10.24432/C50P49" in citation
    assert "CC BY 4.0" in data.joinpath("digits_LICENSE.txt").read_text(encoding="utf-8")


def test_train_test_split_partitions_with_a_seed():
    X = [[i] for i in range(20)]
    y = list(range(20))
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25, seed=1)
    assert len(X_test) == 5 and len(X_train) == 15
    assert sorted(y_train + y_test) == y
    assert all(x == [t] for x, t in zip(X_train + X_test, y_train + y_test))
    assert datasets.train_test_split(X, y, test_size=0.25, seed=1)[3] == y_test
    assert datasets.train_test_split(X, y, test_size=0.25, seed=2)[3] != y_test
    assert len(datasets.train_test_split(X, y, test_size=3, seed=0)[1]) == 3
    for bad in (0.0, 1.0, 0, 20, "0.2"):
        with pytest.raises(ValueError):
            datasets.train_test_split(X, y, test_size=bad)
    with pytest.raises(ValueError):
        datasets.train_test_split(X, y[:-1])


def test_train_test_split_refuses_a_generator_with_a_clear_message():
    X, y = datasets.xor()
    with pytest.raises(TypeError, match=r"X must be a list \(got generator\)"):
        datasets.train_test_split((x for x in X), y)


@pytest.mark.parametrize(
    "call",
    [
        lambda n: datasets.moons(n),
        lambda n: datasets.circles(n),
        lambda n: datasets.spiral(n),
        lambda n: datasets.spiral(n, classes=n),
    ],
)
def test_every_generator_refuses_more_than_max_samples_before_making_any(call):
    with pytest.raises(ValueError) as error:
        call(datasets.MAX_SAMPLES + 1)
    korean, english = str(error.value).split(" / ")
    assert "1,000,001" in korean and "1,000,000" in korean
    assert "at most 1,000,000" in english
    with pytest.raises(ValueError, match="at most 1,000,000"):
        call(10**12)  # refused at once: 10**12 points could never be made


def test_counts_of_any_integer_type_are_taken_as_ints():
    np = pytest.importorskip("numpy")
    X, y = datasets.moons(np.int64(10), seed=0)
    assert (X, y) == datasets.moons(10, seed=0)
    X, y = datasets.spiral(np.int32(9), classes=np.int64(3), seed=0)
    assert sorted(set(y)) == [0, 1, 2] and len(X) == 9
    assert len(datasets.train_test_split(X, y, test_size=np.int64(2), seed=0)[1]) == 2
    with pytest.raises(ValueError):
        datasets.moons(True)


@pytest.mark.parametrize("scale", ["no", 0, 1, None, "False"])
def test_digits_scale_must_be_true_or_false(scale):
    with pytest.raises(TypeError) as error:
        datasets.digits(scale=scale)
    korean, english = str(error.value).split(" / ")
    assert repr(scale) in korean and repr(scale) in english and "scale" in english


def test_a_test_size_that_leaves_no_training_sample_says_so():
    X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1]
    with pytest.raises(ValueError) as error:
        datasets.train_test_split(X, y, test_size=0.99)
    message = str(error.value)
    assert "test_size=0.99 of 4 samples leaves no training sample" in message
    assert "too few" not in message
    with pytest.raises(ValueError, match="too few samples to split: 1"):
        datasets.train_test_split([[0.0]], [0], test_size=0.5)
    assert len(datasets.train_test_split(X, y, test_size=0.75, seed=0)[0]) == 1
