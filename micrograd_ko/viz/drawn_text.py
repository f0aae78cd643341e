"""Prose drawn as a picture that carries its glyphs, for outputs that keep no stylesheet.

A saved notebook opened in JupyterLab is untrusted: its HTML outputs lose
every <style> (so every @font-face), and on a machine without a Korean font
(CI, many learners' machines) Hangul shows as empty boxes. An <img> of an
SVG keeps the @font-face inside it, as the pictures do (`fonts.embed`).
`img(text)` is such an <img> of `text`: its glyphs embedded (`fonts.own_faces`,
only the characters it shows), its lines laid out and wrapped with those
fonts' own advance widths, so the picture is as wide as its text on every
machine, and `text` itself as the alt text.

`element(...)` puts the text itself after its drawing, hidden; a <style>
that gives the text a font adds `stylesheet(scope)`, which hides the
drawing and shows the text (selectable, in the page's own font). Where the
<style> is dropped, so are those rules: the drawing shows.
"""

from __future__ import annotations

import html
import re

from . import fonts

__all__ = [
    "CLASS",
    "FAMILY",
    "LIVE",
    "MAX_WIDTH",
    "element",
    "img",
    "lines",
    "needs_drawing",
    "stylesheet",
    "svg",
    "without_drawings",
]

CLASS = "mgk-drawn"  # every <img> of `img` has this class: a stylesheet hides them where it gives the text a font
LIVE = "mgk-live"  # the class of a text `element` hid after its drawing

FAMILY = "MicrogradKoText"
MAX_WIDTH = 800  # px: wider lines wrap, as `white-space: pre-wrap` would in a notebook output (850 px)
LINE = 1.45  # line height, in em
ASCENT, DESCENT = 0.92, 0.23  # NanumGothic's, in em: where the baseline sits in a line
PAD = 6  # px around the text


def needs_drawing(text):
    """Whether `text` has a character beyond ASCII, which a machine may have no glyph for."""
    return any(ord(c) > 0x7F for c in text)


def _advance(c):
    return fonts.advance(c) or 1.0  # a character neither font has: about 1 em, in the machine's font


def _width(text, size):
    return size * sum(_advance(c) for c in text)


def _fit(line, size, room):
    """How many leading characters of `line` fit in `room` px (at least one)."""
    total = 0.0
    for n, c in enumerate(line):
        total += size * _advance(c)
        if total > room:
            return max(n, 1)
    return len(line)


def lines(text, size, max_width=MAX_WIDTH):
    """`text`'s lines, each cut at a space (or, for a longer word, anywhere) to fit `max_width` px."""
    room = max_width - 2 * PAD
    out = []
    for line in text.expandtabs(4).split("\n"):
        while _width(line, size) > room:
            fit = _fit(line, size, room)
            cut = line.rfind(" ", 0, fit + 1)
            cut = cut if cut > 0 and line[:cut].strip() else fit
            out.append(line[:cut].rstrip(" "))
            line = line[cut:].lstrip(" ")
        out.append(line)
    return out


def svg(text, size=14.0, *, bold=False, italic=False, colour="#1f2328", background="white", max_width=MAX_WIDTH):
    """(SVG drawing `text` with its own glyphs, its width, its height), in px.

    `text` may be a list of texts: they are drawn one under the other, each
    on its own `background` box (one font for them all, not one per text).
    The box is white by default, as the pictures are: dark text stays
    readable in a dark notebook theme.
    """
    blocks = [text] if isinstance(text, str) else list(text)
    laid = [lines(block, size, max_width) for block in blocks]
    width = round(max(_width(row, size) for rows in laid for row in rows) + 2 * PAD + (size * 0.1 if bold else 0))
    first = PAD + size * (LINE - ASCENT - DESCENT) / 2 + size * ASCENT  # a block's first baseline, from its top
    parts, top = [], 0.0
    for rows in laid:
        height = len(rows) * size * LINE + 2 * PAD
        if background:  # None: transparent
            parts.append(f'<rect y="{top:.2f}" width="{width}" height="{height:.2f}" rx="3" fill="{background}"/>')
        parts += [
            f'<text xml:space="preserve" x="{PAD}" y="{top + first + k * size * LINE:.2f}">{html.escape(row, quote=False)}</text>'
            for k, row in enumerate(rows)
            if row
        ]
        top += height + PAD
    height = round(top - PAD)
    style = (' font-weight="bold"' if bold else "") + (' font-style="italic"' if italic else "")
    drawing = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FAMILY}" font-size="{size:g}" fill="{colour}"{style}>\n'
        f"<style>\n{fonts.own_faces(''.join(blocks), FAMILY)}\n</style>\n" + "\n".join(parts) + "\n</svg>"
    )
    return drawing, width, height


def img(text, **options):
    """An <img> of `text` (a text or a list of texts) drawn by `svg`, scaled down (never up) to the width it is given."""
    drawing, width, height = svg(text, **options)
    # Not base64: the font inside is base64 already and would grow by a third again. In a data: URL only
    # % and # must be escaped (newlines would be dropped); the URL parser encodes the rest itself.
    source = "data:image/svg+xml;charset=utf-8," + drawing.replace("%", "%25").replace("#", "%23").replace("\n", "%0A")
    alt = text if isinstance(text, str) else "\n\n".join(text)
    return (
        f'<img class="{CLASS}" src="{html.escape(source)}" alt="{html.escape(alt)}" width="{width}" '
        f'height="{height}" style="max-width:100%;height:auto;vertical-align:middle">'
    )


_IMG = re.compile(rf'<img class="{CLASS}"[^>]*>')  # its attributes are escaped: no ">" inside


def without_drawings(markup):
    """`markup` without the <img>s of `img`: for a page whose own stylesheet always gives its text a font."""
    return _IMG.sub("", markup)


def element(tag, css_class, text, *, body=None, attrs="", **options):
    """<tag class="css_class"{attrs}> holding `body` (default: `text`, escaped), after `img(text, **options)`
    and hidden when `text` (a text or a list of texts) needs drawing; else the element alone.

    `hidden="hidden"`, not a bare `hidden`: JupyterLab's sanitizer drops an attribute with an empty value.
    """
    joined = text if isinstance(text, str) else "".join(text)
    body = html.escape(joined) if body is None else body
    if not needs_drawing(joined):
        classes = f' class="{css_class}"' if css_class else ""
        return f"<{tag}{classes}{attrs}>{body}</{tag}>"
    classes = f"{css_class} {LIVE}".strip()
    return img(text, **options) + f'<{tag} class="{classes}"{attrs} hidden="hidden">{body}</{tag}>'


def stylesheet(scope):
    """CSS rules that undo `element` inside `scope` (a selector): for a <style> that gives the text its font."""
    return (
        f"{scope} .{CLASS} {{ display: none; }}\n"
        f"{scope} .{LIVE}[hidden] {{ display: block; }}\n"
        f"{scope} span.{LIVE}[hidden] {{ display: inline; }}"
    )
