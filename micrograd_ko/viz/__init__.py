"""Pictures of backpropagation, split by concern.

- `render`: DOT -> SVG with the system `dot` or Graphviz as WebAssembly, time-limited.
- `cost`: how long a layout will take, estimated before trying.
- `options`: `DrawOptions`, everything `draw_graph` can be told.
- `colours`: the log colour scale of |grad| and its colour bar.
- `display`: how a picture shows in a notebook (saved or live) and fits its width;
  `fonts`: the glyphs a picture carries so that its Korean reads anywhere.
- `node_view`: `draw_graph`, `render_svg`, `save_graph` (one box per node).
- `layers`: which layer of an MLP each node belongs to.
- `layer_view`: one row per layer; `compare_gradient_flow`; `gradient_flow_player` (epochs).
- `stepper`: `BackpropStepper`, node by node or layer by layer; `player`: the saved-or-live player they share.
- `plots`: matplotlib figures; `report`: the HTML report.

`micrograd_ko.draw_graph`, `micrograd_ko.graph`, `micrograd_ko.stepper`, ...
keep working: they lead here.
"""

from .layer_view import LayerView, compare_gradient_flow, gradient_flow_player
from .node_view import ComputationGraph, GraphTooComplexError, draw_graph, render_svg, save_graph
from .options import DrawOptions
from .render import GraphRenderError
from .stepper import BackpropStepper

__all__ = ["BackpropStepper", "ComputationGraph", "DrawOptions", "GraphRenderError", "GraphTooComplexError", "LayerView",
           "compare_gradient_flow", "draw_graph", "gradient_flow_player", "render_svg", "save_graph"]
