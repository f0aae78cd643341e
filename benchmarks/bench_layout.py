"""Graphviz layout time against the layout-cost estimate (`micrograd_ko.viz.cost`).

    python benchmarks/bench_layout.py [--time-limit 60]

For unrolled recurrences `h = tanh(w*h + u*c)` (w, u, c reused at every step),
sums `x + x + ... + x`, and dense graphs (`sum(softmax(xs))`, softmax twice,
two all-to-all layers), prints the number of nodes and edges drawn, the
estimate (`cost.layout_cost`: invisible long-edge nodes, crossing work),
whether `draw_graph` refuses it, and the time the WebAssembly Graphviz takes
to lay the graph out anyway (each in a fresh process after a warm-up render;
"stopped" past the time limit, "failed" for a trap). The estimate, not the
node count, is what the time follows; the limits in `viz.cost` are set from this table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import sys, time
import micrograd_ko as mg
from micrograd_ko.viz import cost, node_view, render
from micrograd_ko.viz.options import DrawOptions
kind, n, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
xs = [mg.Value(0.01 * i, label=f"x{i}") for i in range(n)]
if kind == "recurrence":
    w, u, c, root = mg.Value(0.5, label="w"), mg.Value(0.3, label="u"), mg.Value(1.0, label="c"), mg.Value(0.0, label="h0")
    for _ in range(n):
        root = (w * root + u * c).tanh()
elif kind == "sum":
    x = root = mg.Value(1.0, label="x")
    for _ in range(n - 1):
        root = root + x
elif kind == "softmax":
    root = mg.sum(mg.softmax(xs))
elif kind == "softmax2":
    root = mg.sum(mg.softmax(mg.softmax(xs)))
else:  # two all-to-all layers
    h = xs
    for _ in range(2):
        h = [mg.sum(h) * (j + 1) for j in range(n)]
    root = mg.sum(h)
root.backward()
drawer = node_view._Drawer([root], DrawOptions(max_nodes=10**6))
import graphviz
g = graphviz.Digraph()
drawer.add_nodes(g, drawer.drawn)
drawer.add_edges(g)
estimate = cost.layout_cost(drawer.nodes, drawer.edges)
try:
    drawer.draw()
    refused = "no"
except node_view.GraphTooComplexError:
    refused = "yes"
render.render("digraph { a -> b }", renderer="wasm")  # warm-up: compiling the WebAssembly module
start = time.perf_counter()
try:
    render.render(g.source, renderer="wasm", time_limit=limit)
    seconds = f"{time.perf_counter() - start:.2f} s"
except render.GraphRenderError as error:
    seconds = f"stopped at {limit:g} s" if "did not finish" in str(error) else f"failed at {time.perf_counter() - start:.1f} s"
print(f"{kind:<10} {n:>4} {len(drawer.nodes):>6} {len(drawer.edges):>6} {estimate.long_edge_nodes:>6} "
      f"{estimate.crossing_work:>9,} {refused:>7}   {seconds}", flush=True)
"""

CASES = (
    [("recurrence", n) for n in (5, 10, 15, 20, 25, 30)]
    + [("sum", n) for n in (20, 40, 60, 80)]
    + [("softmax", n) for n in (20, 40, 50, 70, 90)]
    + [("softmax2", n) for n in (20, 30, 40, 50)]
    + [("layers", n) for n in (20, 30, 40, 50)]
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(
        f"{'graph':<10} {'n':>4} {'nodes':>6} {'edges':>6} {'long':>6} {'crossing':>9} {'refused':>7}   layout (WebAssembly)"
    )
    for kind, n in CASES:
        subprocess.run(
            [sys.executable, "-c", WORKER, kind, str(n), str(args.time_limit)],
            cwd=ROOT,
            check=True,
            env={"PYTHONPATH": str(ROOT), "PATH": ""},
        )


if __name__ == "__main__":
    main()
