"""Compatibility: the drawing code lives in `micrograd_ko.viz` (`viz.node_view` and friends)."""

from .viz.colours import VANISHING_BELOW, ZERO, GradScale
from .viz.node_view import (
    FONTNAME,
    ComputationGraph,
    GraphTooComplexError,
    draw_graph,
    fmt,
    node_name,
    render_svg,
    save_graph,
)
from .viz.options import DrawOptions
from .viz.render import GraphRenderError

__all__ = [
    "ComputationGraph",
    "DrawOptions",
    "FONTNAME",
    "GradScale",
    "GraphRenderError",
    "GraphTooComplexError",
    "VANISHING_BELOW",
    "ZERO",
    "draw_graph",
    "fmt",
    "grad_colour",
    "node_name",
    "render_svg",
    "save_graph",
]


def grad_colour(grad: float) -> str:
    """The fill colour for a gradient on the fixed scale 1e-6 .. 1 (drawings fit their scale to their numbers)."""
    return GradScale().colour(grad)
