"""The interpreted engine of this checkout against the one at a git revision, in one process.

    python benchmarks/bench_engine_revisions.py            # against HEAD~1
    python benchmarks/bench_engine_revisions.py 079a057    # against that commit
    python benchmarks/bench_engine_revisions.py --repeats 31

A refactoring of the engine must not make it slower. The old package is taken
out of git (`git archive REV micrograd_ko`) and imported under another name,
so both versions live in one process and the repeats of each workload
alternate between them: the machine's load drifts over both alike. The
workloads are bench_engine.py's W1-W4 (one node per op "elem", and one `dot`
node per neuron "dot"). Times are medians; the ratio is new / old.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def extract_revision(rev, folder):
    """Write the package micrograd_ko as it was at `rev` to `folder`/micrograd_ko (`git archive`)."""
    archive = subprocess.run(["git", "archive", rev, "micrograd_ko"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")


def import_revision(rev, folder):
    """micrograd_ko as it was at `rev`, imported as the module `micrograd_ko_<rev>`."""
    extract_revision(rev, folder)
    name = "micrograd_ko_" + "".join(c if c.isalnum() else "_" for c in rev)
    (Path(folder) / "micrograd_ko").rename(Path(folder) / name)  # the package uses relative imports only
    sys.path.insert(0, str(folder))
    return importlib.import_module(name)


def w1(m, ws, bs):
    y = y0 = m.Value(0.5)
    for w, b in zip(ws, bs):
        y = (m.Value(w) * y + m.Value(b)).tanh()
    y.backward()
    return y0.grad


def mlp(m, sizes, seed):
    rng = random.Random(seed)
    return [
        ([[m.Value(rng.uniform(-1, 1)) for _ in range(a)] for _ in range(b)], [m.Value(0.0) for _ in range(b)])
        for a, b in zip(sizes, sizes[1:])
    ]


def forward(m, layers, x, act, last_act, use_dot):
    for i, (W, bs) in enumerate(layers):
        zs = [(m.dot(w, x) + b) if use_dot else sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in zip(W, bs)]
        name = last_act if i == len(layers) - 1 else act
        x = [getattr(z, name)() for z in zs] if name else zs
    return x[0]


def w2(m, layers, X, Y, use_dot):
    """karpathy's moons step: max-margin loss + L2, zero_grad, backward (no update: same work each repeat)."""
    scores = [forward(m, layers, [m.Value(v) for v in row], "relu", None, use_dot) for row in X]
    losses = [(1 + -y * s).relu() for y, s in zip(Y, scores)]
    params = [p for W, bs in layers for row, b in zip(W, bs) for p in (*row, b)]
    data_loss = (m.sum(losses) if use_dot else sum(losses)) * (1.0 / len(losses))
    loss = data_loss + 1e-4 * (m.dot(params, params) if use_dot else sum(p * p for p in params))
    for p in params:
        p.grad = 0.0
    loss.backward()
    return loss.data


def w3(m, layers, use_dot):
    X, Y = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0]
    outs = [forward(m, layers, [m.Value(v) for v in x], "sigmoid", "sigmoid", use_dot) for x in X]
    squares = [(o - t) ** 2 for o, t in zip(outs, Y)]
    loss = m.sum(squares) if use_dot else sum(squares)
    loss.backward()
    return loss.data


def w4(m, w, b, xs):
    out = (m.dot(w, [m.Value(v) for v in xs]) + b).relu()
    out.backward()
    return out.data


def workloads(m):
    rng = random.Random(1)
    ws, bs = [rng.uniform(-1, 1) for _ in range(1000)], [rng.uniform(-1, 1) for _ in range(1000)]
    rng = random.Random(2)
    X = [[rng.uniform(-1, 2), rng.uniform(-1, 1)] for _ in range(100)]
    Y = [1.0 if i % 2 else -1.0 for i in range(100)]
    rng = random.Random(5)
    w4_w, w4_x = [m.Value(rng.uniform(-1, 1)) for _ in range(10_000)], [rng.uniform(0, 1) for _ in range(10_000)]
    moons, xor = mlp(m, [2, 16, 16, 1], 3), mlp(m, [2] + [10] * 10 + [1], 4)
    bias = m.Value(0.1)
    return {
        "W1 chain N=1,000": lambda: w1(m, ws, bs),
        "W2 moons, elem": lambda: w2(m, moons, X, Y, False),
        "W2 moons, dot": lambda: w2(m, moons, X, Y, True),
        "W3 XOR 10x10, elem": lambda: w3(m, xor, False),
        "W3 XOR 10x10, dot": lambda: w3(m, xor, True),
        "W4 neuron 10,000": lambda: w4(m, w4_w, bias, w4_x),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", nargs="?", default="HEAD~1", help="the git revision to compare against (default HEAD~1)")
    parser.add_argument("--repeats", type=int, default=21, help="repeats per workload and version (default 21)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import micrograd_ko as new

    with tempfile.TemporaryDirectory() as folder:
        old = import_revision(args.rev, folder)
        jobs = {"old": workloads(old), "new": workloads(new)}
        print(
            f"Python {sys.version.split()[0]}; old = {args.rev}, new = this checkout; medians of {args.repeats}, alternating\n"
        )
        print("| workload | old | new | new / old |\n|---|---:|---:|---:|")
        for name in jobs["new"]:
            if jobs["old"][name]() != jobs["new"][name]():
                print(f"| {name} | results differ: not timed | | |")
                continue
            times = {"old": [], "new": []}
            for _ in range(args.repeats):
                for version in ("old", "new"):
                    gc.collect()
                    start = time.perf_counter()
                    jobs[version][name]()
                    times[version].append(time.perf_counter() - start)
            old_t, new_t = statistics.median(times["old"]), statistics.median(times["new"])
            print(f"| {name} | {old_t * 1e3:.2f} ms | {new_t * 1e3:.2f} ms | {new_t / old_t:.3f} |", flush=True)


if __name__ == "__main__":
    main()
