"""A player: frames (text + picture) that a saved notebook shows as a list and a live one plays.

Saved and untrusted, JupyterLab keeps no <script>, <style> or <svg>: the
fragment is then a title, one line saying how to make it interactive, and the
numbered frames, each its text and its picture (an <img>). No control exists
in that markup, so none can sit there dead. Once the cell runs, the script
removes the line, makes the controls (이전/다음 and a slider), turns each
picture into inline SVG (so its nodes can be found and styled) and shows one
frame at a time. Used by `BackpropStepper` and `gradient_flow_player`.

With a `SharedDrawing` (the node-by-node stepper) the frames are states of
one drawing: the live player shows that drawing once and the script changes
its colours, gradient texts and highlight per frame (`drawing_states`). The
saved list then has a picture per step only while they stay small
(`SAVED_PICTURES_BUDGET`); past that, one picture (the last step) above the
list of steps.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from dataclasses import dataclass

from ..files import write_file
from ..i18n import tr
from . import display, drawing_states, fonts

__all__ = ["DRAWING_ID", "SAVED_PICTURES_BUDGET", "SharedDrawing", "fragment", "page"]

DRAWING_ID = "mgkDRAWING"  # the id prefix a shared drawing is made with; each player renames it
SAVED_PICTURES_BUDGET = 2_000_000  # characters of per-step pictures a saved list may hold


@dataclass(frozen=True)
class SharedDrawing:
    """One drawing for every frame: its SVG (ids prefixed `DRAWING_ID`), the frames' states as
    `drawing_states.SCRIPT` reads them, and the least width (px) at which its text reads, or None."""

    svg: str
    states: dict
    min_width: int | None = None


def fragment(frames, *, title, lang=None, drawing=None, note=None):
    """The player for `frames`: (text, svg_of(uid) -> SVG, name) per frame; `svg_of` gets an id prefix to use.

    `drawing`: a `SharedDrawing` the frames are states of; `note`: a line shown under the title.
    """
    uid = "mgk" + uuid.uuid4().hex[:10]
    pictures = drawing is None or len(drawing.svg) * len(frames) * 4 // 3 <= SAVED_PICTURES_BUDGET
    items = []
    for i, (text, svg_of, name) in enumerate(frames):
        alt = tr(f"{i + 1}단계 그림", f"picture of step {i + 1}", lang)
        picture = display.img_tag(svg_of(f"{uid}_f{i}"), alt, css_class="mgk-img") if pictures else ""
        items.append(
            f'<li class="mgk-frame" data-step="{i}" data-node="{html.escape(name)}">'
            f'<pre class="mgk-text">{html.escape(text)}</pre>{picture}</li>'
        )
    shared, data = "", ""
    if drawing is not None:
        if not pictures:  # the last step's picture, once
            last = len(frames) - 1
            shared = (display.img_tag(frames[last][1](f"{uid}_f{last}"), tr("마지막 단계 그림", "picture of the last step", lang),
                                      css_class="mgk-img mgk-shared")
                      + '<p class="mgk-note-shared"><i>' + html.escape(tr(
                          "그림은 마지막 단계입니다. 셀을 실행하면 단계마다 바뀝니다.",
                          "The picture shows the last step. Run the cell to see it change step by step.", lang)) + "</i></p>")
        data = (f' data-drawing="{html.escape(json.dumps(drawing.states, ensure_ascii=False, separators=(",", ":")))}"'
                f' data-min-width="{drawing.min_width or 0}"')
    extra = f'<p class="mgk-fit"><i>{html.escape(note)}</i></p>' if note else ""
    notice = tr("단계 목록입니다. 셀을 실행하면(저장된 노트북은 다시 실행하면) 이전/다음 버튼과 슬라이더로 한 단계씩 볼 수 있습니다.",
                "A list of the steps. Run the cell (re-run a saved notebook) to step through them with previous/next buttons and a slider.",
                lang)
    labels = {"prev": tr("이전", "previous", lang), "next": tr("다음", "next", lang), "step": tr("단계", "step", lang)}
    # The player's own text carries its glyphs: a live notebook on a machine without a Korean font still reads.
    shown = " ".join([title, notice, note or "", html.unescape(re.sub(r"<[^>]+>", " ", shared)), *labels.values(), *(text for text, _, _ in frames), "0123456789/"])
    return _TEMPLATE.format(
        fonts=fonts.font_face_css(shown, f"{uid}text"), family=f"{uid}text", note=html.escape(notice),
        labels=html.escape(json.dumps(labels, ensure_ascii=False)),
        uid=uid, frames="\n".join(items), uid_json=json.dumps(uid), title=html.escape(title), data=data,
        shared=shared, extra=extra, script=drawing_states.SCRIPT,
    )


PAGE_FONT = "MicrogradKoPage"


def page(fragment_html, title, lang=None, path=None):
    """One self-contained HTML page around a player (works offline); written to `path` if given.

    The page carries the glyphs of its own text (`fonts.font_face_css`), so
    the steps' Korean text reads on a machine without a Korean font too.
    """
    shown = html.unescape(re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", fragment_html, flags=re.S))
    # The player's text asks for var(--mgk-font) first; the pictures carry their own glyphs (`fonts.embed`).
    css = fonts.font_face_css(shown + title, PAGE_FONT) + f"\n:root {{ --mgk-font: '{PAGE_FONT}'; }}"
    text = (
        f'<!DOCTYPE html>\n<html lang="{tr("ko", "en", lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{css}\n</style>\n</head>\n<body>\n{fragment_html}\n</body>\n</html>\n"
    )
    if path is not None:
        write_file(path, text)
    return text


_TEMPLATE = """<div class="mgk-stepper" id="{uid}" data-labels="{labels}"{data}>
<style>
{fonts}
#{uid} {{ font-family: var(--mgk-font, "{family}"), NanumGothic, "Noto Sans CJK KR", "Malgun Gothic", AppleGothic, sans-serif; max-width: 100%; }}
#{uid} button {{ font-family: inherit; }}
#{uid} .mgk-controls {{ display: flex; gap: 0.5em; align-items: center; margin: 0.5em 0; }}
#{uid} .mgk-slider {{ flex: 1; max-width: 30em; }}
#{uid} .mgk-text {{ background: #f6f8fa; padding: 0.5em; white-space: pre-wrap; font-family: inherit; margin: 0.3em 0; }}
#{uid} .mgk-steps {{ padding-left: 1.5em; }}
#{uid} .mgk-svg svg, #{uid} img {{ max-width: 100%; height: auto; }}
#{uid} .mgk-drawing {{ overflow-x: auto; }}
#{uid}.mgk-js .mgk-steps {{ list-style: none; padding-left: 0; }}
#{uid}.mgk-js .mgk-frame {{ display: none; }}
#{uid}.mgk-js .mgk-frame.mgk-active {{ display: block; }}
</style>
<div class="mgk-title"><b>{title}</b></div>
<p class="mgk-note"><i>{note}</i></p>
{extra}
{shared}
<ol class="mgk-steps">
{frames}
</ol>
<script>
{script}
(function () {{
  var script = document.currentScript;
  var root = (script && script.closest(".mgk-stepper")) || document.getElementById({uid_json});
  if (!root || root.classList.contains("mgk-js")) return;
  var labels = JSON.parse(root.getAttribute("data-labels"));
  var frames = root.querySelectorAll(".mgk-frame");
  function inline(img) {{
    var bytes = Uint8Array.from(atob(img.src.split(",")[1]), function (c) {{ return c.charCodeAt(0); }});
    var doc = new DOMParser().parseFromString(new TextDecoder().decode(bytes), "image/svg+xml");
    var svg = document.importNode(doc.documentElement, true);
    svg.style.maxWidth = "100%";
    svg.style.height = "auto";
    var box = document.createElement("div");
    box.className = "mgk-svg";
    box.appendChild(svg);
    img.replaceWith(box);
    return box;
  }}
  var states = root.hasAttribute("data-drawing") ? JSON.parse(root.getAttribute("data-drawing")) : null;
  var drawing = null, showState = null;
  if (states) {{
    // One drawing for every frame: keep one picture, drop the others, change its state per frame.
    var images = root.querySelectorAll("img.mgk-img");
    drawing = inline(images[0]);
    drawing.classList.add("mgk-drawing");
    for (var j = 1; j < images.length; j++) images[j].remove();
    var shared = root.querySelector(".mgk-note-shared");
    if (shared) shared.remove();
    var svgEl = drawing.querySelector("svg");
    var least = parseInt(root.getAttribute("data-min-width") || "0", 10);
    if (least) {{ svgEl.style.maxWidth = "none"; svgEl.style.width = least + "px"; }}
    showState = mgkDrawingStates(svgEl, states);
  }} else {{
    root.querySelectorAll("img.mgk-img").forEach(inline);
  }}
  var controls = document.createElement("div");
  controls.className = "mgk-controls";
  function button(cls, text) {{
    var b = document.createElement("button");
    b.type = "button"; b.className = cls; b.textContent = text;
    controls.appendChild(b);
    return b;
  }}
  var prev = button("mgk-prev", labels.prev);
  var slider = document.createElement("input");
  slider.type = "range"; slider.className = "mgk-slider"; slider.min = "0"; slider.max = String(frames.length - 1);
  slider.value = "0"; slider.setAttribute("aria-label", labels.step);
  controls.appendChild(slider);
  var next = button("mgk-next", labels.next);
  var counter = document.createElement("span");
  counter.className = "mgk-counter";
  controls.appendChild(counter);
  var note = root.querySelector(".mgk-note");
  note.replaceWith(controls);
  if (drawing) controls.parentNode.insertBefore(drawing, root.querySelector(".mgk-steps"));
  var current = 0;
  function show(i) {{
    current = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) {{
      frames[k].classList.toggle("mgk-active", k === current);
    }}
    if (showState) {{
      showState(current);
      var node = drawing.querySelector("g.node.current");
      if (node && drawing.scrollWidth > drawing.clientWidth) {{  // a wide drawing: bring the current node into view
        var box = drawing.getBoundingClientRect(), at = node.getBoundingClientRect();
        drawing.scrollLeft += at.left + at.width / 2 - box.left - box.width / 2;
      }}
    }}
    slider.value = String(current);
    counter.textContent = (current + 1) + " / " + frames.length;
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1;
  }}
  prev.addEventListener("click", function () {{ show(current - 1); }});
  next.addEventListener("click", function () {{ show(current + 1); }});
  slider.addEventListener("input", function () {{ show(parseInt(slider.value, 10)); }});
  root.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowLeft") show(current - 1);
    if (e.key === "ArrowRight") show(current + 1);
  }});
  root.classList.add("mgk-js");
  show(0);
}})();
</script>
</div>"""
