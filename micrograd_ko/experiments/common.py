"""Pieces every experiment uses: the BCE of a binary classifier, full-batch training, rates.

Networks come from `micrograd_ko.nn.MLP` and are trained with
`micrograd_ko.train.fit`. The binary classifiers have a linear output z and
use `bce_with_logits(z, y)`, which equals BCE of sigmoid(z): the lectures'
sigmoid output + BCE, without overflow.
"""

from __future__ import annotations

import math
import statistics

from ..engine import sum as value_sum
from ..i18n import bilingual
from ..losses import bce_with_logits
from ..optim import SGD
from ..train import evaluate, fit

LN2 = math.log(2.0)


def seeds_text(n):
    """'1 seed', '50 seeds': for the English half of a sentence."""
    return f"{n} seed" if n == 1 else f"{n} seeds"


def seed_list(seeds):
    """`seeds` as a list of ints: an int n means seeds 0..n-1."""
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(
                bilingual(f"seeds는 1 이상이어야 합니다: {seeds}", f"seeds must be at least 1, got {seeds}")
            )
        return list(range(seeds))
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ValueError(
            bilingual(f"seeds는 정수 목록이어야 합니다: {seeds!r}", "seeds must be a non-empty list of ints")
        )
    return seeds


def mean_bce(model, X, y):
    """The full-batch loss: mean over samples of BCE(sigmoid(model(x)), y)."""
    return value_sum([bce_with_logits(model(x), t) for x, t in zip(X, y)]) * (1.0 / len(X))


def train_binary(model, X, y, steps, lr):
    """Full-batch gradient descent on the mean BCE, as in the lectures.

    Returns the loss of every step (measured before the step) and the final
    {"loss", "accuracy"} after the last step.
    """
    history = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer=SGD(model.parameters(), lr=lr),
        epochs=steps,
        shuffle=False,
        progress=False,
    )
    return history["loss"], evaluate(model, X, y, loss="bce_with_logits")


def fraction(flags):
    flags = list(flags)
    return sum(bool(f) for f in flags) / len(flags)


def median(xs):
    return statistics.median(xs)


def rate_text(flags):
    """'9/10 (90%)'."""
    flags = list(flags)
    k = sum(bool(f) for f in flags)
    return f"{k}/{len(flags)} ({100 * k / len(flags):.0f}%)"


def sci(x):
    """A number for tables: 3 significant digits, scientific when very small or large."""
    if x == 0:
        return "0"
    return f"{x:.3g}"
