"""The layer view: one row per layer, coloured by its mean |dL/dW|, with the factor lost between layers.

The picture a learner needs for vanishing gradients (기울기 소실): rows from the
output layer (top, where backpropagation starts) down to the first layer;
each row's colour on a continuous log scale (so neighbouring layers get
neighbouring, distinct shades), its mean |∂L/∂W|, and between two rows the
factor by which the gradient changed on the way down (`×0.23`: a sigmoid
layer passes at most 1/4). Several models sit side by side on one scale:

    compare_gradient_flow({"sigmoid": m1, "tanh": m2, "relu": m3})

Drawn directly as SVG (no Graphviz, no layout time), sized to fit a notebook
output (~850 px) with text of at least 12 px.
"""

from __future__ import annotations

import hashlib
import html
import math
from dataclasses import dataclass

from ..diagnostics import activation_name, gradient_flow, layer_parameters, neuron_layers
from ..files import write_file
from ..i18n import bilingual, tr
from . import display, fonts, player
from .colours import HIGHLIGHT, GradScale, colour_bar, text_colour

__all__ = ["GradientFlowPlayer", "LayerRow", "LayerView", "compare_gradient_flow", "gradient_flow_history", "gradient_flow_player"]

FONT = "NanumGothic, Noto Sans CJK KR, Malgun Gothic, AppleGothic, sans-serif"
FONT_SIZE = 13  # px
SMALL = 12  # px
MARGIN, LABEL_WIDTH, CELL_HEIGHT, GAP = 12, 175, 26, 18
MAX_WIDTH = 840  # px: inside a notebook output at a 1280 px window
MIN_WIDTH = 560  # px: room for the colour bar and its legend


@dataclass(frozen=True)
class LayerRow:
    """One layer as drawn: `value` is its mean |∂L/∂W| (None: not computed yet)."""

    layer: int
    activation: str
    n_weights: int
    value: float | None


def _no_gradients(model):
    """Whether every weight and bias of `model` has a gradient of exactly 0.0: backward() has not run yet.

    After a backward pass at least the output layer's biases receive
    ∂L/∂output, which is 0 only at an exact stationary point of the loss.
    """
    for _, layer in neuron_layers(model):
        weights, biases = layer_parameters(layer)
        if any(p.grad != 0.0 for p in weights + biases):
            return False
    return True


def _rows_of(model, grads=None):
    if grads is None and _no_gradients(model):  # shown as not known yet, not as "0: input was 0"
        return [LayerRow(index, activation_name(layer), len(layer_parameters(layer)[0]), None)
                for index, layer in neuron_layers(model)]
    rows = []
    for index, layer in neuron_layers(model):
        weights, _ = layer_parameters(layer)
        values = [w.grad if grads is None else grads.get(w) for w in weights]
        value = None if any(v is None for v in values) else math.fsum(abs(v) for v in values) / len(values)
        rows.append(LayerRow(index, activation_name(layer), len(weights), value))
    return rows


def _short(x):
    if x is None:
        return "?"
    return "0" if x == 0 else f"{x:.2g}" if 1e-3 <= abs(x) < 1e3 else f"{x:.1e}"


def _e(text):
    return html.escape(str(text), quote=True)


class LayerView:
    """Models side by side, one row per layer; `svg()`, `save(path)`, and a notebook display."""

    def __init__(self, columns, *, lang=None, title=None, highlight=(), uid=None, scale=None, before_backward=()):
        if not columns:
            raise ValueError(bilingual("그릴 모델이 없습니다", "no model to draw"))
        self.columns = {str(name): list(rows) for name, rows in columns.items()}
        # Columns whose every gradient was exactly 0: backward() has not run; the picture says so.
        self.before_backward = [str(name) for name in before_backward]
        self.lang, self.title = lang, title
        self.highlight = set(highlight)
        self.uid = uid or "mgkl" + hashlib.sha1(repr(sorted(self.columns.items())).encode()).hexdigest()[:8]
        self.scale = scale or GradScale.fit(r.value for rows in self.columns.values() for r in rows)

    @classmethod
    def from_model(cls, model, grads=None, **kwargs):
        """The layer view of one model, from its parameters' `.grad` (or from `grads`, node -> gradient)."""
        unbacked = [""] if grads is None and _no_gradients(model) else []
        return cls({"": _rows_of(model, grads)}, before_backward=unbacked, **kwargs)

    # -- drawing -------------------------------------------------------------------

    def row_label(self, row, depth):
        text = tr(f"{row.layer + 1}층", f"layer {row.layer + 1}", self.lang) + (f" · {row.activation}" if row.activation else "")
        if row.layer == depth - 1:
            text += tr(" (출력)", " (output)", self.lang)
        return text

    def svg(self):
        depth = max(r.layer for rows in self.columns.values() for r in rows) + 1
        n = len(self.columns)
        col_width = min(max(220, (MIN_WIDTH - 2 * MARGIN - LABEL_WIDTH) // n), (MAX_WIDTH - 2 * MARGIN - LABEL_WIDTH) // n)
        if col_width < 110:
            raise ValueError(bilingual(f"모델 {n}개는 한 그림에 너무 많습니다 (최대 6개)", f"{n} models are too many for one picture (at most 6)"))
        width = 2 * MARGIN + LABEL_WIDTH + n * col_width
        title = self.title or tr("층별 가중치 기울기 평균 |∂L/∂W| · 위에서 아래로 역전파",
                                 "mean |∂L/∂W| per layer · backpropagation runs top to bottom", self.lang)
        headed = any(self.columns)
        warning = self._warning()
        top = MARGIN + FONT_SIZE + 8 + (FONT_SIZE + 8 if headed else 0) + (FONT_SIZE + 8 if warning else 0)
        parts = [f'<text x="{MARGIN}" y="{MARGIN + FONT_SIZE}" font-size="{FONT_SIZE}" font-weight="bold">{_e(title)}</text>']
        if warning:
            parts.append(f'<text x="{MARGIN}" y="{MARGIN + 2 * FONT_SIZE + 8}" font-size="{FONT_SIZE}" fill="#a50f15" '
                         f'class="before-backward">{_e(warning)}</text>')
        pitch = CELL_HEIGHT + GAP
        for c, (name, rows) in enumerate(self.columns.items()):
            x = MARGIN + LABEL_WIDTH + c * col_width
            if headed:
                parts.append(f'<text x="{x + col_width / 2 - 4:.0f}" y="{top - 8}" font-size="{FONT_SIZE}" font-weight="bold" '
                             f'text-anchor="middle">{_e(name)}</text>')
            by_layer = {r.layer: r for r in rows}
            for k in range(depth):
                row = by_layer.get(depth - 1 - k)
                if row is None:
                    continue
                y = top + k * pitch
                if c == 0:
                    activations = {r.activation for rows_ in self.columns.values() for r in rows_ if r.layer == row.layer}
                    # Models with different activations: the column names say which.
                    label = self.row_label(row if len(activations) == 1 else LayerRow(row.layer, "", 0, None), depth)
                    parts.append(f'<text x="{MARGIN}" y="{y + CELL_HEIGHT / 2 + 4.5:.1f}" font-size="{FONT_SIZE}">'
                                 f'{_e(label)}</text>')
                parts.append(self._cell(row, x, y, col_width - 8))
                below = by_layer.get(row.layer - 1)
                if below is not None and row.value and below.value:  # the factor on the way down
                    parts.append(f'<text x="{x + (col_width - 8) / 2:.0f}" y="{y + CELL_HEIGHT + GAP - 4}" font-size="{SMALL}" '
                                 f'text-anchor="middle" class="factor">↓ ×{below.value / row.value:.2g}</text>')
        grid_bottom = top + depth * pitch - GAP + 14
        pending = any(r.value is None for rows in self.columns.values() for r in rows)
        bar, bar_height = colour_bar(self.scale, width=width - 2 * MARGIN, uid=self.uid, lang=self.lang, pending=pending,
                                     font=FONT, font_size=SMALL)
        parts.append(f'<g transform="translate({MARGIN} {grid_bottom})">{bar}</g>')
        height = grid_bottom + bar_height + MARGIN
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}px" height="{height}px" viewBox="0 0 {width} {height}" '
                f'font-family="{_e(FONT)}" class="layer-view">\n<rect width="100%" height="100%" fill="white"/>\n'
                + "\n".join(parts) + "\n</svg>\n")

    def _warning(self):
        if not self.before_backward:
            return None
        which = ", ".join(n for n in self.before_backward if n)
        which = f" ({which})" if which else ""
        return tr(f"기울기가 모두 정확히 0입니다{which}: loss.backward()를 먼저 호출하세요",
                  f"every gradient is exactly 0{which}: call loss.backward() first", self.lang)

    def _cell(self, row, x, y, w):
        fill = self.scale.colour(row.value)
        current = row.layer in self.highlight
        stroke = f'stroke="{HIGHLIGHT}" stroke-width="3"' if current else 'stroke="#666" stroke-width="0.6"'
        cls = "cell current" if current else "cell"
        return (f'<g class="{cls}" data-layer="{row.layer}" data-value="{"" if row.value is None else repr(row.value)}">'
                f'<rect x="{x}" y="{y}" width="{w}" height="{CELL_HEIGHT}" rx="4" fill="{fill}" {stroke}/>'
                f'<text x="{x + w / 2:.0f}" y="{y + CELL_HEIGHT / 2 + 4.5:.1f}" font-size="{FONT_SIZE}" text-anchor="middle" '
                f'fill="{text_colour(fill)}">{_e(_short(row.value))}</text></g>')

    # -- showing and saving -------------------------------------------------------------

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        return display.mimebundle(self.svg(), tr("층별 기울기 흐름", "gradient flow per layer", self.lang),
                                  include=include, exclude=exclude)

    def save(self, path):
        """Write the SVG, with the glyphs of its text, to `path` (.svg); returns the path."""
        if not str(path).lower().endswith(".svg"):
            raise ValueError(bilingual("층 보기는 .svg로 저장합니다", f"a layer view is saved as .svg, got {path}"))
        return write_file(path, fonts.embed(self.svg()))  # with its glyphs: the Korean reads on any machine

    def __repr__(self):
        names = ", ".join(self.columns)
        return tr(f"<층 보기: {names or '모델'}>", f"<layer view: {names or 'model'}>", self.lang)


def compare_gradient_flow(models, *, lang=None, title=None):
    """Several models' layer views side by side on one colour scale (after `loss.backward()` on each).

    `models`: a model, or a dict name -> model (or name -> list of
    `diagnostics.gradient_flow` records). Returns a `LayerView`: it displays
    in Jupyter (saved notebooks included) and `.save('flow.svg')` writes it.

    A model whose every weight and bias gradient is exactly 0 has not been
    through `backward()` yet: its cells show '?' (not known) instead of the
    grey of an exactly-zero gradient, and a red line in the picture says
    to call `loss.backward()` first. (A picture rather than an error, so a
    notebook cell still shows what it was asked for.)
    """
    if isinstance(models, (list, tuple, set)):
        raise TypeError(bilingual(
            "compare_gradient_flow에는 이름 → 모델 사전을 주세요: compare_gradient_flow({'sigmoid': m1, 'relu': m2})",
            f"compare_gradient_flow takes a dict name -> model, got a {type(models).__name__}: "
            "compare_gradient_flow({'sigmoid': m1, 'relu': m2})",
        ))
    if not isinstance(models, dict):
        models = {"": models}
    columns, unbacked = {}, []
    for name, model in models.items():
        if isinstance(model, (list, tuple)):
            if not all(hasattr(r, "mean_abs_grad") for r in model):
                raise TypeError(bilingual(
                    f"'{name}'의 목록은 diagnostics.gradient_flow(모델)의 결과여야 합니다",
                    f"the list for {name!r} must be diagnostics.gradient_flow(model) records; pass the model itself otherwise",
                ))
            records = list(model)
        else:
            records = gradient_flow(model)
        if records and all(r.mean_abs_grad == 0 and r.bias_grad_norm == 0 for r in records):
            unbacked.append(name)
            columns[name] = [LayerRow(r.layer, r.activation, r.n_weights, None) for r in records]
        else:
            columns[name] = [LayerRow(r.layer, r.activation, r.n_weights, r.mean_abs_grad) for r in records]
    return LayerView(columns, lang=lang, title=title, before_backward=unbacked)


# --------------------------------------------------------------------------
# During training: one layer view per epoch
# --------------------------------------------------------------------------


def gradient_flow_history(history):
    """`history['gradient_flow']` (one list of per-layer mean |∂L/∂W| per epoch), checked."""
    flows = history.get("gradient_flow") if isinstance(history, dict) else None
    if not flows:
        raise ValueError(bilingual("history에 'gradient_flow'가 없습니다: fit(..., track_gradients=True)로 학습하세요",
                                   "history has no 'gradient_flow': train with fit(..., track_gradients=True)"))
    depth = len(flows[0])
    if depth == 0 or any(len(row) != depth for row in flows):
        raise ValueError(bilingual("gradient_flow의 에폭마다 층 수가 같아야 합니다",
                                   "every epoch of gradient_flow must list the same number of layers"))
    return flows


class GradientFlowPlayer:
    """The layer view epoch by epoch, on one colour scale: a list in a saved notebook, a player once run."""

    def __init__(self, frames, lang):
        self.frames, self.lang = frames, lang

    def __len__(self):
        return len(self.frames)

    def _repr_html_(self):
        title = tr("학습 중 층별 기울기 흐름", "gradient flow per layer during training", self.lang)
        return player.fragment(self.frames, title=title, lang=self.lang)

    def to_html(self, path=None):
        title = tr("학습 중 층별 기울기 흐름", "gradient flow per layer during training", self.lang)
        return player.page(self._repr_html_(), title, self.lang, path)


def gradient_flow_player(history, model=None, lang=None, max_frames=40):
    """Step through `fit(..., track_gradients=True)`'s epochs as layer views (every k-th epoch past `max_frames`).

    `model` (optional) names each layer's activation. One colour scale for
    all epochs, so a layer that starts learning visibly darkens.
    """
    flows = gradient_flow_history(history)
    activations = [activation_name(layer) for _, layer in neuron_layers(model)] if model is not None else [""] * len(flows[0])
    scale = GradScale.fit(v for row in flows for v in row)
    step = -(-len(flows) // max_frames)
    epochs = list(range(0, len(flows), step))
    if epochs[-1] != len(flows) - 1:
        epochs.append(len(flows) - 1)
    frames = []
    for e in epochs:
        rows = [LayerRow(i, activations[i], 0, v) for i, v in enumerate(flows[e])]
        ratio = f"{flows[e][-1] / flows[e][0]:.3g}" if flows[e][0] else "-"
        text = tr(f"에폭 {e + 1}/{len(flows)}: 마지막 층의 평균 |∂L/∂W|는 1층의 {ratio}배",
                  f"epoch {e + 1}/{len(flows)}: the last layer's mean |∂L/∂W| is {ratio} times the first layer's", lang)

        def svg_of(uid, rows=rows, e=e):
            title = tr(f"에폭 {e + 1} 뒤 층별 평균 |∂L/∂W|", f"mean |∂L/∂W| per layer after epoch {e + 1}", lang)
            return LayerView({"": rows}, lang=lang, title=title, uid=uid, scale=scale).svg()

        frames.append((text, svg_of, f"epoch {e + 1}"))
    return GradientFlowPlayer(frames, lang)
