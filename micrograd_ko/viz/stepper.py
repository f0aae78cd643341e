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
from dataclasses import dataclass

from ..engine import Value, topological_order
from ..i18n import bilingual, check_language, tr
from . import display, player
from .colours import GradScale
from .layer_view import LayerView
from .layers import INPUT, assign_layers
from .node_view import draw_graph, fmt, node_name

__all__ = ["BackpropStepper", "Contribution", "LayerStep", "Step"]

PLAYER_WIDTH = display.OUTPUT_WIDTH - 30  # the player's padding


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
    layer: int  # model.layers[layer]
    activation: str
    upstream: float  # mean |∂L/∂output| over the layer's outputs: what enters the layer
    local: float  # mean |f'| of the activation at the outputs: the factor lost in it (1 for linear)
    weight_grad: float  # mean |∂L/∂W| over the layer's weights
    downstream: float  # mean |∂L/∂input| over the layer's inputs: what it passes down


def _d(a, b):
    """The partial derivative of `a` with respect to `b`, as written in the texts."""
    return f"∂{a}/∂{b}"


def _mean_abs(values):
    values = list(values)
    return math.fsum(abs(v) for v in values) / len(values) if values else 0.0


class BackpropStepper:
    """Backpropagation of `root` (usually a loss), one node per step, or one layer per step with `model=`.

    `stepper[i]` is a `Step` (or `LayerStep`); `text(i)` writes it out,
    `graph(i)` / `svg(i)` draw it, `to_html(path)` exports the
    player. `gradients` holds the final gradient of every node (equal to
    `.grad` after one `root.backward()`). Node by node, graphs with more
    than `max_steps` steps are refused: each step is a frame.
    `rankdir=None` picks the layout that fits a notebook.
    """

    def __init__(self, root, lang=None, rankdir=None, max_steps=200, *, model=None):
        if not isinstance(root, Value):
            raise TypeError(bilingual("BackpropStepper에는 Value가 필요합니다", f"BackpropStepper needs a Value, got {type(root).__name__}"))
        if lang is not None:
            check_language(lang)
        self.root, self.lang, self.model = root, lang, model
        self.order = topological_order(root)
        self.names = {node: node_name(node, i) for i, node in enumerate(self.order)}
        inner = sum(1 for node in self.order if node._prev)
        if inner == 0:
            raise ValueError(bilingual("root가 잎 노드라 역전파할 것이 없습니다", "root is a leaf: there is nothing to backpropagate"))
        if model is None and inner > max_steps:
            raise ValueError(bilingual(
                f"단계가 {inner}개로 너무 많습니다 (max_steps={max_steps}); 더 작은 그래프나 model=(층별 단계)을 쓰세요",
                f"{inner} steps is too many (max_steps={max_steps}); use a smaller graph, or model= to step layer by layer",
            ))
        self._rankdir = rankdir
        if model is None:
            self.steps, self._states = self._walk(keep_states=True)
            self.gradients = self._states[-1]
        else:
            _, self.gradients = self._walk(keep_states=False)
            self.steps = self._layer_steps()

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
                raise ValueError(bilingual(f"노드 {self.names[node]}('{node._op}')의 국소적 미분을 모릅니다",
                                           f"node {self.names[node]} ('{node._op}') has no known local derivative"))
            upstream = grads.get(node, 0.0)  # every node that uses this one came earlier: the sum is complete
            contributions = []
            for parent, local in zip(parents, locals_):
                product = upstream * local
                grads[parent] = grads.get(parent, 0.0) + product
                contributions.append(Contribution(parent, local, product, grads[parent]))
            if keep_states:
                steps.append(Step(len(steps), node, upstream, tuple(contributions)))
                states.append(dict(grads))
        return (steps, states) if keep_states else (steps, grads)

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
            steps.append(LayerStep(
                index=position, layer=k, activation=activation,
                upstream=_mean_abs(self.gradients.get(o, 0.0) for o in outputs), local=local,
                weight_grad=_mean_abs(self.gradients.get(w, 0.0) for w in groups.weights(k)),
                downstream=_mean_abs(self.gradients.get(n, 0.0) for n in groups.exits(below)),
            ))
        return steps

    @property
    def rankdir(self):
        """The frames' layout: as given, else (found on first use) 'LR' if the first frame reads at the
        player's width, else 'TB' if that reads better."""
        if self._rankdir is None and self.model is None:
            self._rankdir = self._fitting_rankdir()
        return self._rankdir

    def _fitting_rankdir(self):
        first = self.graph(0, rankdir="LR").svg()
        if display.fits(first, PLAYER_WIDTH):
            return "LR"
        turned = self.graph(0, rankdir="TB").svg()
        return "TB" if display.on_screen_text(turned, PLAYER_WIDTH) > display.on_screen_text(first, PLAYER_WIDTH) else "LR"

    # -- a sequence of steps ---------------------------------------------------------

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, i):
        return self.steps[i]

    def __iter__(self):
        return iter(self.steps)

    def __repr__(self):
        unit = "layers" if self.model is not None else "steps"
        return f"BackpropStepper({self.names[self.root]}, {len(self)} {unit})"

    # -- one step in words -----------------------------------------------------------------

    def text(self, i, lang=None):
        """Step `i` written out: node by node, the chain rule with numbers; layer by layer, the means."""
        lang = lang or self.lang
        if self.model is not None:
            return self._layer_text(i, lang)
        step = self.steps[i]
        root, node = self.names[self.root], self.names[step.node]
        lines = [
            tr(f"{i + 1}/{len(self)}단계: 노드 {node} (연산 {step.node._op}, 데이터 {fmt(step.node.data)})",
               f"step {i + 1}/{len(self)}: node {node} (op {step.node._op}, data {fmt(step.node.data)})", lang),
        ]
        if step.node is self.root:
            lines.append(tr(f"출발: {_d(root, root)} = 1", f"start: {_d(root, root)} = 1", lang))
        else:
            lines.append(tr(f"위에서 흘러온 기울기 {_d(root, node)} = {fmt(step.upstream)}",
                            f"upstream gradient {_d(root, node)} = {fmt(step.upstream)}", lang))
        lines.append(tr("연쇄법칙:", "chain rule:", lang))
        for c in step.contributions:
            parent = self.names[c.parent]
            lines.append(
                f"  {_d(root, parent)} += {_d(root, node)} × {_d(node, parent)} = {fmt(step.upstream)} × {fmt(c.local)}"
                f" = {fmt(c.product)}   " + tr(f"(이제 {_d(root, parent)} = {fmt(c.total)})", f"(now {_d(root, parent)} = {fmt(c.total)})", lang)
            )
        return "\n".join(lines)

    def _layer_text(self, i, lang):
        s = self.steps[i]
        factor = f"×{s.downstream / s.upstream:.2g}" if s.upstream else "-"
        name = tr(f"{s.layer + 1}층", f"layer {s.layer + 1}", lang)
        lines = [
            tr(f"{i + 1}/{len(self)}단계: {name} (layers[{s.layer}], 활성화 함수 {s.activation})",
               f"step {i + 1}/{len(self)}: {name} (layers[{s.layer}], activation {s.activation})", lang),
            tr(f"들어온 기울기: 출력의 평균 |∂L/∂출력| = {fmt(s.upstream)}",
               f"gradient coming in: mean |∂L/∂output| = {fmt(s.upstream)}", lang),
            tr(f"활성화 함수의 국소적 미분 평균 |f′| = {fmt(s.local)} → 기울기가 {s.local:.2g}배로",
               f"the activation's local derivative, mean |f′| = {fmt(s.local)} → the gradient is multiplied by {s.local:.2g}", lang),
            tr(f"가중치 기울기: 평균 |∂L/∂W| = {fmt(s.weight_grad)}", f"weight gradient: mean |∂L/∂W| = {fmt(s.weight_grad)}", lang),
            tr(f"아래로 넘기는 기울기: 입력의 평균 |∂L/∂입력| = {fmt(s.downstream)} (들어온 것의 {factor})",
               f"gradient passed down: mean |∂L/∂input| = {fmt(s.downstream)} ({factor} of what came in)", lang),
        ]
        return "\n".join(lines)

    # -- one step as a picture -----------------------------------------------------------

    def graph(self, i, lang=None, rankdir=None):
        """Step `i` drawn: node by node, the graph with the current node highlighted and '?' for gradients
        not known yet; layer by layer, the layer view with the current layer highlighted."""
        lang = lang or self.lang
        if self.model is not None:
            done = {self.steps[j].layer for j in range(i + 1)}
            known = {w: self.gradients.get(w, 0.0) for k in done for w in self._groups.weights(k)}
            # One scale for every frame, fitted to the final gradients: a layer keeps its colour from step to step.
            scale = GradScale.fit(s.weight_grad for s in self.steps)
            return LayerView.from_model(self.model, grads=known, lang=lang, highlight={self.steps[i].layer}, scale=scale)
        step = self.steps[i]
        return draw_graph(self.root, rankdir=rankdir or self.rankdir, lang=lang, highlight=step.node,
                          grads=self._states[i], name_unlabeled=True, fit=False)

    def svg(self, i, lang=None):
        return self.graph(i, lang).svg()

    # -- the player ----------------------------------------------------------------------

    def _fragment(self, lang):
        """The player as an HTML fragment (ids scoped to it: safe to embed twice in a page)."""
        frames = []
        for i in range(len(self)):
            where = self.names[self.steps[i].node] if self.model is None else f"layers[{self.steps[i].layer}]"
            frames.append((self.text(i, lang), lambda uid, i=i: self._frame_svg(i, lang, uid), where))
        return player.fragment(frames, title=tr("역전파 단계별 보기", "backpropagation step by step", lang), lang=lang)

    def _frame_svg(self, i, lang, uid):
        picture = self.graph(i, lang)
        if isinstance(picture, LayerView):
            picture.uid = uid
        else:
            picture.graph_attr["id"] = uid  # Graphviz prefixes every SVG id with it: no clashes between frames
        return picture.svg()

    def _repr_html_(self):
        return self._fragment(self.lang)

    def to_html(self, path=None, lang=None):
        """One self-contained HTML page with every step (works offline); written to `path` if given."""
        lang = lang or self.lang
        return player.page(self._fragment(lang), tr("역전파 단계별 보기", "backpropagation step by step", lang), lang, path)
