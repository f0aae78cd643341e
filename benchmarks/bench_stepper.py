"""Size and time of the backprop player (`BackpropStepper`) for a modest graph.

    python benchmarks/bench_stepper.py

XOR MLP 2-4-4-1 (sigmoid) on a batch of 4, BCE: 109 steps node by node.
Prints the steps, the seconds and bytes of `to_html` (the standalone page)
and of `_repr_html_` (what a notebook cell stores), and the layout chosen.
One run each: the point is the order of magnitude (before the shared
drawing: 68 MB and ~20 s, one Graphviz layout per step).
"""

import os
import tempfile
import time

import micrograd_ko as mg
from micrograd_ko import datasets, losses, nn


def main():
    X, Y = datasets.xor()
    model = nn.MLP(2, [4, 4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    loss = losses.bce([model(x) for x in X], Y)
    loss.backward()
    stepper = mg.BackpropStepper(loss)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "steps.html")
        start = time.perf_counter()
        stepper.to_html(path)
        page_seconds, page_bytes = time.perf_counter() - start, os.path.getsize(path)
    start = time.perf_counter()
    fragment = stepper._repr_html_()
    fragment_seconds = time.perf_counter() - start
    _, _, min_width = stepper._drawing(stepper.lang)
    print(f"steps: {len(stepper)}, layout: rankdir={stepper.rankdir}, readable from {min_width or '-'} px wide")
    print(f"to_html:     {page_bytes / 1e6:.2f} MB in {page_seconds:.2f} s (layout included)")
    print(f"_repr_html_: {len(fragment.encode('utf-8')) / 1e6:.2f} MB in {fragment_seconds:.2f} s (layout reused)")


if __name__ == "__main__":
    main()
