"""How long will Graphviz take? An estimate from the graph's shape, made before any layout.

Graphviz's `dot` puts every node on a rank and turns an edge that spans k
ranks into a chain of k - 1 invisible nodes, then reorders every rank many
times to reduce crossings: for each pair of neighbouring ranks, work in
proportion to the edges between them times the width of the wider rank
(`LayoutCost.crossing_work`). Two shapes make it explode while the node
count stays small:

- long edges: a 50-step recurrence `h = tanh(w*h + u*c)` has 204 values, but
  `w`, `u` and `c` feed every step, so their edges cross the whole picture
  (~14,700 invisible nodes by this estimate) and the layout runs for minutes;
- dense layers: every output of `softmax(xs)` reads every input, so 90
  inputs put 8,100 edges between two ranks 90 wide; with a number on each
  edge the layout ran 25 s and then exhausted the WebAssembly call stack.

The numbers (local derivatives) are most of the work: an edge label makes
`dot` double every rank. Measured with the WebAssembly build on 2 cores
shared with other jobs (load 8-10), the same layout with and without them:
recurrence of 15 steps 5.7 s / 0.6 s; `sum(softmax(xs))` with Python's
`sum` over 30 inputs 16 s / 2.4 s; a 10-layer MLP of width 10, 8.4 s / 1.5 s.
Without numbers, dense graphs up to the limit below took at most 4.5 s there
(two all-to-all layers of 40, crossing work 152,000; softmax of 70, 353,000,
is refused). So a drawing keeps its numbers while `MAX_NUMBERED_WORK` and
`MAX_LONG_EDGE_NODES` allow (counted with doubled ranks when edges carry
them), else is drawn without them, else refused (`node_view._Drawer.draw`).
`python benchmarks/bench_layout.py` prints the estimate against the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import TopologicalSorter

__all__ = ["LayoutCost", "MAX_CROSSING_WORK", "MAX_EDGES", "MAX_LONG_EDGE_NODES", "MAX_NUMBERED_WORK", "layout_cost"]

MAX_LONG_EDGE_NODES = 2000
MAX_CROSSING_WORK = 250_000  # a drawing without numbers (local derivatives)
MAX_NUMBERED_WORK = 50_000  # with numbers on edges or in op fields
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

    def too_slow(self, numbers):
        """Whether the layout would take more than a few seconds; `numbers`: with local derivatives drawn."""
        limit = MAX_NUMBERED_WORK if numbers else MAX_CROSSING_WORK
        return self.long_edge_nodes > MAX_LONG_EDGE_NODES or self.crossing_work > limit


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


def layout_cost(nodes, edges, labels=False):
    """The `LayoutCost` of a graph of `nodes` (ids) and `edges` (pairs of ids).

    `labels`: some edges carry a label. `dot` then doubles every rank (a label
    sits on a rank of its own, halfway), so every edge spans two ranks at least.
    """
    rank = ranks(nodes, edges)
    if labels:
        rank = {node: 2 * r for node, r in rank.items()}
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
