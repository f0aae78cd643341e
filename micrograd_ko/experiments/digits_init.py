"""Training curves on digits for std 0.01 / Xavier / He (ReLU) and sigmoid vs ReLU.

The digits version of 밑바닥부터 시작하는 딥러닝's `weight_init_compare.py`
(ch. 6): the same network trained from each initialization, the loss of every
mini-batch recorded. Notebook 06 writes this loop in its cells at a small
size; this function runs it at full size (`measured.load("digits-init")`).
"""

from __future__ import annotations

import random

from .. import datasets, init, losses, optim
from ..engine import no_grad
from ..engine import sum as value_sum
from ..nn import MLP
from .tasks import run_tasks

# name -> (hidden activation, weight initialization)
SETTINGS = {
    "ReLU, std 0.01": ("relu", "small"),
    "ReLU, Xavier": ("relu", "xavier_normal"),
    "ReLU, He": ("relu", "he_normal"),
    "sigmoid, Xavier": ("sigmoid", "xavier_normal"),
}


def _initializer(key):
    return init.normal(0.01) if key == "small" else key


def _curve(task):
    name, hidden, n_train, n_test, epochs, batch_size, lr, seed, every = task
    activation, init_key = SETTINGS[name]
    X, y = datasets.digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=n_test, seed=0)
    X_train, y_train = X_train[:n_train], y_train[:n_train]
    model = MLP(64, [*hidden, 10], activation=activation, init=_initializer(init_key), seed=seed)
    optimizer, rng, order, curve = (
        optim.SGD(model.parameters(), lr=lr),
        random.Random(seed),
        list(range(len(X_train))),
        [],
    )
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            loss = value_sum(losses.cross_entropy(model(X_train[i]), y_train[i]) for i in batch) / len(batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            curve.append(loss.data)
    with no_grad():
        outputs = [model(x) for x in X_test]
    scores = [[o.data for o in out] for out in outputs]
    predicted = [max(range(10), key=row.__getitem__) for row in scores]
    return {
        "curve": [sum(curve[k : k + every]) / len(curve[k : k + every]) for k in range(0, len(curve), every)],
        "test_accuracy": sum(p == t for p, t in zip(predicted, y_test)) / len(y_test),
        "one_digit_share": max(predicted.count(k) for k in range(10)) / len(predicted),
    }


def digits_init_curves(
    names=tuple(SETTINGS),
    hidden=(16, 16, 16, 16),
    n_train=1000,
    n_test=300,
    epochs=10,
    batch_size=10,
    lr=0.1,
    seed=0,
    every=10,
    jobs=1,
):
    """{name: {"curve", "test_accuracy", "one_digit_share"}}: `curve` holds the mean loss of each `every` mini-batches."""
    unknown = [n for n in names if n not in SETTINGS]
    if unknown:
        raise ValueError(
            f"모르는 설정 {unknown}; 가능한 것: {list(SETTINGS)} / unknown settings {unknown}; valid: {list(SETTINGS)}"
        )
    tasks = [(n, tuple(hidden), n_train, n_test, epochs, batch_size, lr, seed, every) for n in names]
    return dict(zip(names, run_tasks(_curve, tasks, jobs, False, "digits init")))
