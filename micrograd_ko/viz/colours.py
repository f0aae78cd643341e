"""Colours for gradients: a continuous log scale, its colour bar, and the two cases that are not on it.

- A nonzero |grad| sits on a log scale: the stronger, the darker blue; a
  vanishing gradient (0 < |grad| < `VANISHING_BELOW`) continues the scale in
  reds, so it stands out and still keeps its order.
- A gradient that is exactly 0 is not "very small": an input was 0, a ReLU was
  off, or the node does not reach the loss. It gets its own grey.
- No gradient yet (before backward, or not reached by a stepper): white.

The scale's range is fitted to the numbers drawn (whole decades), so
neighbouring layers of a deep network get neighbouring, distinct shades.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..i18n import tr

__all__ = ["GradScale", "HIGHLIGHT", "PENDING", "VANISHING_BELOW", "ZERO", "colour_bar", "text_colour"]

PENDING = "#ffffff"
ZERO = "#bdbdbd"
HIGHLIGHT = "#ff7f0e"
VANISHING_BELOW = 1e-6

# ColorBrewer YlGnBu, faint to strong; the vanishing part, faint (at the threshold) to deep red.
_SCALE = ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58")
_VANISHING = ("#fcbba1", "#fb6a4a", "#a50f15")


def _rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


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


@dataclass(frozen=True)
class GradScale:
    """A log scale of |grad| from `low` to `high` (powers of ten)."""

    low: float = 1e-6
    high: float = 1.0

    @classmethod
    def fit(cls, grads):
        """The smallest whole-decade scale holding every nonzero |grad| in `grads` (None ignored)."""
        sizes = [abs(g) for g in grads if g is not None and g != 0 and math.isfinite(g)]
        if not sizes:
            return cls()
        low = 10.0 ** math.floor(math.log10(min(sizes)))
        high = 10.0 ** math.ceil(math.log10(max(sizes)))
        return cls(low, max(high, low * 10))

    @property
    def vanishing_low(self):
        return self.low < VANISHING_BELOW

    def position(self, grad):
        """Where |grad| sits on the bar: 0 (low end) to 1 (high end)."""
        span = math.log10(self.high) - math.log10(self.low)
        return min(1.0, max(0.0, (math.log10(abs(grad)) - math.log10(self.low)) / span))

    def colour(self, grad):
        if grad is None:
            return PENDING
        if grad == 0:
            return ZERO
        return self._colour_at(self.position(grad))

    def _colour_at(self, t):
        cut = self.position(VANISHING_BELOW) if self.vanishing_low else 0.0
        if t < cut:
            return _interpolate(_VANISHING[::-1], t / cut)  # deepest red at the very bottom
        return _interpolate(_SCALE, (t - cut) / (1.0 - cut) if cut < 1.0 else 1.0)

    def decades(self):
        lo, hi = round(math.log10(self.low)), round(math.log10(self.high))
        step = max(1, math.ceil((hi - lo) / 6))
        return [10.0 ** e for e in range(lo, hi + 1, step)]


def _e(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def colour_bar(scale, *, width, uid, lang=None, zero=True, pending=False, font="sans-serif", font_size=12, title=None):
    """SVG elements (no <svg> wrapper) drawing the scale as a horizontal bar, `width` user units wide.

    Returns (markup, height): a title, the bar with decade ticks under it,
    and under those the swatches for exactly 0 and (for a stepper) 'not
    computed yet'.
    """
    fs = font_size
    title = title or tr("|기울기| (로그 눈금)", "|grad| (log scale)", lang)
    if scale.vanishing_low:
        title += tr(f" · 빨강: 기울기 소실 (< {VANISHING_BELOW:.0e})", f" · red: vanishing (< {VANISHING_BELOW:.0e})", lang)
    swatches = []
    if zero:
        swatches.append((ZERO, tr("0: 입력이 0이거나 연결이 끊김", "0: input was 0 or no path", lang)))
    if pending:
        swatches.append((PENDING, tr("? = 아직 계산 전", "? = not computed yet", lang)))
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
    for value in decades[::step]:
        x = scale.position(value) * width
        anchor = "start" if x < 1 else "end" if x > width - 1 else "middle"
        parts.append(f'<line x1="{x:.1f}" y1="{tick_y}" x2="{x:.1f}" y2="{tick_y + 3}" stroke="#555" stroke-width="0.7"/>')
        parts.append(f'<text x="{x:.1f}" y="{tick_y + 3 + fs}" font-size="{fs}" text-anchor="{anchor}" font-family="{font}">{_decade(value)}</text>')
    if scale.vanishing_low:  # the threshold, marked across the bar
        x = scale.position(VANISHING_BELOW) * width
        parts.append(f'<line x1="{x:.1f}" y1="{fs + 2}" x2="{x:.1f}" y2="{2 * fs + 6}" stroke="#000" stroke-width="1"/>')
    y, x = tick_y + 3 + fs + 8, 0.0
    for fill, text in swatches:
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="{fs}" height="{fs}" fill="{fill}" stroke="#777" stroke-width="0.5"/>')
        parts.append(f'<text x="{x + fs + 4:.1f}" y="{y + fs - 1.5}" font-size="{fs}" font-family="{font}">{_e(text)}</text>')
        x += fs + 4 + _text_width(text, fs) + 2 * fs
    height = y + (fs + 4 if swatches else 0)
    return "\n".join(parts), height


def _decade(value):
    return f"{value:g}" if 1e-3 <= value <= 1e3 else f"{value:.0e}"


def _text_width(text, font_size):
    """About how wide `text` is drawn: Hangul and other wide characters 1 em, the rest 0.6 em."""
    return sum(font_size if ord(c) >= 0x1100 else 0.6 * font_size for c in text)
