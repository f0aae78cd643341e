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
