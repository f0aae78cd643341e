"""The node view: a computation graph (계산 그래프) drawn node by node with Graphviz.

`draw_graph(loss)` returns a `ComputationGraph` (a `graphviz.Digraph`): every
`Value` is a record box (name | data | grad), every operation an ellipse, and
every edge from an input to an operation carries the local derivative
(국소적 미분) d out / d input stored on the node (an op of 3 to 32 inputs
writes them in its own fields, one where each edge arrives). Boxes are
coloured by |grad| on a continuous log scale, explained by a colour bar under
the graph; exactly 0 has its own grey, a vanishing gradient (기울기 소실) turns red.
A neuron's `dot` node of up to 8 products is drawn as the lecture writes it,
one `*` per input and a `+` chain (`dot_parts`); `style='lecture'` draws what
karpathy's lecture `draw_dot` draws. Labels are drawn exactly as written.

For an MLP, `draw_graph(loss, group='layer', model=model)` gives the layer
view (`viz.layer_view`), the same picture for every size of MLP;
`detail='neurons'` asks for one cluster per layer instead, every node drawn.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..checks import check_bool
from ..diagnostics import layers_attribute, mean_abs
from ..engine import Value, grad_number, topological_order
from ..files import check_file_name, write_file
from ..i18n import bilingual, tr
from ..module import Module
from . import display, fonts
from .colours import HIGHLIGHT, PENDING, GradScale, colour_bar, text_colour
from .cost import MAX_CROSSING_WORK, MAX_EDGES, MAX_LONG_EDGE_NODES, layout_cost
from .dot_parts import Part, expand
from .extra import require
from .layer_view import LayerView
from .layers import INPUT, LOSS, assign_layers, parameter_names
from .options import EXPAND_DOT_UP_TO, DrawOptions
from .render import GraphRenderError, StackExhaustedError, check_renderer, render

graphviz = require("graphviz", "draw_graph")

__all__ = ["ComputationGraph", "GraphTooComplexError", "draw_graph", "fmt", "node_name", "render_svg", "save_graph"]

# Korean fonts first: the SVG names this list and the browser picks the first it has.
FONTNAME = "NanumGothic, Noto Sans CJK KR, Malgun Gothic, AppleGothic, sans-serif"
MAX_LOCAL_FIELDS = 32  # an op with more inputs (a dot of 17 products) is drawn without their local derivatives


class GraphTooComplexError(ValueError):
    """The graph would take Graphviz too long to lay out; refused before trying."""


def fmt(x):
    """A number as drawn: 4 significant digits, so 1e-07 stays visible; -0.0 is written 0.

    A whole number drawn is that number: where 4 digits would round to one it is not, the fewest digits
    (up to 12) that tell them apart are drawn. A saturated tanh's -0.9999877 drawn as '-1' made its local
    derivative 1 - tanh² read 0 beside the gradient 2.458e-05 it passes on; it is drawn -0.99999. Float
    noise (3.0000000000000004, 12 digits still read 3) stays 3.
    """
    if x == 0:
        return f"{x + 0.0:.4g}"
    text = f"{x:.4g}"
    if not math.isfinite(x) or "." in text or "e" in text or float(text) == x:
        return text
    return next((f"{x:.{d}g}" for d in range(5, 13) if f"{x:.{d}g}" != text), text)


def lecture_number(x):
    """A number as the lecture's `draw_dot` writes it ('%.4f'), in exponent form from 1e15 up
    (where '%.4f' would write every digit of 1e300)."""
    return f"{x:.4f}" if abs(x) < 1e15 else f"{x:.4e}"


def node_name(node, index, names=None):
    """How a node is called in drawings and texts: its label, else its name in `names`
    (a model's parameters: `layers.parameter_names`), else '#index' (its place in the order)."""
    if node.label:
        return " ".join(str(node.label).split())  # a label set by hand may be a number
    if names and node in names:
        return names[node]
    return f"#{index}"


# --------------------------------------------------------------------------
# Text inside Graphviz labels
# --------------------------------------------------------------------------

# Characters with a meaning inside a record label, plus the DOT string's own. Graphviz decodes
# HTML entities in every label (`&lt;` would be drawn as `<`): an `&` is written `&amp;`, which
# Graphviz decodes back to `&` and writes to the SVG escaped, so `&lt;` is drawn as those 4 characters.
_RECORD_ESCAPES = str.maketrans({c: "\\" + c for c in '{}|<>"\\'} | {"&": "&amp;"})
_PLAIN_ESCAPES = str.maketrans({c: "\\" + c for c in '"\\'} | {"&": "&amp;"})
# Characters a drawing cannot show: control characters (a NUL ends a DOT string; the others are
# invalid in SVG or invisible) and lone surrogates (not UTF-8). Each is drawn as its Python escape,
# as repr() shows it: "a\0b" is drawn a\x00b. (Whitespace such as tab and newline becomes a blank.)
_UNDRAWABLE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")

# Hangul and other full-width characters. Without font files (the WebAssembly build has
# none) Graphviz estimates text width at 1/4 em per UTF-8 byte: 0.75 em for a Hangul
# syllable that is drawn ~1 em wide, so Korean text would overflow its box. Every
# zero-width space (3 bytes, drawn 0 wide) adds the missing 0.75 em per 3 such characters.
_WIDE = re.compile("[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_WIDTH_PAD = "\u200b"


def one_line(text):
    """`text` on one line, padded for its full-width characters, as it appears in the drawn SVG."""
    text = _UNDRAWABLE.sub(lambda m: repr(m[0])[1:-1], " ".join(str(text).split()))
    return text + _WIDTH_PAD * -(-len(_WIDE.findall(text)) // 3)


def _record_text(text):
    """Text shown literally in one field of a record label."""
    return one_line(text).translate(_RECORD_ESCAPES)


def plain_text(text):
    """Text shown literally in a plain label (`graphviz.nohtml` keeps it from being read as HTML)."""
    return graphviz.nohtml(one_line(text).translate(_PLAIN_ESCAPES))


# --------------------------------------------------------------------------
# The public functions
# --------------------------------------------------------------------------


def _roots(root):
    """`root` as a list of Values; anything else is a TypeError naming what is wrong with it."""
    if isinstance(root, Value):
        return [root]
    if not isinstance(root, (list, tuple)):
        raise TypeError(_not_drawable(root))
    if not root:
        raise TypeError(
            bilingual(
                "draw_graph에 빈 목록을 주었습니다: 그릴 Value가 없습니다",
                "draw_graph got an empty list: no Value to draw",
            )
        )
    bad = next((i for i, r in enumerate(root) if not isinstance(r, Value)), None)
    if bad is not None:
        kind = type(root[bad]).__name__
        raise TypeError(
            bilingual(
                f"draw_graph는 Value 목록을 그리는데 [{bad}]이(가) {kind}입니다",
                f"draw_graph draws a list of Values, but item [{bad}] is a {kind}",
            )
        )
    return list(root)


def _not_drawable(obj):
    """Why `obj` cannot be drawn; a model (a `Module`) is drawn from its loss, and the message says how."""
    kind = type(obj).__name__
    if isinstance(obj, Module):
        return bilingual(
            f"{kind}은(는) 모델입니다: 그래프는 손실에서 그립니다 (draw_graph(loss, group='layer', model=model))",
            f"a {kind} is a model: its graph is drawn from a loss (draw_graph(loss, group='layer', model=model))",
        )
    return bilingual(
        f"draw_graph에는 Value(또는 Value 목록)가 필요합니다 (받은 자료형: {kind})",
        f"draw_graph needs a Value or a list of Values, got {kind}",
    )


def draw_graph(
    root: Value | Sequence[Value], options: DrawOptions | None = None, /, **kwargs: Any
) -> ComputationGraph | LayerView:
    """The computation graph of `root` (a `Value`, or a list of them).

    Options come as a `DrawOptions` or as its fields by keyword (see
    `DrawOptions` for each): `draw_graph(loss, rankdir='TB', lang='en')`.
    Returns a `ComputationGraph` (a `graphviz.Digraph`), or for
    `group='layer'` on a large graph the layer view (`LayerView`).

    Refused at once, with what to do instead: more boxes than `max_nodes`, or
    a shape Graphviz would take minutes over (`GraphTooComplexError`).
    """
    opts = DrawOptions.build(options, **kwargs)
    roots = _roots(root)
    drawer = _Drawer(roots, opts)
    if drawer.by_layer:
        return LayerView.from_model(
            opts.model, grads=opts.grads, lang=opts.lang, loss=roots[0] if len(roots) == 1 else None
        )
    if drawer.size > opts.max_nodes:
        raise GraphTooComplexError(
            bilingual(
                f"노드가 {drawer.size}개로 너무 많습니다 (max_nodes={opts.max_nodes}); 더 작은 그래프나 group='layer'를 쓰세요",
                f"{drawer.size} nodes is too many to lay out (max_nodes={opts.max_nodes}); draw a smaller graph or use group='layer'",
            )
        )
    return drawer.draw()


def _drawing(obj, options, kwargs):
    """`obj` drawn with the options if it is a Value (or a list of them); a drawing as it is, without options."""
    if isinstance(obj, (Value, list, tuple)):
        return draw_graph(obj, options, **kwargs)
    if options is not None or kwargs:
        raise TypeError(
            bilingual(
                f"이미 그린 그림에는 그리기 옵션을 줄 수 없습니다: {sorted(kwargs) or 'options'}",
                f"drawing options need a Value, not a drawing: {sorted(kwargs) or 'options'}",
            )
        )
    return obj


def _svg_of(drawing, renderer):
    if isinstance(drawing, ComputationGraph):
        return drawing.svg(renderer)
    if hasattr(drawing, "source"):  # any graphviz Digraph, Graph or Source
        return render(drawing.source, "svg", renderer).decode("utf-8")
    if hasattr(drawing, "svg"):  # a LayerView
        return drawing.svg()
    if isinstance(drawing, Module):
        raise TypeError(_not_drawable(drawing))
    raise TypeError(
        bilingual(
            f"{type(drawing).__name__}은(는) 그릴 수 없습니다: Value나 그림을 주세요",
            f"cannot draw a {type(drawing).__name__}: pass a Value or a drawing",
        )
    )


def render_svg(
    obj: Any, options: DrawOptions | None = None, /, *, renderer: str = "auto", embed_font: bool = True, **kwargs: Any
) -> str:
    """SVG text of a drawing: `obj` is a `Value` (drawn with `draw_graph(obj, options, **kwargs)`) or a drawing.

    `renderer`: 'auto' (system `dot` if on PATH, else WebAssembly), 'dot' or 'wasm'.
    `embed_font`: carry the glyphs of its non-ASCII text (`fonts.embed`, a
    few kB), so that the Korean in a saved file reads on machines without a
    Korean font (CI, containers) too.
    """
    check_bool("embed_font", embed_font)
    check_renderer(renderer)
    svg = _svg_of(_drawing(obj, options, kwargs), renderer)
    return fonts.embed(svg) if embed_font else svg


def save_graph(
    obj: Any,
    path: str | os.PathLike[str],
    options: DrawOptions | None = None,
    /,
    *,
    renderer: str = "auto",
    **kwargs: Any,
) -> Path:
    """Write a drawing to `path`; the suffix picks the format. Returns the path.

    .svg always works, and carries the glyphs of its Korean text; .gv / .dot
    write the DOT source of a node view; other formats (.png, .pdf, ...)
    need the system Graphviz.
    """
    check_file_name(path)
    check_renderer(renderer)
    path = Path(path)
    fmt_ = path.suffix.lower().lstrip(".")
    if not fmt_:
        raise ValueError(
            bilingual(
                f"파일 확장자로 형식을 정합니다 (.svg, .png, ...): {path}", f"the file suffix picks the format: {path}"
            )
        )
    drawing = _drawing(obj, options, kwargs)
    if fmt_ == "svg":  # with its glyphs (`fonts.embed`): the Korean reads on any machine
        return write_file(path, fonts.embed(_svg_of(drawing, renderer)))
    if not hasattr(drawing, "source"):
        raise GraphRenderError(
            bilingual(
                f"층 보기는 .svg로만 저장합니다 (.{fmt_}은 안 됩니다)",
                f"a layer view is saved as .svg only, not .{fmt_}",
            )
        )
    if fmt_ in ("gv", "dot"):
        return write_file(path, drawing.source)
    return write_file(path, render(drawing.source, fmt_, renderer))


class ComputationGraph(graphviz.Digraph):
    """A `graphviz.Digraph` that displays in Jupyter, saved or live, without a system Graphviz.

    Everything of the Digraph API stays (`.source`, `.node`, `.subgraph`, ...).
    `svg()` is the drawing with its colour bar; the notebook shows it as an
    <img> scaled to the output's width, redrawn top-to-bottom when that is
    needed for its text to stay readable, and for an MLP whose every node
    cannot be read at that width, as its layer view (see `display`).
    """

    _scale = None  # the GradScale of the colour bar, or None for no bar
    _pending = False  # the bar also explains '?'
    _not_a_number = False  # the bar also explains the purple of a nan gradient
    _options = None
    _roots = None
    _numbered = False  # local derivatives drawn because the default chose to (see `svg`)

    def svg(self, renderer="auto"):
        try:
            drawn = render(self.source, "svg", renderer).decode("utf-8")
        except StackExhaustedError:
            # The cost estimate kept the numbers, but their ranks are too deep for the WebAssembly
            # Graphviz's stack: left out, as the default does where they would be slow.
            if not self._numbered:
                raise
            return self._without_numbers().svg(renderer)
        if self._scale is None:
            return drawn
        lang = self._options.lang if self._options else None
        width = min(max(360.0, display.size_px(drawn)[0] * 0.75 - 16), 480.0)  # pt
        uid = (self.graph_attr.get("id") or "mgk") + "_legend"
        bar, height = colour_bar(
            self._scale,
            width=width,
            uid=uid,
            lang=lang,
            pending=self._pending,
            not_a_number=self._not_a_number,
            font=FONTNAME,
            font_size=10,
        )
        return display.compose(drawn, bar, height, width, FONTNAME)

    def _without_numbers(self):
        """This drawing with its local derivatives left out (the caption says so)."""
        plain = _Drawer(self._roots, self._options).draw(numbers=False)
        plain.graph_attr.update({k: v for k, v in self.graph_attr.items() if k == "id"})
        return plain

    def _repr_image_svg_xml(self):
        return self.svg()

    def __repr__(self):
        # The text a notebook keeps beside the picture: the same on every run (no memory address).
        nodes = sum(1 for line in self.body if "->" not in line and "[" in line)
        lang = self._options.lang if self._options else None
        return tr(f"<계산 그래프: 상자와 연산 {nodes}개>", f"<computation graph: {nodes} boxes and ops>", lang)

    _repr_svg_ = _repr_image_svg_xml

    def fitted_svg(self, width=display.OUTPUT_WIDTH):
        """The SVG to show at `width` px, and a note when it had to be redrawn or is still too small."""
        svg = self.svg()
        opts = self._options
        if opts is None or not opts.fit or display.fits(svg, width):
            return svg, None
        lang = opts.lang
        note = None
        lecture = opts.style == "lecture"  # the lecture's picture is drawn as it was asked for
        turned = "TB" if opts.rankdir in ("LR", "RL") else "LR"
        if not lecture:
            other = draw_graph(self._roots, opts.but(rankdir=turned))
            other.graph_attr.update({k: v for k, v in self.graph_attr.items() if k == "id"})
            other_svg = other.svg()
            if display.on_screen_text(other_svg, width) > display.on_screen_text(svg, width):
                svg = other_svg
                note = tr(
                    f"노트북 폭에 맞추려고 rankdir='{turned}'로 그렸습니다",
                    f"drawn with rankdir='{turned}' to fit the notebook's width",
                    lang,
                )
        if (
            not display.fits(svg, width) and opts.model is not None and not lecture
        ):  # an MLP: its layer view always fits
            svg = LayerView.from_model(opts.model, grads=opts.grads, lang=lang).svg()
            # group='layer' (without detail='neurons') asked for layers: the layer view is one, nothing to explain.
            # Otherwise (model= alone, or every node asked for) the switch was ours: say why.
            note = (
                None
                if opts.group == "layer" and opts.detail is None
                else tr(
                    "노드마다 그리면 이 폭에서 읽을 수 없어 층 보기로 그렸습니다 (노드마다: save_graph(그래프, 'graph.svg'))",
                    "every node would be unreadable at this width: drawn as the layer view (every node: save_graph(graph, 'graph.svg'))",
                    lang,
                )
            )
        elif lecture and not display.fits(svg, width):  # the lecture's layout kept: readable, scrolled sideways
            note = tr(
                "강의처럼 왼쪽에서 오른쪽으로 그린 그림입니다: 옆으로 스크롤해 보세요 (save_graph로 저장해도 됩니다)",
                "drawn left to right as in the lecture: scroll sideways (or save_graph it)",
                lang,
            )
        elif not display.fits(svg, width):
            note = tr(
                "이 폭에서는 글자가 작습니다: save_graph(그래프, 'graph.svg')로 저장해 크게 보세요",
                "the text is small at this width: save_graph(graph, 'graph.svg') to view it large",
                lang,
            )
        return svg, note

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        svg, note = self.fitted_svg()
        lang = self._options.lang if self._options else None
        alt = tr("계산 그래프", "computation graph", lang)
        lecture = self._options is not None and self._options.style == "lecture"
        return display.mimebundle(svg, alt, note=note, include=include, exclude=exclude, scroll=lecture)


# --------------------------------------------------------------------------
# Building the Digraph
# --------------------------------------------------------------------------


def _order(roots):
    order, seen = [], set()
    for root in roots:
        for node in topological_order(root):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


class _Sketch:
    """Stands in for a Digraph while the drawer only counts nodes and edges (`_Drawer.draw`)."""

    def node(self, *args, **kwargs):
        pass

    edge = attr = node

    @contextlib.contextmanager
    def subgraph(self, **kwargs):
        yield self


class _Drawer:
    """Builds one Digraph; the state shared by the small drawing steps."""

    def __init__(self, roots, opts):
        self.roots, self.opts, self.lang = roots, opts, opts.lang
        self.order = _order(roots)
        self.index = {node: i for i, node in enumerate(self.order)}
        self.param_names = parameter_names(opts.model) if opts.model is not None else {}
        self.highlight = self.highlighted(opts.highlight)
        # Before any backward every gradient is 0: colouring all of them "0" would mislead.
        self.has_grads = opts.grads is not None or any(node.grad != 0.0 for node in self.order)
        self.grouped = opts.group == "layer"
        self.layers = assign_layers(self.order, opts.model) if self.grouped else None
        self.group = self.layers.group if self.grouped else {}
        self.param_layer = self.layers.param_layer if self.grouped else {}
        self.compact = self.grouped if opts.compact is None else opts.compact
        self.collapsed = opts.collapse_params and self.grouped
        self.lecture = opts.style == "lecture"
        # The lecture leaves an unlabeled value's label field empty; ours names it '#i'.
        self.name_unlabeled = not (self.grouped or self.lecture) if opts.name_unlabeled is None else opts.name_unlabeled
        self.show_local = not self.lecture if opts.show_local is None else opts.show_local
        self.drawn, self.shown = self.expanded_order()
        self.size = sum(1 for n in self.drawn if not (self.collapsed and n in self.param_layer))
        self.by_layer = self.grouped and opts.detail != "neurons"  # one picture for group='layer' at every size
        self.uses = {}
        for node in self.drawn:
            for p in self.parents(node):
                self.uses[p] = self.uses.get(p, 0) + 1
        self.nodes, self.edges, self.numbers = [], [], set()  # ids, for the layout-cost estimate
        self.numbers_shown = True  # local derivatives drawn, unless they would make the layout slow (`draw`)
        self.straight_spine = False
        self.scale = GradScale() if self.has_grads else None  # the fixed colours of every picture, never rescaled

    def expanded_order(self):
        """(the nodes to draw, {dot node: how it is drawn}): each `dot` of a few products with its steps
        before it (`dot_parts`), when `expand_dot` asks for it (see `DrawOptions`)."""
        expand_dot = self.opts.grads is None if self.opts.expand_dot is None else self.opts.expand_dot
        if not expand_dot or self.grouped:
            return self.order, {}
        drawn, shown = [], {}
        for node in self.order:
            steps = expand(node, EXPAND_DOT_UP_TO)
            if steps is not None:
                drawn += steps[0]
                shown[node] = steps[1]
            drawn.append(node)
        return drawn, shown

    def highlighted(self, highlight):
        """The nodes `highlight` names (see `DrawOptions`); a node not in the graph, or a name that is
        not exactly one node's, is refused: nothing would be marked, and nothing would say why."""
        if highlight is None:
            return set()
        marked = set()
        for item in [highlight] if isinstance(highlight, (Value, str)) else highlight:
            if isinstance(item, Value):
                if item not in self.index:
                    raise ValueError(
                        bilingual(
                            f"highlight의 노드 {item!r}는 이 그래프에 없습니다",
                            f"the highlight node {item!r} is not in this graph",
                        )
                    )
                marked.add(item)
                continue
            named = [node for node in self.order if self.name(node) == item]
            if len(named) != 1:
                ko, en = ("없습니다", "no node") if not named else (f"{len(named)}개입니다", f"{len(named)} nodes")
                raise ValueError(
                    bilingual(
                        f"highlight={item!r}: 이 그래프에서 그 이름의 노드가 {ko}; 노드(Value) 자체를 주세요",
                        f"highlight={item!r}: {en} in this graph go by that name; pass the node (the Value) itself",
                    )
                )
            marked.add(named[0])
        return marked

    # -- helpers -----------------------------------------------------------------

    def parents(self, node):
        """The nodes whose edges come into `node` in the drawing."""
        return self.shown[node].parents if node in self.shown else node._prev

    def op(self, node):
        return self.shown[node].op if node in self.shown else node._op

    def local_grads(self, node):
        return self.shown[node].locals if node in self.shown else node.local_grads()

    def id(self, node):
        if isinstance(node, Part):
            return f"{self.id(node.whole)}_{node.key}"
        return f"v{self.index[node]}"

    def name(self, node):
        return node_name(node, self.index[node], self.param_names)

    def shown_name(self, node):
        """The name written in `node`'s box, or None. A product inside a `dot` is named after its
        factors ('w*x') when both have a name; a partial sum is not named."""
        if isinstance(node, Part):
            names = [self.shown_name(p) for p in node._prev]
            return "*".join(names) if node._op == "*" and all(names) else None
        if node.label or node in self.param_names or self.name_unlabeled:
            return self.name(node)
        return None

    def grad_of(self, node):
        if isinstance(node, Part):  # d dot / d step = 1: the step's gradient is the dot node's
            node = node.whole
        return grad_number(node) if self.opts.grads is None else self.opts.grads.get(node)

    def marked(self, node):
        """Whether `node` is highlighted (a step inside a `dot` node is, with it)."""
        return (node.whole if isinstance(node, Part) else node) in self.highlight

    def mean_abs_grad(self, nodes):
        """Mean |grad| of `nodes`, or None while any of them has no gradient yet."""
        grads = [self.grad_of(n) for n in nodes]
        if not grads or any(g is None for g in grads):
            return None
        return mean_abs(grads)

    def fill(self, grad):
        if not self.opts.show_grad or not self.has_grads or grad is None:
            return PENDING
        return self.scale.colour(grad)

    def grad_text(self, grad):
        return "?" if grad is None else fmt(grad)

    def value_label(self, node):
        if self.lecture:
            return self.lecture_label(node)
        fields = [self.op(node)] if self.compact and self.op(node) else []
        name = self.shown_name(node)
        if name is not None:
            fields.append(name)
        fields.append(f"{tr('데이터', 'data', self.lang)} {fmt(node.data)}")
        if self.opts.show_grad:
            fields.append(f"{tr('기울기', 'grad', self.lang)} {self.grad_text(self.grad_of(node))}")
        return self.record(fields)

    def lecture_label(self, node):
        """The lecture's record: `{ label | data %.4f | grad %.4f }`, side by side left to right."""
        fields = [self.op(node)] if self.compact and self.op(node) else []
        fields.append(self.shown_name(node) or "")
        fields.append(f"{tr('데이터', 'data', self.lang)} {lecture_number(node.data)}")
        if self.opts.show_grad:
            grad = self.grad_of(node)
            fields.append(f"{tr('기울기', 'grad', self.lang)} {'?' if grad is None else lecture_number(grad)}")
        # Braced whatever the rankdir, as in the lecture; no blanks around '|' (see `record`).
        return graphviz.nohtml("{" + "|".join(_record_text(f) for f in fields) + "}")

    def record(self, fields):
        """A record label showing `fields` literally, one above the other.

        Stacked fields make narrow boxes: a picture about half as wide as
        with the fields side by side, which is what lets it fit a notebook.
        """
        # No blanks around the separators: Graphviz 2.43 then drops the next blank after Hangul.
        body = "|".join(_record_text(f) for f in fields)
        # A left-to-right graph stacks a record's fields unless they are braced; top-to-bottom, the reverse.
        return graphviz.nohtml(body if self.opts.rankdir in ("LR", "RL") else "{" + body + "}")

    def node_attrs(self, node, kind):
        """The SVG class (value/op, plus 'current' when highlighted) and the highlight's border."""
        if self.marked(node):
            return {"class": f"{kind} current", "penwidth": "3", "color": HIGHLIGHT}
        return {"class": kind}

    def edge_mark(self, node):
        return {"color": HIGHLIGHT, "penwidth": "2.5"} if self.marked(node) else {}

    def add_node(self, container, vid, label, **attrs):
        self.nodes.append(vid)
        fill = attrs.get("fillcolor")
        if fill:
            attrs["fontcolor"] = text_colour(fill)
        container.node(vid, label, **attrs)

    def add_edge(self, g, tail, head, port=None, **attrs):
        self.edges.append((tail, head))
        if "label" in attrs:
            self.numbers.add("edges")
        g.edge(tail, head if port is None else f"{head}:{port}", **attrs)

    def input_locals(self, node):
        """The local derivatives of `node`'s inputs (None where its op has no known rule)."""
        locals_ = self.local_grads(node)
        if len(locals_) != len(self.parents(node)):  # built with Value(data, children, op): no known derivative
            return (None,) * len(self.parents(node))
        return locals_

    def labelled(self, node):
        """Whether the edges into `node` carry their local derivatives.

        Not in a grouped view for a neuron's dot (2n inputs: n labels per neuron
        would bury the picture), nor for an op of more than `MAX_LOCAL_FIELDS`
        inputs (a softmax of 40 would write 1,600 numbers in 40 columns of 40),
        nor for a node that stores none (the lecture's `_backward` function).
        """
        inputs = len(self.parents(node))
        return (
            self.show_local
            and self.numbers_shown
            and not (self.grouped and inputs > 2)
            and inputs <= MAX_LOCAL_FIELDS
            and len(self.local_grads(node)) == inputs
        )

    def ported(self, node):
        """Whether `node`'s op is drawn with one field per input holding its local derivative.

        Edge labels of an op with many inputs crowd around it and sit on each
        other's edges; in a field where its edge arrives, each number is clearly its edge's.
        """
        return not self.compact and self.labelled(node) and len(self.parents(node)) > 2

    def op_label(self, node):
        """The op's label: its name, or with `ported`, its name beside a field per input (port p0, p1, ...)."""
        if not self.ported(node):
            return plain_text(self.op(node))
        ports = "|".join(
            f"<p{k}>" + ("?" if local is None else _record_text(fmt(local)))
            for k, local in enumerate(self.input_locals(node))
        )
        # The inputs' side first: left when drawn left to right, on top when top to bottom.
        parts = ["{" + ports + "}", _record_text(self.op(node))]
        if self.opts.rankdir in ("RL", "BT"):
            parts.reverse()
        return graphviz.nohtml("{" + "|".join(parts) + "}")

    def op_drawn(self, node):
        """Whether `node`'s op is drawn as its own node: when not compact, for a named op, and for every
        node with inputs, whose edges arrive there (micrograd's `Value(data, children)` leaves the name '')."""
        return not self.compact and bool(self.op(node) or self.parents(node))

    def repeated(self, node):
        """Whether `node` is a shared leaf drawn once per use."""
        return self.opts.repeat_shared_leaves and not self.parents(node) and self.uses.get(node, 0) > 1

    # -- the graph ---------------------------------------------------------------

    def draw(self, numbers=True):
        """The Digraph; refused if its layout would be slow. `numbers=False`: without local derivatives.

        Edges between computed nodes weigh more when nothing crosses the
        picture: dot then keeps a long chain straight with its leaves beside
        it, instead of drifting sideways by half a box at every step (a
        picture twice as wide). With long edges the weights make the layout
        several times slower, so they are left out there.
        """
        edges = sum(len(node._prev) for node in self.order)
        if edges > MAX_EDGES:  # too dense to sketch: refused at once
            self.refuse_dense(edges)
        self.build(_Sketch())  # the node and edge ids only, for the estimate
        cost = layout_cost(self.nodes, self.edges)
        numbered = layout_cost(self.nodes, self.edges, labels=True) if "edges" in self.numbers else cost
        if self.numbers and (not numbers or numbered.too_slow(numbers=True)):
            # The numbers are most of the work (an edge label doubles every rank; a record of
            # many fields is placed field by field): without them the layout may be quick.
            if self.opts.show_local:
                self.refuse_numbers()
            self.numbers_shown = False
            self.build(_Sketch())
            cost = layout_cost(self.nodes, self.edges)
        if cost.long_edge_nodes > MAX_LONG_EDGE_NODES:
            self.refuse_long_edges(cost.long_edge_nodes)
        if cost.too_slow(numbers=False):
            self.refuse_dense(len(self.edges), cost)
        self.straight_spine = cost.long_edge_nodes == 0
        return self.build()

    def build(self, g=None):
        """The Digraph, or with `g` a `_Sketch`, the same steps recording only what is drawn."""
        self.nodes, self.edges, self.numbers = [], [], set()  # numbers: where local derivatives are written
        g = (
            g
            if g is not None
            else ComputationGraph(
                # Grouped graphs have dense layer-to-layer edges: curved splines through them take
                # seconds and loop far around the clusters, so straight lines; and the network
                # simplex passes that place and rank the nodes are capped (nslimit).
                graph_attr={"rankdir": self.opts.rankdir, "fontname": FONTNAME, "fontsize": "12"}
                | ({"splines": "line", "nslimit": "1", "nslimit1": "1"} if self.grouped else {}),
                node_attr={"fontname": FONTNAME, "fontsize": "12"},
                edge_attr={"fontname": FONTNAME, "fontsize": "10"},
            )
        )
        members = {}
        for node in self.drawn:
            members.setdefault(self.group.get(node), []).append(node)
        for key, nodes in members.items():
            if key is None:
                self.add_nodes(g, nodes)
                continue
            with g.subgraph(name=f"cluster_{key if isinstance(key, str) else f'layer{key}'}") as cluster:
                cluster.attr(label=plain_text(self.cluster_label(key)), style="rounded", color="#999999")
                self.add_nodes(cluster, nodes)
            if self.collapsed and isinstance(key, int):
                # Outside the cluster: ranked before the layer's first nodes, inside it the box
                # would stretch the cluster back over the previous layer's last rank.
                self.add_summary(g, key, [n for n in nodes if n in self.param_layer])
        self.add_edges(g)
        caption = self.caption()
        if caption:
            g.attr(label=plain_text(caption), labelloc="b")
        if self.opts.show_grad and self.has_grads and self.opts.legend and not self.lecture:
            g._scale, g._pending = self.scale, self.opts.grads is not None
            g._not_a_number = any(grad != grad for grad in map(self.grad_of, self.drawn))  # nan, set by hand
        g._options, g._roots = self.opts, self.roots
        g._numbered = bool(self.numbers) and self.opts.show_local is None
        return g

    def refuse_long_edges(self, hidden):
        shared = sorted(
            (n for n in self.order if not n._prev and self.uses.get(n, 0) > 2), key=lambda n: -self.uses[n]
        )[:3]
        names = ", ".join(f"{self.name(n)} ({self.uses[n]}x)" for n in shared) or "-"
        raise GraphTooComplexError(
            bilingual(
                f"이 그래프는 배치에 몇 분이 걸립니다: 여러 번 쓰인 노드({names})의 간선이 그림 전체를 가로지릅니다 "
                f"(긴 간선 노드 {hidden}개 > {MAX_LONG_EDGE_NODES}); "
                "repeat_shared_leaves=True(공유 잎 노드를 쓰일 때마다 따로 그림), 더 짧은 그래프, 또는 MLP라면 group='layer'를 쓰세요",
                f"this graph would take minutes to lay out: edges of reused nodes ({names}) cross the whole picture "
                f"({hidden} long-edge nodes > {MAX_LONG_EDGE_NODES}); use repeat_shared_leaves=True (a copy of each shared "
                "leaf per use), a shorter graph, or group='layer' for an MLP",
            )
        )

    def refuse_numbers(self):
        raise GraphTooComplexError(
            bilingual(
                "국소적 미분 숫자를 쓰면 이 그래프의 배치가 오래 걸립니다: show_local=False로 (또는 기본값으로, 숫자 없이) 그리세요",
                "with its local derivatives this graph would take long to lay out: draw it with show_local=False "
                "(or the default, which leaves them out)",
            )
        )

    def refuse_dense(self, edges, cost=None):
        """Refuse a graph whose nodes each read many others (softmax, all-to-all layers)."""
        widest = max(self.order, key=lambda n: len(n._prev))
        if cost is None and len(widest._prev) <= 2:  # a long chain: many edges, none of them dense
            self.refuse_large(edges)
        fan_in = f"{self.name(widest)} ({widest._op}): {len(widest._prev)}"
        if cost is None:
            ko, en = f"간선 {edges}개 > {MAX_EDGES}", f"{edges} edges > {MAX_EDGES}"
        else:
            ko = f"이웃한 두 단 사이 간선 {cost.busiest_edges}개, 교차 계산량 {cost.crossing_work:,} > {MAX_CROSSING_WORK:,}"
            en = (
                f"{cost.busiest_edges} edges between two neighbouring ranks, "
                f"crossing work {cost.crossing_work:,} > {MAX_CROSSING_WORK:,}"
            )
        raise GraphTooComplexError(
            bilingual(
                f"이 그래프는 너무 조밀해 몇 초 안에 배치할 수 없습니다: 노드마다 입력이 많습니다(가장 많은 노드 {fan_in}개; {ko}); "
                "입력을 줄인 더 작은 그래프를 그리거나, MLP라면 group='layer'를 쓰세요",
                f"this graph is too dense to lay out in seconds: its nodes read many inputs each (most: {fan_in}; {en}); "
                "draw a smaller graph with fewer inputs, or use group='layer' for an MLP",
            )
        )

    def refuse_large(self, edges):
        raise GraphTooComplexError(
            bilingual(
                f"이 그래프는 몇 초 안에 배치하기에 너무 큽니다 (간선 {edges}개 > {MAX_EDGES}); "
                "더 작은 그래프를 그리거나, MLP라면 group='layer'를 쓰세요",
                f"this graph is too large to lay out in seconds ({edges} edges > {MAX_EDGES}); "
                "draw a smaller graph, or use group='layer' for an MLP",
            )
        )

    def cluster_label(self, key):
        if key == INPUT:
            return tr("입력", "input", self.lang)
        if key == LOSS:
            return tr("손실 함수", "loss function", self.lang)
        # Counted from 1 as in the books; layers[i] (parts[i] of a Sequential) is the name in code.
        where = layers_attribute(self.opts.model)
        return tr(f"{key + 1}층", f"layer {key + 1}", self.lang) + f" · {where}[{key}] · {self.layers.activations[key]}"

    def add_nodes(self, container, nodes):
        for node in nodes:
            if self.collapsed and node in self.param_layer:
                continue
            vid = self.id(node)
            colour = (
                {} if self.lecture else {"style": "filled", "fillcolor": self.fill(self.grad_of(node))}
            )  # the lecture's: none
            attrs = dict(shape="record", **colour, **self.node_attrs(node, "value"))
            if self.repeated(node):
                for k in range(self.uses[node]):
                    self.add_node(container, f"{vid}_u{k}", self.value_label(node), **attrs)
            else:
                self.add_node(container, vid, self.value_label(node), **attrs)
            if self.op_drawn(node):
                # ordering='in': the inputs in the order of their fields, so that no two edges cross there.
                shape = {"shape": "Mrecord", "ordering": "in"} if self.ported(node) else {"shape": "ellipse"}
                if self.ported(node):
                    self.numbers.add("fields")
                self.add_node(container, vid + "_op", self.op_label(node), **shape, **self.node_attrs(node, "op"))
                spine = {"weight": "4"} if self.straight_spine else {}
                self.add_edge(container, vid + "_op", vid, **spine, **self.edge_mark(node))

    def add_summary(self, container, layer, params):
        weights = [p for p in params if p not in self.layers.biases]
        mean = self.mean_abs_grad(weights)
        fields = [
            tr(f"{layer + 1}층 매개변수", f"layer {layer + 1} parameters", self.lang),
            tr(
                f"가중치 {len(weights)}개, 편향 {len(params) - len(weights)}개",
                f"{len(weights)} weights, {len(params) - len(weights)} biases",
                self.lang,
            ),
        ]
        if self.opts.show_grad:
            fields.append(tr("가중치 평균 |기울기| ", "mean |grad| of weights ", self.lang) + self.grad_text(mean))
        self.add_node(
            container,
            f"layer{layer}_params",
            self.record(fields),
            shape="record",
            style="filled",
            fillcolor=self.fill(mean),
            **{"class": "params"},
        )

    def add_edges(self, g):
        summary_edges = set()
        use_count = {}
        for node in self.drawn:
            parents = self.parents(node)
            if not parents:
                continue
            op_id = self.id(node) if self.compact else self.id(node) + "_op"
            labelled, ported = self.labelled(node), self.ported(node)
            for port, (parent, local) in enumerate(zip(parents, self.input_locals(node))):
                if self.collapsed and parent in self.param_layer:
                    key = (self.param_layer[parent], op_id)
                    if key not in summary_edges:
                        summary_edges.add(key)
                        self.add_edge(g, f"layer{key[0]}_params", op_id, **self.edge_mark(node))
                    continue
                tail = self.id(parent)
                if self.repeated(parent):
                    k = use_count[parent] = use_count.get(parent, -1) + 1
                    tail = f"{tail}_u{k}"
                label = {"label": fmt(local)} if labelled and not ported and local is not None else {}
                spine = {"weight": "4"} if self.straight_spine and self.parents(parent) else {}
                self.add_edge(
                    g, tail, op_id, port=f"p{port}" if ported else None, **label, **spine, **self.edge_mark(node)
                )

    def caption(self):
        if self.lecture:  # the lecture's picture has no caption
            return ""
        lines = []
        where = {
            frozenset({"edges"}): ("간선의", "on edges"),
            frozenset({"fields"}): ("연산 칸의", "in op fields"),
            frozenset({"edges", "fields"}): ("간선과 연산 칸의", "on edges and in op fields"),
        }.get(frozenset(self.numbers))
        if where:
            lines.append(
                tr(
                    f"{where[0]} 숫자: 국소적 미분 ∂출력/∂입력",
                    f"numbers {where[1]}: local derivatives ∂out/∂in",
                    self.lang,
                )
            )
        if self.show_local and not self.numbers_shown:
            lines.append(
                tr(
                    "국소적 미분 숫자는 생략: 이 그래프에 쓰면 배치가 오래 걸리거나 실패합니다",
                    "local derivatives left out: with them this graph would take long to lay out, or fail",
                    self.lang,
                )
            )
        repeated = [self.name(node) for node in self.drawn if self.repeated(node)]
        if repeated and self.opts.show_grad and self.has_grads:
            # Each copy shows the node's one gradient, summed over its uses: not this use's share.
            names = ", ".join(repeated[:3]) + (" …" if len(repeated) > 3 else "")
            lines.append(
                tr(
                    f"{names}: 여러 번 쓰인 한 노드를 쓰일 때마다 그림, 기울기는 모든 쓰임의 합",
                    f"{names}: one node drawn once per use, its grad the sum over every use",
                    self.lang,
                )
            )
        if self.opts.show_grad and not self.has_grads:
            lines.append(
                tr(
                    "역전파 전: 기울기가 모두 0입니다 (먼저 loss.backward()를 호출하세요)",
                    "before backward: every gradient is 0 (call loss.backward() first)",
                    self.lang,
                )
            )
        return " · ".join(lines)
