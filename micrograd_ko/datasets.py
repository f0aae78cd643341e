"""Small data sets as plain Python lists: `X` (a list of points) and `y` (labels).

Toy sets for seeing decision boundaries, made from a seed:
    xor()                      4 points, labels 0/1
    moons(n, noise, seed)      two interleaving half circles (as scikit-learn's make_moons)
    circles(n, noise, factor, seed)   a circle inside another (as make_circles)
    spiral(n, classes, noise, seed)   arms of a spiral (CS231n), labels 0..classes-1
and one real set, shipped inside the package (no download, no scikit-learn):
    digits()                   1,797 handwritten digits, 8x8 pixels, labels 0..9

Labels are ints 0, 1, ...; for the hinge loss use `[2 * t - 1 for t in y]`.
`seed`: an int for a private generator (the same data every time), or None
for Python's global `random` (so `random.seed(0)` makes a notebook repeatable).
`train_test_split(X, y, test_size, seed)` splits any of them.

The generators make at most `MAX_SAMPLES` (1,000,000) points: that many take
about 400 MB and a few seconds as Python lists, far more than scalar autodiff
trains on, so a larger `n` is a typo (moons(10**8) would fill the memory).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import random
from collections.abc import Sequence
from importlib import resources
from typing import TypeVar

from .checks import Seed, check_bool, check_dataset, is_integer, make_rng
from .i18n import bilingual

__all__ = ["xor", "moons", "circles", "spiral", "digits", "train_test_split", "MAX_SAMPLES"]

MAX_SAMPLES = 1_000_000  # points per generated data set (see the module docstring)

Dataset = tuple[list[list[float]], list[int]]  # (X, y): points as lists of floats, labels as ints
Sample = TypeVar("Sample")
Label = TypeVar("Label")


def _check_count(n: object, what: str = "n", low: int = 1) -> int:
    if not is_integer(n) or n < low:  # type: ignore[operator]
        raise ValueError(
            bilingual(f"{what}은(는) {low} 이상의 정수여야 합니다: {n!r}", f"{what} must be an int >= {low}, got {n!r}")
        )
    if n > MAX_SAMPLES:  # type: ignore[operator]
        raise ValueError(
            bilingual(
                f"{what}={n:,}개는 너무 많습니다: 데이터 생성기는 최대 {MAX_SAMPLES:,}개까지 만듭니다 "
                "(파이썬 목록으로 수백 MB, 스칼라 자동미분으로 학습하기에는 이미 아주 많은 양입니다)",
                f"{what}={n:,} is too many: the generators make at most {MAX_SAMPLES:,} points "
                "(hundreds of MB as Python lists, already far more than scalar autodiff trains on)",
            )
        )
    return int(n)  # type: ignore[call-overload]


def _check_noise(noise: object) -> float:
    if not isinstance(noise, (int, float)) or isinstance(noise, bool) or not 0 <= noise < math.inf:
        raise ValueError(bilingual(f"noise는 0 이상이어야 합니다: {noise!r}", f"noise must be >= 0, got {noise!r}"))
    return float(noise)


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    if n == 1:
        return [float(start)]
    step = (stop - start) / (n - 1 if endpoint else n)
    return [start + i * step for i in range(n)]


def _noisy_shuffled(
    points: Sequence[Sequence[float]], labels: Sequence[int], noise: float, rng: random.Random
) -> Dataset:
    """Add N(0, noise^2) to each coordinate, then shuffle points and labels together."""
    X = [[c + rng.gauss(0.0, noise) for c in p] if noise else list(p) for p in points]
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [labels[i] for i in order]


def xor() -> Dataset:
    """The four XOR points and labels: y = 1 when exactly one input is 1."""
    return [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0]


def moons(n: int = 100, noise: float = 0.1, seed: Seed = None) -> Dataset:
    """Two interleaving half circles, `n` points; label 0 = upper moon, 1 = lower."""
    n = _check_count(n, low=2)
    noise, rng = _check_noise(noise), make_rng(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    upper = [(math.cos(a), math.sin(a)) for a in _linspace(0.0, math.pi, n_upper)]
    lower = [(1.0 - math.cos(a), 0.5 - math.sin(a)) for a in _linspace(0.0, math.pi, n_lower)]
    return _noisy_shuffled(upper + lower, [0] * n_upper + [1] * n_lower, noise, rng)


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = None) -> Dataset:
    """A circle of radius `factor` (label 1) inside one of radius 1 (label 0), `n` points."""
    n = _check_count(n, low=2)
    if not isinstance(factor, (int, float)) or not 0 < factor < 1:
        raise ValueError(
            bilingual(f"factor는 0과 1 사이여야 합니다: {factor!r}", f"factor must be in (0, 1), got {factor!r}")
        )
    noise, rng = _check_noise(noise), make_rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    outer = [(math.cos(a), math.sin(a)) for a in _linspace(0.0, 2 * math.pi, n_outer, endpoint=False)]
    inner = [(factor * math.cos(a), factor * math.sin(a)) for a in _linspace(0.0, 2 * math.pi, n_inner, endpoint=False)]
    return _noisy_shuffled(outer + inner, [0] * n_outer + [1] * n_inner, noise, rng)


def spiral(n: int = 300, classes: int = 3, noise: float = 0.2, seed: Seed = None) -> Dataset:
    """`classes` spiral arms with `n` points in all (CS231n's data set); labels 0..classes-1.

    Arm k has radii from 0 to 1 and angles from 4k to 4(k+1) radians, plus
    N(0, noise^2) on the angle.
    """
    classes = _check_count(classes, "classes", low=2)
    n = _check_count(n, low=classes)
    noise, rng = _check_noise(noise), make_rng(seed)
    points, labels = [], []
    for k in range(classes):
        count = n // classes + (1 if k < n % classes else 0)
        for r, angle in zip(_linspace(0.0, 1.0, count), _linspace(4.0 * k, 4.0 * (k + 1), count)):
            angle += rng.gauss(0.0, noise) if noise else 0.0
            points.append((r * math.sin(angle), r * math.cos(angle)))
            labels.append(k)
    return _noisy_shuffled(points, labels, 0.0, rng)


def digits(scale: bool = True) -> Dataset:
    """The 8x8 handwritten digits: `X` (1,797 lists of 64 pixels, row by row), `y` (0..9).

    Pixels are on-pixel counts 0..16; with `scale=True` (default) they are
    divided by 16 into [0, 1]. Data: E. Alpaydin & C. Kaynak (1998), UCI
    "Optical Recognition of Handwritten Digits", CC BY 4.0,
    https://doi.org/10.24432/C50P49 (test set, as scikit-learn ships it; see
    micrograd_ko/data/digits_CITATION.txt).
    """
    check_bool("digits(scale=...)", scale)  # a string such as 'no' would otherwise count as True
    raw = (resources.files("micrograd_ko") / "data" / "digits.csv.gz").read_bytes()
    X, y = [], []
    for row in csv.reader(io.StringIO(gzip.decompress(raw).decode("ascii"))):
        *pixels, label = (int(float(v)) for v in row)
        X.append([p / 16.0 for p in pixels] if scale else [float(p) for p in pixels])
        y.append(label)
    return X, y


def train_test_split(
    X: Sequence[Sample], y: Sequence[Label], test_size: float = 0.25, seed: Seed = None
) -> tuple[list[Sample], list[Sample], list[Label], list[Label]]:
    """Shuffle with `seed` and split: returns X_train, X_test, y_train, y_test.

    `test_size` is a fraction in (0, 1) (rounded up, as scikit-learn) or a count.
    """
    check_dataset(X, y)
    n = len(X)
    if n < 2:
        raise ValueError(
            bilingual(
                f"나눌 데이터가 너무 적습니다: 샘플 {n}개 (적어도 2개 필요)",
                f"too few samples to split: {n} (at least 2 needed)",
            )
        )
    if isinstance(test_size, float) and 0.0 < test_size < 1.0:
        n_test = math.ceil(test_size * n)
    elif is_integer(test_size) and 0 < test_size < n:
        n_test = int(test_size)
    else:
        raise ValueError(
            bilingual(
                f"test_size는 (0, 1) 사이의 비율 또는 1..{n - 1}의 개수여야 합니다: {test_size!r}",
                f"test_size must be a fraction in (0, 1) or a count in 1..{n - 1}, got {test_size!r}",
            )
        )
    if n_test >= n:  # a fraction rounded up to every sample
        raise ValueError(
            bilingual(
                f"test_size={test_size!r}이면 샘플 {n}개 중 {n_test}개가 시험용이 되어 학습용이 남지 않습니다: "
                f"test_size를 줄이세요 (예: 1..{n - 1}의 개수)",
                f"test_size={test_size!r} of {n} samples leaves no training sample (all {n_test} go to the test "
                f"set): use a smaller test_size (e.g. a count in 1..{n - 1})",
            )
        )
    order = list(range(n))
    make_rng(seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]
