"""Showing an SVG picture where learners look: notebooks (saved or live), reports, players.

A notebook output is a mimebundle with two parts:

- `text/html`: an `<img>` whose source is the SVG as a data URI, scaled down to
  the output's width (never up). JupyterLab shows this even in a saved,
  untrusted notebook, where it drops `image/svg+xml` and strips `<svg>` from
  HTML; GitHub's notebook view shows it too.
- `image/svg+xml`: the SVG itself, for tools that want the drawing.

The picture carries the glyphs it uses (`fonts.embed`): an <img> cannot use
the page's fonts, and many machines have no Korean font.

"Fits" means: at the width of a notebook output in a 1280 px window
(`OUTPUT_WIDTH` px), scaled to fit, the smallest text is still at least
`MIN_TEXT` px tall. Pictures that do not fit are redrawn in another layout by
their owner (see `node_view.ComputationGraph`), not shrunk further; one that
must keep its layout (the lecture's left-to-right records) is shown wider
than the output, its text at the notebook's own size (`SCROLL_TEXT` px),
and scrolls sideways inside the output (`mimebundle(..., scroll=True)`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re

from . import drawn_text, fonts

__all__ = [
    "OUTPUT_WIDTH",
    "MIN_TEXT",
    "compose",
    "fits",
    "img_tag",
    "mimebundle",
    "on_screen_text",
    "readable_width",
    "scroll_width",
    "size_px",
]

OUTPUT_WIDTH = 850  # px: a JupyterLab output area in a 1280 px window
MIN_TEXT = 10.0  # px on screen
SCROLL_TEXT = 13.0  # px: a picture that scrolls sideways shows its smallest text as large as a notebook's own
_UNIT_PX = {"pt": 4 / 3, "px": 1.0, "": 1.0}

_ROOT = re.compile(r"<svg\b[^>]*>", re.DOTALL)
_PROLOGUE = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?(<!--.*?-->\s*)*", re.DOTALL)


def _length_px(text):
    match = re.fullmatch(r"\s*([0-9.]+)\s*(pt|px|)\s*", text or "")
    if not match:
        return None
    return float(match.group(1)) * _UNIT_PX[match.group(2)]


def _attr(tag, name):
    match = re.search(rf'\b{name}="([^"]*)"', tag)
    return match.group(1) if match else None


def size_px(svg):
    """(width, height) of an SVG in CSS px, from its root's width and height attributes."""
    tag = _ROOT.search(svg).group(0)
    return _length_px(_attr(tag, "width")), _length_px(_attr(tag, "height"))


def _min_font_px(svg):
    """The smallest text in the SVG, in px at its own size (user units scaled by width/viewBox)."""
    tag = _ROOT.search(svg).group(0)
    width = size_px(svg)[0]
    view = _attr(tag, "viewBox")
    unit = width / float(view.split()[2]) if view else 1.0
    sizes = [float(s) for s in re.findall(r'font-size="([0-9.]+)', svg)]
    return min(sizes) * unit if sizes else None


def on_screen_text(svg, width=OUTPUT_WIDTH, height=None):
    """The smallest text's height in px once the SVG is scaled down (never up) to `width`, and to `height` if given."""
    w, h = size_px(svg)
    smallest = _min_font_px(svg) or 14.0
    return smallest * min(1.0, width / w, height / h if height else 1.0)


def readable_width(svg):
    """The width in px at which the SVG's smallest text is `MIN_TEXT` px (its own width if it is never smaller)."""
    w, _ = size_px(svg)
    smallest = _min_font_px(svg) or 14.0
    return w * min(1.0, MIN_TEXT / smallest)


def scroll_width(svg):
    """The width in px to show `svg` at inside a sideways-scrolling box: its smallest text `SCROLL_TEXT` px,
    never wider than its own size."""
    w, _ = size_px(svg)
    smallest = _min_font_px(svg) or 14.0
    return w * min(1.0, SCROLL_TEXT / smallest)


def fits(svg, width=OUTPUT_WIDTH):
    return on_screen_text(svg, width) >= MIN_TEXT


def inline(svg):
    """SVG text ready to sit inside HTML or another SVG: no XML prologue or DOCTYPE."""
    return _PROLOGUE.sub("", svg, count=1)


def data_uri(svg):
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def img_tag(svg, alt, css_class="mgk-picture", scroll=False):
    """An <img> showing `svg` (with its font embedded) at its own size, scaled down to the width it is given.

    `scroll`: instead, at `scroll_width(svg)` inside a box that scrolls
    sideways within the output (JupyterLab keeps `overflow-x` even in an
    untrusted notebook), so its text stays readable.
    """
    w, h = size_px(svg)
    if scroll:
        shown = round(scroll_width(svg))
        return (
            f'<div class="mgk-scroll" style="overflow-x:auto;max-width:100%">'
            f'<img class="{css_class}" src="{data_uri(fonts.embed(svg))}" alt="{html.escape(alt)}" width="{shown}" '
            f'style="max-width:none;height:auto" data-width="{round(w)}" data-height="{round(h)}"></div>'
        )
    return (
        f'<img class="{css_class}" src="{data_uri(fonts.embed(svg))}" alt="{html.escape(alt)}" width="{round(w)}" '
        f'style="max-width:100%;height:auto" data-width="{round(w)}" data-height="{round(h)}">'
    )


def mimebundle(svg, alt, note=None, include=None, exclude=None, scroll=False):
    """The notebook display of `svg`: an untrusted-safe <img> (text/html) and the SVG itself.

    `scroll`: shown at a readable size, scrolling sideways (see `img_tag`), when it does not fit the output.
    """
    body = img_tag(svg, alt, scroll=scroll and not fits(svg))
    if note:
        # The note's own glyphs: a live notebook keeps the <style> (the text shows, in that font); a saved one
        # drops it, and with it the rules that hide the note's drawing (`drawn_text`): the drawing shows.
        family = "MgkNote" + hashlib.sha1(note.encode("utf-8")).hexdigest()[:8]
        style = f' style="font-size:0.85em;color:#555;font-family:{family}, sans-serif"'
        text = drawn_text.element("div", "mgk-note", note, attrs=style, size=12.0, colour="#555")
        body += (
            f"<style>{fonts.font_face_css(note, family)}\n{drawn_text.stylesheet('.' + family)}</style>"
            f'<div class="{family}">{text}</div>'
        )
    bundle = {"text/html": f'<div class="mgk-output">{body}</div>', "image/svg+xml": svg}
    if include is not None:
        bundle = {k: v for k, v in bundle.items() if k in set(include)}
    return {k: v for k, v in bundle.items() if k not in set(exclude or ())}


def compose(graph_svg, extra, extra_height, extra_width, font):
    """One SVG: `graph_svg` on top and the `extra` elements (a colour bar) under it, in pt.

    The Graphviz drawing is nested as it is (its ids, classes and viewBox
    kept), so tools that look for its nodes still find them.
    """
    body = inline(graph_svg)
    w, h = size_px(body)
    w_pt, h_pt = w * 0.75, h * 0.75
    total_w = max(w_pt, extra_width + 16)
    total_h = h_pt + extra_height + 8
    nested = _ROOT.sub(
        lambda m: re.sub(r'\b(width|height)="[^"]*"', "", m.group(0)).replace(
            "<svg", f'<svg x="0" y="0" width="{w_pt:.2f}" height="{h_pt:.2f}"', 1
        ),
        body,
        count=1,
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{total_w:.2f}pt" height="{total_h:.2f}pt" viewBox="0 0 {total_w:.2f} {total_h:.2f}">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n{nested}\n'
        f'<g transform="translate(8 {h_pt + 4:.2f})" font-family="{html.escape(font)}">\n{extra}\n</g>\n</svg>\n'
    )
