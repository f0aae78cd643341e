"""How long will Graphviz take? An estimate from the graph's shape, made before any layout.

Graphviz's `dot` puts every node on a rank and turns an edge that spans k
ranks into a chain of k - 1 invisible nodes, then reorders every rank many
times to reduce crossings: for each pair of neighbouring ranks, work in
proportion to the edges between them times the width of the wider rank.
Two shapes make that work explode while the node count stays small:

- long edges: a 50-step recurrence `h = tanh(w*h + u*c)` has 253 nodes, but
  `w`, `u` and `c` feed every step, so their edges cross the whole picture
  (~22,000 invisible nodes) and the layout runs for minutes;
- dense layers: every output of `softmax(xs)` reads every input, so 90
  inputs put 8,100 edges between two ranks 90 wide; the layout runs 25 s
  and then exhausts the WebAssembly call stack.

Measured with the WebAssembly build (`python benchmarks/bench_layout.py`, 2
cores shared with other jobs): the time follows the crossing work
(`LayoutCost.crossing_work`) over both shapes: sum(softmax) of 40 inputs,
67,000, 1.3 s; of 50, 130,000, 2.8 s; softmax twice of 40, 133,000, 3.7 s;
two all-to-all layers of 40, 152,000, 4.7 s; of 50, 288,000, 11 s. A node
feeding every step is slower for the same work (`x + x + ...` 60 terms,
144,000, 20 s), which the count of invisible nodes catches: 40 terms, 1,482
of them, 1.5 s; 60 terms, 3,422. The limits below keep a drawing to a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import TopologicalSorter

__all__ = ["LayoutCost", "MAX_CROSSING_WORK", "MAX_EDGES", "MAX_LONG_EDGE_NODES", "layout_cost"]

MAX_LONG_EDGE_NODES = 2000
MAX_CROSSING_WORK = 100_000
MAX_EDGES = 10_000  # checked first, before a Digraph is built: more is never drawn in seconds


@dataclass(frozen=True)
class LayoutCost:
    """What the layout of a graph will cost.

    - `long_edge_nodes`: invisible nodes `dot` adds for edges spanning more than one rank.
    - `crossing_work`: sum over pairs of neighbouring ranks of the edges between
      them times the width of the wider rank (invisible nodes included).
    - `busiest_edges`: the most edges between two neighbouring ranks.
    """

    long_edge_nodes: int
    crossing_work: int
    busiest_edges: int

    @property
    def too_slow(self):
        return self.long_edge_nodes > MAX_LONG_EDGE_NODES or self.crossing_work > MAX_CROSSING_WORK


def ranks(nodes, edges):
    """The rank of each node, as `dot` would give it, nearly.

    `dot` keeps the total edge length small: a node sits one below its deepest
    parent, then moves down to just above its first child when that shortens
    as many edges as it lengthens (a leaf, or a product of leaves, that only
    the last step of a chain uses is drawn next to that step, not at the top;
    a node reading 90 shared inputs stays by them).
    """
    parents, children = {n: [] for n in nodes}, {n: [] for n in nodes}
    for tail, head in edges:
        parents.setdefault(head, []).append(tail)
        children.setdefault(tail, []).append(head)
        parents.setdefault(tail, [])
        children.setdefault(head, [])
    order = list(TopologicalSorter(parents).static_order())
    rank = {}
    for node in order:
        rank[node] = max((rank[p] + 1 for p in parents[node]), default=0)
    for node in reversed(order):
        # Moving down stretches the edges from parents that stay (those with other children);
        # a parent used only here moves down with it (its own turn comes later in this loop).
        staying = sum(1 for p in parents[node] if len(children[p]) > 1)
        if children[node] and len(children[node]) >= staying:
            rank[node] = min(rank[c] for c in children[node]) - 1
    return rank


def layout_cost(nodes, edges):
    """The `LayoutCost` of a graph of `nodes` (ids) and `edges` (pairs of ids)."""
    rank = ranks(nodes, edges)
    top = max(rank.values(), default=0) + 2
    # Difference arrays: an edge from rank a to rank b crosses the gaps a .. b-1 and
    # puts an invisible node on each rank a+1 .. b-1.
    gap_delta, width_delta = [0] * (top + 1), [0] * (top + 1)
    for r in rank.values():
        width_delta[r] += 1
        width_delta[r + 1] -= 1
    hidden = 0
    for tail, head in edges:
        a, b = rank[tail], rank[head]
        gap_delta[a] += 1
        gap_delta[b] -= 1
        if b - a > 1:
            hidden += b - a - 1
            width_delta[a + 1] += 1
            width_delta[b] -= 1
    gaps, widths, g, w = [], [], 0, 0
    for r in range(top):
        g += gap_delta[r]
        w += width_delta[r]
        gaps.append(g)
        widths.append(w)
    work = sum(gaps[r] * max(widths[r], widths[r + 1]) for r in range(top - 1))
    return LayoutCost(hidden, work, max(gaps, default=0))
