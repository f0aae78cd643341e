"""Pictures of backpropagation, split by concern.

- `render`: DOT -> SVG with the system `dot` or Graphviz as WebAssembly, time-limited.
- `cost`: how long a layout will take, estimated before trying.
- `options`: `DrawOptions`, everything `draw_graph` can be told.
- `colours`: the log colour scale of |grad| and its colour bar.
- `display`: how a picture shows in a notebook (saved or live) and fits its width;
  `fonts`: the glyphs a picture carries so that its Korean reads anywhere.
- `node_view`: `draw_graph`, `render_svg`, `save_graph` (one box per node).
- `layers`: which layer of an MLP each node belongs to, and the parameters' names.
- `layer_view`: one row per layer; `compare_gradient_flow`; `gradient_flow_player` (epochs).
- `stepper`: `BackpropStepper`, node by node or layer by layer; `player`: the saved-or-live player they share;
  `drawing_states`: one drawing shown in each step's state.
- `replay`: `training_replay`, models trained side by side and replayed epoch by epoch (one offline player).
- `plots`: matplotlib figures; `report`: the HTML report.
- `extra`: the `viz` extra's packages, with an install hint when one is missing.

`micrograd_ko.draw_graph`, `micrograd_ko.graph`, `micrograd_ko.stepper`, ...
keep working: they lead here. The names below are imported on first use, so
that `micrograd_ko.plots` (matplotlib only) does not need Graphviz.
"""

from importlib import import_module

_LAZY = {
    "BackpropStepper": "stepper",
    "ComputationGraph": "node_view",
    "DrawOptions": "options",
    "GraphRenderError": "render",
    "GraphTooComplexError": "node_view",
    "LayerView": "layer_view",
    "compare_gradient_flow": "layer_view",
    "draw_graph": "node_view",
    "gradient_flow_player": "layer_view",
    "render_svg": "node_view",
    "save_graph": "node_view",
    "TrainingReplay": "replay",
    "training_replay": "replay",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
