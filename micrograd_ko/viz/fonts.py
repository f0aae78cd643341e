"""The Korean font a picture carries with it, so that it reads the same on any machine.

A picture shown as `<img>` (a notebook output, a player frame) can use only
the fonts of the machine or those it embeds; many machines (and CI) have no
Korean font, and the text would be drawn as boxes. `embed(svg)` puts in the
SVG the glyphs it uses, as a subset of NanumGothic (which
koreanize-matplotlib ships), with DejaVu Sans (which matplotlib ships) for symbols such as ∂ ‖ ≥ →.
A graph's few dozen Hangul syllables make a subset of a few kilobytes.
"""

from __future__ import annotations

import base64
import functools
import html
import importlib.util
import io
import re
from pathlib import Path

from ..i18n import bilingual
from .extra import require

__all__ = [
    "EMBEDDED_FAMILY",
    "KOREAN_FONT",
    "advance",
    "embed",
    "font_face_css",
    "korean_font_file",
    "own_faces",
]

KOREAN_FONT = "NanumGothic"
# Symbols (< = >, ², Greek, arrows, math) come from DejaVu Sans, which draws ∂ ‖ ≥ → < clearly; the rest from NanumGothic.
_SYMBOLS = ((0x3C, 0x3E), (0xB2, 0xB3), (0xD7, 0xD7), (0x370, 0x3FF), (0x2010, 0x2BFF))
_SYMBOL_RANGE = ", ".join(f"U+{a:04X}-{b:04X}" if a != b else f"U+{a:04X}" for a, b in _SYMBOLS)
_WIDE = re.compile("[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")  # Hangul, CJK, full width


def korean_font_file():
    """NanumGothic.ttf from koreanize-matplotlib, found without importing it.

    Importing it changes matplotlib's rcParams as a side effect and imports
    distutils, which warns on Python 3.11 and is gone from 3.12.
    """
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            bilingual(
                "한글 글꼴 패키지 koreanize-matplotlib가 없습니다: pip install 'micrograd_ko[viz]'",
                "the Korean font package koreanize-matplotlib is missing: pip install 'micrograd_ko[viz]'",
            )
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / f"{KOREAN_FONT}.ttf"
    if not path.is_file():
        raise ImportError(
            bilingual(f"koreanize-matplotlib에 {path.name}이 없습니다", f"koreanize-matplotlib ships no {path.name}")
        )
    return path


def _symbol_font_file():
    """DejaVuSans.ttf from matplotlib, found without importing it (the import alone takes ~1 s)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            bilingual(
                "matplotlib이 없습니다: pip install 'micrograd_ko[viz]'",
                "matplotlib is missing: pip install 'micrograd_ko[viz]'",
            )
        )
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"


@functools.lru_cache(maxsize=64)
def _subset(font_path, characters):
    """The font at `font_path` cut down to `characters`, as base64 WOFF.

    No layout features and no hinting: neither matters for a label, and
    without them a Hangul glyph costs ~150 bytes.
    """
    subset = require("fontTools.subset", "fonts.embed")

    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.flavor = "woff"
    # Tables fontTools cannot subset (hinting sources, a timestamp), and the old-style kerning:
    # decoding NanumGothic's takes most of a second, and a label's Hangul is not kerned.
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5", "FFTM", "kern"]
    font = subset.load_font(io.BytesIO(Path(font_path).read_bytes()), options)  # read whole: no file left open
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    font.close()
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _face(family, font_path, characters, ranges=None):
    ranges = ranges or ", ".join(f"U+{ord(c):04X}" for c in characters)
    return (
        f"@font-face {{ font-family: '{family}'; unicode-range: {ranges}; "
        f"src: url(data:font/woff;base64,{_subset(font_path, characters)}) format('woff'); }}"
    )


def font_face_css(text, family):
    """@font-face rules for `family` covering every character of `text`, as data: URLs."""
    characters = "".join(sorted(set(text)))
    # For a character covered by several faces the browser tries the face defined LAST first: symbols go last.
    return (
        f"@font-face {{ font-family: '{family}'; "
        f"src: url(data:font/woff;base64,{_subset(korean_font_file(), characters)}) format('woff'); }}\n"
        + _face(family, _symbol_font_file(), characters, _SYMBOL_RANGE)
    )


EMBEDDED_FAMILY = "MicrogradKoPicture"
_TEXT = re.compile(r"<text\b[^>]*>([^<]*)</text>")


def embed(svg):
    """`svg` with the glyphs of its non-ASCII text embedded, its family put first in every font-family list.

    Only what a machine may lack travels: Hangul from NanumGothic, other
    symbols (∂ × ↓ ‖) from DejaVu Sans, each face limited to its characters,
    so Latin letters and digits still come from the machine's own fonts.
    The family has its own name: once a player inlines the SVG into a page,
    its @font-face rules hold for the whole page, and a subset named after a
    real font would take over text it has no glyphs for.
    """
    if EMBEDDED_FAMILY in svg:
        return svg
    shown = {c for text in _TEXT.findall(svg) for c in html.unescape(text) if ord(c) > 0x7F and not c.isspace()}
    wide = "".join(sorted(c for c in shown if _WIDE.match(c)))
    symbols = "".join(sorted(shown - set(wide) - {"\u200b"}))
    faces = ([_face(EMBEDDED_FAMILY, korean_font_file(), wide)] if wide else []) + (
        [_face(EMBEDDED_FAMILY, _symbol_font_file(), symbols)] if symbols else []
    )
    if not faces:
        return svg
    start = svg.index("<svg")
    end = svg.index(">", start) + 1
    style = "<style>\n" + "\n".join(faces) + "\n</style>"
    body = svg[end:].replace('font-family="', f'font-family="{EMBEDDED_FAMILY}, ')
    if 'font-family="' in svg[start:end]:
        head = svg[:end].replace('font-family="', f'font-family="{EMBEDDED_FAMILY}, ')
    else:
        head = svg[: end - 1] + f' font-family="{EMBEDDED_FAMILY}, sans-serif">'
    return head + style + body


# -- every glyph of a text, for a picture that must not use the machine's fonts at all ------------


@functools.lru_cache(maxsize=2)
def _advances(font_path):
    """{code point: advance width in em} of the font at `font_path`."""
    ttLib = require("fontTools.ttLib", "fonts.advance")
    font = ttLib.TTFont(io.BytesIO(Path(font_path).read_bytes()), lazy=True)
    hmtx, em = font["hmtx"], font["head"].unitsPerEm
    advances = {code: hmtx[glyph][0] / em for code, glyph in font.getBestCmap().items()}
    font.close()
    return advances


@functools.lru_cache(maxsize=4096)
def _source(c):
    """The font file that draws `c` in `own_faces`: a symbol from DejaVu Sans when it has it, the rest
    from NanumGothic (Latin too), else whichever has it; None when neither does."""
    symbol = any(a <= ord(c) <= b for a, b in _SYMBOLS)
    files = (_symbol_font_file(), korean_font_file()) if symbol else (korean_font_file(), _symbol_font_file())
    return next((path for path in files if ord(c) in _advances(path)), None)


def advance(c):
    """The width of `c` drawn with `own_faces`, in em; None when neither font has it (the machine's font draws it)."""
    path = _source(c)
    return None if path is None else _advances(path)[ord(c)]


def own_faces(text, family):
    """@font-face rules for `family` with every character of `text` that the two fonts have, ASCII included.

    Unlike `embed`, nothing is left to the machine's fonts: a text laid out
    with `advance` is then exactly as wide on every machine.
    """
    by_file = {}
    for c in sorted(set(text) - {"\n"}):
        path = _source(c)
        if path is not None:
            by_file[path] = by_file.get(path, "") + c
    return "\n".join(_face(family, path, characters) for path, characters in by_file.items())
