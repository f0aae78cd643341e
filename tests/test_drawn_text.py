"""Prose drawn with its own glyphs (`viz.drawn_text`), and a player's saved view that shows it.

A saved notebook opened in JupyterLab keeps no <style>: the player's Korean
text must be drawn, each drawing carrying a glyph for every character it
shows, and none of it left as HTML text a machine without a Korean font
would draw as boxes.
"""

import base64
import io
import re
import urllib.parse
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

import micrograd_ko as mg
from micrograd_ko.viz import display, drawn_text, fonts

SVG = "{http://www.w3.org/2000/svg}"
STEP = "1/3단계: 노드 #6 (연산 *, 데이터 -8)\n연쇄법칙:\n  ∂#6/∂#5 += ∂#6/∂#6 × ∂#6/∂#5 = 1 × -2 = -2   (이제 ∂#6/∂#5 = -2)"


def lecture_stepper(lang=None):
    a, b, c, f = (
        mg.Value(2.0, label="a"),
        mg.Value(-3.0, label="b"),
        mg.Value(10.0, label="c"),
        mg.Value(-2.0, label="f"),
    )
    L = (a * b + c) * f
    L.label = "L"
    return mg.BackpropStepper(L, lang=lang)


def drawing_of(src):
    """The SVG a `drawn_text.img` shows, from its src (a data: URL with % # and newlines escaped)."""
    return urllib.parse.unquote(src.split(",", 1)[1])


def glyphs(svg):
    """{character: the family's faces that have a glyph for it and whose unicode-range holds it}."""
    from fontTools.ttLib import TTFont

    covered = {}
    for rule in re.findall(r"@font-face \{[^}]*\}", svg):
        ranges = re.search(r"unicode-range: ([^;]*);", rule).group(1)
        allowed = {int(u[2:], 16) for u in ranges.split(", ")}
        font = TTFont(io.BytesIO(base64.b64decode(re.search(r"base64,([^)]*)\)", rule).group(1))))
        for code in font.getBestCmap():
            if code in allowed:
                covered[chr(code)] = covered.get(chr(code), 0) + 1
    return covered


def test_a_drawing_carries_a_glyph_for_every_character_it_shows():
    svg, width, height = drawn_text.svg(STEP, size=13)
    root = ET.fromstring(svg)
    shown = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    covered = glyphs(svg)
    assert set(shown) - {" "} <= set(covered)  # Hangul, ∂ ×, and the Latin letters and digits: none from the machine
    assert all(n == 1 for n in covered.values())  # one face per character: its width is that face's
    assert root.get("font-family") == drawn_text.FAMILY
    longest = max(sum(fonts.advance(c) for c in line) * 13 for line in STEP.split("\n"))
    assert width == round(longest + 2 * drawn_text.PAD)  # laid out with the embedded font's own advances
    assert len(svg) < 12_000  # a subset: about 40 glyphs, not the 4 MB font


def test_long_lines_wrap_at_spaces_within_the_width():
    text = "셀을 실행하면(저장된 노트북은 다시 실행하면) 이전/다음 버튼, 슬라이더, ←/→ 키로 한 단계씩 봅니다. " * 3
    rows = drawn_text.lines(text.strip(), 14, max_width=400)
    assert len(rows) > 3
    assert all(sum(fonts.advance(c) for c in row) * 14 <= 400 - 2 * drawn_text.PAD for row in rows)
    assert " ".join(rows) == text.strip()  # cut at spaces, nothing lost
    first = drawn_text.lines("가" * 200, 14, max_width=300)[0]  # no space: cut where it fits
    assert first == "가" * int((300 - 2 * drawn_text.PAD) // (14 * fonts.advance("가")))


class _Shown(HTMLParser):
    """What an untrusted notebook shows of a fragment: its text outside hidden elements, and its drawn texts."""

    VOID = {"img", "br", "hr", "input", "meta", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.text, self.drawn, self.live = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and drawn_text.CLASS in (attrs.get("class") or "").split():
            self.drawn.append(attrs)
        if tag in self.VOID:
            return
        hidden = "hidden" in attrs or any(h for _, h in self.stack)
        if "hidden" in attrs:
            assert attrs["hidden"] == "hidden"  # JupyterLab's sanitizer drops an attribute with an empty value
            self.live.append("")
        self.stack.append((tag, hidden))

    def handle_endtag(self, tag):
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1][1]:
            if self.live:
                self.live[-1] += data
        else:
            self.text.append(data)


def saved_view(fragment):
    """The fragment as JupyterLab shows it untrusted: no <script>, no <style>."""
    parser = _Shown()
    parser.feed(re.sub(r"<script>.*?</script>|<style>.*?</style>", "", fragment, flags=re.S))
    return parser


def layer_stepper():
    model = mg.nn.MLP(2, [3, 3, 1], seed=0)
    loss = mg.sum([mg.losses.bce_with_logits(model(x), t) for x, t in zip([[0, 0], [1, 1]], [0, 1])]) / 2
    return mg.BackpropStepper(loss, model=model)


@pytest.mark.parametrize("make", [lecture_stepper, layer_stepper], ids=["node by node", "layer by layer"])
def test_the_saved_view_shows_no_korean_as_text_and_draws_it_all(make):
    shown = saved_view(make()._repr_html_())
    assert not re.search(r"[^\x00-\x7f]", "".join(shown.text))  # every character beyond ASCII is drawn
    assert shown.drawn and len(shown.live) >= 4
    alts = [re.sub(r"\s", "", a["alt"]) for a in shown.drawn]
    for text in shown.live:  # each hidden text has its drawing (the step list: all steps' texts in one)
        assert re.sub(r"\s", "", text) in alts
    for attrs in shown.drawn:
        svg = drawing_of(attrs["src"])
        drawn = "".join(t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text"))
        assert set(drawn) - {" "} <= set(glyphs(svg)), attrs["alt"]
        assert set(attrs["alt"]) - set("\n ") == set(drawn) - {" "}  # the alt is the text drawn


def test_a_graph_note_is_drawn_too():
    """A graph's note ("save_graph(...) to view it large") reads in a saved notebook; live, it is text."""
    note = "이 폭에서는 글자가 작습니다: save_graph(그래프, 'graph.svg')로 저장해 크게 보세요"
    picture = '<svg xmlns="http://www.w3.org/2000/svg" width="90pt" height="30pt"><text font-size="14">a</text></svg>'
    bundle = display.mimebundle(picture, "graph", note=note)
    shown = saved_view(bundle["text/html"])
    assert not re.search(r"[^\x00-\x7f]", "".join(shown.text))
    (drawn,) = shown.drawn
    assert drawn["alt"] == note == shown.live[0]
    svg = drawing_of(drawn["src"])
    assert set(note) - {" "} <= set(glyphs(svg))
    live = re.search(r"<style>(.*?)</style>", bundle["text/html"], re.S).group(1)
    assert f".{drawn_text.CLASS} {{ display: none; }}" in live  # where the <style> stays, the text shows


def test_english_text_is_not_drawn():
    """English prose needs no glyphs from elsewhere: it stays text; the steps' ∂ and × are still drawn."""
    fragment = lecture_stepper(lang="en")._repr_html_()
    shown = saved_view(fragment)
    assert "backpropagation step by step" in "".join(shown.text)
    assert any("∂" in a["alt"] for a in shown.drawn)


def test_a_page_keeps_its_stylesheet_so_carries_no_drawings(tmp_path):
    page = lecture_stepper().to_html(tmp_path / "steps.html")
    assert f'<img class="{drawn_text.CLASS}"' not in page


def test_the_browser_lays_the_text_out_with_the_embedded_font(browser):
    """In Chromium the drawn text has the widths of the embedded glyphs (a fallback font's would differ)."""
    svg, _, _ = drawn_text.svg(STEP, size=13)
    bare = re.sub(r"<style>.*?</style>", "", svg, flags=re.S)
    page = browser.new_page()
    try:
        widths = []
        for drawing in (svg, bare):
            page.set_content(f"<!DOCTYPE html><meta charset='utf-8'><body>{drawing}</body>")
            page.evaluate("document.fonts.ready.then(() => true)")
            if drawing is svg:
                assert page.evaluate("[...document.fonts].every(f => f.status === 'loaded')")
            widths.append(page.evaluate("[...document.querySelectorAll('text')].map(t => t.getComputedTextLength())"))
        rows = [row for row in drawn_text.lines(STEP, 13) if row]
        expected = [13 * sum(fonts.advance(c) for c in row) for row in rows]
        assert widths[0] == pytest.approx(expected, abs=0.5)
        assert widths[1] != pytest.approx(expected, abs=0.5)  # the control: without the embedded faces
    finally:
        page.close()
