"""How to draw a computation graph: one options object instead of a long keyword list.

`draw_graph(loss, rankdir="TB")` still works: keywords fill a `DrawOptions`.
An options object can be made once and reused, or varied with `.but(...)`:

    opts = DrawOptions(lang="en", show_local=False)
    draw_graph(loss, opts); draw_graph(other, opts.but(rankdir="TB"))
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ..i18n import bilingual, check_language

__all__ = ["DETAILS", "DrawOptions", "EXPAND_DOT_UP_TO", "RANKDIRS", "STYLES"]

RANKDIRS = ("LR", "TB", "RL", "BT")
DETAILS = (None, "neurons", "layers")
STYLES = ("default", "lecture")
EXPAND_DOT_UP_TO = 8  # a `dot` of at most this many products is drawn as the lecture writes it


@dataclass(frozen=True)
class DrawOptions:
    """Everything `draw_graph` can be told.

    - `style`: 'default' (ours: name, data and gradient to 4 significant
      digits stacked in each box, coloured by |grad|, local derivatives on
      the edges) or 'lecture' (what karpathy's lecture `draw_dot` draws: one
      strip `label | data %.4f | grad %.4f` per value, op ellipses, no
      colours, no edge numbers, left to right even when wide; the words follow `lang`).
    - `rankdir`: 'LR' (inputs left), 'TB' (inputs on top), 'RL', 'BT'.
    - `show_grad`: show each node's gradient and colour it by |grad| (log scale).
    - `show_local`: write the local derivative d out / d input on each input
      edge, or for an op of 3 to 32 inputs in a field of the op where the
      edge arrives. Default: yes, except in the lecture style, and left out
      (the caption says so) where they would make the layout slow; True on such
      a graph is refused (`GraphTooComplexError`).
    - `expand_dot`: draw a `dot` node (a neuron's w · x) of at most
      `EXPAND_DOT_UP_TO` products as the lecture does: one `*` per input, then
      a chain of `+`; each drawn product and partial sum carries the `dot`
      node's gradient (d dot / d product = 1). The default expands when the
      drawing shows the graph's own gradients, not for `grads=` (the stepper
      steps through the engine's nodes, one `dot` per step). Not in `group='layer'`.
    - `lang`: 'ko' or 'en' (default: `micrograd_ko.set_language`).
    - `group='layer'` with `model=`: the layer view (one row per layer,
      `viz.layer_view`) for every size of MLP (`detail='layers'`, the
      default). `detail='neurons'` draws one cluster per layer instead, every
      node in it; `collapse_params`: each layer's parameters become one box
      with their mean |grad|.
    - `highlight`: a node (or nodes) to mark, with the edges its gradient flows along.
    - `grads`: a mapping node -> gradient to show instead of `.grad`; a node
      missing from it shows '?' (used by `BackpropStepper`).
    - `legend`: draw the colour bar under the graph.
    - `compact`: write each operation inside its result's box instead of a
      separate ellipse (half the nodes); the default is compact for `group='layer'`.
    - `name_unlabeled`: show '#i' (the node's place in the order) for nodes
      without a label; the default does so except in a layer view and in the
      lecture style, so that the graph and the stepper's text call a node the same.
    - `repeat_shared_leaves`: draw a leaf used many times (a weight reused
      at every step) once per use: long edges across the whole graph are what
      makes a layout slow.
    - `max_nodes`: refuse graphs with more boxes than this.
    - `fit`: in a notebook, redraw top-to-bottom when left-to-right is too
      wide to read at the notebook's width; with `model=`, draw the layer
      view when neither reads. A note under the picture says so, unless
      `group='layer'` (without `detail='neurons'`) asked for layers.
    """

    rankdir: str = "LR"
    show_grad: bool = True
    show_local: bool | None = None
    lang: str | None = None
    group: str | None = None
    model: object = None
    collapse_params: bool = True
    detail: str | None = None
    highlight: object = None
    grads: object = None
    legend: bool = True
    compact: bool | None = None
    name_unlabeled: bool | None = None
    repeat_shared_leaves: bool = False
    max_nodes: int = 2000
    fit: bool = True
    style: str = "default"
    expand_dot: bool | None = None

    def __post_init__(self):
        if self.style not in STYLES:
            raise ValueError(
                bilingual(f"style은 {STYLES} 중 하나입니다", f"style must be one of {STYLES}, got {self.style!r}")
            )
        if self.style == "lecture" and self.group is not None:
            raise ValueError(
                bilingual(
                    "style='lecture'는 노드를 모두 그립니다; group='layer'와 함께 쓸 수 없습니다",
                    "style='lecture' draws every node; it does not combine with group='layer'",
                )
            )
        if self.rankdir not in RANKDIRS:
            raise ValueError(
                bilingual(
                    f"rankdir는 {RANKDIRS} 중 하나입니다", f"rankdir must be one of {RANKDIRS}, got {self.rankdir!r}"
                )
            )
        if self.group not in (None, "layer"):
            raise ValueError(
                bilingual("group은 None 또는 'layer'입니다", f"group must be None or 'layer', got {self.group!r}")
            )
        if self.detail not in DETAILS:
            raise ValueError(
                bilingual(f"detail은 {DETAILS} 중 하나입니다", f"detail must be one of {DETAILS}, got {self.detail!r}")
            )
        if self.group == "layer" and self.model is None:
            raise ValueError(
                bilingual(
                    "group='layer'에는 model=이 필요합니다 (층마다 매개변수를 알아야 합니다)",
                    "group='layer' needs model= (to know each layer's parameters)",
                )
            )
        if self.lang is not None:
            check_language(self.lang)
        if not isinstance(self.max_nodes, int) or self.max_nodes < 1:
            raise ValueError(
                bilingual("max_nodes는 양의 정수입니다", f"max_nodes must be a positive int, got {self.max_nodes!r}")
            )

    @classmethod
    def build(cls, options=None, **changes):
        """`options` (or the defaults) with `changes`; an unknown name is a TypeError naming the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(
                bilingual(
                    f"모르는 그리기 옵션: {unknown}", f"unknown drawing option(s) {unknown}; known: {sorted(known)}"
                )
            )
        if options is None:
            return cls(**changes)
        if not isinstance(options, cls):
            raise TypeError(
                bilingual(
                    "options는 DrawOptions여야 합니다", f"options must be a DrawOptions, got {type(options).__name__}"
                )
            )
        return replace(options, **changes) if changes else options

    def but(self, **changes):
        """A copy with `changes`."""
        return self.build(self, **changes)
