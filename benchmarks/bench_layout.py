"""Graphviz layout time against the layout-cost estimate (`micrograd_ko.viz.cost`).

    python benchmarks/bench_layout.py [--time-limit 60]

For unrolled recurrences `h = tanh(w*h + u*c)` (w, u, c reused at every step)
and sums `x + x + ... + x`, prints the number of nodes, the estimated number
of invisible long-edge nodes Graphviz adds, and the time the WebAssembly
Graphviz takes to lay the graph out (each in a fresh process after a warm-up
render; "stopped" past the time limit). The estimate, not the node count, is
what the time follows; `MAX_LONG_EDGE_NODES` is set from this table.
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
if kind == "recurrence":
    w, u, c, root = mg.Value(0.5, label="w"), mg.Value(0.3, label="u"), mg.Value(1.0, label="c"), mg.Value(0.0, label="h0")
    for _ in range(n):
        root = (w * root + u * c).tanh()
else:
    x = root = mg.Value(1.0, label="x")
    for _ in range(n - 1):
        root = root + x
root.backward()
drawer = node_view._Drawer([root], DrawOptions())
import graphviz
g = graphviz.Digraph()
drawer.add_nodes(g, drawer.order)
drawer.add_edges(g)
hidden = cost.long_edge_nodes(drawer.nodes, drawer.edges)
render.render("digraph { a -> b }", renderer="wasm")  # warm-up: compiling the WebAssembly module
start = time.perf_counter()
try:
    render.render(g.source, renderer="wasm", time_limit=limit)
    seconds = f"{time.perf_counter() - start:.2f} s"
except render.GraphRenderError:
    seconds = f"stopped at {limit:g} s"
print(f"{kind:<10} {n:>4} {len(drawer.order):>6} {hidden:>8}   {seconds}")
"""

CASES = [("recurrence", n) for n in (5, 10, 15, 20, 25, 30)] + [("sum", n) for n in (20, 40, 60, 80)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(f"{'graph':<10} {'n':>4} {'nodes':>6} {'estimate':>8}   layout (WebAssembly)")
    for kind, n in CASES:
        subprocess.run([sys.executable, "-c", WORKER, kind, str(n), str(args.time_limit)], cwd=ROOT, check=True,
                       env={"PYTHONPATH": str(ROOT), "PATH": ""})


if __name__ == "__main__":
    main()
