"""Backpropagation one step at a time (역전파 단계별 보기): node by node, or layer by layer for an MLP.

`BackpropStepper(loss)` walks the graph backwards in the same order as
`loss.backward()` (the reverse of `engine.topological_order`). At each step one
node passes its gradient to its parents, and the stepper records the chain
rule (연쇄법칙) with numbers:

    dL/d(parent) += dL/d(node) * d(node)/d(parent)
                    (upstream)    (local derivative, stored on the node)

`BackpropStepper(loss, model=mlp)` steps one layer at a time instead, from
the output layer down: the gradient entering the layer, the factor its
activation's local derivative multiplies it by, its weights' mean |∂L/∂W|,
and what it passes to the layer below.

The player (`to_html(path)`, and the notebook display; see `viz.player`) is
a list of the steps, text plus picture, in a saved notebook, and steps one
at a time with 이전/다음 buttons and a slider once the cell runs.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from ..checks import check_positive_int
from ..diagnostics import check_loss_reaches, layer_factors, layers_attribute, mean_abs
from ..engine import GradientOverflowError, Value, topological_order
from ..i18n import bilingual, check_language, tr
from . import display, drawing_states, player
from .colours import PENDING, GradScale
from .layer_view import LayerView
from .layers import INPUT, assign_layers, parameter_names
from .node_view import draw_graph, fmt, node_name, one_line
from .options import DrawOptions

__all__ = ["BackpropStepper", "Contribution", "LayerStep", "Step"]

PLAYER_WIDTH = display.OUTPUT_WIDTH - 30  # the player's padding
PLAYER_HEIGHT = 520  # px for the drawing under the controls and the step's text, in a 900 px JupyterLab window
MAX_NODES = DrawOptions.max_nodes  # the most nodes a drawing takes; a stepper refuses more before it walks


@dataclass(frozen=True)
class Contribution:
    """What one step adds to one parent's gradient."""

    parent: Value
    local: float  # d node / d parent, the local derivative (국소적 미분)
    product: float  # upstream * local: added to the parent's gradient
    total: float  # the parent's gradient after this addition


@dataclass(frozen=True)
class Step:
    """One node passing its gradient to its parents."""

    index: int
    node: Value
    upstream: float  # dL/d node, complete when the node is reached
    contributions: tuple


@dataclass(frozen=True)
class LayerStep:
    """One layer of an MLP passing the gradient down (means of absolute values over the layer)."""

    index: int
    layer: int  # model.layers[layer] (model.parts[layer] of a Sequential)
    activation: str
    upstream: float  # mean |∂L/∂output| over the layer's outputs: what enters the layer
    local: float  # mean |f'| of the activation at the outputs: the factor lost in it (1 for linear)
    weight_grad: float  # mean |∂L/∂W| over the layer's weights
    downstream: float  # mean |∂L/∂input| over the layer's inputs: what it passes down


def _states_json(states):
    """The frames' states for the player's script: the first in full, then what each frame changes."""
    frames, before = [], {}
    for state in states:
        frames.append(
            {"c": sorted(state.current), "v": {k: list(v) for k, v in state.values.items() if before.get(k) != v}}
        )
        before = state.values
    return {"init": frames[0]["v"], "frames": [{"c": f["c"], "v": f["v"] if k else {}} for k, f in enumerate(frames)]}


def _d(a, b):
    """The partial derivative of `a` with respect to `b`, as written in the texts."""
    return f"∂{a}/∂{b}"


def _numbers(order):
    """What a stepper's steps are computed from, node by node: its data, and its label (the texts' names)."""
    return [(node.data, node.label) for node in order]


def _mean_abs(values):
    values = list(values)
    return mean_abs(values) if values else 0.0


class BackpropStepper:
    """Backpropagation of `root` (usually a loss), one node per step, or one layer per step with `model=`.

    `stepper[i]` is a `Step` (or `LayerStep`); `text(i)` writes it out,
    `graph(i)` / `svg(i)` draw it, `to_html(path)` exports the
    player. `gradients` holds the final gradient of every node (equal to
    `.grad` after one `root.backward()`). Node by node, graphs with more
    than `max_steps` steps or `max_nodes` nodes are refused before any step
    is computed (a state per step of a huge graph would take gigabytes).
    `rankdir=None` picks the layout that fits a notebook.

    `by`: 'layer' (the default with `model=`) or 'node' (the default
    without). Node by node with `model=`, the parameters are called by
    their place in the model (`w[0][1][2]`, `b[0][1]`), as `draw_graph(...,
    model=)` calls them.

    Node by node, the graph is laid out once and every frame shows the same
    drawing in another state (`viz.drawing_states`): the player's size
    grows with the graph, not with graph x steps.
    """

    def __init__(self, root, lang=None, rankdir=None, max_steps=200, *, model=None, by=None, max_nodes=MAX_NODES):
        if not isinstance(root, Value):
            raise TypeError(
                bilingual(
                    f"BackpropStepper에는 Value가 필요합니다 (받은 자료형: {type(root).__name__})",
                    f"BackpropStepper needs a Value, got {type(root).__name__}",
                )
            )
        if lang is not None:
            check_language(lang)
        if by not in (None, "node", "layer"):
            raise ValueError(
                bilingual(
                    f"by는 'node' 또는 'layer'입니다 (받은 것: {by!r})", f"by must be 'node' or 'layer', got {by!r}"
                )
            )
        if by == "layer" and model is None:
            raise ValueError(
                bilingual("by='layer'에는 model=이 필요합니다", "by='layer' needs model= (to know the layers)")
            )
        max_steps, max_nodes = check_positive_int(max_steps, "max_steps"), check_positive_int(max_nodes, "max_nodes")
        if rankdir is not None:
            rankdir = DrawOptions(rankdir=rankdir).rankdir  # checked now ('tb' is 'TB'), not when first drawn
        if model is not None:
            check_loss_reaches(model, root)  # the model's shape, and that this graph is the model's
        self.by = by or ("node" if model is None else "layer")
        self.root, self.lang, self.model = root, lang, model
        self.order = topological_order(root)
        known = parameter_names(model) if model is not None else {}
        self.names = {node: node_name(node, i, known) for i, node in enumerate(self.order)}
        self._made_from = _numbers(self.order)  # see `_check_unchanged`
        inner = sum(1 for node in self.order if node._prev)
        if inner == 0:
            raise ValueError(
                bilingual(
                    "root가 잎 노드라 역전파할 것이 없습니다", "root is a leaf: there is nothing to backpropagate"
                )
            )
        if self.by == "node" and inner > max_steps:
            raise ValueError(
                bilingual(
                    f"단계가 {inner}개로 너무 많습니다 (max_steps={max_steps}); 더 작은 그래프나 model=(층별 단계)을 쓰세요",
                    f"{inner} steps is too many (max_steps={max_steps}); use a smaller graph, or model= to step layer by layer",
                )
            )
        if self.by == "node" and len(self.order) > max_nodes:  # refused before the walk keeps a state per step
            raise ValueError(
                bilingual(
                    f"그래프의 노드가 {len(self.order)}개로 한 그림에 그릴 수 있는 수(max_nodes={max_nodes})보다 많습니다; "
                    "더 작은 그래프나, MLP라면 model=(층별 단계)을 쓰세요",
                    f"the graph has {len(self.order)} nodes, more than one drawing holds (max_nodes={max_nodes}); "
                    "use a smaller graph, or model= to step layer by layer for an MLP",
                )
            )
        self._rankdir = rankdir
        self._drawings = {}  # lang -> (drawing, min_width): one layout for every frame
        if self.by == "node":
            self.steps, self._states = self._walk(keep_states=True)
            self.gradients = self._states[-1]
        else:
            _, self.gradients = self._walk(keep_states=False)
            self.steps = self._layer_steps()
            # {layer whose weights multiply: the row of the layer below}, as the layer view draws them
            self._factors = {
                f.gain_layer: f for f in layer_factors(model, root, grads=self.gradients) if f.gain_layer is not None
            }

    def _walk(self, keep_states):
        """The chain rule in reverse topological order, recording every addition."""
        grads = {self.root: 1.0}
        steps, states = [], []
        for node in reversed(self.order):
            parents = node._prev
            if not parents:
                continue
            locals_ = node.local_grads()
            if len(locals_) != len(parents):
                raise ValueError(
                    bilingual(
                        f"노드 {self.names[node]}('{node._op}')의 국소적 미분을 모릅니다: 규칙이 없거나 강의처럼 _backward "
                        "함수로 역전파하는 노드는 단계마다 보여 줄 수 없습니다. Op와 Value.from_op로 만들면 국소적 미분이 노드에 저장됩니다",
                        f"node {self.names[node]} ('{node._op}') has no known local derivative: a node without a rule, or "
                        "backpropagated by a _backward function (the lecture's way), cannot be shown step by step. Made with Op and "
                        "Value.from_op, it stores its local derivatives",
                    )
                )
            upstream = grads.get(node, 0.0)  # every node that uses this one came earlier: the sum is complete
            contributions = []
            for parent, local in zip(parents, locals_):
                product = upstream * local
                grads[parent] = grads.get(parent, 0.0) + product
                if not (math.isfinite(product) and math.isfinite(grads[parent])):
                    raise self._overflow(parent)
                contributions.append(Contribution(parent, local, product, grads[parent]))
            if keep_states:
                steps.append(Step(len(steps), node, upstream, tuple(contributions)))
                states.append(dict(grads))
        return (steps, states) if keep_states else (steps, grads)

    def _overflow(self, node):
        """What backward() says of this graph: a gradient beyond the floats is an error, not a step showing inf."""
        name = self.names[node]
        return GradientOverflowError(
            bilingual(
                f"역전파: 노드 '{name}'의 기울기가 float 범위를 넘었습니다 (backward()도 이 그래프를 거절합니다)",
                f"backward: the gradient of node '{name}' is beyond the float range (backward() refuses this graph too)",
            )
        )

    def _check_unchanged(self):
        """Refuse to show the steps once a node's data (or label) has changed: an optimizer step, say.
        Their gradients and local derivatives are the old numbers'; beside the new ones they would lie."""
        now = _numbers(self.order)
        if now == self._made_from:
            return
        k = next(i for i, (new, old) in enumerate(zip(now, self._made_from)) if new != old)
        name, (old, new) = self.names[self.order[k]], (self._made_from[k][0], now[k][0])
        raise RuntimeError(
            bilingual(
                f"이 BackpropStepper를 만든 뒤 그래프가 바뀌었습니다 (노드 {name}: 데이터 {old!r} → {new!r}, 또는 이름): "
                "단계의 기울기는 예전 숫자의 것입니다. BackpropStepper(loss)를 다시 만드세요",
                f"the graph changed after this BackpropStepper was made (node {name}: data {old!r} -> {new!r}, or its label): "
                "the steps hold the old numbers' gradients. Make a new BackpropStepper(loss)",
            )
        )

    def _layer_steps(self):
        groups = assign_layers(self.order, self.model)
        self._groups = groups
        layers = sorted(groups.activations, reverse=True)
        steps = []
        for position, k in enumerate(layers):
            outputs = groups.exits(k)
            below = layers[position + 1] if position + 1 < len(layers) else INPUT
            activation = groups.activations[k]
            if activation == "linear":
                local = 1.0
            else:
                local = _mean_abs(o.local_grads()[0] for o in outputs if len(o._prev) == 1)
            steps.append(
                LayerStep(
                    index=position,
                    layer=k,
                    activation=activation,
                    upstream=_mean_abs(self.gradients.get(o, 0.0) for o in outputs),
                    local=local,
                    weight_grad=_mean_abs(self.gradients.get(w, 0.0) for w in groups.weights(k)),
                    downstream=_mean_abs(self.gradients.get(n, 0.0) for n in groups.exits(below)),
                )
            )
        return steps

    @property
    def rankdir(self):
        """The frames' layout: as given, else (found on first use) 'LR' if the first frame reads at the
        player's width, else 'TB' if that reads better."""
        if self._rankdir is None and self.by == "node":
            self._drawing(self.lang)
        return self._rankdir

    def _base(self, lang, rankdir):
        """The whole graph with its final gradients: the layout every frame shares."""
        graph = draw_graph(
            self.root,
            rankdir=rankdir,
            lang=lang,
            grads=self.gradients,
            name_unlabeled=True,
            fit=False,
            model=self.model,
        )
        graph.graph_attr["id"] = player.DRAWING_ID  # Graphviz prefixes every SVG id with it; the player renames it
        return graph

    def _drawing(self, lang):
        """(SVG of the shared drawing, its colour scale, the width in px below which its text is under
        `display.MIN_TEXT`, or None when it reads in the player's box).

        The player shows the drawing in a box of about `PLAYER_WIDTH` x
        `PLAYER_HEIGHT` px under the step's text (one screen). The layout is
        the one that reads there: as given, else 'LR' if it fits, else 'TB'
        if that reads better. A graph that reads in neither keeps its
        readable size and scrolls inside the box to the current node (the
        note says so and points to `model=`).
        """
        if lang not in self._drawings:
            rankdirs = [self._rankdir] if self._rankdir else ["LR", "TB"]
            best, best_text = None, -1.0
            for rankdir in rankdirs:
                graph = self._base(lang, rankdir)
                svg = graph.svg()
                shown = display.on_screen_text(svg, PLAYER_WIDTH, PLAYER_HEIGHT)
                if shown > best_text:
                    best, best_text = (graph, svg, rankdir), shown
                if shown >= display.MIN_TEXT:
                    break
            graph, svg, self._rankdir = best
            min_width = None if best_text >= display.MIN_TEXT else round(display.readable_width(svg))
            self._drawings[lang] = (drawing_states.prepare(svg), graph._scale, min_width)
        return self._drawings[lang]

    def _state(self, i, lang):
        """What frame `i` shows on the shared drawing: the current node and every box's gradient so far."""
        _, scale, _ = self._drawing(lang)
        known = self._states[i]
        node = self.steps[i].node
        index = {n: k for k, n in enumerate(self.order)}
        label = tr("기울기", "grad", lang)
        values = {}
        for k, n in enumerate(self.order):
            grad = known.get(n)
            fill = PENDING if grad is None else scale.colour(grad)
            values[f"v{k}"] = (fill, one_line(f"{label} {'?' if grad is None else fmt(grad)}"))
        vid = f"v{index[node]}"
        return drawing_states.State(frozenset({vid, vid + "_op"}), values)

    # -- a sequence of steps ---------------------------------------------------------

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self.steps[i]
        return self.steps[self._index(i)]

    def _index(self, i):
        """Step number `i` counted from 0 (a negative `i` from the end, as for a list), checked."""
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise TypeError(
                bilingual(
                    f"단계 번호는 정수여야 합니다 (받은 것: {i!r})",
                    f"a step number must be an integer, got {i!r}",
                )
            )
        if not -len(self.steps) <= i < len(self.steps):
            raise IndexError(
                bilingual(
                    f"{i}단계는 없습니다: 단계는 0부터 {len(self.steps) - 1}까지입니다 (len = {len(self.steps)})",
                    f"there is no step {i}: steps run from 0 to {len(self.steps) - 1} (len = {len(self.steps)})",
                )
            )
        return int(i) % len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __repr__(self):
        n, name = len(self), self.names[self.root]
        if self.by == "layer":
            return tr(f"BackpropStepper({name}, 층 {n}개)", f"BackpropStepper({name}, {n} layers)", self.lang)
        return tr(f"BackpropStepper({name}, {n}단계)", f"BackpropStepper({name}, {n} steps)", self.lang)

    # -- one step in words -----------------------------------------------------------------

    def text(self, i, lang=None):
        """Step `i` written out: node by node, the chain rule with numbers; layer by layer, the means."""
        self._check_unchanged()
        return self._text(i, lang)

    def _text(self, i, lang=None):
        lang = lang or self.lang
        i = self._index(i)
        if self.by == "layer":
            return self._layer_text(i, lang)
        step = self.steps[i]
        root, node = self.names[self.root], self.names[step.node]
        lines = [
            tr(
                f"{i + 1}/{len(self)}단계: 노드 {node} (연산 {step.node._op}, 데이터 {fmt(step.node.data)})",
                f"step {i + 1}/{len(self)}: node {node} (op {step.node._op}, data {fmt(step.node.data)})",
                lang,
            ),
        ]
        if step.node is self.root:
            lines.append(tr(f"출발: {_d(root, root)} = 1", f"start: {_d(root, root)} = 1", lang))
        else:
            lines.append(
                tr(
                    f"위에서 흘러온 기울기 {_d(root, node)} = {fmt(step.upstream)}",
                    f"upstream gradient {_d(root, node)} = {fmt(step.upstream)}",
                    lang,
                )
            )
        lines.append(tr("연쇄법칙:", "chain rule:", lang))
        for c in step.contributions:
            parent = self.names[c.parent]
            lines.append(
                f"  {_d(root, parent)} += {_d(root, node)} × {_d(node, parent)} = {fmt(step.upstream)} × {fmt(c.local)}"
                f" = {fmt(c.product)}   "
                + tr(f"(이제 {_d(root, parent)} = {fmt(c.total)})", f"(now {_d(root, parent)} = {fmt(c.total)})", lang)
            )
        return "\n".join(lines)

    def _layer_text(self, i, lang):
        s = self.steps[i]
        factor = f"×{s.downstream / s.upstream:.2g}" if s.upstream else "-"
        name = tr(f"{s.layer + 1}층", f"layer {s.layer + 1}", lang)
        where = f"{layers_attribute(self.model)}[{s.layer}]"  # layers[i], or parts[i] of a Sequential
        lines = [
            tr(
                f"{i + 1}/{len(self)}단계: {name} ({where}, 활성화 함수 {s.activation})",
                f"step {i + 1}/{len(self)}: {name} ({where}, activation {s.activation})",
                lang,
            ),
            tr(
                f"들어온 기울기: 출력의 평균 |∂L/∂출력| = {fmt(s.upstream)}",
                f"gradient coming in: mean |∂L/∂output| = {fmt(s.upstream)}",
                lang,
            ),
            tr(
                f"활성화 함수의 국소적 미분 평균 |f′| = {fmt(s.local)} → 이 층을 지나며 기울기가 {s.local:.2g}배가 됩니다",
                f"the activation's local derivative, mean |f′| = {fmt(s.local)} → the gradient is multiplied by {s.local:.2g}",
                lang,
            ),
            tr(
                f"가중치 기울기: 평균 |∂L/∂W| = {fmt(s.weight_grad)}",
                f"weight gradient: mean |∂L/∂W| = {fmt(s.weight_grad)}",
                lang,
            ),
            tr(
                f"아래로 넘기는 기울기: 입력의 평균 |∂L/∂입력| = {fmt(s.downstream)} (들어온 것의 {factor})",
                f"gradient passed down: mean |∂L/∂input| = {fmt(s.downstream)} ({factor} of what came in)",
                lang,
            ),
        ]
        below = self._factors.get(s.layer)
        if (
            below is not None and below.gain is not None
        ):  # the picture's factor between this row and the next, explained
            lines.append(
                tr(
                    f"그림에서 아래층 평균 |∂L/∂W|는 이 층의 ×{below.factor:.2g} = 아래층 σ′ {below.mean_local:.2g} × 이 층 가중치가 곱하는 배수 {below.gain:.2g}",
                    f"in the picture the layer below's mean |∂L/∂W| is ×{below.factor:.2g} this layer's = the layer below's σ′ "
                    f"{below.mean_local:.2g} × this layer's weight gain {below.gain:.2g}",
                    lang,
                )
            )
        return "\n".join(lines)

    # -- one step as a picture -----------------------------------------------------------

    def graph(self, i, lang=None, rankdir=None):
        """Step `i` drawn: node by node, the graph with the current node highlighted and '?' for gradients
        not known yet; layer by layer, the layer view with the current layer highlighted."""
        self._check_unchanged()
        return self._graph(i, lang, rankdir)

    def _graph(self, i, lang=None, rankdir=None):
        lang = lang or self.lang
        i = self._index(i)
        if self.by == "layer":
            done = {self.steps[j].layer for j in range(i + 1)}
            known = {w: self.gradients.get(w, 0.0) for k in done for w in self._groups.weights(k)}
            # One length axis for every frame (the final gradients'), on the fixed colour scale:
            # a layer keeps its colour and its length from step to step.
            axis = GradScale().length_axis(s.weight_grad for s in self.steps)
            return LayerView.from_model(
                self.model, grads=known, loss=self.root, lang=lang, highlight={self.steps[i].layer}, axis=axis
            )
        step = self.steps[i]
        return draw_graph(
            self.root,
            rankdir=rankdir or self.rankdir,
            lang=lang,
            highlight=step.node,
            grads=self._states[i],
            name_unlabeled=True,
            fit=False,
            model=self.model,
        )

    def svg(self, i, lang=None):
        """Step `i` as SVG: node by node, the shared drawing in the state of step `i` (no new layout)."""
        self._check_unchanged()
        lang = lang or self.lang
        i = self._index(i)
        if self.by == "layer":
            return self._graph(i, lang).svg()
        return drawing_states.apply(self._drawing(lang)[0], self._state(i, lang))

    # -- the player ----------------------------------------------------------------------

    def _fragment(self, lang):
        """The player as an HTML fragment (ids scoped to it: safe to embed twice in a page)."""
        self._check_unchanged()
        title = tr("역전파 단계별 보기", "backpropagation step by step", lang)
        if self.by == "layer":
            frames = [
                (
                    self._text(i, lang),
                    lambda uid, i=i: self._layer_svg(i, lang, uid),
                    f"{layers_attribute(self.model)}[{s.layer}]",
                )
                for i, s in enumerate(self.steps)
            ]
            return player.fragment(frames, title=title, lang=lang)
        svg, _, min_width = self._drawing(lang)
        states = [self._state(i, lang) for i in range(len(self))]
        frames = [
            (
                self._text(i, lang),
                lambda uid, i=i: drawing_states.apply(svg, states[i]).replace(player.DRAWING_ID, uid),
                self.names[step.node],
            )
            for i, step in enumerate(self.steps)
        ]
        note = None
        if min_width is not None:
            layered = (
                ("BackpropStepper(loss, model=모델)", "BackpropStepper(loss, model=model)")
                if self.model is None
                else ("by='layer'", "by='layer'")
            )
            note = tr(
                f"이 그래프는 한 화면에 줄이면 글자가 {display.MIN_TEXT:g}px보다 작아져, 읽을 수 있는 크기로 두고 지금 단계의 노드로 스크롤합니다. "
                f"MLP라면 {layered[0]}로 층별로 보세요",
                f"shrunk to one screen the text would be under {display.MIN_TEXT:g} px: the drawing keeps a readable size "
                f"and scrolls to the current node. For an MLP, step layer by layer: {layered[1]}",
                lang,
            )
        return player.fragment(
            frames,
            title=title,
            lang=lang,
            note=note,
            drawing=player.SharedDrawing(svg, _states_json(states), min_width),
        )

    def _layer_svg(self, i, lang, uid):
        picture = self._graph(i, lang)
        picture.uid = uid
        return picture.svg()

    def _repr_html_(self):
        return self._fragment(self.lang)

    def to_html(self, path=None, lang=None):
        """One self-contained HTML page with every step (works offline); written to `path` (.html) if given."""
        player.check_html_path(path)
        lang = lang or self.lang
        return player.page(
            self._fragment(lang), tr("역전파 단계별 보기", "backpropagation step by step", lang), lang, path
        )
