"""Compatibility: the drawing code lives in `micrograd_ko.viz` (`viz.node_view` and friends)."""

from .viz.colours import GradScale, VANISHING_BELOW, ZERO
from .viz.node_view import FONTNAME, ComputationGraph, GraphTooComplexError, draw_graph, fmt, node_name, render_svg, save_graph
from .viz.options import DrawOptions
from .viz.render import GraphRenderError

__all__ = ["ComputationGraph", "DrawOptions", "FONTNAME", "GradScale", "GraphRenderError", "GraphTooComplexError",
           "VANISHING_BELOW", "ZERO", "draw_graph", "fmt", "node_name", "render_svg", "save_graph"]
