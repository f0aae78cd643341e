"""How to draw a computation graph: one options object instead of a long keyword list.

`draw_graph(loss, rankdir="TB")` still works: keywords fill a `DrawOptions`.
An options object can be made once and reused, or varied with `.but(...)`:

    opts = DrawOptions(lang="en", show_local=False)
    draw_graph(loss, opts); draw_graph(other, opts.but(rankdir="TB"))
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ..checks import check_bool
from ..diagnostics import check_grads, neuron_layers
from ..engine import Value
from ..i18n import bilingual, check_language

__all__ = ["DETAILS", "DrawOptions", "EXPAND_DOT_UP_TO", "RANKDIRS", "STYLES"]

RANKDIRS = ("LR", "TB", "RL", "BT")
DETAILS = (None, "neurons", "layers")
STYLES = ("default", "lecture")
EXPAND_DOT_UP_TO = 8  # a `dot` of at most this many products is drawn as the lecture writes it
_BOOLS = ("show_grad", "collapse_params", "legend", "repeat_shared_leaves", "fit")
_OPTIONAL_BOOLS = ("show_local", "compact", "name_unlabeled", "expand_dot")  # None: the default picks


def _check_highlight(highlight):
    """`highlight` is None, a Value or a name (str), or a list of those: which nodes they are is known when drawing."""
    if highlight is None:
        return
    items = [highlight] if isinstance(highlight, (Value, str)) else highlight
    if isinstance(items, (list, tuple, set, frozenset)) and all(isinstance(h, (Value, str)) for h in items):
        return
    raise TypeError(
        bilingual(
            f"highlight는 Value나 노드 이름(str), 또는 그 목록이어야 합니다 (받은 것: {highlight!r})",
            f"highlight must be a Value or a node's name (str), or a list of them, got {highlight!r}",
        )
    )


@dataclass(frozen=True)
class DrawOptions:
    """Everything `draw_graph` can be told.

    - `style`: 'default' (ours: name, data and gradient to 4 significant
      digits stacked in each box, coloured by |grad|, local derivatives on
      the edges) or 'lecture' (what karpathy's lecture `draw_dot` draws: one
      strip `label | data %.4f | grad %.4f` per value, op ellipses, no
      colours, no edge numbers, left to right even when wide; the words follow `lang`).
    - `rankdir`: 'LR' (inputs left), 'TB' (inputs on top), 'RL', 'BT' (in any case: 'tb' is 'TB').
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
      steps through the engine's nodes, one `dot` per step). Not in `group='layer'` (True is refused there).
    - `lang`: 'ko' or 'en' (default: `micrograd_ko.set_language`).
    - `group='layer'` with `model=`: the layer view (one row per layer,
      `viz.layer_view`) for every size of MLP (`detail='layers'`, the
      default). `detail='neurons'` draws one cluster per layer instead, every
      node in it (`detail` without `group='layer'` is refused); `collapse_params`:
      each layer's parameters become one box with their mean |grad|.
    - `highlight`: a node (or nodes) to mark, with the edges its gradient flows
      along: a `Value` of the graph, or a name as the drawing writes it (its
      label, a parameter's `w[0][1][2]`, or '#i'). A node not in the graph, or a
      name no node (or several) goes by, is refused when drawing.
    - `grads`: a mapping node -> gradient (a real number) to show instead of
      `.grad`; a node missing from it shows '?' (used by `BackpropStepper`).
    - The yes/no options take True or False only (the string 'no' is refused, not read as True).
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
        for name in _BOOLS:
            check_bool(name, getattr(self, name), optional=False)
        for name in _OPTIONAL_BOOLS:
            check_bool(name, getattr(self, name), optional=True)
        if self.style not in STYLES:
            raise ValueError(
                bilingual(
                    f"style은 {STYLES} 중 하나입니다 (받은 것: {self.style!r})",
                    f"style must be one of {STYLES}, got {self.style!r}",
                )
            )
        if self.style == "lecture" and self.group is not None:
            raise ValueError(
                bilingual(
                    "style='lecture'는 노드를 모두 그립니다; group='layer'와 함께 쓸 수 없습니다",
                    "style='lecture' draws every node; it does not combine with group='layer'",
                )
            )
        # 'tb' is 'TB': Graphviz's names, in any case.
        rankdir = self.rankdir.upper() if isinstance(self.rankdir, str) else self.rankdir
        if rankdir not in RANKDIRS:
            raise ValueError(
                bilingual(
                    f"rankdir는 {RANKDIRS} 중 하나입니다 (받은 것: {self.rankdir!r})",
                    f"rankdir must be one of {RANKDIRS}, got {self.rankdir!r}",
                )
            )
        object.__setattr__(self, "rankdir", rankdir)  # frozen: the checked value replaces the given one
        if self.group not in (None, "layer"):
            raise ValueError(
                bilingual(
                    f"group은 None 또는 'layer'입니다 (받은 것: {self.group!r})",
                    f"group must be None or 'layer', got {self.group!r}",
                )
            )
        if self.detail not in DETAILS:
            raise ValueError(
                bilingual(
                    f"detail은 {DETAILS} 중 하나입니다 (받은 것: {self.detail!r})",
                    f"detail must be one of {DETAILS}, got {self.detail!r}",
                )
            )
        if self.detail is not None and self.group != "layer":
            raise ValueError(
                bilingual(
                    f"detail={self.detail!r}는 층으로 묶어 그릴 때의 옵션입니다: group='layer', model=모델과 함께 쓰세요",
                    f"detail={self.detail!r} is an option of the layer grouping: use it with group='layer', model=model",
                )
            )
        if self.expand_dot and self.group == "layer":
            raise ValueError(
                bilingual(
                    "expand_dot=True는 뉴런의 곱을 하나씩 그리는데, 층으로 묶은 그림(group='layer')은 그러지 않습니다",
                    "expand_dot=True draws a neuron's products one by one, which the layer grouping (group='layer') "
                    "does not",
                )
            )
        if self.group == "layer" and self.model is None:
            raise ValueError(
                bilingual(
                    "group='layer'에는 model=이 필요합니다 (층마다 매개변수를 알아야 합니다)",
                    "group='layer' needs model= (to know each layer's parameters)",
                )
            )
        if self.model is not None:
            neuron_layers(self.model)  # the model's shape, checked now with its own message
        if self.lang is not None:
            check_language(self.lang)
        if isinstance(self.max_nodes, bool) or not isinstance(self.max_nodes, int) or self.max_nodes < 1:
            raise ValueError(
                bilingual(
                    f"max_nodes는 양의 정수입니다 (받은 것: {self.max_nodes!r})",
                    f"max_nodes must be a positive int, got {self.max_nodes!r}",
                )
            )
        check_grads(self.grads)
        _check_highlight(self.highlight)
        if self.highlight is not None and self.group == "layer" and self.detail != "neurons":
            raise ValueError(
                bilingual(
                    "highlight는 노드를 표시합니다: 층 보기(group='layer')에는 노드가 없으니 detail='neurons'와 함께 쓰세요",
                    "highlight marks nodes, and the layer view (group='layer') draws none: add detail='neurons'",
                )
            )

    @classmethod
    def build(cls, options=None, **changes):
        """`options` (or the defaults) with `changes`; an unknown name is a TypeError naming the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(
                bilingual(
                    f"모르는 그리기 옵션: {unknown}; 아는 옵션: {sorted(known)}",
                    f"unknown drawing option(s) {unknown}; known: {sorted(known)}",
                )
            )
        if options is None:
            return cls(**changes)
        if not isinstance(options, cls):
            raise TypeError(
                bilingual(
                    f"options는 DrawOptions여야 합니다 (받은 자료형: {type(options).__name__})",
                    f"options must be a DrawOptions, got {type(options).__name__}",
                )
            )
        return replace(options, **changes) if changes else options

    def but(self, **changes):
        """A copy with `changes`."""
        return self.build(self, **changes)
