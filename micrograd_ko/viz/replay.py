"""The training replay: several models trained side by side, replayed epoch by epoch in one offline player.

    replay = training_replay({"sigmoid": m1, "tanh": m2}, X, y, epochs=200)
    replay                      # in a notebook: the last epoch saved, a slider once the cell runs
    replay.to_html("replay.html")  # one self-contained file, no server

Each frame shows, per model (a column): the loss so far, the decision
boundary over the 2-D inputs (when the inputs are 2-D), and the layer view
(a bar per layer, log mean |∂L/∂W| on the shared scale, one for every
frame, so a layer whose gradient grows visibly lengthens). A learner watches the sigmoid
stack's loss stay flat, its boundary not move and its first layers stay
red, while tanh or ReLU learns.

Training is plain full-batch gradient descent, written out here
(`_train`): forward over every sample, the mean loss, `zero_grad`,
`backward()`, `p.data -= lr * p.grad`. The pictures are drawn from the
numbers recorded after each `backward()`, before the step.
"""

from __future__ import annotations

import html
import math

from .. import losses
from ..checks import check_dataset, check_positive_int
from ..diagnostics import gradient_flow, neuron_layers
from ..engine import Value, no_grad
from ..engine import sum as value_sum
from ..i18n import bilingual, check_language, tr
from . import player
from .colours import VANISHING_BELOW, GradScale, decade_label

__all__ = ["TrainingReplay", "training_replay"]

FONT = "NanumGothic, Noto Sans CJK KR, Malgun Gothic, AppleGothic, sans-serif"
WIDTH, MARGIN, FS = 840, 12, 12  # px; 12 px text stays above 10 px in an 850 px output
CHART_HEIGHT, GRID = 110, 24  # the loss chart's height; the decision boundary's cells per side
CLASS_0, CLASS_1 = "#5e3c99", "#1b7837"  # purple and green: no part of the gradient scale's yellow-to-red
MAX_MODELS = 4


class TrainingReplay:
    """The replay of `training_replay`: `history[name]` per model ('loss', 'accuracy', 'gradient_flow' per epoch),
    `frames` (the epochs drawn), `svg(i)` one frame's picture, `to_html(path)`, and a notebook display."""

    def __init__(self, names, history, snapshots, X, y, lang):
        self.names, self.history, self.snapshots = names, history, snapshots
        self.X, self.y, self.lang = X, y, lang
        self.frames = sorted(snapshots[names[0]])
        self.epochs = len(history[names[0]]["loss"])
        self.scale = GradScale()  # colours: the fixed scale of every picture
        # lengths: one axis for every frame, past the scale's ends only when a gradient is
        self.axis = self.scale.length_axis(v for h in history.values() for flow in h["gradient_flow"] for v in flow)
        self.top_loss = max(max(h["loss"]) for h in history.values()) or 1.0

    def __len__(self):
        return len(self.frames)

    # -- words -----------------------------------------------------------------

    def text(self, i):
        e = self.frames[i]
        parts = [tr(f"에폭 {e + 1}/{self.epochs}", f"epoch {e + 1}/{self.epochs}", self.lang)]
        for name in self.names:
            h = self.history[name]
            parts.append(
                tr(
                    f"{name}: 손실 {h['loss'][e]:.3g}, 정확도 {h['accuracy'][e]:.0%}",
                    f"{name}: loss {h['loss'][e]:.3g}, accuracy {h['accuracy'][e]:.0%}",
                    self.lang,
                )
            )
        return "\n".join(parts)

    # -- one frame as a picture ---------------------------------------------------

    def svg(self, i):
        e = self.frames[i]
        n = len(self.names)
        col = (WIDTH - 2 * MARGIN) / n
        side = min(col - 24, 190.0)
        # The frame is as tall as its tallest column: the deepest model's layers, a boundary if any model has one.
        depth = max(len(self.history[name]["gradient_flow"][0]) for name in self.names)
        bounded = any(self.snapshots[name][e]["boundary"] is not None for name in self.names)
        parts = [
            f'<text x="{MARGIN}" y="{MARGIN + 14}" font-size="14" font-weight="bold">'
            f"{_e(tr(f'에폭 {e + 1}/{self.epochs}', f'epoch {e + 1}/{self.epochs}', self.lang))}</text>"
        ]
        top = MARGIN + 40
        for c, name in enumerate(self.names):
            x = MARGIN + c * col
            parts.append(
                f'<text x="{x:.1f}" y="{top}" font-size="14" font-weight="bold" class="model">{_e(name)}</text>'
            )
            y = top + 26
            parts.append(self._loss_chart(name, e, x, y, col - 16))
            y += CHART_HEIGHT + 30
            boundary = self.snapshots[name][e]["boundary"]
            if boundary is not None:
                parts.append(self._boundary(boundary, x, y, side))
                y += side + 24
            parts.append(self._layers(name, e, x, y, col - 16))
        height = top + 26 + CHART_HEIGHT + 30 + (side + 24 if bounded else 0) + 20 + depth * 17 + 48
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}px" height="{height:.0f}px" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="{_e(FONT)}" class="training-replay">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(parts) + "\n</svg>\n"
        )

    def _loss_chart(self, name, e, x, y, w):
        """The loss from epoch 1 to `e` on axes shared by every model and frame (0 to the largest loss seen)."""
        losses_ = self.history[name]["loss"]
        span = max(1, self.epochs - 1)
        points = " ".join(
            f"{x + 28 + k / span * (w - 34):.1f},{y + CHART_HEIGHT - v / self.top_loss * CHART_HEIGHT:.1f}"
            for k, v in enumerate(losses_[: e + 1])
        )
        label = tr("손실", "loss", self.lang)
        return (
            f'<g class="loss-chart" data-loss="{losses_[e]!r}">'
            f'<text x="{x}" y="{y - 6}" font-size="{FS}">{_e(label)}</text>'
            f'<line x1="{x + 28}" y1="{y}" x2="{x + 28}" y2="{y + CHART_HEIGHT}" stroke="#888"/>'
            f'<line x1="{x + 28}" y1="{y + CHART_HEIGHT}" x2="{x + w - 6:.1f}" y2="{y + CHART_HEIGHT}" stroke="#888"/>'
            f'<text x="{x + 24}" y="{y + CHART_HEIGHT}" font-size="{FS - 1}" text-anchor="end">0</text>'
            f'<text x="{x + 24}" y="{y + 10}" font-size="{FS - 1}" text-anchor="end">{self.top_loss:.2g}</text>'
            f'<text x="{x + w - 6:.1f}" y="{y + CHART_HEIGHT + 14}" font-size="{FS - 1}" text-anchor="end">'
            f"{_e(tr(f'에폭 {self.epochs}', f'epoch {self.epochs}', self.lang))}</text>"
            f'<polyline points="{points}" fill="none" stroke="#333" stroke-width="1.8"/>'
            f'<text x="{x + w - 6:.1f}" y="{y + 12}" font-size="{FS}" text-anchor="end" font-weight="bold">{losses_[e]:.3g}</text>'
            f"</g>"
        )

    def _boundary(self, boundary, x, y, side):
        """The predicted probability of class 1 over the inputs' box (purple 0 to green 1), and the data on it."""
        (x0, x1, y0, y1), probs = boundary
        cell = side / GRID
        parts = ['<g class="boundary" shape-rendering="crispEdges">']
        for r in range(GRID):  # one rectangle per run of cells of one shade (a picture per frame stays small)
            shades = [_mix(round(p * 32) / 32) for p in probs[r]]
            c = 0
            while c < GRID:
                end = c
                while end + 1 < GRID and shades[end + 1] == shades[c]:
                    end += 1
                parts.append(
                    f'<rect x="{x + c * cell:.1f}" y="{y + (GRID - 1 - r) * cell:.1f}" width="{(end - c + 1) * cell + 0.5:.1f}" '
                    f'height="{cell + 0.5:.1f}" fill="{shades[c]}"/>'
                )
                c = end + 1
        for point, target in zip(self.X, self.y):
            px = x + (point[0] - x0) / (x1 - x0) * side
            py = y + side - (point[1] - y0) / (y1 - y0) * side
            fill = CLASS_1 if _label(target) else CLASS_0
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="6" fill="{fill}" stroke="white" stroke-width="2.5"/>'
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="7.5" fill="none" stroke="#000" stroke-width="1"/>'
            )
        parts.append(f'<rect x="{x}" y="{y}" width="{side:.1f}" height="{side:.1f}" fill="none" stroke="#888"/>')
        parts.append(
            f'<text x="{x}" y="{y + side + 15:.1f}" font-size="{FS}">'
            f"{_e(tr('결정 경계: 보라 0 · 초록 1', 'decision boundary: purple 0 · green 1', self.lang))}</text></g>"
        )
        return "".join(parts)

    def _layers(self, name, e, x, y, w):
        """A bar per layer, output on top: log mean |∂L/∂W| on the shared scale, as in the layer view."""
        flow = self.history[name]["gradient_flow"][e]
        label_w, track = 44, w - 44
        parts = [
            f'<text x="{x}" y="{y + FS}" font-size="{FS}">{_e(tr("층별 평균 |∂L/∂W|", "mean |∂L/∂W| per layer", self.lang))}</text>'
        ]
        y += 20
        for k, value in enumerate(reversed(flow)):
            layer = len(flow) - k
            ry = y + k * 17
            fill = self.scale.colour(value)
            length = 0.0 if value == 0 else max(3.0, self.axis.position(value) * track)  # exactly 0: no length
            parts.append(
                f'<g class="cell" data-layer="{layer - 1}" data-value="{value!r}">'
                f'<text x="{x}" y="{ry + 11}" font-size="{FS - 1}">{_e(tr(f"{layer}층", f"L{layer}", self.lang))}</text>'
                f'<rect x="{x + label_w}" y="{ry}" width="{length:.1f}" height="13" fill="{fill}"/>'
                f'<rect x="{x + label_w}" y="{ry}" width="{track:.1f}" height="13" fill="none" stroke="#bbb" stroke-width="0.6"/>'
                f'<text x="{x + label_w + track - 2:.1f}" y="{ry + 11}" font-size="{FS - 1}" text-anchor="end">'
                f"{'⚠ ' if 0 < value < VANISHING_BELOW else ''}{_e(tr('0 (정확히)', '0 (exactly)', self.lang)) if value == 0 else f'{value:.1e}'}</text></g>"
            )
        axis = y + len(flow) * 17 + 2
        for value in self.axis.decades(4):
            gx = x + label_w + self.axis.position(value) * track
            anchor = "start" if gx - x - label_w < 1 else "end" if gx > x + label_w + track - 1 else "middle"
            parts.append(
                f'<text x="{gx:.1f}" y="{axis + FS}" font-size="{FS - 1}" text-anchor="{anchor}">{decade_label(value)}</text>'
            )
        return "".join(parts)

    # -- the player -----------------------------------------------------------------

    def _fragment(self):
        frames = [(self.text(i), lambda uid, i=i: self.svg(i), f"epoch {e + 1}") for i, e in enumerate(self.frames)]
        title = tr("학습 재생: 모델을 나란히", "training replay: models side by side", self.lang)
        note = tr(
            "저장된 그림은 마지막 에폭입니다. 셀을 실행하면 슬라이더로 에폭을 옮겨 봅니다.",
            "The saved picture is the last epoch. Run the cell to move through the epochs with the slider.",
            self.lang,
        )
        return player.fragment(frames, title=title, lang=self.lang, shown=-1, saved_note=note)

    def _repr_html_(self):
        return self._fragment()

    def to_html(self, path=None):
        """One self-contained HTML page (no server, no Graphviz); written to `path` (.html) if given."""
        player.check_html_path(path)
        return player.page(self._fragment(), tr("학습 재생", "training replay", self.lang), self.lang, path)

    def __repr__(self):
        return tr(
            f"<학습 재생: {', '.join(self.names)}, 에폭 {self.epochs}개, 장면 {len(self)}개>",
            f"<training replay: {', '.join(self.names)}, {self.epochs} epochs, {len(self)} frames>",
            self.lang,
        )


def _e(text):
    return html.escape(str(text), quote=True)


def _label(target):
    return float(target.data if isinstance(target, Value) else target) > 0.5


def _mix(p):
    """Purple (p = 0) through white (0.5) to green (1)."""
    p = min(1.0, max(0.0, p))
    a, b = (CLASS_0, "#ffffff") if p < 0.5 else ("#ffffff", CLASS_1)
    t = p * 2 if p < 0.5 else p * 2 - 1
    ca, cb = (tuple(int(h[i : i + 2], 16) for i in (1, 3, 5)) for h in (a, b))
    return "#" + "".join(f"{round(u + (v - u) * t):02x}" for u, v in zip(ca, cb))


def _output(model, x):
    out = model(x)
    if isinstance(out, (list, tuple)):
        if len(out) != 1:
            raise ValueError(
                bilingual(
                    f"학습 재생은 출력이 하나인 모델(이진 분류)만 그립니다 (출력 {len(out)}개)",
                    f"the training replay draws models with one output (binary classification), got {len(out)}",
                )
            )
        out = out[0]
    return out


def _probability(out, loss):
    v = out.data if isinstance(out, Value) else float(out)
    if loss == "bce_with_logits":
        return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
    return v


def _boundary(model, X, loss):
    """((x0, x1, y0, y1), GRID x GRID probabilities) over the inputs' box with a margin; None unless X is 2-D."""
    if len(X[0]) != 2:
        return None
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    mx, my = 0.25 * ((max(xs) - min(xs)) or 1.0), 0.25 * ((max(ys) - min(ys)) or 1.0)
    x0, x1, y0, y1 = min(xs) - mx, max(xs) + mx, min(ys) - my, max(ys) + my
    with no_grad():
        probs = [
            [
                _probability(
                    _output(model, [x0 + (c + 0.5) / GRID * (x1 - x0), y0 + (r + 0.5) / GRID * (y1 - y0)]), loss
                )
                for c in range(GRID)
            ]
            for r in range(GRID)
        ]
    return (x0, x1, y0, y1), probs


def _train(model, X, y, loss, loss_fn, epochs, lr, keep):
    """Full-batch gradient descent; per epoch the loss, the accuracy and the layers' mean |∂L/∂W|; a boundary at `keep`."""
    history = {"loss": [], "accuracy": [], "gradient_flow": []}
    snapshots = {}
    params = model.parameters()
    for epoch in range(epochs):
        outs = [_output(model, x) for x in X]
        total = value_sum([loss_fn(o, t) for o, t in zip(outs, y)]) / len(X)
        for p in params:
            p.grad = 0.0
        total.backward()
        history["loss"].append(total.data)
        history["accuracy"].append(sum((_probability(o, loss) > 0.5) == _label(t) for o, t in zip(outs, y)) / len(X))
        history["gradient_flow"].append([r.mean_abs_grad for r in gradient_flow(model)])
        if epoch in keep:
            snapshots[epoch] = {"boundary": _boundary(model, X, loss)}
        for p in params:
            p.data -= lr * p.grad
    return history, snapshots


def training_replay(models, X, y, *, epochs=200, lr=0.3, frames=20, loss="bce_with_logits", lang=None):
    """Train each of `models` (a dict name -> model, at most 4) on `X`, `y` and replay it in one offline player.

    Full-batch gradient descent with learning rate `lr` for `epochs`
    epochs, the same for every model; `frames` epochs are drawn, evenly
    spread, the first and the last included. `loss`: 'bce_with_logits'
    (targets 0/1, one logit out; the default) or 'mse'. The models are
    trained in place. Returns a `TrainingReplay`: in a notebook its last
    epoch shows saved and the slider plays once the cell runs;
    `to_html(path)` writes one file that plays offline.
    """
    if not isinstance(models, dict):
        raise TypeError(
            bilingual(
                f"training_replay에는 이름 → 모델 사전을 주세요 (받은 자료형: {type(models).__name__}): "
                "training_replay({'sigmoid': m1, 'tanh': m2}, X, y)",
                f"training_replay takes a dict name -> model, got {type(models).__name__}: "
                "training_replay({'sigmoid': m1, 'tanh': m2}, X, y)",
            )
        )
    if not models:
        raise ValueError(
            bilingual(
                "models 사전이 비어 있습니다: 이름 → 모델을 하나 이상 넣으세요, 예: training_replay({'sigmoid': m1, 'tanh': m2}, X, y)",
                "the models dict is empty: it must map at least one name to a model, e.g. "
                "training_replay({'sigmoid': m1, 'tanh': m2}, X, y)",
            )
        )
    if len(models) > MAX_MODELS:
        raise ValueError(
            bilingual(
                f"모델 {len(models)}개는 한 그림에 너무 많습니다 (최대 {MAX_MODELS}개)",
                f"{len(models)} models are too many for one picture (at most {MAX_MODELS})",
            )
        )
    if lang is not None:
        check_language(lang)
    if loss not in ("bce_with_logits", "mse"):
        raise ValueError(
            bilingual(
                f"loss는 'bce_with_logits' 또는 'mse'입니다 (받은 것: {loss!r})",
                f"loss must be 'bce_with_logits' or 'mse', got {loss!r}",
            )
        )
    check_dataset(X, y)
    epochs, frames = check_positive_int(epochs, "epochs"), check_positive_int(frames, "frames")
    if isinstance(lr, bool) or not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(
            bilingual(
                f"lr은 양의 유한한 수입니다 (받은 것: {lr!r})", f"lr must be a positive finite number, got {lr!r}"
            )
        )
    X = [[float(v) for v in x] for x in X]
    keep = sorted({round(k * (epochs - 1) / max(1, frames - 1)) for k in range(min(frames, epochs))})
    for model in models.values():
        neuron_layers(model)  # an MLP-shaped model, checked with its own message before any training
    history, snapshots = {}, {}
    for name, model in models.items():
        history[str(name)], snapshots[str(name)] = _train(
            model, X, list(y), loss, losses.get(loss), epochs, lr, set(keep)
        )
    return TrainingReplay([str(n) for n in models], history, snapshots, X, list(y), lang)
