"""How long will Graphviz take? An estimate from the graph's shape, made before any layout.

Graphviz's `dot` puts every node on a rank and turns an edge that spans k
ranks into a chain of k - 1 invisible nodes, then reorders every rank to
reduce crossings. Its time follows those invisible nodes, not the visible
ones: a 50-step recurrence `h = tanh(w*h + u*c)` has 253 nodes, but `w`, `u`
and `c` feed every step, so their edges cross the whole picture (~22,000
invisible nodes) and the layout runs for minutes. With the WebAssembly
build (`python benchmarks/bench_layout.py`, 2 cores shared with other jobs)
the time grows faster than the square of that count, and the shape matters
too (one node feeding every step is worse): recurrence 15 steps, 1,890 of
them, 0.75 s; 20 steps, 3,420, 4 s; `x + x + ...` 40 terms, 1,482, 2.3 s; 60
terms, 3,422, 22 s. `MAX_LONG_EDGE_NODES` keeps a drawing to a few seconds.
"""

from __future__ import annotations

from graphlib import TopologicalSorter

__all__ = ["MAX_LONG_EDGE_NODES", "long_edge_nodes"]

MAX_LONG_EDGE_NODES = 2000


def long_edge_nodes(nodes, edges):
    """The number of invisible nodes `dot` adds for `edges` (pairs of node ids) spanning more than one rank.

    Ranks as `dot` would give them, nearly: `dot` keeps edges short, so a
    node sits one below its deepest parent and is then pulled down to just
    above its first child (a product like `u*c` that only the last step uses
    is drawn next to that step, not at the top).
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
        if children[node]:
            rank[node] = min(rank[c] for c in children[node]) - 1
    return sum(max(0, rank[head] - rank[tail] - 1) for tail, head in edges)
