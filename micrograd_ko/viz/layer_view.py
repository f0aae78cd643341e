"""The layer view: one bar per layer, its length the log of mean |∂L/∂W|, and why it shrinks between layers.

The picture a learner needs for vanishing gradients (기울기 소실): rows from the
output layer (top, where backpropagation starts) down to the first layer.

- Small is loud: each layer's bar is coloured by its mean |∂L/∂W| on the
  fixed colour scale every picture shares (clamped at its ends, never
  rescaled), and as long as its log10 on an axis that reaches past the
  scale's ends only when a gradient does (`GradScale.length_axis`): the
  smaller, the shorter and the redder; below `VANISHING_BELOW` a ⚠.
- The why: between two rows, the factor the gradient was multiplied by on
  its way down, written as the lower layer's mean σ′(z) times the weight
  gain of the layer above (가중치가 곱하는 배수, defined as factor / σ′ so that
  the product is exactly the factor): `×0.5 = σ′ 0.23 × 2.17`, σ′ and the
  gain with as many digits (2 to 4) as it takes for their product, rounded
  like the factor, to be the factor drawn (else "≈"). The table behind it: `LayerView.factors` (or `diagnostics.layer_factors`).
- Under each model one line: how the first layer's gradient compares with
  the output layer's ("1층 = 출력층의 1/31,000").
- Honest states: '?' only when backward() is known not to have run; every
  gradient exactly 0 after backward is drawn grey, with what it means.

Several models sit side by side on one scale:

    compare_gradient_flow({"sigmoid": m1, "tanh": m2}, losses={"sigmoid": l1, "tanh": l2})

Drawn directly as SVG (no Graphviz, no layout time), sized to fit a notebook
output (~850 px) with text of at least 12 px.
"""

from __future__ import annotations

import hashlib
import html
import math
from dataclasses import dataclass

from ..checks import check_positive_int
from ..diagnostics import (
    activation_name,
    check_grads,
    check_loss_reaches,
    factor_table,
    gradient_flow,
    layer_parameters,
    mean_abs,
    mean_local_derivatives,
    neuron_layers,
)
from ..engine import Value
from ..files import write_file
from ..i18n import bilingual, check_language, tr
from . import display, fonts, player
from .colours import HIGHLIGHT, PENDING, VANISHING_BELOW, ZERO, GradScale, colour_bar, decade_label, text_colour

__all__ = [
    "GradientFlowPlayer",
    "LayerRow",
    "LayerView",
    "compare_gradient_flow",
    "gradient_flow_history",
    "gradient_flow_player",
]

FONT = "NanumGothic, Noto Sans CJK KR, Malgun Gothic, AppleGothic, sans-serif"
FONT_SIZE = 14  # px
SMALL = 12  # px
MARGIN, BAR_HEIGHT, GAP = 12, 22, 20
MAX_WIDTH = 840  # px: inside a notebook output at a 1280 px window
MAX_MODELS = 4

# A column's state, when it is not simply "gradients drawn".
PENDING_STATE = "pending"  # backward() has not run (known: the loss's own gradient is still 0)
ZERO_STATE = "zero"  # backward() ran and every gradient is exactly 0
UNKNOWN_ZERO_STATE = "zero?"  # every gradient is 0 and nothing says whether backward() ran


@dataclass(frozen=True)
class LayerRow:
    """One layer as drawn: `value` is its mean |∂L/∂W| (None: not computed yet), `mean_local` its mean σ′(z)."""

    layer: int
    activation: str
    n_weights: int
    value: float | None
    mean_local: float | None = None


def _all_zero(model):
    for _, layer in neuron_layers(model):
        weights, biases = layer_parameters(layer)
        if any(p.grad != 0.0 for p in weights + biases):
            return False
    return True


def _state(model, loss, grads):
    """The column's state: None (gradients to draw), or one of the *_STATE names.

    `backward()` sets the loss's own gradient to 1, so with the loss at hand
    an all-zero model is either before backward (loss.grad == 0) or a real
    finding: every path to the weights multiplies by 0 (dead ReLUs, say).
    """
    if grads is not None or not _all_zero(model):
        return None
    if loss is None:
        return UNKNOWN_ZERO_STATE
    return PENDING_STATE if loss.grad == 0 else ZERO_STATE


def _rows_of(model, loss=None, grads=None, state=None):
    local = mean_local_derivatives(model, loss) if loss is not None else {}
    rows = []
    for index, layer in neuron_layers(model):
        weights, _ = layer_parameters(layer)
        if state == PENDING_STATE:
            value = None
        else:
            values = [w.grad if grads is None else grads.get(w) for w in weights]
            value = None if any(v is None for v in values) else mean_abs(values)
        rows.append(LayerRow(index, activation_name(layer), len(weights), value, local.get(index)))
    return rows


def _short(x):
    if x is None:
        return "?"
    return "0" if x == 0 else f"{x:.2g}" if 1e-3 <= abs(x) < 1e3 else f"{x:.1e}"


def _num(x):
    """A factor or a σ′ as drawn: two significant digits; exactly 0 is "0"."""
    if x == 0:
        return "0"
    return f"{x:.2g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.1e}"


def _num_digits(x, digits):
    if x == 0:
        return "0"
    return f"{x:.{digits}g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.{digits - 1}e}"


def _product_numbers(factor, sigma, gain):
    """(factor, σ′, gain, sign) as drawn: σ′ and gain with the fewest digits (2 to 4) whose product, rounded as the
    factor is, is the factor drawn; sign "=", or "≈" if even four digits do not get there."""
    shown = _num(factor)
    for digits in (2, 3, 4):
        s, g = _num_digits(sigma, digits), _num_digits(gain, digits)
        if _num(float(s) * float(g)) == shown:
            return shown, s, g, "="
    return shown, _num_digits(sigma, 3), _num_digits(gain, 3), "≈"


def _e(text):
    return html.escape(str(text), quote=True)


def _text_width(text, size):
    """About how wide `text` is drawn (a little generous): Hangul 1 em, spaces and dots 0.3 em, the rest 0.58 em."""
    return sum(size if ord(c) >= 0x1100 else 0.3 * size if c in " .,′()" else 0.58 * size for c in text)


def _ratio_words(first, output, lang):
    """ "1/31,000" or "2.3배": the first layer's mean |∂L/∂W| against the output layer's."""
    if not first or not output:
        return None
    r = first / output
    if r < 1:
        n = output / first
        rounded = float(f"{n:.2g}")
        return f"1/{rounded:,.0f}" if rounded >= 10 else f"1/{rounded:g}"
    return tr(f"{r:.2g}배", f"{r:.2g}×", lang)


class LayerView:
    """Models side by side, one row per layer; `svg()`, `save(path)`, `factors`, and a notebook display.

    `scale`: the colour scale, a `GradScale` or (low, high); by default the
    fixed scale every picture shares, so one gradient has one colour
    everywhere (past its ends, the end colour). `axis`: the log axis of the
    bar lengths (a `GradScale`); by default the colour scale, widened by
    whole decades only when a gradient lies past its ends, so bars stay
    ordered by size. A player passes one axis to all its frames.
    """

    def __init__(self, columns, *, lang=None, title=None, highlight=(), uid=None, scale=None, states=None, axis=None):
        if not columns:
            raise ValueError(bilingual("그릴 모델이 없습니다", "no model to draw"))
        if len(columns) > MAX_MODELS:
            raise ValueError(
                bilingual(
                    f"모델 {len(columns)}개는 한 그림에 너무 많습니다 (최대 {MAX_MODELS}개)",
                    f"{len(columns)} models are too many for one picture (at most {MAX_MODELS})",
                )
            )
        if lang is not None:
            check_language(lang)
        self.columns = {str(name): list(rows) for name, rows in columns.items()}
        self.states = {str(k): v for k, v in (states or {}).items() if v}
        self.lang, self.title = lang, title
        self.highlight = set(highlight)
        self.uid = uid or "mgkl" + hashlib.sha1(repr(sorted(self.columns.items())).encode()).hexdigest()[:8]
        values = [r.value for rows in self.columns.values() for r in rows]
        self.scale = GradScale.of(scale)  # colours: fixed, clamped at the ends
        self.axis = self.scale.length_axis(values) if axis is None else GradScale.of(axis)  # lengths

    @classmethod
    def from_model(cls, model, grads=None, loss=None, **kwargs):
        """The layer view of one model, from its parameters' `.grad` (or from `grads`, node -> gradient).

        `loss` (the Value backward ran from) gives each layer's mean σ′(z) and
        tells "before backward" from "every gradient exactly 0".
        """
        if loss is not None and not isinstance(loss, Value):
            raise TypeError(
                bilingual(
                    f"loss는 Value여야 합니다 (받은 자료형: {type(loss).__name__})",
                    f"loss must be a Value, got {type(loss).__name__}",
                )
            )
        check_grads(grads)
        if grads is None:
            gradient_flow(model)  # a gradient that is missing or not finite refused, as compare_gradient_flow does
        state = _state(model, loss, grads)
        return cls({"": _rows_of(model, loss, grads, state)}, states={"": state}, **kwargs)

    @property
    def factors(self):
        """{column name: [diagnostics.LayerFactor, ...]} input side first: mean σ′ × gain = factor, as drawn."""
        return {
            name: factor_table(
                (r.layer, r.activation, r.value, r.mean_local) for r in sorted(rows, key=lambda r: r.layer)
            )
            for name, rows in self.columns.items()
        }

    # -- drawing -------------------------------------------------------------------

    def depths(self):
        """{column name: its number of layers}: each model's own output layer is its top one."""
        return {name: max((r.layer for r in rows), default=-1) + 1 for name, rows in self.columns.items()}

    def row_label(self, layer, activation="", output=False):
        """The label left of a row: `3층 · tanh (출력)`; '(출력)' when the row is the output of every model having it."""
        text = tr(f"{layer + 1}층", f"layer {layer + 1}", self.lang)
        if activation:
            text += f" · {activation}"
        if output:
            text += tr(" (출력)", " (output)", self.lang)
        return text

    def _row_labels(self, depth):
        """{layer: its label}: the activation named when every model having the layer shares it.

        A place no model has a row for is a part without weights (a Dropout in
        a Sequential keeps its place in `parts`): its label says so, so the gap reads.
        """
        depths = self.depths()
        labels = {}
        for k in range(depth):
            having = [(name, r) for name, rows in self.columns.items() for r in rows if r.layer == k]
            if not having:
                labels[k] = tr(f"{k + 1}층 · 가중치 없음", f"layer {k + 1} · no weights", self.lang)
                continue
            acts = {r.activation for _, r in having}
            output = all(depths[name] == k + 1 for name, _ in having)
            labels[k] = self.row_label(k, next(iter(acts)) if len(acts) == 1 else "", output)
        return labels

    def _factor_texts(self, f, output_layer):
        """`↓ ×0.50 = σ′ 0.23 × 가중치 2.2` in ever shorter forms; the output layer's gain always says whose it is."""
        head = f"↓ ×{_num(f.factor)}"
        if f.gain is None:
            return [head]
        out = f.gain_layer == output_layer
        factor, sigma, gain, eq = _product_numbers(f.factor, f.mean_local, f.gain)
        full = tr("출력층 가중치", "output W", self.lang) if out else tr("가중치", "W", self.lang)
        short = tr("출력층 ", "output ", self.lang) if out else ""
        return [
            f"{head} {eq} σ′ {sigma} × {full} {gain}",
            f"{head} {eq} σ′ {sigma} × {short if out else full + ' '}{gain}",
            f"{head} {eq} σ′ {sigma} × {short}{gain}",
            f"×{factor} {eq} σ′ {sigma} × {short}{gain}",
            head,
        ]

    def _factor_level(self, factors, output_layer, room):
        """The most complete form (index into `_factor_texts`) in which every factor of a column fits `room` px."""
        forms = [self._factor_texts(f, output_layer) for f in factors if f.factor is not None]
        for level in range(5):
            if all(_text_width(texts[min(level, len(texts) - 1)], SMALL) <= room for texts in forms):
                return level
        return 4

    def svg(self):
        depths = self.depths()
        depth = max(depths.values())
        n = len(self.columns)
        # A layer's activation is named in its label when every model shares it; otherwise the column names say.
        labels = self._row_labels(depth)
        label_width = max(_text_width(t, FONT_SIZE) for t in labels.values()) + 14
        col_width = (MAX_WIDTH - 2 * MARGIN - label_width) / n
        width = MAX_WIDTH
        title = self.title or tr(
            "층별 평균 |∂L/∂W| · 막대 길이는 로그 눈금 · 역전파는 위에서 아래로",
            "mean |∂L/∂W| per layer · bar length on a log scale · backpropagation runs top to bottom",
            self.lang,
        )
        factors = self.factors
        explained = any(f.gain is not None for rows in factors.values() for f in rows)
        lines = [(title, "bold", "#000", "title")]
        if explained:
            lines.append(
                (
                    tr(
                        "행 사이: 기울기가 곱해진 배수 = 아래층 활성화 함수의 평균 σ′(z) × 위층 가중치가 곱하는 배수",
                        "between rows: the factor = the lower layer's mean σ′(z) × the weight gain of the layer above",
                        self.lang,
                    ),
                    "normal",
                    "#333",
                    "legend",
                )
            )
        for name, state in self.states.items():
            lines.append(
                (
                    self._state_text(name, state),
                    "normal",
                    "#a50f15" if state != ZERO_STATE else "#555",
                    f"state {state}",
                )
            )
        parts = []
        y = MARGIN
        for text, weight, fill, cls in lines:
            size = FONT_SIZE if cls == "title" else SMALL
            y += size + 6
            parts.append(
                f'<text x="{MARGIN}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}" class="{cls}">{_e(text)}</text>'
            )
        headed = any(self.columns)
        top = y + 10 + (FONT_SIZE + 8 if headed else 0)
        pitch = BAR_HEIGHT + GAP
        for k, label in labels.items():  # every layer any model has, the deepest model's included
            parts.append(
                f'<text x="{MARGIN}" y="{top + (depth - 1 - k) * pitch + BAR_HEIGHT / 2 + 5:.1f}" '
                f'font-size="{FONT_SIZE}" class="row-label">{_e(label)}</text>'
            )
        for c, (name, rows) in enumerate(self.columns.items()):
            x = MARGIN + label_width + c * col_width
            track = col_width - 12
            if headed:
                parts.append(
                    f'<text x="{x:.1f}" y="{top - 10}" font-size="{FONT_SIZE}" font-weight="bold" class="model">{_e(name)}</text>'
                )
            by_layer = {r.layer: r for r in rows}
            # The factor written under a row is the one into the layer below it (not always row - 1: a Dropout
            # in a Sequential keeps its place in `parts` and draws no row).
            below = {f.gain_layer: f for f in factors[name] if f.gain_layer is not None}
            output_layer = depths[name] - 1  # this model's own output layer
            level = self._factor_level(factors[name], output_layer, col_width - 8)
            parts.append(self._grid(x, top, track, depth * pitch - GAP))
            for k in range(depth):
                row = by_layer.get(depth - 1 - k)
                if row is None:
                    continue
                y = top + k * pitch
                if row.layer == output_layer < depth - 1:  # a shallower model: its output row says so in its column
                    parts.append(
                        f'<text x="{x + 2:.1f}" y="{y - 5}" font-size="{SMALL}" font-weight="bold" fill="#333" '
                        f'class="output-mark">{_e(tr("▼ 출력층 (역전파 시작)", "▼ output layer (backprop starts)", self.lang))}</text>'
                    )
                parts.append(self._cell(row, x, y, track, self.states.get(name)))
                f = below.get(row.layer)
                if f is not None and f.factor is not None:
                    texts = self._factor_texts(f, output_layer)
                    text = texts[min(level, len(texts) - 1)]
                    data = " ".join(
                        f'data-{k}="{"" if v is None else repr(v)}"'
                        for k, v in (
                            ("factor", f.factor),
                            ("sigma", f.mean_local),
                            ("gain", f.gain),
                            ("layer", f.layer),
                        )
                    )
                    parts.append(
                        f'<text x="{x + 2:.1f}" y="{y + BAR_HEIGHT + GAP - 5}" font-size="{SMALL}" fill="#333" '
                        f'class="factor" {data}>{_e(text)}</text>'
                    )
            bottom = top + depth * pitch - GAP
            parts.append(self._axis(x, bottom, track))
            summary = self._summary(rows, depths[name])
            if summary:
                text, loud = summary
                parts.append(
                    f'<text x="{x:.1f}" y="{bottom + 2 * SMALL + 14}" font-size="{SMALL + 1}" font-weight="bold" '
                    f'fill="{"#a50f15" if loud else "#333"}" class="summary">{_e(text)}</text>'
                )
        grid_bottom = top + depth * pitch - GAP + 2 * SMALL + 34
        pending = any(r.value is None for rows in self.columns.values() for r in rows)
        bar, bar_height = colour_bar(
            self.scale,
            width=min(520, width - 2 * MARGIN),
            uid=self.uid,
            lang=self.lang,
            pending=pending,
            font=FONT,
            font_size=SMALL,
        )
        parts.append(f'<g transform="translate({MARGIN} {grid_bottom})">{bar}</g>')
        height = grid_bottom + bar_height + MARGIN
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}px" height="{height:.0f}px" viewBox="0 0 {width} {height:.0f}" '
            f'font-family="{_e(FONT)}" class="layer-view">\n<rect width="100%" height="100%" fill="white"/>\n'
            + "\n".join(parts)
            + "\n</svg>\n"
        )

    def _grid(self, x, top, track, height):
        """Faint lines at every power of ten behind the bars, so a bar's length reads as a number of decades."""
        lo, hi = round(math.log10(self.axis.low)), round(math.log10(self.axis.high))
        lines = []
        for e in range(lo, hi + 1):
            gx = x + self.axis.position(10.0**e) * track
            lines.append(
                f'<line x1="{gx:.1f}" y1="{top - 3}" x2="{gx:.1f}" y2="{top + height + 3}" stroke="#e6e6e6" stroke-width="1"/>'
            )
        return "".join(lines)

    def _axis(self, x, y, track):
        most = max(2, int(track // (SMALL * 3.6)))  # labels such as 10⁻¹⁰ need about three em and a gap
        parts = []
        for value in self.axis.decades(most):
            gx = x + self.axis.position(value) * track
            anchor = "start" if gx - x < 1 else "end" if gx > x + track - 1 else "middle"
            parts.append(
                f'<line x1="{gx:.1f}" y1="{y + 2}" x2="{gx:.1f}" y2="{y + 7}" stroke="#555" stroke-width="0.8"/>'
            )
            parts.append(
                f'<text x="{gx:.1f}" y="{y + 8 + SMALL}" font-size="{SMALL}" text-anchor="{anchor}" class="tick">'
                f"{_e(decade_label(value))}</text>"
            )
        return "".join(parts)

    def _summary(self, rows, depth):
        """(one line comparing the first layer with the output layer, whether it is a warning), or None."""
        by_layer = {r.layer: r for r in rows}
        zero = [r.layer for r in rows if r.value == 0]
        if zero and len(zero) < len(rows):  # some layers, not all (that is the column's state line): say which
            names = "·".join(str(k + 1) for k in sorted(zero))
            return tr(f"{names}층: 기울기 정확히 0", f"layer {names}: gradient exactly 0", self.lang), True
        first, output = by_layer.get(min(by_layer)), by_layer.get(depth - 1)
        if first is None or output is None or first is output:
            return None
        words = _ratio_words(first.value, output.value, self.lang)
        if words is None:
            return None
        name = tr(f"{first.layer + 1}층", f"layer {first.layer + 1}", self.lang)
        loud = first.value / output.value < 1e-3 or first.value < VANISHING_BELOW
        return tr(f"{name} = 출력층의 {words}", f"{name} = {words} of output", self.lang), loud

    def _state_text(self, name, state):
        which = f" ({name})" if name else ""
        if state == PENDING_STATE:
            return tr(
                f"아직 역전파 전입니다{which}: loss.backward()를 먼저 호출하세요",
                f"not backpropagated yet{which}: call loss.backward() first",
                self.lang,
            )
        if state == ZERO_STATE:
            return tr(
                f"모든 기울기가 정확히 0입니다{which}: 손실에서 어느 가중치로 가는 길이든 0을 곱합니다 (예: 모든 ReLU가 꺼짐). "
                "이대로는 한 걸음도 학습하지 않습니다",
                f"every gradient is exactly 0{which}: every path from the loss to a weight multiplies by 0 "
                "(all ReLUs off, say). It cannot learn a single step",
                self.lang,
            )
        return tr(
            f"모든 기울기가 정확히 0입니다{which}: backward()를 아직 부르지 않았다면 먼저 부르세요. "
            "불렀다면 모든 길이 0을 곱합니다 (손실을 함께 주면 구별합니다: losses=)",
            f"every gradient is exactly 0{which}: call backward() first if you have not; if you have, every path "
            "multiplies by 0 (pass the loss to tell which: losses=)",
            self.lang,
        )

    def _cell(self, row, x, y, track, state):
        current = row.layer in self.highlight
        value = row.value
        fill = self.scale.colour(value)
        stroke = f'stroke="{HIGHLIGHT}" stroke-width="3"' if current else 'stroke="#999" stroke-width="0.6"'
        cls = "cell current" if current else "cell"
        data = f'data-layer="{row.layer}" data-value="{"" if value is None else repr(value)}"'
        track_rect = (
            f'<rect x="{x:.1f}" y="{y}" width="{track:.1f}" height="{BAR_HEIGHT}" rx="3" fill="none" {stroke}/>'
        )
        if value is None:
            body = (
                f'<rect class="bar" x="{x:.1f}" y="{y}" width="{track:.1f}" height="{BAR_HEIGHT}" rx="3" fill="{PENDING}"/>'
                f'<text x="{x + 6:.1f}" y="{y + BAR_HEIGHT / 2 + 5:.1f}" font-size="{FONT_SIZE}" fill="#000">?</text>'
            )
            return f'<g class="{cls}" {data} data-fill="{fill}">{body}{track_rect}</g>'
        if value == 0:
            # Exactly 0 is no length at all (never longer than a small gradient's bar): a grey marker and its meaning.
            # Without the loss, an all-zero model may simply be before backward: then only "0".
            text = (
                "0"
                if state == UNKNOWN_ZERO_STATE
                else tr("0 (정확히): 배우지 않음", "0 (exactly): not learning", self.lang)
            )
            body = (
                f'<rect class="bar" x="{x:.1f}" y="{y}" width="0" height="{BAR_HEIGHT}" fill="{ZERO}"/>'
                f'<rect class="zero-mark" x="{x + 4:.1f}" y="{y + 4}" width="{BAR_HEIGHT - 8}" height="{BAR_HEIGHT - 8}" '
                f'fill="{ZERO}" stroke="#555" stroke-width="1"/>'
                f'<text x="{x + BAR_HEIGHT:.1f}" y="{y + BAR_HEIGHT / 2 + 5:.1f}" font-size="{FONT_SIZE}" fill="#333" '
                f'font-weight="bold">{_e(text)}</text>'
            )
            return f'<g class="{cls}" {data} data-fill="{fill}">{body}{track_rect}</g>'
        length = max(3.0, self.axis.position(value) * track)
        text = ("⚠ " if abs(value) < VANISHING_BELOW else "") + _short(value)
        tw = _text_width(text, FONT_SIZE)
        if length + 6 + tw <= track:
            tx, anchor, ink = x + length + 5, "start", "#000"
        else:
            tx, anchor, ink = x + length - 5, "end", text_colour(fill)
        weight = ' font-weight="bold"' if abs(value) < VANISHING_BELOW else ""
        return (
            f'<g class="{cls}" {data} data-fill="{fill}">'
            f'<rect class="bar" x="{x:.1f}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" rx="3" fill="{fill}"/>'
            f'{track_rect}<text x="{tx:.1f}" y="{y + BAR_HEIGHT / 2 + 5:.1f}" font-size="{FONT_SIZE}" text-anchor="{anchor}" '
            f'fill="{ink}"{weight}>{_e(text)}</text></g>'
        )

    # -- showing and saving -------------------------------------------------------------

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        return display.mimebundle(
            self.svg(), tr("층별 기울기 흐름", "gradient flow per layer", self.lang), include=include, exclude=exclude
        )

    def save(self, path):
        """Write the SVG, with the glyphs of its text, to `path` (.svg); returns the path."""
        if not str(path).lower().endswith(".svg"):
            raise ValueError(
                bilingual(
                    f"층 보기는 .svg로 저장합니다 (받은 것: {path})", f"a layer view is saved as .svg, got {path}"
                )
            )
        return write_file(path, fonts.embed(self.svg()))  # with its glyphs: the Korean reads on any machine

    def __repr__(self):
        names = ", ".join(self.columns)
        return tr(f"<층 보기: {names or '모델'}>", f"<layer view: {names or 'model'}>", self.lang)


def compare_gradient_flow(models, *, losses=None, lang=None, title=None, scale=None):
    """Several models' layer views side by side on one scale (after `loss.backward()` on each).

    `models`: a model, or a dict name -> model (or name -> list of
    `diagnostics.gradient_flow` records). `losses`: the loss each model's
    backward ran from (a Value, or a dict name -> Value): with it every
    factor between rows is written as σ′ × weight gain, and a model with
    every gradient exactly 0 is told apart from one not backpropagated yet.
    `scale`: the colour scale, a `GradScale` (or (low, high)) shared by
    every model; by default the fixed scale of every picture (bar lengths
    reach past its ends when a gradient does; colours never rescale). Returns a `LayerView`: it
    displays in Jupyter (saved notebooks included), `.factors` holds the
    numbers, `.save('flow.svg')` writes it.
    """
    if isinstance(models, (list, tuple, set)):
        raise TypeError(
            bilingual(
                f"compare_gradient_flow에는 이름 → 모델 사전을 주세요 (받은 것: {type(models).__name__}): "
                "compare_gradient_flow({'sigmoid': m1, 'relu': m2})",
                f"compare_gradient_flow takes a dict name -> model, got a {type(models).__name__}: "
                "compare_gradient_flow({'sigmoid': m1, 'relu': m2})",
            )
        )
    if not isinstance(models, dict):
        models, losses = {"": models}, ({"": losses} if losses is not None else None)
    if losses is not None and not isinstance(losses, dict):
        raise TypeError(
            bilingual(
                f"losses는 이름 → 손실 사전입니다 (받은 자료형: {type(losses).__name__})",
                f"losses must be a dict name -> loss, got {type(losses).__name__}",
            )
        )
    unknown = set(losses or {}) - set(models)
    if unknown:
        raise ValueError(
            bilingual(
                f"losses에 모델에 없는 이름이 있습니다: {sorted(unknown)}",
                f"losses names models that are not given: {sorted(unknown)}",
            )
        )
    columns, states = {}, {}
    for name, model in models.items():
        loss = (losses or {}).get(name)
        if loss is not None and not isinstance(loss, Value):
            raise TypeError(
                bilingual(
                    f"'{name}'의 손실은 Value여야 합니다 (받은 자료형: {type(loss).__name__})",
                    f"the loss for {name!r} must be a Value, got {type(loss).__name__}",
                )
            )
        if isinstance(model, (list, tuple)):
            if loss is not None:
                raise ValueError(
                    bilingual(
                        f"'{name}'은(는) 기록 목록이라 손실을 쓸 수 없습니다: losses=에는 모델 자체를 주세요",
                        f"{name!r} is a list of records, which cannot use a loss: pass the model itself with losses=",
                    )
                )
            if not all(hasattr(r, "mean_abs_grad") for r in model):
                raise TypeError(
                    bilingual(
                        f"'{name}'의 목록은 diagnostics.gradient_flow(모델)의 결과여야 합니다",
                        f"the list for {name!r} must be diagnostics.gradient_flow(model) records; pass the model itself otherwise",
                    )
                )
            records = list(model)
            zero = records and all(r.mean_abs_grad == 0 and r.bias_grad_norm == 0 for r in records)
            states[name] = UNKNOWN_ZERO_STATE if zero else None
            columns[name] = [LayerRow(r.layer, r.activation, r.n_weights, r.mean_abs_grad) for r in records]
        else:
            gradient_flow(model)  # the model's shape, checked with its own message
            if loss is not None:
                check_loss_reaches(model, loss, name)  # losses swapped between models
            states[name] = _state(model, loss, None)
            columns[name] = _rows_of(model, loss, None, states[name])
    return LayerView(columns, lang=lang, title=title, states=states, scale=scale)


# --------------------------------------------------------------------------
# During training: one layer view per epoch
# --------------------------------------------------------------------------


def gradient_flow_history(history):
    """`history['gradient_flow']` (one list of per-layer mean |∂L/∂W| per epoch), checked."""
    flows = history.get("gradient_flow") if isinstance(history, dict) else None
    if not flows:
        raise ValueError(
            bilingual(
                "history에 'gradient_flow'가 없습니다: fit(..., track_gradients=True)로 학습하세요",
                "history has no 'gradient_flow': train with fit(..., track_gradients=True)",
            )
        )
    for e, row in enumerate(flows):
        numeric = isinstance(row, (list, tuple)) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0 for v in row
        )
        if not numeric:
            raise ValueError(
                bilingual(
                    f"gradient_flow[{e}]는 층마다 평균 |∂L/∂W|(0 이상의 유한한 수)의 목록이어야 합니다 (받은 것: {row!r})",
                    f"gradient_flow[{e}] must be a list of each layer's mean |∂L/∂W| (finite numbers >= 0), got {row!r}",
                )
            )
    depth = len(flows[0])
    if depth == 0 or any(len(row) != depth for row in flows):
        raise ValueError(
            bilingual(
                "gradient_flow의 에폭마다 층 수가 같아야 합니다",
                "every epoch of gradient_flow must list the same number of layers",
            )
        )
    return flows


class GradientFlowPlayer:
    """The layer view epoch by epoch, on one colour scale: a list in a saved notebook, a player once run."""

    def __init__(self, frames, lang):
        self.frames, self.lang = frames, lang

    def __len__(self):
        return len(self.frames)

    def _repr_html_(self):
        title = tr("학습 중 층별 기울기 흐름", "gradient flow per layer during training", self.lang)
        note = tr(
            "저장된 그림은 마지막 에폭입니다. 셀을 실행하면 슬라이더로 에폭을 옮겨 봅니다.",
            "The saved picture is the last epoch. Run the cell to move through the epochs with the slider.",
            self.lang,
        )
        return player.fragment(self.frames, title=title, lang=self.lang, shown=-1, saved_note=note)

    def to_html(self, path=None):
        """One self-contained HTML page with every epoch (works offline); written to `path` (.html) if given."""
        player.check_html_path(path)
        title = tr("학습 중 층별 기울기 흐름", "gradient flow per layer during training", self.lang)
        return player.page(self._repr_html_(), title, self.lang, path)


def gradient_flow_player(history, model=None, lang=None, max_frames=40):
    """Step through `fit(..., track_gradients=True)`'s epochs as layer views (every k-th epoch past `max_frames`).

    `model` (optional) names each layer's activation. The shared fixed colour
    scale and one length axis for all epochs, so a layer whose gradient grows visibly lengthens.
    """
    flows = gradient_flow_history(history)
    max_frames = check_positive_int(max_frames, "max_frames")
    if lang is not None:
        check_language(lang)
    activations = [activation_name(layer) for _, layer in neuron_layers(model)] if model is not None else None
    if activations is not None and len(activations) != len(flows[0]):
        raise ValueError(
            bilingual(
                f"모델의 층은 {len(activations)}개인데 history의 gradient_flow는 층 {len(flows[0])}개를 기록했습니다: "
                "history를 만든 그 모델을 주세요",
                f"the model has {len(activations)} layers but history's gradient_flow records {len(flows[0])}: "
                "pass the model the history was trained with",
            )
        )
    activations = activations or [""] * len(flows[0])
    axis = GradScale().length_axis(v for row in flows for v in row)  # one length axis for every epoch
    step = -(-len(flows) // max_frames)
    epochs = list(range(0, len(flows), step))
    if epochs[-1] != len(flows) - 1:
        epochs.append(len(flows) - 1)
    frames = []
    for e in epochs:
        rows = [LayerRow(i, activations[i], 0, v) for i, v in enumerate(flows[e])]
        ratio = f"{flows[e][-1] / flows[e][0]:.3g}" if flows[e][0] else "-"
        text = tr(
            f"에폭 {e + 1}/{len(flows)}: 마지막 층의 평균 |∂L/∂W|는 1층의 {ratio}배",
            f"epoch {e + 1}/{len(flows)}: the last layer's mean |∂L/∂W| is {ratio} times the first layer's",
            lang,
        )

        def svg_of(uid, rows=rows, e=e):
            title = tr(f"에폭 {e + 1} 뒤 층별 평균 |∂L/∂W|", f"mean |∂L/∂W| per layer after epoch {e + 1}", lang)
            return LayerView({"": rows}, lang=lang, title=title, uid=uid, axis=axis).svg()

        frames.append((text, svg_of, f"epoch {e + 1}"))
    return GradientFlowPlayer(frames, lang)
