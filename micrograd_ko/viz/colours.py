"""Colours for gradients: one fixed log scale shared by every picture, its colour bar, and the two cases off it.

- A nonzero |grad| sits on a log scale from `FIXED_LOW` to `FIXED_HIGH`
  (outside it, the end colour: below 10⁻⁸ the deepest red, above 10 the
  palest yellow; the colour bar's end labels say so, ≤10⁻⁸ and ≥10). The
  colours are never rescaled to fit a picture's gradients, so the same
  gradient is the same colour everywhere and the legend always holds. Bar
  lengths may reach past the scale (`length_axis`): length is magnitude,
  colour keeps its meaning. Small is loud: the smaller the gradient,
  the stronger the colour, from a pale yellow for large gradients through
  orange to a deep red for vanishing ones (below `VANISHING_BELOW`). One
  palette, so colour strength is ordered by size everywhere.
- The scale is the same in every picture by default, so the same gradient
  gets the same colour in every picture of a notebook; pass one `GradScale`
  to several pictures (`scale=`) to share another.
- A gradient that is exactly 0 is not "very small": an input was 0, a ReLU was
  off, or the node does not reach the loss. It gets its own grey.
- No gradient yet (before backward, or not reached by a stepper): white.
- A gradient that is not a number (nan, set by hand: backward never hands
  one back) sits nowhere on the scale: its own purple, not the colour of
  the largest gradients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..i18n import bilingual, tr

__all__ = [
    "FIXED_HIGH",
    "FIXED_LOW",
    "GRAD_PALETTE",
    "GradScale",
    "HIGHLIGHT",
    "NOT_A_NUMBER",
    "PENDING",
    "VANISHING_BELOW",
    "ZERO",
    "colour_bar",
    "decade_label",
    "text_colour",
]

PENDING = "#ffffff"
ZERO = "#bdbdbd"
NOT_A_NUMBER = "#7b3294"
HIGHLIGHT = "#1f77b4"
VANISHING_BELOW = 1e-6
FIXED_LOW, FIXED_HIGH = 1e-8, 1e1  # the default scale: nine decades, the same in every picture

# ColorBrewer YlOrRd, from the smallest gradient (deep red, loudest) to the largest (pale yellow).
GRAD_PALETTE = ("#800026", "#bd0026", "#e31a1c", "#fc4e2a", "#fd8d3c", "#feb24c", "#fed976", "#ffeda0", "#ffffcc")
_MIN_EXP, _MAX_EXP = -323, 308  # decades a float can hold (10.0 ** -324 is 0.0)


def _rgb(hex_colour):
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def _interpolate(palette, t):
    """The colour at `t` in [0, 1] along `palette`, linearly in RGB."""
    t = min(1.0, max(0.0, t)) * (len(palette) - 1)
    i = min(int(t), len(palette) - 2)
    a, b = _rgb(palette[i]), _rgb(palette[i + 1])
    f = t - i
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b))


def text_colour(fill):
    """Black or white, whichever reads on `fill`."""
    r, g, b = _rgb(fill)
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def _log10(x):
    """log10 |x| for any nonzero finite float, denormals included."""
    return math.log10(abs(x))


@dataclass(frozen=True)
class GradScale:
    """A log scale of |grad| from `low` to `high` (powers of ten); the default is the fixed shared scale."""

    low: float = FIXED_LOW
    high: float = FIXED_HIGH

    def __post_init__(self):
        ok = all(isinstance(v, (int, float)) and math.isfinite(v) and v > 0 for v in (self.low, self.high))
        if not ok or self.low >= self.high:
            raise ValueError(
                bilingual(
                    f"눈금은 0 < low < high인 유한한 수입니다: low={self.low!r}, high={self.high!r}",
                    f"a scale needs finite 0 < low < high, got low={self.low!r}, high={self.high!r}",
                )
            )

    @classmethod
    def of(cls, scale):
        """`scale` as a GradScale: None (the fixed default), a GradScale, or a pair (low, high)."""
        if scale is None:
            return cls()
        if isinstance(scale, cls):
            return scale
        if isinstance(scale, (tuple, list)) and len(scale) == 2:
            return cls(*scale)
        raise TypeError(
            bilingual(
                f"scale은 GradScale 또는 (low, high)입니다 (받은 것: {scale!r})",
                f"scale must be a GradScale or a pair (low, high), got {scale!r}",
            )
        )

    def length_axis(self, grads):
        """The axis for bar LENGTHS: this scale, widened by whole decades only if a nonzero finite |grad| in
        `grads` lies outside it (denormals such as 5e-324 and 1.5e308 without overflow).

        Only lengths use it: a bar stays ordered by magnitude, while its
        colour comes from this scale, clamped at the ends, never rescaled.
        """
        exps = [_log10(g) for g in grads if g is not None and g != 0 and math.isfinite(g)]
        if not exps:
            return self
        lo = max(_MIN_EXP, min(round(_log10(self.low)), math.floor(min(exps))))
        hi = min(_MAX_EXP, max(round(_log10(self.high)), math.ceil(max(exps))))
        if (10.0**lo, 10.0**hi) == (self.low, self.high):
            return self
        return GradScale(10.0**lo, 10.0**hi)

    @property
    def vanishing_low(self):
        return self.low < VANISHING_BELOW

    def position(self, grad):
        """Where |grad| sits on the bar: 0 (low end) to 1 (high end), clamped."""
        if grad == 0 or not math.isfinite(grad):
            return 0.0 if grad == 0 else 1.0
        span = _log10(self.high) - _log10(self.low)
        return min(1.0, max(0.0, (_log10(grad) - _log10(self.low)) / span))

    def colour(self, grad):
        if grad is None:
            return PENDING
        if grad == 0:
            return ZERO
        if grad != grad:  # nan
            return NOT_A_NUMBER
        return self._colour_at(self.position(grad))

    def _colour_at(self, t):
        return _interpolate(GRAD_PALETTE, t)

    def decades(self, most=7):
        """The powers of ten to label, at most `most` of them, evenly spaced, both ends included when they fit."""
        lo, hi = round(_log10(self.low)), round(_log10(self.high))
        least = max(1, math.ceil((hi - lo) / max(1, most - 1)))
        # A step that divides the span puts a label at both ends (10⁻⁸ ... 10); else count down from the top.
        step = next((k for k in range(least, max(least, hi - lo) + 1) if (hi - lo) % k == 0), least)
        return [10.0**e for e in range(hi, lo - 1, -step)][::-1]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_label(value):
    """A power of ten as it is written in a book: 10⁻⁶, 10⁻¹, 1, 10, 10²."""
    e = round(_log10(value))
    return "1" if e == 0 else "10" if e == 1 else "10" + str(e).translate(_SUPERSCRIPT)


def _e(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def colour_bar(
    scale,
    *,
    width,
    uid,
    lang=None,
    zero=True,
    pending=False,
    not_a_number=False,
    font="sans-serif",
    font_size=12,
    title=None,
):
    """SVG elements (no <svg> wrapper) drawing the scale as a horizontal bar, `width` user units wide.

    Returns (markup, height): a title, the bar with decade ticks under it,
    and under those the swatches for exactly 0, (for a stepper) 'not
    computed yet' and (when the picture shows one) a gradient that is nan.
    """
    fs = font_size
    title = title or tr("|기울기| (로그 눈금)", "|grad| (log scale)", lang)
    if scale.vanishing_low:
        title += tr(
            f" · 진한 빨강: 기울기 소실 (< {decade_label(VANISHING_BELOW)})",
            f" · deep red: vanishing (< {decade_label(VANISHING_BELOW)})",
            lang,
        )
    swatches = []
    if zero:
        swatches.append((ZERO, tr("0: 입력이 0이거나 연결이 끊김", "0: input was 0 or no path", lang)))
    if pending:
        swatches.append((PENDING, tr("? = 아직 계산 전", "? = not computed yet", lang)))
    if not_a_number:
        swatches.append(
            (NOT_A_NUMBER, tr("nan: 숫자가 아님 (손으로 넣은 값)", "nan: not a number (set by hand)", lang))
        )
    stops = "".join(f'<stop offset="{k / 20:.2f}" stop-color="{scale._colour_at(k / 20)}"/>' for k in range(21))
    parts = [
        f'<defs><linearGradient id="{uid}_bar">{stops}</linearGradient></defs>',
        f'<text x="0" y="{fs}" font-size="{fs}" font-family="{font}">{_e(title)}</text>',
        f'<rect x="0" y="{fs + 4}" width="{width:.1f}" height="{fs}" fill="url(#{uid}_bar)" stroke="#777" stroke-width="0.5"/>',
    ]
    tick_y = 2 * fs + 4
    decades = scale.decades()
    room = max(1, int(width // (fs * 4)))  # labels at least four em apart
    step = -(-len(decades) // room)
    shown = decades[::step]
    for value in shown:
        x = scale.position(value) * width
        anchor = "start" if x < 1 else "end" if x > width - 1 else "middle"
        # The ends hold everything past them (clamped): ≤10⁻⁸ is the deepest red, ≥10 the palest yellow.
        label = ("≤" if value == scale.low else "≥" if value == scale.high else "") + decade_label(value)
        parts.append(
            f'<line x1="{x:.1f}" y1="{tick_y}" x2="{x:.1f}" y2="{tick_y + 3}" stroke="#555" stroke-width="0.7"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{tick_y + 3 + fs}" font-size="{fs}" text-anchor="{anchor}" font-family="{font}">{_e(label)}</text>'
        )
    if scale.vanishing_low:  # the threshold, marked across the bar
        x = scale.position(VANISHING_BELOW) * width
        parts.append(
            f'<line x1="{x:.1f}" y1="{fs + 2}" x2="{x:.1f}" y2="{2 * fs + 6}" stroke="#000" stroke-width="1"/>'
        )
    y, x = tick_y + 3 + fs + 8, 0.0
    for fill, text in swatches:
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{fs}" height="{fs}" fill="{fill}" stroke="#777" stroke-width="0.5"/>'
        )
        parts.append(
            f'<text x="{x + fs + 4:.1f}" y="{y + fs - 1.5}" font-size="{fs}" font-family="{font}">{_e(text)}</text>'
        )
        x += fs + 4 + _text_width(text, fs) + 2 * fs
    height = y + (fs + 4 if swatches else 0)
    return "\n".join(parts), height


def _text_width(text, font_size):
    """About how wide `text` is drawn: Hangul and other wide characters 1 em, the rest 0.6 em."""
    return sum(font_size if ord(c) >= 0x1100 else 0.6 * font_size for c in text)
