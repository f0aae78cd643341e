"""Backpropagation one node at a time (역전파 단계별 보기).

`BackpropStepper(loss)` walks the graph backwards in the same order as
`loss.backward()` (the reverse of `engine.topological_order`). At each step one
node passes its gradient to its parents, and the stepper records the chain
rule (연쇄법칙) with numbers:

    dL/d(parent) += dL/d(node) * d(node)/d(parent)
                    (upstream)    (local derivative, stored on the node)

Each step can be drawn as a graph with the current node highlighted; gradients
not computed yet show '?'. `to_html(path)` writes every step into ONE HTML
file (inline SVG frames, a slider and 이전/다음 buttons; no server, no kernel,
no network), and the stepper displays the same player in a notebook.
"""

from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass

from .engine import Value, topological_order
from .files import write_file
from .graph import draw_graph, fmt, node_name, render_svg
from .i18n import tr

__all__ = ["BackpropStepper", "Contribution", "Step"]


@dataclass(frozen=True)
class Contribution:
    """What one step adds to one parent's gradient."""

    parent: Value
    local: float  # d node / d parent, the local derivative (국소적 미분)
    product: float  # upstream * local: added to the parent's gradient
    total: float  # the parent's gradient after this addition


@dataclass(frozen=True)
class Step:
    """One node passing its gradient to its parents."""

    index: int
    node: Value
    upstream: float  # dL/d node, complete when the node is reached
    contributions: tuple


def _d(a, b):
    """The partial derivative of `a` with respect to `b`, as written in the texts."""
    return f"∂{a}/∂{b}"


class BackpropStepper:
    """Backpropagation of `root` (usually a loss), one node per step.

    `stepper[i]` is a `Step`; `text(i)` writes it out, `graph(i)` / `svg(i)`
    draw it, `to_html(path)` exports the player. `gradients` holds the final
    gradient of every node (equal to `.grad` after one `root.backward()`).
    Graphs with more than `max_steps` steps are refused: each step is a frame.
    """

    def __init__(self, root, lang=None, rankdir="LR", max_steps=200):
        if not isinstance(root, Value):
            raise TypeError(f"BackpropStepper에는 Value가 필요합니다 / BackpropStepper needs a Value, got {type(root).__name__}")
        tr("", "", lang)  # checks lang early
        self.root, self.lang, self.rankdir = root, lang, rankdir
        self.order = topological_order(root)
        self.names = {node: node_name(node, i) for i, node in enumerate(self.order)}
        inner = sum(1 for node in self.order if node._prev)
        if inner == 0:
            raise ValueError(
                "root가 잎 노드라 역전파할 것이 없습니다 / root is a leaf: there is nothing to backpropagate"
            )
        if inner > max_steps:
            raise ValueError(
                f"단계가 {inner}개로 너무 많습니다 (max_steps={max_steps}); 더 작은 그래프를 쓰세요 / "
                f"{inner} steps is too many (max_steps={max_steps}); use a smaller graph"
            )
        self.steps, self._states = self._walk()
        self.gradients = self._states[-1]

    def _walk(self):
        """The chain rule in reverse topological order, recording every addition."""
        grads = {self.root: 1.0}
        steps, states = [], []
        for node in reversed(self.order):
            parents = node._prev
            if not parents:
                continue
            locals_ = node.local_grads()
            if len(locals_) != len(parents):
                raise ValueError(
                    f"노드 {self.names[node]}('{node._op}')의 국소적 미분을 모릅니다 / "
                    f"node {self.names[node]} ('{node._op}') has no known local derivative"
                )
            upstream = grads[node]  # every node that uses this one came earlier: the sum is complete
            contributions = []
            for parent, local in zip(parents, locals_):
                product = upstream * local
                grads[parent] = grads.get(parent, 0.0) + product
                contributions.append(Contribution(parent, local, product, grads[parent]))
            steps.append(Step(len(steps), node, upstream, tuple(contributions)))
            states.append(dict(grads))
        return steps, states

    # -- a sequence of steps ---------------------------------------------------------

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, i):
        return self.steps[i]

    def __iter__(self):
        return iter(self.steps)

    def __repr__(self):
        return f"BackpropStepper({self.names[self.root]}, {len(self)} steps)"

    # -- one step in words -----------------------------------------------------------------

    def text(self, i, lang=None):
        """Step `i` written out: the node, its upstream gradient and the chain rule with numbers."""
        lang = lang or self.lang
        step = self.steps[i]
        root, node = self.names[self.root], self.names[step.node]
        lines = [
            tr(f"{i + 1}/{len(self)}단계: 노드 {node} (연산 {step.node._op}, 데이터 {fmt(step.node.data)})",
               f"step {i + 1}/{len(self)}: node {node} (op {step.node._op}, data {fmt(step.node.data)})", lang),
        ]
        if step.node is self.root:
            lines.append(tr(f"출발: {_d(root, root)} = 1", f"start: {_d(root, root)} = 1", lang))
        else:
            lines.append(tr(f"위에서 흘러온 기울기 {_d(root, node)} = {fmt(step.upstream)}",
                            f"upstream gradient {_d(root, node)} = {fmt(step.upstream)}", lang))
        lines.append(tr("연쇄법칙:", "chain rule:", lang))
        for c in step.contributions:
            parent = self.names[c.parent]
            lines.append(
                f"  {_d(root, parent)} += {_d(root, node)} × {_d(node, parent)} = {fmt(step.upstream)} × {fmt(c.local)}"
                f" = {fmt(c.product)}   " + tr(f"(이제 {_d(root, parent)} = {fmt(c.total)})", f"(now {_d(root, parent)} = {fmt(c.total)})", lang)
            )
        return "\n".join(lines)

    # -- one step as a picture -----------------------------------------------------------

    def graph(self, i, lang=None):
        """Step `i` as a Digraph: the current node highlighted, gradients known so far, '?' for the rest."""
        step = self.steps[i]
        return draw_graph(
            self.root, rankdir=self.rankdir, lang=lang or self.lang, highlight=step.node, grads=self._states[i],
            name_unlabeled=True,
        )

    def svg(self, i, lang=None):
        return render_svg(self.graph(i, lang))

    # -- the player ----------------------------------------------------------------------

    def _fragment(self, lang):
        """The player as an HTML fragment with ids scoped to this player (safe to embed twice in a page)."""
        uid = "mgk" + uuid.uuid4().hex[:10]
        frames = []
        for i, step in enumerate(self.steps):
            graph = self.graph(i, lang)
            graph.attr(id=f"{uid}_f{i}")  # Graphviz prefixes every SVG id with it: no clashes between frames
            svg = render_svg(graph)
            svg = svg[svg.index("<svg"):]  # inline SVG: no XML declaration or doctype
            frames.append(
                f'<div class="mgk-frame" data-step="{i}" data-node="{html.escape(self.names[step.node])}">'
                f'<pre class="mgk-text">{html.escape(self.text(i, lang))}</pre><div class="mgk-svg">{svg}</div></div>'
            )
        labels = {
            "prev": tr("이전", "previous", lang), "next": tr("다음", "next", lang), "step": tr("단계", "step", lang),
        }
        return _TEMPLATE.format(
            uid=uid, frames="\n".join(frames), last=max(len(self) - 1, 0), n=len(self),
            title=html.escape(tr("역전파 단계별 보기", "backpropagation step by step", lang)),
            prev=html.escape(labels["prev"]), next=html.escape(labels["next"]), step=html.escape(labels["step"]),
            uid_json=json.dumps(uid),
        )

    def _repr_html_(self):
        return self._fragment(self.lang)

    def to_html(self, path=None, lang=None):
        """One self-contained HTML page with every step (works offline); written to `path` if given."""
        lang = lang or self.lang
        page = (
            f'<!DOCTYPE html>\n<html lang="{tr("ko", "en", lang)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(tr('역전파 단계별 보기', 'backpropagation step by step', lang))}</title>\n"
            f"</head>\n<body>\n{self._fragment(lang)}\n</body>\n</html>\n"
        )
        if path is not None:
            write_file(path, page)
        return page


# Without JavaScript (e.g. a notebook viewer that strips scripts) every frame is
# shown one under the other and the controls stay hidden; the script adds the
# class `mgk-js`, which shows one frame at a time.
_TEMPLATE = """<div class="mgk-stepper" id="{uid}">
<style>
#{uid} {{ font-family: NanumGothic, "Noto Sans CJK KR", "Malgun Gothic", AppleGothic, sans-serif; }}
#{uid} .mgk-controls {{ display: flex; gap: 0.5em; align-items: center; margin: 0.5em 0; }}
#{uid} .mgk-controls[hidden] {{ display: none; }}
#{uid} .mgk-slider {{ flex: 1; max-width: 30em; }}
#{uid} .mgk-text {{ background: #f6f8fa; padding: 0.5em; white-space: pre-wrap; font-family: inherit; }}
#{uid} .mgk-svg svg {{ max-width: 100%; height: auto; }}
#{uid}.mgk-js .mgk-frame {{ display: none; }}
#{uid}.mgk-js .mgk-frame.mgk-active {{ display: block; }}
</style>
<div class="mgk-title"><b>{title}</b></div>
<div class="mgk-controls" hidden>
<button type="button" class="mgk-prev">{prev}</button>
<input type="range" class="mgk-slider" min="0" max="{last}" value="0" aria-label="{step}">
<button type="button" class="mgk-next">{next}</button>
<span class="mgk-counter">1 / {n}</span>
</div>
{frames}
<script>
(function () {{
  var root = document.getElementById({uid_json});
  if (!root) return;
  var frames = root.querySelectorAll(".mgk-frame");
  var slider = root.querySelector(".mgk-slider");
  var prev = root.querySelector(".mgk-prev");
  var next = root.querySelector(".mgk-next");
  var counter = root.querySelector(".mgk-counter");
  var current = 0;
  function show(i) {{
    current = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) {{
      frames[k].classList.toggle("mgk-active", k === current);
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
  root.querySelector(".mgk-controls").hidden = false;
  root.classList.add("mgk-js");
  show(0);
}})();
</script>
</div>"""
