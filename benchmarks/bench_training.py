"""Training speed in epochs per second: micrograd_ko's `fit` against karpathy's micrograd.

Run:  python benchmarks/bench_training.py            (full run, about 2-4 minutes)
      python benchmarks/bench_training.py --quick    (smoke run, seconds)

Workloads (the same network, the same initial weights, the same updates on both systems):
- moons   MLP 2-16-16-1 (ReLU, linear output), the 100 points of karpathy's demo, one
          epoch = one full-batch step of his demo: mean max-margin (hinge) loss, L2 with
          alpha 1e-4, SGD lr 0.1. micrograd_ko: `fit(..., loss="hinge",
          optimizer=SGD(lr=0.1, weight_decay=2e-4))` (the L2 term's gradient is 2 alpha p);
          micrograd: his demo loop, with the L2 term in the graph.
- digits  MLP 64-32-10 on the 1,797 8x8 digits, mini-batches of 32, SGD lr 0.1, one epoch.
          Mean squared error against one-hot targets on both systems (micrograd 0.1.0 has
          no exp or log, so it cannot compute a cross-entropy); micrograd_ko also with its
          cross-entropy loss. micrograd is too slow for a whole epoch here: it is timed on
          the first FRACTION of the epoch's batches and the time is scaled up to 1,797
          images (its cost per image does not depend on the batch).

Each number is the median of several repeats; before each timed run the cyclic garbage
collector is run outside the timer (collections a system triggers itself are timed, as
in a real training loop). Ratios compare numbers measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time

from micrograd_ko import datasets
from micrograd_ko.nn import MLP
from micrograd_ko.optim import SGD
from micrograd_ko.train import fit

try:
    import micrograd
    from micrograd.nn import MLP as MicrogradMLP
except ImportError:  # pragma: no cover - the bench extra installs it
    MicrogradMLP = None

ALPHA = 1e-4  # L2 strength of karpathy's moons demo
LR = 0.1
BATCH = 32


def timed(run):
    gc.collect()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def median_seconds(make_run, repeats):
    """Median time of `repeats` runs, each prepared (untimed) by `make_run()`."""
    return statistics.median(timed(make_run()) for _ in range(repeats))


# -- micrograd_ko ------------------------------------------------------------


def ko_moons(X, signs, epochs):
    def make_run():
        model = MLP(2, [16, 16, 1], seed=1337)
        opt = SGD(model.parameters(), lr=LR, weight_decay=2 * ALPHA)
        return lambda: fit(model, X, signs, loss="hinge", optimizer=opt, epochs=epochs, progress=False)

    return make_run


def ko_digits(X, y, loss):
    def make_run():
        model = MLP(64, [32, 10], seed=0)
        opt = SGD(model.parameters(), lr=LR)
        return lambda: fit(
            model, X, y, loss=loss, optimizer=opt, epochs=1, batch_size=BATCH, shuffle=False, progress=False
        )

    return make_run


def shuffled_digits(compile_, epochs):
    """fit on the digits with shuffled mini-batches (cross-entropy, batch 32): (seconds, history, weights).

    Compiled, targets (class indices) are inputs of one program, so every shuffled batch
    runs the same compiled code; fit checks that program once against the interpreted step.
    """
    X, y = datasets.digits()
    model = MLP(64, [32, 10], seed=0)
    gc.collect()
    start = time.perf_counter()
    history = fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=SGD(model.parameters(), lr=LR),
        epochs=epochs,
        batch_size=BATCH,
        shuffle=True,
        seed=0,
        progress=False,
        compile=compile_,
    )
    return time.perf_counter() - start, history, [p.data for p in model.parameters()]


def report_shuffled(epochs):
    runs = {c: shuffled_digits(c, epochs) for c in (False, True)}
    (t_off, h_off, w_off), (t_on, h_on, w_on) = runs[False], runs[True]
    print(
        f"shuffled mini-batches: digits MLP 64-32-10, cross-entropy, batch {BATCH}, {epochs} epochs, one run each: "
        f"compile=False {t_off:.1f} s, compile=True {t_on:.1f} s (tracing and fit's check included), "
        f"{t_off / t_on:.1f}x; histories equal: {h_off == h_on}; final weights equal: {w_off == w_on}"
    )
    return t_off / t_on, h_off == h_on and w_off == w_on


# -- karpathy's micrograd ------------------------------------------------------


def mg_step(model, batch_loss):
    model.zero_grad()
    batch_loss.backward()
    for p in model.parameters():
        p.data -= LR * p.grad


def mg_moons(X, signs, epochs):
    def make_run():
        random.seed(1337)
        model = MicrogradMLP(2, [16, 16, 1])

        def run():
            for _ in range(epochs):
                scores = [model(x) for x in X]
                losses = [(1 + -t * s).relu() for t, s in zip(signs, scores)]
                data_loss = sum(losses) * (1.0 / len(losses))
                reg_loss = ALPHA * sum(p * p for p in model.parameters())
                mg_step(model, data_loss + reg_loss)

        return run

    return make_run


def mg_digits(X, onehot, n_batches):
    def make_run():
        random.seed(0)
        model = MicrogradMLP(64, [32, 10])

        def run():
            for start in range(0, n_batches * BATCH, BATCH):
                batch = range(start, start + BATCH)
                per_image = [sum((o - t) ** 2 for o, t in zip(model(X[i]), onehot[i])) * (1.0 / 10) for i in batch]
                mg_step(model, sum(per_image) * (1.0 / BATCH))

        return run

    return make_run


# -- the report ----------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats and a tiny fraction (smoke run)")
    parser.add_argument(
        "--shuffled",
        action="store_true",
        help="only the shuffled mini-batch run (digits, 8 epochs, compile=True against compile=False)",
    )
    args = parser.parse_args(argv)
    if args.shuffled:
        report_shuffled(1 if args.quick else 8)
        return 0
    repeats = 2 if args.quick else 5
    moons_epochs = 2 if args.quick else 10
    mg_digit_batches = 1 if args.quick else 4

    X_moons, y_moons = datasets.moons(100, noise=0.1, seed=1)
    signs = [2 * t - 1 for t in y_moons]
    X_digits, y_digits = datasets.digits()
    onehot = [[1.0 if k == t else 0.0 for k in range(10)] for t in y_digits]
    n = len(X_digits)

    rows = []
    ko_s = median_seconds(ko_moons(X_moons, signs, moons_epochs), repeats) / moons_epochs
    mg_s = None
    if MicrogradMLP is not None:
        mg_s = median_seconds(mg_moons(X_moons, signs, 1), max(3, repeats // 2))
    rows.append(("moons, MLP 2-16-16-1, 100 points, hinge + L2, full batch", ko_s, mg_s, ""))

    ko_s = median_seconds(ko_digits(X_digits, onehot, "mse"), max(2, repeats // 2))
    mg_s = None
    if MicrogradMLP is not None:
        seen = mg_digit_batches * BATCH
        mg_s = median_seconds(mg_digits(X_digits, onehot, mg_digit_batches), 3) * n / seen
        note = f"micrograd: {seen} of {n} images timed, scaled ×{n / seen:.1f}"
    rows.append(("digits, MLP 64-32-10, 1,797 images, MSE one-hot, batch 32", ko_s, mg_s, note))

    ko_s = median_seconds(ko_digits(X_digits, y_digits, "cross_entropy"), max(2, repeats // 2))
    rows.append(("digits, MLP 64-32-10, 1,797 images, cross-entropy, batch 32", ko_s, None, "micrograd has no exp/log"))

    mg_version = getattr(micrograd, "__version__", "0.1.0") if MicrogradMLP is not None else "not installed"
    print(
        f"Python {platform.python_version()} on {platform.machine()}, micrograd {mg_version}"
        f"{' (quick run)' if args.quick else ''}\n"
    )
    print("| workload | micrograd_ko epochs/s | micrograd epochs/s | speed-up | note |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, ko_seconds, mg_seconds, note in rows:
        mg_cell = f"{1 / mg_seconds:.3g}" if mg_seconds else "–"
        ratio = f"{mg_seconds / ko_seconds:.0f}×" if mg_seconds else "–"
        print(f"| {name} | {1 / ko_seconds:.3g} | {mg_cell} | {ratio} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
