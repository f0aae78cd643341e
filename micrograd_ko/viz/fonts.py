"""The Korean font a picture carries with it, so that it reads the same on any machine.

A picture shown as `<img>` (a notebook output, a player frame) can use only
the fonts of the machine or those it embeds; many machines (and CI) have no
Korean font, and the text would be drawn as boxes. `embed(svg)` puts in the
SVG the glyphs it uses, as a subset of NanumGothic (which
koreanize-matplotlib ships), with DejaVu Sans (which matplotlib ships) for symbols such as ∂ ‖ ≥ →.
A subset for a graph's few dozen distinct characters is a few kilobytes.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import io
import re
from pathlib import Path

from ..i18n import bilingual

__all__ = ["EMBEDDED_FAMILY", "KOREAN_FONT", "embed", "font_face_css", "korean_font_file"]

KOREAN_FONT = "NanumGothic"
# Symbols (< = >, ², Greek, arrows, math) come from DejaVu Sans, which draws ∂ ‖ ≥ → < clearly; the rest from NanumGothic.
_SYMBOL_RANGE = "U+003C-003E, U+00B2-00B3, U+00D7, U+0370-03FF, U+2010-2BFF"


def korean_font_file():
    """NanumGothic.ttf from koreanize-matplotlib, found without importing it.

    Importing it changes matplotlib's rcParams as a side effect and imports
    distutils, which warns on Python 3.11 and is gone from 3.12.
    """
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(bilingual("한글 글꼴 패키지 koreanize-matplotlib가 없습니다: pip install 'micrograd_ko[viz]'",
                                    "the Korean font package koreanize-matplotlib is missing: pip install 'micrograd_ko[viz]'"))
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / f"{KOREAN_FONT}.ttf"
    if not path.is_file():
        raise ImportError(bilingual(f"koreanize-matplotlib에 {path.name}이 없습니다", f"koreanize-matplotlib ships no {path.name}"))
    return path


def _symbol_font_file():
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


@functools.lru_cache(maxsize=64)
def _subset(font_path, characters):
    """The font at `font_path` cut down to `characters`, base64-encoded."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5", "FFTM"]  # tables fontTools cannot subset (hinting sources, a timestamp)
    font = subset.load_font(io.BytesIO(Path(font_path).read_bytes()), options)  # read whole: no file left open
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    font.close()
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def font_face_css(text, family):
    """@font-face rules for `family`, subset to the characters of `text`, as data: URLs."""
    characters = "".join(sorted(set(text)))
    # For a character covered by several faces the browser tries the face defined LAST first: symbols go last.
    return (f"@font-face {{ font-family: '{family}'; "
            f"src: url(data:font/ttf;base64,{_subset(korean_font_file(), characters)}) format('truetype'); }}\n"
            f"@font-face {{ font-family: '{family}'; unicode-range: {_SYMBOL_RANGE}; "
            f"src: url(data:font/ttf;base64,{_subset(_symbol_font_file(), characters)}) format('truetype'); }}")


EMBEDDED_FAMILY = "MicrogradKoPicture"


def embed(svg):
    """`svg` with the glyphs it uses embedded, put first in every font-family list of the drawing.

    The family has its own name: once a player inlines the SVG into a page,
    its @font-face rules hold for the whole page, and a subset named after a
    real font would take over text it has no glyphs for.
    """
    if EMBEDDED_FAMILY in svg:
        return svg
    start = svg.index("<svg")
    end = svg.index(">", start) + 1
    style = f"<style>\n{font_face_css(svg[end:], EMBEDDED_FAMILY)}\n</style>"
    body = re.sub(r'font-family="', f'font-family="{EMBEDDED_FAMILY}, ', svg[end:])
    if 'font-family="' not in svg[start:end]:
        head = svg[:end - 1] + f' font-family="{EMBEDDED_FAMILY}, sans-serif">'
    else:
        head = re.sub(r'font-family="', f'font-family="{EMBEDDED_FAMILY}, ', svg[:end])
    return head + style + body
