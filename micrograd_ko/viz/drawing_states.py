"""One Graphviz drawing, many states: a stepper's frames change colours, texts and the highlight, not the layout.

Drawing a graph once per step made a 109-step stepper a 68 MB page that took
a minute to make and open (every frame its own layout and its own copy of
every node). Here the graph is laid out once; a frame is a `State`: which
nodes are current, and what each value box shows (fill colour, gradient
text). `apply(svg, state)` writes a state into the SVG text (a saved
notebook's per-step pictures, `BackpropStepper.svg(i)`); the player's script
does the same to the one drawing on the page (`SCRIPT`), so both show the
same thing.

Graphviz writes one `<g class="node ...">` per node and one
`<g class="edge">` per edge, each with a `<title>` holding the node id
(`v12`, its operation `v12_op`) or `tail->head`. A value box's first
`<polygon>` is its fill, its last `<text>` the gradient field.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from .colours import HIGHLIGHT, text_colour

__all__ = ["SCRIPT", "State", "apply", "prepare"]


@dataclass(frozen=True)
class State:
    """What a frame shows: the current node ids, and `values[id] = (fill, gradient text)` for every value box."""

    current: frozenset = frozenset()
    values: dict = field(default_factory=dict)


_GROUP = re.compile(r'(<g id="[^"]*" class=")([^"]*)(">\s*<title>)([^<]*)(</title>)(.*?)(</g>)', re.S)
_FIRST_FILL = re.compile(r'(<polygon fill=")[^"]*(")')
_TEXT_FILL = re.compile(r'(<text\b[^>]*?\bfill=")[^"]*(")')
_LAST_TEXT = re.compile(r"(<text\b[^>]*>)[^<]*(</text>)(?!.*<text\b)", re.S)
_ROOT = re.compile(r"<svg\b[^>]*>")


def prepare(svg):
    """`svg` with the style that shows the highlight (class 'current' on nodes, 'flow' on their incoming edges).

    A class, not Graphviz's own colours, so that a frame changes a few
    classes instead of being drawn again.
    """
    style = (
        f"<style>.node.current > polygon, .node.current > ellipse {{ stroke: {HIGHLIGHT}; stroke-width: 3px; }}"
        f" .edge.flow > path {{ stroke: {HIGHLIGHT}; stroke-width: 2.5px; }}"
        f" .edge.flow > polygon {{ stroke: {HIGHLIGHT}; fill: {HIGHLIGHT}; }}</style>"
    )
    end = _ROOT.search(svg).end()
    return svg[:end] + style + svg[end:]


def _head(title):
    return title.split("->")[-1]


def apply(svg, state):
    """The SVG text of `svg` (from `prepare`) showing `state`."""

    def patch(match):
        start, classes, mid, title, close, body, end = match.groups()
        name = html.unescape(title)
        words = [c for c in classes.split() if c not in ("current", "flow")]
        if "edge" in words:
            if _head(name) in state.current:
                words.append("flow")
        elif name in state.current:
            words.append("current")
        if "value" in words and name in state.values:
            fill, text = state.values[name]
            body = _FIRST_FILL.sub(rf"\g<1>{fill}\g<2>", body, count=1)
            body = _TEXT_FILL.sub(rf"\g<1>{text_colour(fill)}\g<2>", body)
            body = _LAST_TEXT.sub(lambda m: m.group(1) + html.escape(text, quote=False) + m.group(2), body, count=1)
        return start + " ".join(words) + mid + title + close + body + end

    return _GROUP.sub(patch, svg)


# The same as `apply`, on the drawing in the page. `states` as JSON: {"init": {id: [fill, text]},
# "frames": [{"c": [current ids], "v": {id: [fill, text]} (changes from the frame before)}]}.
SCRIPT = """
function mgkDrawingStates(svg, states) {
  var groups = Array.prototype.map.call(svg.querySelectorAll("g.node, g.edge"), function (g) {
    return {g: g, title: g.querySelector("title").textContent};
  });
  function ink(fill) {
    var r = parseInt(fill.substr(1, 2), 16), g = parseInt(fill.substr(3, 2), 16), b = parseInt(fill.substr(5, 2), 16);
    return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#000000" : "#ffffff";
  }
  return function show(i) {
    var values = Object.assign({}, states.init);
    for (var k = 0; k <= i; k++) Object.assign(values, states.frames[k].v);
    var current = new Set(states.frames[i].c);
    groups.forEach(function (item) {
      var g = item.g, title = item.title;
      if (g.classList.contains("edge")) {
        g.classList.toggle("flow", current.has(title.split("->").pop()));
        return;
      }
      g.classList.toggle("current", current.has(title));
      var value = values[title];
      if (!value || !g.classList.contains("value")) return;
      var polygon = g.querySelector("polygon");
      if (polygon) polygon.setAttribute("fill", value[0]);
      var texts = g.querySelectorAll("text");
      texts.forEach(function (t) { t.setAttribute("fill", ink(value[0])); });
      if (texts.length) texts[texts.length - 1].textContent = value[1];
    });
  };
}
"""
