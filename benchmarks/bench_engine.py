"""Time the same workloads on micrograd_ko, micrograd 0.1.0, PyTorch scalars and plain floats.

Run:  python benchmarks/bench_engine.py            (full run, a few minutes)
      python benchmarks/bench_engine.py --quick    (smoke run, seconds)

Systems (all in one process, runs alternated between systems, medians of repeats):
- ko        micrograd_ko, one node per elementary op (neuron = sum of w*x, like micrograd)
- ko dot    micrograd_ko, neuron = one `dot` node, sums with `micrograd_ko.sum`
- micrograd karpathy's micrograd==0.1.0 from PyPI; tanh and sigmoid added in the
            lecture's closure style, because the PyPI release has neither
- torch     PyTorch 0-dim float64 tensors with requires_grad (scalar autograd)
- floor     the same forward and backward written by hand on plain floats

Workloads:
- W1  chain y = tanh(w*y + b) with fresh leaves w, b at every step (N = 1,000 and 1,000,000)
- W2  karpathy's moons step: MLP 2-16-16-1 ReLU, 100 points, max-margin loss + L2 (alpha 1e-4),
      forward + backward + SGD
- W3  10 hidden sigmoid layers of width 10 on the 4 XOR points, squared error, forward + backward
- W4  one ReLU neuron with 10,000 inputs, forward + backward

Also: peak traced memory (tracemalloc) per graph node on W1, over forward + backward, divided
by every node reachable from the output (leaves included).

Before each timed run the cyclic garbage collector is run outside the timer, so one system's
garbage is never collected on another system's clock; collections a system triggers during its
own run are timed, as they would be in a training loop.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc

import micrograd_ko as ko
from micrograd_ko.engine import topological_order

try:
    import micrograd.engine as mg
except ImportError:  # pragma: no cover - the bench extra installs it
    mg = None
torch = None  # imported in main() unless --no-torch

SYSTEMS = ("ko", "ko dot", "micrograd", "torch", "floor")
ALPHA = 1e-4  # L2 strength of the moons demo


# --------------------------------------------------------------------------
# micrograd 0.1.0 lacks tanh and sigmoid: add them as the lecture writes them
# --------------------------------------------------------------------------


def _mg_tanh(self):
    t = math.tanh(self.data)
    out = mg.Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def _mg_sigmoid(self):
    s = 1.0 / (1.0 + math.exp(-self.data))
    out = mg.Value(s, (self,), "sigmoid")

    def _backward():
        self.grad += s * (1 - s) * out.grad

    out._backward = _backward
    return out


if mg is not None:
    mg.Value.tanh = _mg_tanh
    mg.Value.sigmoid = _mg_sigmoid


# --------------------------------------------------------------------------
# How each system makes leaves and sums
# --------------------------------------------------------------------------


def _torch_leaf(x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def _torch_const(x):
    return torch.tensor(x, dtype=torch.float64)


LEAF = {"ko": ko.Value, "ko dot": ko.Value, "micrograd": (lambda x: mg.Value(x)) if mg else None, "torch": None}
CONST = dict(LEAF)


def _import_torch():
    global torch
    try:
        import torch
    except ImportError:  # pragma: no cover - the bench extra installs it
        return
    torch.set_num_threads(1)
    LEAF["torch"], CONST["torch"] = _torch_leaf, _torch_const


def _grad_of(p):
    g = p.grad
    return float(g) if g is not None else 0.0


# --------------------------------------------------------------------------
# W1: the chain y = tanh(w*y + b)
# --------------------------------------------------------------------------


def w1_data(n, seed=1):
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)], 0.5


def w1_graph(system, ws, bs, y0):
    """Forward of W1 on a Value-like system; returns (output, leaves)."""
    leaf = LEAF[system]
    y = y0 = leaf(y0)
    leaves = [y0]
    for w, b in zip(ws, bs):
        w, b = leaf(w), leaf(b)
        leaves += (w, b)
        y = (w * y + b).tanh()
    return y, leaves


def w1_run(system, data):
    ws, bs, y0 = data
    if system == "floor":
        return w1_floor(ws, bs, y0)
    y, leaves = w1_graph(system, ws, bs, y0)
    y.backward()
    return _grad_of(leaves[0])


def w1_floor(ws, bs, y0):
    ys = [y0]
    y = y0
    tanh = math.tanh
    for w, b in zip(ws, bs):
        y = tanh(w * y + b)
        ys.append(y)
    n = len(ws)
    gw = [0.0] * n
    gb = [0.0] * n
    g = 1.0
    for i in range(n - 1, -1, -1):
        out = ys[i + 1]
        dz = g * (1.0 - out * out)
        gw[i] = dz * ys[i]
        gb[i] = dz
        g = dz * ws[i]
    return g


# --------------------------------------------------------------------------
# MLPs (W2, W3) and the big neuron (W4), written here on purpose: a few lines each
# --------------------------------------------------------------------------


def init_mlp(sizes, seed):
    """Weights as plain floats: U(-1, 1) weights and zero biases, as micrograd's nn."""
    rng = random.Random(seed)
    return [
        ([[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)], [0.0] * nout)
        for nin, nout in itertools.pairwise(sizes)
    ]


def to_params(system, layers):
    leaf = LEAF[system]
    return [([[leaf(w) for w in row] for row in W], [leaf(b) for b in bs]) for W, bs in layers]


def flat_params(layers):
    return [p for W, bs in layers for row, b in zip(W, bs) for p in (*row, b)]


def neuron(system, w, b, x):
    if system == "ko dot":
        return ko.dot(w, x) + b
    return sum((wi * xi for wi, xi in zip(w, x)), b)  # micrograd's Neuron.__call__


def mlp_forward(system, layers, x, act, last_act):
    """Layer by layer; `act` / `last_act` name the activation method (None: linear)."""
    last = len(layers) - 1
    for i, (W, bs) in enumerate(layers):
        zs = [neuron(system, w, b, x) for w, b in zip(W, bs)]
        name = last_act if i == last else act
        x = list(map(getattr(type(zs[0]), name), zs)) if name else zs
    return x[0]


def total(system, values):
    return ko.sum(values) if system == "ko dot" else sum(values)


def moons(n=100, noise=0.1, seed=2):
    """sklearn's make_moons(n, noise) without sklearn; labels -1 / +1 as in the demo."""
    rng = random.Random(seed)
    half = n // 2
    pts, ys = [], []
    for i in range(n):
        if i < half:
            t = math.pi * i / (half - 1)
            x, y, label = math.cos(t), math.sin(t), -1.0
        else:
            t = math.pi * (i - half) / (n - half - 1)
            x, y, label = 1 - math.cos(t), 1 - math.sin(t) - 0.5, 1.0
        pts.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        ys.append(label)
    return pts, ys


def w2_step(system, model, X, Y, lr=0.5):
    """One step of karpathy's demo.ipynb: loss(), zero_grad, backward, SGD."""
    if system == "floor":
        return w2_floor(model, X, Y, lr)
    const = CONST[system]
    inputs = [[const(v) for v in row] for row in X]
    scores = [mlp_forward(system, model, x, "relu", None) for x in inputs]
    losses = [(1 + -yi * s).relu() for yi, s in zip(Y, scores)]
    params = flat_params(model)
    data_loss = total(system, losses) * (1.0 / len(losses))
    reg_loss = ALPHA * ko.dot(params, params) if system == "ko dot" else ALPHA * sum(p * p for p in params)
    loss = data_loss + reg_loss
    for p in params:
        p.grad = None if system == "torch" else 0.0
    loss.backward()
    if system == "torch":
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
    else:
        for p in params:
            p.data -= lr * p.grad
    return float(loss.data) if system != "torch" else loss.item()


def w3_run(system, model, X, Y):
    if system == "floor":
        return w3_floor(model, X, Y)
    const = CONST[system]
    params = flat_params(model)
    for p in params:
        p.grad = None if system == "torch" else 0.0
    outs = [mlp_forward(system, model, [const(v) for v in x], "sigmoid", "sigmoid") for x in X]
    loss = total(system, [(o - t) ** 2 for o, t in zip(outs, Y)])
    loss.backward()
    return _grad_of(params[0])


def w4_run(system, w, b, xs):
    if system == "floor":
        z = b
        for wi, xi in zip(w, xs):
            z += wi * xi
        g = 1.0 if z > 0 else 0.0
        return [g * xi for xi in xs], g
    const = CONST[system]
    x = [const(v) for v in xs]
    w[0].grad = None if system == "torch" else 0.0
    out = neuron(system, w, b, x).relu()
    out.backward()
    return _grad_of(w[0])


# --------------------------------------------------------------------------
# The floor: the same MLP forward + backward by hand on floats
# --------------------------------------------------------------------------


def _floor_act(name):
    if name == "relu":
        return (lambda z: z if z > 0 else 0.0), (lambda z, a: 1.0 if z > 0 else 0.0)
    if name == "sigmoid":
        return (lambda z: 1.0 / (1.0 + math.exp(-z))), (lambda z, a: a * (1.0 - a))
    return (lambda z: z), (lambda z, a: 1.0)


def floor_forward_backward(layers, x, act, last_act, dout_of, grads):
    """Forward one point, then backward with dL/dout = dout_of(out); grads accumulate."""
    zs_all, as_all = [], [x]
    for i, (W, bs) in enumerate(layers):
        f, _ = _floor_act(last_act if i == len(layers) - 1 else act)
        a_in = as_all[-1]
        zs = [math.fsum(wi * ai for wi, ai in zip(w, a_in)) + b for w, b in zip(W, bs)]
        zs_all.append(zs)
        as_all.append([f(z) for z in zs])
    out = as_all[-1][0]
    loss, dout = dout_of(out)
    da = [dout]
    for i in range(len(layers) - 1, -1, -1):
        W, _ = layers[i]
        _, df = _floor_act(last_act if i == len(layers) - 1 else act)
        gW, gb = grads[i]
        dz = [g * df(z, a) for g, z, a in zip(da, zs_all[i], as_all[i + 1])]
        a_in = as_all[i]
        da = [0.0] * len(a_in)
        for j, (w, d) in enumerate(zip(W, dz)):
            gb[j] += d
            row = gW[j]
            for k in range(len(a_in)):
                row[k] += d * a_in[k]
                da[k] += d * w[k]
    return loss


def _zero_grads(layers):
    return [([[0.0] * len(W[0]) for _ in W], [0.0] * len(bs)) for W, bs in layers]


def w2_floor(layers, X, Y, lr):
    grads = _zero_grads(layers)
    n = len(X)
    data_loss = 0.0
    for x, y in zip(X, Y):

        def dout_of(score, y=y):
            margin = 1.0 - y * score
            return (margin, -y / n) if margin > 0 else (0.0, 0.0)

        data_loss += floor_forward_backward(layers, x, "relu", None, dout_of, grads) / n
    reg = 0.0
    for (W, bs), (gW, gb) in zip(layers, grads):
        for w, gw, b in zip(W, gW, bs):
            reg += math.fsum(v * v for v in w) + b * b
            for k, v in enumerate(w):
                gw[k] += 2 * ALPHA * v
        for j, b in enumerate(bs):
            gb[j] += 2 * ALPHA * b
    for (W, bs), (gW, gb) in zip(layers, grads):
        for w, gw in zip(W, gW):
            for k in range(len(w)):
                w[k] -= lr * gw[k]
        for j in range(len(bs)):
            bs[j] -= lr * gb[j]
    return data_loss + ALPHA * reg


def w3_floor(layers, X, Y):
    grads = _zero_grads(layers)
    loss = 0.0
    for x, t in zip(X, Y):
        loss += floor_forward_backward(
            layers, x, "sigmoid", "sigmoid", lambda o, t=t: ((o - t) ** 2, 2 * (o - t)), grads
        )
    return grads[0][0][0][0]


# --------------------------------------------------------------------------
# Running, alternating between systems
# --------------------------------------------------------------------------


class Failed(Exception):
    pass


def time_alternating(jobs, repeats):
    """jobs: {system: zero-argument callable}. Returns {system: [seconds] or error text}.

    The garbage collector runs before each timed run, outside the timer. Short jobs
    (< 50 ms) also get one untimed call before it: the first run after another
    library's run was seen to take up to 5x longer, whichever system it is.
    """
    results = {s: [] for s in jobs}
    for _ in range(repeats):
        for system, job in jobs.items():
            if isinstance(results[system], str):
                continue
            try:
                if not results[system] or results[system][-1] < 0.05:
                    job()  # warm-up
                gc.collect()  # also frees the warm-up's reference cycles (micrograd)
                start = time.perf_counter()
                job()
            except RecursionError:
                results[system] = "RecursionError"
                continue
            results[system].append(time.perf_counter() - start)
    return results


def check_agreement(name, values, rel=1e-6):
    """Every system must compute the same number, or the timings compare nothing."""
    ref = values.get("floor")
    for system, v in values.items():
        if isinstance(v, float) and not math.isclose(v, ref, rel_tol=rel, abs_tol=1e-9):
            raise Failed(f"{name}: {system} gave {v!r}, floor gave {ref!r}")


def fmt_time(t):
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} µs"


def row(name, results):
    med = {s: statistics.median(v) for s, v in results.items() if isinstance(v, list) and v}
    cells = []
    for s in SYSTEMS:
        v = results.get(s)
        cells.append("—" if v is None else v if isinstance(v, str) else fmt_time(med[s]))
    ratios = []
    for peer in ("micrograd", "torch", "floor"):
        cell = []
        if peer in med:
            for s in ("ko", "ko dot"):
                if s in med:
                    r = med[peer] / med[s]
                    cell.append(f"{r:.1f}x" if r >= 1 else f"1/{1 / r:.1f}")
        ratios.append(" / ".join(cell) if cell else "—")
    return f"| {name} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |", med


def header():
    cols = ["workload", *SYSTEMS, "micrograd ÷ ko (elem / dot)", "torch ÷ ko", "floor ÷ ko"]
    return "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols)


# --------------------------------------------------------------------------
# Memory per node on W1
# --------------------------------------------------------------------------


def _micrograd_nodes(root):
    seen, stack = {id(root)}, [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def bytes_per_node(system, n):
    data = w1_data(n)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    y, leaves = w1_graph(system, *data)
    y.backward()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    nodes = len(topological_order(y)) if system == "ko" else _micrograd_nodes(y)
    del y, leaves
    gc.collect()
    return peak / nodes, nodes


# --------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: small sizes, one repeat")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per workload (default 5, quick 1)")
    parser.add_argument("--torch-1m", action="store_true", help="also time PyTorch on the 1,000,000-step chain")
    parser.add_argument(
        "--no-torch",
        action="store_true",
        help="leave PyTorch out and unimported (its ~180,000 objects slow down the garbage collector of the others)",
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    if not args.no_torch:
        _import_torch()
    systems = [s for s in SYSTEMS if s in ("ko", "ko dot", "floor") or LEAF.get(s)]
    print(
        f"Python {platform.python_version()}, torch {torch.__version__ if torch else '- (not imported)'}, "
        f"micrograd {'0.1.0' if mg else '-'}, {platform.machine()}, {os.cpu_count()} cores, repeats {repeats}, "
        f"medians; recursion limit {sys.getrecursionlimit()}; {len(gc.get_objects()):,} objects tracked by gc\n"
    )
    print(header())
    meds = {}

    known = {}  # {system: error} found on a smaller size of the same workload: not run again
    last_errors = {}

    def run(name, jobs, reps=repeats):
        results = time_alternating({s: j for s, j in jobs.items() if s not in known}, reps)
        results.update(known)
        last_errors.clear()
        last_errors.update({s: v for s, v in results.items() if isinstance(v, str) and s not in known})
        line, med = row(name, results)
        meds[name] = med
        print(line, flush=True)

    # W1 (micrograd's recursive backward stops near 330 steps: N=300 gives it a number)
    for n in (300, 1000, 100_000) if args.quick else (300, 1000, 1_000_000):
        data = w1_data(n)
        chain = {s: (lambda s=s, data=data: w1_run(s, data)) for s in systems if s != "ko dot"}
        if n > 1000 and not args.torch_1m:
            chain.pop("torch", None)
        if n <= 1000:
            check_agreement(f"W1 N={n}", {s: f() for s, f in chain.items() if s != "micrograd" or n <= 300})
        reps = repeats if n <= 1000 else min(repeats, 2)
        run(f"W1 chain N={n:,}", chain, reps)
        known.update({s: f"{e} (as at N={n:,})" for s, e in last_errors.items()})
    known.clear()

    # W2
    X, Y = moons()
    base = init_mlp([2, 16, 16, 1], seed=3)

    def fresh(system):
        return [([list(r) for r in W], list(bs)) for W, bs in base] if system == "floor" else to_params(system, base)

    first = {s: w2_step(s, fresh(s), X, Y) for s in systems}
    check_agreement("W2 loss", first)
    models = {s: fresh(s) for s in systems}
    run("W2 moons step (2-16-16-1)", {s: (lambda s=s: w2_step(s, models[s], X, Y, lr=0.0)) for s in systems})

    # W3
    xor_x, xor_y = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0]
    base3 = init_mlp([2] + [10] * 10 + [1], seed=4)
    models3 = {
        s: ([([list(r) for r in W], list(bs)) for W, bs in base3] if s == "floor" else to_params(s, base3))
        for s in systems
    }
    check_agreement("W3 dL/dw", {s: w3_run(s, models3[s], xor_x, xor_y) for s in systems}, rel=1e-5)
    run("W3 XOR 10x10 sigmoid", {s: (lambda s=s: w3_run(s, models3[s], xor_x, xor_y)) for s in systems})

    # W4
    rng = random.Random(5)
    w4_w = [rng.uniform(-1, 1) for _ in range(10_000)]
    w4_x = [rng.uniform(0, 1) for _ in range(10_000)]
    neurons = {s: (w4_w, 0.1) if s == "floor" else ([LEAF[s](v) for v in w4_w], LEAF[s](0.1)) for s in systems}
    run("W4 neuron, 10,000 inputs", {s: (lambda s=s: w4_run(s, *neurons[s], w4_x)) for s in systems})

    print("\nW2 is one SGD step at learning rate 0 (the same work every repeat).")
    print(
        "Cells: median time; ratios are peer time ÷ micrograd_ko time (elementary / dot), >1 means micrograd_ko is faster."
    )
    print("RecursionError: the system fails at Python's default recursion limit.")
    if not args.torch_1m:
        print(
            "torch is not timed on the 1,000,000-step chain unless --torch-1m (about a minute per run and several GB)."
        )

    print("\nPeak traced memory (tracemalloc) over W1 forward + backward, per graph node:")
    ko_bytes = []
    for system, n in (("ko", 1000), ("ko", 10_000 if args.quick else 1_000_000), ("micrograd", 300)):
        if system == "micrograd" and mg is None:
            continue
        per, nodes = bytes_per_node(system, n)
        if system == "ko":
            ko_bytes.append(per)
        print(f"- {system:9s} N={n:,}: {per:.0f} bytes/node ({nodes:,} nodes)")
    print_targets(meds, ko_bytes)


def print_targets(meds, ko_bytes):
    """The issue's targets, checked against the medians above."""

    def ratio(workload, peer, system):
        m = next((v for k, v in meds.items() if k.startswith(workload)), {})
        return m[peer] / m[system] if peer in m and system in m else None

    def verdict(r, goal):
        return "not measured" if r is None else f"{r:.1f}x ({'met' if r >= goal else 'NOT met'})"

    print("\nTargets of issue 2:")
    print(f"- W2 micrograd ÷ ko, elementary nodes >= 10x: {verdict(ratio('W2', 'micrograd', 'ko'), 10)}")
    print(f"- W2 micrograd ÷ ko dot >= 40x: {verdict(ratio('W2', 'micrograd', 'ko dot'), 40)}")
    print(f"- W3 micrograd ÷ ko dot >= 5x: {verdict(ratio('W3', 'micrograd', 'ko dot'), 5)}")
    slowest = [
        (name, m["torch"] / min(m[s] for s in ("ko", "ko dot") if s in m))
        for name, m in meds.items()
        if "torch" in m and ("ko" in m or "ko dot" in m)
    ]
    if slowest:
        name, r = min(slowest, key=lambda item: item[1])
        print(
            f"- faster than torch on every workload: smallest torch ÷ ko is {r:.1f}x ({name}) ({'met' if r > 1 else 'NOT met'})"
        )
    done = any(k.startswith("W1 chain N=1,000,000") and "ko" in m for k, m in meds.items())
    print(f"- W1 N=1,000,000 completes: {'met' if done else 'not run'}")
    print(f"- <= 250 bytes/node: largest {max(ko_bytes):.0f} ({'met' if max(ko_bytes) <= 250 else 'NOT met'})")


if __name__ == "__main__":
    main()
