"""The node view: a computation graph (계산 그래프) drawn node by node with Graphviz.

`draw_graph(loss)` returns a `ComputationGraph` (a `graphviz.Digraph`): every
`Value` is a record box (name | data | grad), every operation an ellipse, and
every edge from an input to an operation carries the local derivative
(국소적 미분) d out / d input stored on the node. Boxes are coloured by |grad|
on a continuous log scale, explained by a colour bar under the graph; exactly
0 has its own grey, a vanishing gradient (기울기 소실) turns red.

For an MLP, `draw_graph(loss, group='layer', model=model)` gives the layer
view (`viz.layer_view`), the same picture for every size of MLP;
`detail='neurons'` asks for one cluster per layer instead, every node drawn.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..engine import Value, topological_order
from ..files import write_file
from ..i18n import bilingual, tr
from . import display, fonts
from .colours import HIGHLIGHT, PENDING, GradScale, colour_bar, text_colour
from .cost import MAX_LONG_EDGE_NODES, long_edge_nodes
from .layer_view import LayerView
from .layers import INPUT, LOSS, assign_layers, parameter_names
from .options import DrawOptions
from .extra import require
from .render import GraphRenderError, render

graphviz = require("graphviz", "draw_graph")

__all__ = ["ComputationGraph", "GraphTooComplexError", "draw_graph", "fmt", "node_name", "render_svg", "save_graph"]

# Korean fonts first: the SVG names this list and the browser picks the first it has.
FONTNAME = "NanumGothic, Noto Sans CJK KR, Malgun Gothic, AppleGothic, sans-serif"


class GraphTooComplexError(ValueError):
    """The graph would take Graphviz too long to lay out; refused before trying."""


def fmt(x):
    """A number as drawn: 4 significant digits, so 1e-07 stays visible; -0.0 is written 0."""
    return f"{x + 0.0:.4g}" if x == 0 else f"{x:.4g}"


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

# Characters with a meaning inside a record label, plus the DOT string's own.
_RECORD_ESCAPES = str.maketrans({c: "\\" + c for c in '{}|<>"\\'})
_PLAIN_ESCAPES = str.maketrans({c: "\\" + c for c in '"\\'})

# Hangul and other full-width characters. Without font files (the WebAssembly build has
# none) Graphviz estimates text width at 1/4 em per UTF-8 byte: 0.75 em for a Hangul
# syllable that is drawn ~1 em wide, so Korean text would overflow its box. Every
# zero-width space (3 bytes, drawn 0 wide) adds the missing 0.75 em per 3 such characters.
_WIDE = re.compile("[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_WIDTH_PAD = "\u200b"


def one_line(text):
    """`text` on one line, padded for its full-width characters, as it appears in the drawn SVG."""
    text = " ".join(str(text).split())
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
    roots = [root] if isinstance(root, Value) else list(root) if isinstance(root, (list, tuple)) else None
    if not roots or not all(isinstance(r, Value) for r in roots):
        raise TypeError(bilingual("draw_graph에는 Value(또는 Value 목록)가 필요합니다",
                                  f"draw_graph needs a Value or a list of Values, got {type(root).__name__}"))
    return roots


def draw_graph(root, options=None, /, **kwargs):
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
        return LayerView.from_model(opts.model, grads=opts.grads, lang=opts.lang, loss=roots[0] if len(roots) == 1 else None)
    if drawer.size > opts.max_nodes:
        raise GraphTooComplexError(bilingual(
            f"노드가 {drawer.size}개로 너무 많습니다 (max_nodes={opts.max_nodes}); 더 작은 그래프나 group='layer'를 쓰세요",
            f"{drawer.size} nodes is too many to lay out (max_nodes={opts.max_nodes}); draw a smaller graph or use group='layer'",
        ))
    return drawer.draw()


def _drawing(obj, options, kwargs):
    """`obj` drawn with the options if it is a Value (or a list of them); a drawing as it is, without options."""
    if isinstance(obj, (Value, list, tuple)):
        return draw_graph(obj, options, **kwargs)
    if options is not None or kwargs:
        raise TypeError(bilingual("이미 그린 그림에는 그리기 옵션을 줄 수 없습니다",
                                  f"drawing options need a Value, not a drawing: {sorted(kwargs) or 'options'}"))
    return obj


def _svg_of(drawing, renderer):
    if isinstance(drawing, ComputationGraph):
        return drawing.svg(renderer)
    if hasattr(drawing, "source"):  # any graphviz Digraph, Graph or Source
        return render(drawing.source, "svg", renderer).decode("utf-8")
    if hasattr(drawing, "svg"):  # a LayerView
        return drawing.svg()
    raise TypeError(bilingual("그릴 수 없는 객체입니다", f"cannot draw a {type(drawing).__name__}: pass a Value or a drawing"))


def render_svg(obj, options=None, /, *, renderer="auto", embed_font=True, **kwargs):
    """SVG text of a drawing: `obj` is a `Value` (drawn with `draw_graph(obj, options, **kwargs)`) or a drawing.

    `renderer`: 'auto' (system `dot` if on PATH, else WebAssembly), 'dot' or 'wasm'.
    `embed_font`: carry the glyphs of its non-ASCII text (`fonts.embed`, a
    few kB), so that the Korean in a saved file reads on machines without a
    Korean font (CI, containers) too.
    """
    svg = _svg_of(_drawing(obj, options, kwargs), renderer)
    return fonts.embed(svg) if embed_font else svg


def save_graph(obj, path, options=None, /, *, renderer="auto", **kwargs):
    """Write a drawing to `path`; the suffix picks the format. Returns the path.

    .svg always works, and carries the glyphs of its Korean text; .gv / .dot
    write the DOT source of a node view; other formats (.png, .pdf, ...)
    need the system Graphviz.
    """
    path = Path(path)
    fmt_ = path.suffix.lower().lstrip(".")
    if not fmt_:
        raise ValueError(bilingual("파일 확장자로 형식을 정합니다 (.svg, .png, ...)", f"the file suffix picks the format: {path}"))
    drawing = _drawing(obj, options, kwargs)
    if fmt_ == "svg":  # with its glyphs (`fonts.embed`): the Korean reads on any machine
        return write_file(path, fonts.embed(_svg_of(drawing, renderer)))
    if not hasattr(drawing, "source"):
        raise GraphRenderError(bilingual("층 보기는 .svg로만 저장합니다", f"a layer view is saved as .svg only, not .{fmt_}"))
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
    _options = None
    _roots = None

    def svg(self, renderer="auto"):
        drawn = render(self.source, "svg", renderer).decode("utf-8")
        if self._scale is None:
            return drawn
        lang = self._options.lang if self._options else None
        width = min(max(360.0, display.size_px(drawn)[0] * 0.75 - 16), 480.0)  # pt
        uid = (self.graph_attr.get("id") or "mgk") + "_legend"
        bar, height = colour_bar(self._scale, width=width, uid=uid, lang=lang, pending=self._pending, font=FONTNAME, font_size=10)
        return display.compose(drawn, bar, height, width, FONTNAME)

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
        turned = "TB" if opts.rankdir in ("LR", "RL") else "LR"
        other = draw_graph(self._roots, opts.but(rankdir=turned))
        other.graph_attr.update({k: v for k, v in self.graph_attr.items() if k == "id"})
        other_svg = other.svg()
        lang = opts.lang
        if display.on_screen_text(other_svg, width) > display.on_screen_text(svg, width):
            svg = other_svg
            note = tr(f"노트북 폭에 맞추려고 rankdir='{turned}'로 그렸습니다", f"drawn with rankdir='{turned}' to fit the notebook's width", lang)
        else:
            note = None
        if not display.fits(svg, width) and opts.model is not None:  # an MLP: its layer view always fits
            svg = LayerView.from_model(opts.model, grads=opts.grads, lang=lang).svg()
            # group='layer' (without detail='neurons') asked for layers: the layer view is one, nothing to explain.
            # Otherwise (model= alone, or every node asked for) the switch was ours: say why.
            note = None if opts.group == "layer" and opts.detail is None else tr(
                "노드마다 그리면 이 폭에서 읽을 수 없어 층 보기로 그렸습니다 (노드마다: save_graph(그래프, 'graph.svg'))",
                "every node would be unreadable at this width: drawn as the layer view (every node: save_graph(graph, 'graph.svg'))", lang)
        elif not display.fits(svg, width):
            note = tr("이 폭에서는 글자가 작습니다: save_graph(그래프, 'graph.svg')로 저장해 크게 보세요",
                      "the text is small at this width: save_graph(graph, 'graph.svg') to view it large", lang)
        return svg, note

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        svg, note = self.fitted_svg()
        lang = self._options.lang if self._options else None
        alt = tr("계산 그래프", "computation graph", lang)
        return display.mimebundle(svg, alt, note=note, include=include, exclude=exclude)


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


class _Drawer:
    """Builds one Digraph; the state shared by the small drawing steps."""

    def __init__(self, roots, opts):
        self.roots, self.opts, self.lang = roots, opts, opts.lang
        self.order = _order(roots)
        self.index = {node: i for i, node in enumerate(self.order)}
        self.param_names = parameter_names(opts.model) if opts.model is not None else {}
        self.highlight = (set() if opts.highlight is None else {opts.highlight} if isinstance(opts.highlight, Value)
                          else set(opts.highlight))
        # Before any backward every gradient is 0: colouring all of them "0" would mislead.
        self.has_grads = opts.grads is not None or any(node.grad != 0.0 for node in self.order)
        self.grouped = opts.group == "layer"
        self.layers = assign_layers(self.order, opts.model) if self.grouped else None
        self.group = self.layers.group if self.grouped else {}
        self.param_layer = self.layers.param_layer if self.grouped else {}
        self.compact = self.grouped if opts.compact is None else opts.compact
        self.name_unlabeled = not self.grouped if opts.name_unlabeled is None else opts.name_unlabeled
        self.collapsed = opts.collapse_params and self.grouped
        self.size = sum(1 for n in self.order if not (self.collapsed and n in self.param_layer))
        self.by_layer = self.grouped and opts.detail != "neurons"  # one picture for group='layer' at every size
        self.uses = {}
        for node in self.order:
            for p in node._prev:
                self.uses[p] = self.uses.get(p, 0) + 1
        self.nodes, self.edges = [], []  # ids, for the layout-cost estimate
        self.straight_spine = False
        self.scale = GradScale.fit(self.grad_of(n) for n in self.order) if self.has_grads else None

    # -- helpers -----------------------------------------------------------------

    def id(self, node):
        return f"v{self.index[node]}"

    def name(self, node):
        return node_name(node, self.index[node], self.param_names)

    def grad_of(self, node):
        return node.grad if self.opts.grads is None else self.opts.grads.get(node)

    def mean_abs_grad(self, nodes):
        """Mean |grad| of `nodes`, or None while any of them has no gradient yet."""
        grads = [self.grad_of(n) for n in nodes]
        if not grads or any(g is None for g in grads):
            return None
        return math.fsum(abs(g) for g in grads) / len(grads)

    def fill(self, grad):
        if not self.opts.show_grad or not self.has_grads or grad is None:
            return PENDING
        return self.scale.colour(grad)

    def grad_text(self, grad):
        return "?" if grad is None else fmt(grad)

    def value_label(self, node):
        fields = [node._op] if self.compact and node._op else []
        if node.label or node in self.param_names or self.name_unlabeled:
            fields.append(self.name(node))
        fields.append(f"{tr('데이터', 'data', self.lang)} {fmt(node.data)}")
        if self.opts.show_grad:
            fields.append(f"{tr('기울기', 'grad', self.lang)} {self.grad_text(self.grad_of(node))}")
        return self.record(fields)

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
        if node in self.highlight:
            return {"class": f"{kind} current", "penwidth": "3", "color": HIGHLIGHT}
        return {"class": kind}

    def edge_mark(self, node):
        return {"color": HIGHLIGHT, "penwidth": "2.5"} if node in self.highlight else {}

    def add_node(self, container, vid, label, **attrs):
        self.nodes.append(vid)
        fill = attrs.get("fillcolor")
        if fill:
            attrs["fontcolor"] = text_colour(fill)
        container.node(vid, label, **attrs)

    def add_edge(self, g, tail, head, **attrs):
        self.edges.append((tail, head))
        g.edge(tail, head, **attrs)

    def repeated(self, node):
        """Whether `node` is a shared leaf drawn once per use."""
        return self.opts.repeat_shared_leaves and not node._prev and self.uses.get(node, 0) > 1

    # -- the graph ---------------------------------------------------------------

    def draw(self):
        """The Digraph; refused if its layout would be slow.

        Edges between computed nodes weigh more when nothing crosses the
        picture: dot then keeps a long chain straight with its leaves beside
        it, instead of drifting sideways by half a box at every step (a
        picture twice as wide). With long edges the weights make the layout
        several times slower, so they are left out there.
        """
        self.straight_spine = False
        g = self.build()
        hidden = long_edge_nodes(self.nodes, self.edges)
        self.refuse_slow_layout(hidden)
        if hidden == 0:
            self.straight_spine = True
            g = self.build()
        return g

    def build(self):
        self.nodes, self.edges = [], []
        g = ComputationGraph(
            # Grouped graphs have dense layer-to-layer edges: curved splines through them take
            # seconds and loop far around the clusters, so straight lines; and the network
            # simplex passes that place and rank the nodes are capped (nslimit).
            graph_attr={"rankdir": self.opts.rankdir, "fontname": FONTNAME, "fontsize": "12"}
            | ({"splines": "line", "nslimit": "1", "nslimit1": "1"} if self.grouped else {}),
            node_attr={"fontname": FONTNAME, "fontsize": "12"},
            edge_attr={"fontname": FONTNAME, "fontsize": "10"},
        )
        members = {}
        for node in self.order:
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
        if self.opts.show_grad and self.has_grads and self.opts.legend:
            g._scale, g._pending = self.scale, self.opts.grads is not None
        g._options, g._roots = self.opts, self.roots
        return g

    def refuse_slow_layout(self, hidden):
        if hidden > MAX_LONG_EDGE_NODES:
            shared = sorted((n for n in self.order if not n._prev and self.uses.get(n, 0) > 2),
                            key=lambda n: -self.uses[n])[:3]
            names = ", ".join(f"{self.name(n)} ({self.uses[n]}x)" for n in shared) or "-"
            raise GraphTooComplexError(bilingual(
                f"이 그래프는 배치에 몇 분이 걸립니다: 여러 번 쓰인 노드({names})의 간선이 그림 전체를 가로지릅니다; "
                "repeat_shared_leaves=True(공유 잎 노드를 쓰일 때마다 따로 그림), 더 짧은 그래프, 또는 MLP라면 group='layer'를 쓰세요",
                f"this graph would take minutes to lay out: edges of reused nodes ({names}) cross the whole picture "
                f"({hidden} long-edge nodes > {MAX_LONG_EDGE_NODES}); use repeat_shared_leaves=True (a copy of each shared "
                "leaf per use), a shorter graph, or group='layer' for an MLP",
            ))

    def cluster_label(self, key):
        if key == INPUT:
            return tr("입력", "input", self.lang)
        if key == LOSS:
            return tr("손실 함수", "loss function", self.lang)
        # Counted from 1 as in the books; layers[i] is the name in code.
        return tr(f"{key + 1}층", f"layer {key + 1}", self.lang) + f" · layers[{key}] · {self.layers.activations[key]}"

    def add_nodes(self, container, nodes):
        for node in nodes:
            if self.collapsed and node in self.param_layer:
                continue
            vid = self.id(node)
            attrs = dict(shape="record", style="filled", fillcolor=self.fill(self.grad_of(node)), **self.node_attrs(node, "value"))
            if self.repeated(node):
                for k in range(self.uses[node]):
                    self.add_node(container, f"{vid}_u{k}", self.value_label(node), **attrs)
            else:
                self.add_node(container, vid, self.value_label(node), **attrs)
            if node._op and not self.compact:
                self.add_node(container, vid + "_op", plain_text(node._op), shape="ellipse", **self.node_attrs(node, "op"))
                spine = {"weight": "4"} if self.straight_spine else {}
                self.add_edge(container, vid + "_op", vid, **spine, **self.edge_mark(node))

    def add_summary(self, container, layer, params):
        weights = [p for p in params if p not in self.layers.biases]
        mean = self.mean_abs_grad(weights)
        fields = [
            tr(f"{layer + 1}층 매개변수", f"layer {layer + 1} parameters", self.lang),
            tr(f"가중치 {len(weights)}개, 편향 {len(params) - len(weights)}개",
               f"{len(weights)} weights, {len(params) - len(weights)} biases", self.lang),
        ]
        if self.opts.show_grad:
            fields.append(tr("가중치 평균 |기울기| ", "mean |grad| of weights ", self.lang) + self.grad_text(mean))
        self.add_node(container, f"layer{layer}_params", self.record(fields), shape="record", style="filled",
                      fillcolor=self.fill(mean), **{"class": "params"})

    def add_edges(self, g):
        summary_edges = set()
        use_count = {}
        for node in self.order:
            parents = node._prev
            if not parents:
                continue
            locals_ = node.local_grads()
            if len(locals_) != len(parents):  # built with Value(data, children, op): no known derivative
                locals_ = (None,) * len(parents)
            op_id = self.id(node) if self.compact else self.id(node) + "_op"
            # In a grouped view a neuron's dot has 2n inputs: n labels per neuron would bury the picture.
            labelled = self.opts.show_local and not (self.grouped and len(parents) > 2)
            for parent, local in zip(parents, locals_):
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
                label = {"label": fmt(local)} if labelled and local is not None else {}
                spine = {"weight": "4"} if self.straight_spine and parent._prev else {}
                self.add_edge(g, tail, op_id, **label, **spine, **self.edge_mark(node))

    def caption(self):
        lines = []
        if self.opts.show_local:
            lines.append(tr("간선의 숫자: 국소적 미분 ∂출력/∂입력", "numbers on edges: local derivatives ∂out/∂in", self.lang))
        if self.opts.show_grad and not self.has_grads:
            lines.append(tr("역전파 전: 기울기가 모두 0입니다 (먼저 loss.backward()를 호출하세요)",
                            "before backward: every gradient is 0 (call loss.backward() first)", self.lang))
        return " · ".join(lines)
