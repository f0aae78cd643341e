"""Time `micrograd_ko.compile` on W2 (karpathy's moons step) against the plain-float floor and micrograd.

Run:  python benchmarks/bench_compile.py            (full run, about a minute)
      python benchmarks/bench_compile.py --quick    (smoke run)

W2 is bench_engine.py's workload, with its harness (same data, weights, floor and
micrograd code, runs alternated between systems, medians of repeats, the garbage
collector run outside the timer). The compiled step is what a training loop does:
zero_grad, one call of the compiled function, SGD on every parameter.

- compiled (dot)   the graph of `ko dot` (a neuron = one `dot` node, as micrograd_ko.nn) compiled
- compiled (elem)  the graph of `ko` (one node per elementary op, as micrograd) compiled
- ko dot           the interpreted engine on the same graph (built anew every step)

Also: tracing + code generation time, the memory of the compiled step (the generated code;
what one call holds), and fit() on the moons data, compiled or not.

PyTorch is imported (not timed) unless --no-torch, as in bench_engine.py: its objects make
micrograd's garbage collector slower, so micrograd's ratio is given both ways in the README.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
# No C builds kept from an earlier run: a program recorded on disk would get its C form from its first call, and
# the rows of the generated Python would time C (MICROGRAD_KO_CACHE=0: a directory of this process's own).
os.environ["MICROGRAD_KO_CACHE"] = "0"

import bench_engine as be  # noqa: E402  (the shared harness)

import micrograd_ko as ko  # noqa: E402
from micrograd_ko.compiler import native  # noqa: E402


def w2_loss_function(system, model):
    """fn(X, Y) -> the W2 loss (hinge + L2) as a Value: what compile traces."""
    params = be.flat_params(model)

    def loss(X, Y):
        scores = [be.mlp_forward(system, model, x, "relu", None) for x in X]
        losses = [(1 + -yi * s).relu() for yi, s in zip(Y, scores)]
        data_loss = be.total(system, losses) * (1.0 / len(losses))
        reg = be.ALPHA * (ko.dot(params, params) if system == "ko dot" else sum(p * p for p in params))
        return data_loss + reg

    return loss, params


def compiled_w2(system, base, X, Y):
    """(step function, trace + codegen seconds, the CompiledFunction)."""
    model = be.to_params(system, base)
    loss, params = w2_loss_function(system, model)
    gc.collect()
    start = time.perf_counter()
    compiled = ko.compile(loss, X, Y)
    compiled._main  # noqa: B018 - Python's compile of the generated source, done on first use: it counts too
    seconds = time.perf_counter() - start

    def step(lr=0.0):
        for p in params:
            p.grad = 0.0
        value = compiled(X, Y)
        for p in params:
            p.data -= lr * p.grad
        return value

    return step, seconds, compiled


def code_bytes(compiled):
    """Bytes of the generated function: its code object (bytecode, constants, names, line table) and source."""
    code = compiled._main[0].__code__
    parts = [
        code,
        code.co_code,
        code.co_consts,
        code.co_names,
        code.co_varnames,
        code.co_linetable,
        code.co_exceptiontable,
        compiled.source,
    ]
    parts += [c for c in code.co_consts if isinstance(c, (float, str))]
    return sum(sys.getsizeof(part) for part in parts)


def frame_bytes(compiled):
    """Upper bound of what one call holds: a frame slot (8 bytes) and a float object per local variable.

    Not measured with tracemalloc: it looks up the current line of the function for every
    allocation, which in a function of 20,000 lines makes a call take minutes.
    """
    return compiled._main[0].__code__.co_nlocals * (8 + sys.getsizeof(1.0))


def fit_seconds(compile_, epochs):
    X, y = ko.datasets.moons(100, noise=0.1, seed=0)
    signs = [2 * t - 1 for t in y]
    model = ko.nn.MLP(2, [16, 16, 1], seed=0)
    start = time.perf_counter()
    history = ko.train.fit(
        model,
        X,
        signs,
        loss="hinge",
        optimizer=ko.optim.SGD(model.parameters(), lr=0.05),
        epochs=epochs,
        batch_size=25,
        seed=0,
        progress=False,
        compile=compile_,
    )
    return time.perf_counter() - start, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, micrograd left out")
    parser.add_argument("--repeats", type=int, default=None, help="repeats (default 7, quick 1)")
    parser.add_argument(
        "--no-torch",
        action="store_true",
        help="do not import PyTorch (bench_engine.py imports it by default; its objects slow micrograd's garbage collector)",
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 7)
    if not args.no_torch:
        be._import_torch()
    print(
        f"Python {platform.python_version()}, micrograd {'0.1.0' if be.mg else '-'}, "
        f"torch {be.torch.__version__ + ' imported' if be.torch else 'not imported'}, {platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, repeats {repeats}, medians; "
        f"{len(gc.get_objects()):,} objects tracked by gc\n"
    )

    X, Y = be.moons()
    base = be.init_mlp([2, 16, 16, 1], seed=3)
    steps, traces, programs = {}, {}, {}
    systems = {"compiled (dot)": "ko dot", "compiled (elem)": "ko"}
    refused = {}
    for name, system in systems.items():
        try:
            steps[name], traces[name], programs[name] = compiled_w2(system, base, X, Y)
        except ko.compiler.CompileError as refusal:  # over a size limit: the row says so
            refused[name] = str(refusal).split(" / ")[-1]

    for program in programs.values():  # these rows time the generated Python: no C form for them
        program._without_c.clear()
    # The same compiled step with its C form (micrograd_ko/compiler/native/) built now, as fit builds it for a
    # program text called 3,000 times: a row of its own, where a C compiler is at hand.
    step, _, program = compiled_w2("ko dot", base, X, Y)
    python_function, source = program._variant("full")
    c_form = native.c_function(python_function, source, program._namespace)
    if c_form is not None:
        program._variants["full"] = (c_form, source)
        program._without_c.discard("full")  # (it has its C form: none is made again after 3,000 calls)
        steps["compiled (dot, C)"] = step

    floor_model = [([list(r) for r in W], list(bs)) for W, bs in base]
    models = {s: be.to_params(s, base) for s in ("ko dot", "micrograd") if be.LEAF.get(s)}
    jobs = {"floor": lambda: be.w2_floor(floor_model, X, Y, 0.0)}
    jobs.update({name: step for name, step in steps.items()})
    jobs["ko dot"] = lambda: be.w2_step("ko dot", models["ko dot"], X, Y, lr=0.0)
    if "micrograd" in models and not args.quick:
        jobs["micrograd"] = lambda: be.w2_step("micrograd", models["micrograd"], X, Y, lr=0.0)
    be.check_agreement("W2 loss", {s: job() for s, job in jobs.items()}, rel=1e-12)

    results = be.time_alternating(jobs, repeats)
    med = {s: statistics.median(v) for s, v in results.items()}
    print(
        "| W2 moons step (2-16-16-1, 100 points) | time | ÷ floor | micrograd ÷ this | trace + codegen | nodes | lines |"
    )
    print("|---|---|---|---|---|---|---|")
    for s in jobs:
        ratio = med[s] / med["floor"]
        vs_mg = f"{med['micrograd'] / med[s]:.0f}x" if "micrograd" in med else "—"
        trace = be.fmt_time(traces[s]) if s in traces else "—"
        nodes = f"{programs[s].nodes:,}" if s in programs else "—"
        lines = f"{len(programs[s].source.splitlines()):,}" if s in programs else "—"
        print(f"| {s} | {be.fmt_time(med[s])} | {ratio:.2f} | {vs_mg} | {trace} | {nodes} | {lines} |")
    for s, why in refused.items():
        print(f"| {s} | refused: {why} | | | | | |")

    if c_form is not None:
        print(f"\n(compiled (dot, C): {c_form.answered:,} of its calls answered by the C code, after its first)")
    else:
        print("\n(no C form for W2's program: no C compiler, or its text is past the translator's limit)")
    print("\nMemory of the compiled step:")
    for s in (name for name in steps if name in programs):
        print(
            f"- {s}: generated code {code_bytes(programs[s]) / 1e6:.1f} MB (code object and source); "
            f"one call holds at most {frame_bytes(programs[s]) / 1e6:.1f} MB "
            f"({programs[s]._main[0].__code__.co_nlocals:,} local variables)"
        )

    epochs = 2 if args.quick else 10
    times = {}
    for compile_ in (False, True):
        seconds, history = fit_seconds(compile_, epochs)
        times[compile_] = (seconds, history)
    same = times[True][1] == times[False][1]
    print(
        f"\nfit(MLP(2, [16, 16, 1]), moons 100 points, hinge, batch 25, {epochs} epochs): "
        f"interpreted {times[False][0]:.2f} s, compiled {times[True][0]:.2f} s "
        f"(including tracing), {times[False][0] / times[True][0]:.1f}x; histories equal: {same}"
    )

    print("\nTargets of issue 10:")
    c = "compiled (dot)"
    print(
        f"- W2 compiled <= 0.7x floor: {med[c] / med['floor']:.2f}x ({'met' if med[c] <= 0.7 * med['floor'] else 'NOT met'})"
    )
    if "micrograd" in med:
        r = med["micrograd"] / med[c]
        print(f"- W2 compiled >= 200x faster than micrograd: {r:.0f}x ({'met' if r >= 200 else 'NOT met'})")
        if c_form is not None:
            r = med["micrograd"] / med["compiled (dot, C)"]
            print(f"  with its C form: {r:.0f}x ({'met' if r >= 200 else 'NOT met'})")
    print(
        f"- trace + codegen <= 1 s: {traces[c]:.2f} s ({'met' if traces[c] <= 1 else 'NOT met'}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
