"""A player: frames (text + picture) that fit one screen, saved or live.

Saved and untrusted, JupyterLab keeps no <script>, <style> or <svg>: the
fragment is then a title, one line saying how to make it play, the shown
frame (its text above its picture, scaled to the window's height), and
every frame's text folded in a <details> (with its picture when the frames
have their own). No control exists in that markup, so none can sit there
dead, and a small graph's saved player stays within a screen. Without a
<style> no font comes with the text either: its Korean prose is also drawn
as pictures that carry their glyphs (`drawn_text`), shown only there; where
the stylesheet applies, it hides them and shows the text itself.

Once the cell runs, the script puts the controls (이전/다음, a slider, keys
←/→) above a stage: the current frame's text, then its picture scaled to
what is left of the window's height; a drawing that would read too small
keeps a readable size inside a box that scrolls to the highlighted node.
Controls, explanation and highlight are on screen together at every step.
Used by `BackpropStepper`, `gradient_flow_player` and `training_replay`.

With a `SharedDrawing` (the node-by-node stepper) the frames are states of
one drawing: it is carried once, and the script changes its colours,
gradient texts and highlight per frame (`drawing_states`).
"""

from __future__ import annotations

import html
import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..files import check_file_name, write_file
from ..i18n import bilingual, tr
from . import display, drawing_states, drawn_text, fonts

__all__ = ["DRAWING_ID", "SharedDrawing", "check_html_path", "fragment", "page"]

DRAWING_ID = "mgkDRAWING"  # the id prefix a shared drawing is made with; each player renames it
MAX_TEXT_LINES = 8  # the live step text's least cap in lines (else half the screen's height); a longer one scrolls
SAVED_HEIGHT = "62vh"  # the saved picture's most height: its text above it and the title stay on the same screen


@dataclass(frozen=True)
class SharedDrawing:
    """One drawing for every frame: its SVG (ids prefixed `DRAWING_ID`), the frames' states as
    `drawing_states.SCRIPT` reads them, and the least width (px) at which its text reads, or None."""

    svg: str
    states: dict
    min_width: int | None = None


def _img(svg, alt, css_class):
    """`display.img_tag`, also limited in height, so that a saved picture fits the screen with its text."""
    return display.img_tag(svg, alt, css_class=css_class).replace(
        'style="max-width:100%;height:auto"', f'style="max-width:100%;max-height:{SAVED_HEIGHT};width:auto;height:auto"'
    )


STEP_TEXT = {"size": 13.0, "background": "#f6f8fa"}  # a step's text drawn as the live player's text box looks
NOTE_TEXT = {"italic": True, "colour": "#444"}


def _steps(frames, pictures):
    """The folded list of every step: its text, and its picture from `pictures` (an <img> per frame) if given.

    Without pictures the steps' texts are drawn as one picture (one font for them all), not one each.
    """
    items = "\n".join(
        f'<li class="mgk-frame" data-step="{i}" data-node="{html.escape(name)}">'
        + (
            f'<pre class="mgk-text">{html.escape(text)}</pre>'
            if pictures is None
            else drawn_text.element("pre", "mgk-text", text, **STEP_TEXT) + pictures[i]
        )
        + "</li>"
        for i, (text, _, name) in enumerate(frames)
    )
    if pictures is None:
        texts = [text for text, _, _ in frames]
        return drawn_text.element("ol", "mgk-steps", texts, body=f"\n{items}\n", **STEP_TEXT)
    return f'<ol class="mgk-steps">\n{items}\n</ol>'


def fragment(frames, *, title, lang=None, drawing=None, note=None, shown=0, saved_note=None):
    """The player for `frames`: (text, svg_of(uid) -> SVG, name) per frame; `svg_of` gets an id prefix to use.

    `drawing`: a `SharedDrawing` the frames are states of; `note`: a line shown under the title;
    `shown`: the frame a saved notebook shows (default the first; -1 the last); `saved_note`:
    a line under that saved picture saying which frame it is.
    """
    uid = "mgk" + uuid.uuid4().hex[:10]
    shown = range(len(frames))[shown]
    pictures = None
    if drawing is None:
        pictures = [
            _img(svg_of(f"{uid}_f{i}"), tr(f"{i + 1}단계 그림", f"picture of step {i + 1}", lang), "mgk-img")
            for i, (_, svg_of, _) in enumerate(frames)
        ]
    text, svg_of, _ = frames[shown]
    alt = tr(f"{shown + 1}단계 그림", f"picture of step {shown + 1}", lang)
    stage = (
        f'<div class="mgk-stage" data-shown="{shown}" data-max-lines="{MAX_TEXT_LINES}">'
        + drawn_text.element("pre", "mgk-text mgk-current", text, **STEP_TEXT)
        + _img(svg_of(f"{uid}_s"), alt, "mgk-img mgk-stage-img")
        + (
            f'<p class="mgk-saved-note">{drawn_text.element("i", "", saved_note, **NOTE_TEXT)}</p>'
            if saved_note
            else ""
        )
        + "</div>"
    )
    data = ""
    if drawing is not None:
        data = (
            f' data-drawing="{html.escape(json.dumps(drawing.states, ensure_ascii=False, separators=(",", ":")))}"'
            f' data-min-width="{drawing.min_width or 0}"'
        )
    extra = f'<p class="mgk-fit">{drawn_text.element("i", "", note, **NOTE_TEXT)}</p>' if note else ""
    notice = tr(
        "셀을 실행하면(저장된 노트북은 다시 실행하면) 이전/다음 버튼, 슬라이더, ←/→ 키로 한 단계씩 봅니다. 아래는 "
        f"{shown + 1}단계입니다.",
        "Run the cell (re-run a saved notebook) to step with previous/next buttons, a slider and the ←/→ keys. "
        f"Below: step {shown + 1}.",
        lang,
    )
    summary = tr(f"모든 단계 ({len(frames)}개) 펼쳐 보기", f"all {len(frames)} steps", lang)
    labels = {
        "prev": tr("이전", "previous", lang),
        "next": tr("다음", "next", lang),
        "step": tr("단계", "step", lang),
        "keys": tr("←/→ 키", "←/→ keys", lang),
    }
    # The player's own text carries its glyphs: a live notebook on a machine without a Korean font still reads.
    shown_text = " ".join(
        [
            title,
            notice,
            note or "",
            saved_note or "",
            summary,
            *labels.values(),
            *(t for t, _, _ in frames),
            "0123456789/",
        ]
    )
    return _TEMPLATE.format(
        fonts=fonts.font_face_css(shown_text, f"{uid}text"),
        family=f"{uid}text",
        title=drawn_text.element("b", "mgk-heading", title, bold=True),
        note=drawn_text.element("i", "", notice, **NOTE_TEXT),
        labels=html.escape(json.dumps(labels, ensure_ascii=False)),
        summary=drawn_text.element("span", "", summary),
        uid=uid,
        steps=_steps(frames, pictures),
        uid_json=json.dumps(uid),
        data=data,
        stage=stage,
        extra=extra,
        script=drawing_states.SCRIPT,
        swap=drawn_text.stylesheet(f"#{uid}"),
    )


PAGE_FONT = "MicrogradKoPage"


def check_html_path(path):
    """`path` if it is None or a file name ending in .html (or .htm), else an error saying so.

    `to_html("steps.png")` would write HTML under a picture's name, which no
    image viewer opens (`save_graph` picks the format from the suffix; a player is HTML only).
    """
    if path is None:
        return None
    check_file_name(path)
    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise ValueError(
            bilingual(
                f"플레이어는 HTML 파일로 저장합니다: 이름이 .html로 끝나야 합니다 (받은 것: {os.fspath(path)!r})",
                f"a player is saved as an HTML file: the name must end in .html, got {os.fspath(path)!r}",
            )
        )
    return path


def page(fragment_html, title, lang=None, path=None):
    """One self-contained HTML page around a player (works offline); written to `path` if given.

    The page carries the glyphs of its own text (`fonts.font_face_css`), so
    the steps' Korean text reads on a machine without a Korean font too.
    """
    fragment_html = drawn_text.without_drawings(fragment_html)  # the page's stylesheet always applies
    shown = html.unescape(re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", fragment_html, flags=re.S))
    # The player's text asks for var(--mgk-font) first; the pictures carry their own glyphs (`fonts.embed`).
    css = fonts.font_face_css(shown + title, PAGE_FONT) + f"\n:root {{ --mgk-font: '{PAGE_FONT}'; }}"
    text = (
        f'<!DOCTYPE html>\n<html lang="{tr("ko", "en", lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{css}\n</style>\n</head>\n<body>\n{fragment_html}\n</body>\n</html>\n"
    )
    if check_html_path(path) is not None:
        write_file(path, text)
    return text


_TEMPLATE = """<div class="mgk-stepper" id="{uid}" data-labels="{labels}"{data}>
<style>
{fonts}
#{uid} {{ font-family: var(--mgk-font, "{family}"), NanumGothic, "Noto Sans CJK KR", "Malgun Gothic", AppleGothic, sans-serif; max-width: 100%; }}
#{uid} button {{ font-family: inherit; }}
#{uid}:focus {{ outline: none; }}
#{uid} .mgk-controls {{ display: flex; gap: 0.5em; align-items: center; margin: 0.4em 0; position: sticky; top: 0; background: white; z-index: 1; }}
#{uid} .mgk-slider {{ flex: 1; max-width: 30em; }}
#{uid} .mgk-keys {{ color: #777; font-size: 0.85em; }}
#{uid} .mgk-text {{ background: #f6f8fa; padding: 0.4em 0.5em; white-space: pre-wrap; font-family: inherit; margin: 0.3em 0; }}
#{uid}.mgk-js .mgk-current {{ overflow: auto; line-height: 1.3; }}
#{uid} .mgk-steps {{ padding-left: 1.5em; }}
#{uid} .mgk-drawing {{ overflow: auto; }}
#{uid} .mgk-drawing svg {{ display: block; }}
#{uid}.mgk-js .mgk-all, #{uid}.mgk-js .mgk-saved-note {{ display: none; }}
{swap}
</style>
<div class="mgk-title">{title}</div>
<p class="mgk-note">{note}</p>
{extra}
{stage}
<details class="mgk-all"><summary>{summary}</summary>
{steps}
</details>
<script>
{script}
(function () {{
  var script = document.currentScript;
  var root = (script && script.closest(".mgk-stepper")) || document.getElementById({uid_json});
  if (!root || root.classList.contains("mgk-js")) return;
  var labels = JSON.parse(root.getAttribute("data-labels"));
  var frames = root.querySelectorAll(".mgk-frame");
  var stage = root.querySelector(".mgk-stage");
  var textBox = stage.querySelector(".mgk-current");
  function sizeTextBox() {{
    // As tall as the longest step's text wrapped at this width: the same for every step, so nothing jumps, and no
    // step's last lines hide under the drawing. At most data-max-lines lines, or when wrapping makes more, half
    // the screen, in whole lines (then it scrolls).
    var shown = textBox.textContent;
    textBox.style.boxSizing = "border-box";
    textBox.style.height = "auto";
    var style = getComputedStyle(textBox);
    var padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
    var line = parseFloat(style.lineHeight);
    var lines = Math.max(parseInt(stage.getAttribute("data-max-lines"), 10), Math.floor(viewportHeight() / 2 / line));
    var most = lines * line + padding;
    var tallest = 0;
    for (var k = 0; k < frames.length; k++) {{
      textBox.textContent = frames[k].querySelector(".mgk-text").textContent;
      tallest = Math.max(tallest, textBox.scrollHeight);
    }}
    textBox.textContent = shown;
    textBox.style.height = Math.ceil(Math.min(tallest, most)) + "px";
  }}
  function parse(img) {{
    var bytes = Uint8Array.from(atob(img.src.split(",")[1]), function (c) {{ return c.charCodeAt(0); }});
    var doc = new DOMParser().parseFromString(new TextDecoder().decode(bytes), "image/svg+xml");
    return document.importNode(doc.documentElement, true);
  }}
  function px(v) {{
    var m = /^([0-9.]+)(pt|px)?$/.exec(v || "");
    return m ? parseFloat(m[1]) * (m[2] === "pt" ? 4 / 3 : 1) : 0;
  }}
  var box = document.createElement("div");
  box.className = "mgk-drawing";
  var stageImg = stage.querySelector(".mgk-stage-img");
  var states = root.hasAttribute("data-drawing") ? JSON.parse(root.getAttribute("data-drawing")) : null;
  var least = parseInt(root.getAttribute("data-min-width") || "0", 10);
  var pictures, showState = null;
  if (states) {{  // one drawing for every frame: its state changes per frame
    pictures = [parse(stageImg)];
    showState = mgkDrawingStates(pictures[0], states);
  }} else {{
    pictures = Array.prototype.map.call(frames, function (f) {{
      var img = f.querySelector(".mgk-img");
      if (!img) return null;
      var svg = parse(img);
      img.remove();  // shown on the stage from now on
      return svg;
    }});
  }}
  pictures.forEach(function (svg) {{
    if (!svg) return;
    svg.setAttribute("data-w", px(svg.getAttribute("width")));
    svg.setAttribute("data-h", px(svg.getAttribute("height")));
    svg.style.maxWidth = "none";
  }});
  stageImg.replaceWith(box);
  var controls = document.createElement("div");
  controls.className = "mgk-controls";
  function add(el) {{ controls.appendChild(el); return el; }}
  function button(cls, text) {{
    var b = document.createElement("button");
    b.type = "button"; b.className = cls; b.textContent = text;
    return add(b);
  }}
  var prev = button("mgk-prev", labels.prev);
  var slider = document.createElement("input");
  slider.type = "range"; slider.className = "mgk-slider"; slider.min = "0"; slider.max = String(frames.length - 1);
  slider.value = "0"; slider.setAttribute("aria-label", labels.step);
  add(slider);
  var next = button("mgk-next", labels.next);
  var counter = add(document.createElement("span"));
  counter.className = "mgk-counter";
  var keys = add(document.createElement("span"));
  keys.className = "mgk-keys"; keys.textContent = labels.keys;
  root.querySelector(".mgk-note").replaceWith(controls);
  root.tabIndex = 0;
  function viewportHeight() {{
    // The nearest scrolling ancestor (a notebook's panel) or the window: what one screen shows.
    for (var el = root.parentElement; el; el = el.parentElement) {{
      var style = getComputedStyle(el);
      if (/(auto|scroll)/.test(style.overflowY) && el.clientHeight > 0 && el.scrollHeight > el.clientHeight) return el.clientHeight;
    }}
    return window.innerHeight;
  }}
  var shownSvg = null;
  function fit(svg) {{
    // The whole drawing in the room left under the text, never enlarged; too small to read: readable, and the box scrolls.
    var w = parseFloat(svg.getAttribute("data-w")), h = parseFloat(svg.getAttribute("data-h"));
    var room = Math.max(200, viewportHeight() - (box.getBoundingClientRect().top - root.getBoundingClientRect().top) - 24);
    var width = box.clientWidth || root.clientWidth;
    var scale = Math.min(1, width / w, room / h);
    if (least && w * scale < least) scale = Math.min(1, least / w);
    svg.style.width = (w * scale) + "px";
    svg.style.height = (h * scale) + "px";
    box.style.maxHeight = room + "px";
  }}
  function focusNode() {{
    var node = box.querySelector("g.value.current") || box.querySelector("g.node.current");  // the value box first
    if (!node) return;
    var b = box.getBoundingClientRect(), at = node.getBoundingClientRect();
    box.scrollLeft += at.left + at.width / 2 - b.left - b.width / 2;
    box.scrollTop += at.top + at.height / 2 - b.top - b.height / 2;
  }}
  var current = 0;
  function show(i) {{
    current = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) frames[k].classList.toggle("mgk-active", k === current);
    textBox.textContent = frames[current].querySelector(".mgk-text").textContent;
    var svg = states ? pictures[0] : pictures[current];
    if (svg !== shownSvg) {{
      box.textContent = "";
      if (svg) box.appendChild(svg);
      shownSvg = svg;
    }}
    if (svg) fit(svg);
    if (showState) showState(current);
    focusNode();
    slider.value = String(current);
    counter.textContent = (current + 1) + " / " + frames.length;
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1;
  }}
  prev.addEventListener("click", function () {{ show(current - 1); }});
  next.addEventListener("click", function () {{ show(current + 1); }});
  slider.addEventListener("input", function () {{ show(parseInt(slider.value, 10)); }});
  root.addEventListener("keydown", function (e) {{
    if (e.target === slider) return;  // the slider moves itself with the arrow keys
    if (e.key === "ArrowLeft") show(current - 1);
    else if (e.key === "ArrowRight") show(current + 1);
    else return;
    e.preventDefault();
    e.stopPropagation();
  }});
  root.addEventListener("click", function (e) {{ if (e.target.tagName !== "INPUT") root.focus({{preventScroll: true}}); }});
  window.addEventListener("resize", function () {{ sizeTextBox(); show(current); }});
  root.classList.add("mgk-js");
  sizeTextBox();
  show(0);
}})();
</script>
</div>"""
