"""Plots with matplotlib, Korean first: gradient flow, activation histograms, activation functions.

Every function returns a `matplotlib.figure.Figure` made without pyplot (no
global figure state, works with any backend, headless included): show it in a
notebook or call `fig.savefig("name.png")`.

Importing this module makes NanumGothic (the font that koreanize-matplotlib
ships) the default font, with DejaVu Sans behind it for any symbol it lacks,
so Korean text is drawn with glyphs, not boxes.
"""

from __future__ import annotations

import math
import sys
import unicodedata

from .extra import require

matplotlib = require("matplotlib", "micrograd_ko.plots")
from matplotlib import font_manager  # noqa: E402 (after the check that matplotlib is there)
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import LogFormatter, MaxNLocator, NullLocator  # noqa: E402

from ..diagnostics import LayerActivations, LayerGradient, gradient_flow
from ..engine import ACTIVATIONS, Value
from ..i18n import bilingual, particle, tr
from .colours import GRAD_PALETTE, GradScale
from .fonts import KOREAN_FONT, korean_font_file
from .layer_view import gradient_flow_history

__all__ = [
    "KOREAN_FONT",
    "plot_activation_functions",
    "plot_activation_histograms",
    "plot_gradient_flow",
    "plot_gradient_flow_history",
    "use_korean_font",
]


def use_korean_font():
    """Register NanumGothic with matplotlib and make it the default font (idempotent).

    DejaVu Sans stays behind it in the family list: matplotlib takes each glyph
    NanumGothic lacks (the minus sign U+2212, say) from there.
    """
    if KOREAN_FONT not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(korean_font_file()))
    families = [KOREAN_FONT] + [f for f in matplotlib.rcParams["font.family"] if f != KOREAN_FONT]
    if "DejaVu Sans" not in families:
        families.append("DejaVu Sans")
    matplotlib.rcParams["font.family"] = families


use_korean_font()


# --------------------------------------------------------------------------
# Gradient magnitude per layer
# --------------------------------------------------------------------------

# The math as mathtext: its glyphs come from DejaVu Sans (mathtext.fontset), where NanumGothic's own ∂ is
# drawn tiny and misshapen (and matplotlib takes a text's glyphs from its first font that has them).
_DLDW = r"$|\partial L/\partial W|$"
_METRICS = {
    "mean_abs_grad": (f"평균 {_DLDW}", f"mean {_DLDW}"),
    "max_abs_grad": (f"최대 {_DLDW}", f"max {_DLDW}"),
    "grad_norm": (r"$\|\partial L/\partial W\|$", r"$\|\partial L/\partial W\|$"),
    "bias_grad_norm": (r"$\|\partial L/\partial b\|$", r"$\|\partial L/\partial b\|$"),
}


def _records(name, model_or_records):
    """`gradient_flow` records: given (checked), or read from a model."""
    if not isinstance(model_or_records, (list, tuple)):
        return gradient_flow(model_or_records)
    if not model_or_records or not all(isinstance(r, LayerGradient) for r in model_or_records):
        raise TypeError(
            bilingual(
                f"'{name}'의 목록은 diagnostics.gradient_flow(모델)의 결과여야 합니다 (받은 것: {model_or_records!r})",
                f"the list for {name!r} must be diagnostics.gradient_flow(model) records, got {model_or_records!r}",
            )
        )
    return list(model_or_records)


LEGEND_COLUMNS = 28  # a legend line's most width, in columns (a Hangul syllable takes two)


def _columns(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _legend_label(name):
    """`name` in lines of at most `LEGEND_COLUMNS` columns, broken at spaces where it can, inside a word where it
    must: one long model name in the legend beside the plot squeezed the bars to a sliver, or to nothing."""
    lines = [""]
    for word in str(name).split():
        while word:
            line = lines[-1]
            if _columns(line + " " + word) <= LEGEND_COLUMNS or (not line and _columns(word) <= LEGEND_COLUMNS):
                lines[-1] = f"{line} {word}" if line else word
                word = ""
            elif line:
                lines.append("")
            else:  # one word wider than a line: cut it
                k = 1
                while _columns(word[: k + 1]) <= LEGEND_COLUMNS:
                    k += 1
                lines[-1], word = word[:k], word[k:]
                lines.append("")
    text = "\n".join(line for line in lines if line)
    return "\u200b" + text if text.startswith("_") else text  # (matplotlib leaves out labels starting with "_")


def plot_gradient_flow(models, metric="mean_abs_grad", lang=None, title=None):
    """Per-layer gradient size on a log scale, several models side by side.

    `models`: a model, or a dict name -> model (after `loss.backward()`) or
    name -> list of `gradient_flow` records. `metric`: 'mean_abs_grad',
    'max_abs_grad', 'grad_norm' or 'bias_grad_norm'. A gradient that is
    exactly 0 cannot sit on a log axis: it is marked with a grey x at the bottom.
    """
    if metric not in _METRICS:
        raise ValueError(
            bilingual(
                f"metric은 {list(_METRICS)} 중 하나입니다 (받은 것: {metric!r})",
                f"metric must be one of {list(_METRICS)}, got {metric!r}",
            )
        )
    if not isinstance(models, dict):
        models = {tr("모델", "model", lang): models}
    if not models:
        raise ValueError(bilingual("그릴 모델이 없습니다", "no model to plot"))
    records = {name: _records(name, m) for name, m in models.items()}
    series = {name: [r[metric] for r in rs] for name, rs in records.items()}

    fig = Figure(figsize=(7.0, 4.0), layout="constrained")
    ax = fig.subplots()
    ax.set_yscale("log")
    # Plain "1e-05" labels: the default 10^x labels are mathtext, which takes every glyph from
    # the first font (NanumGothic has no U+2212 minus sign) and draws a dummy box instead.
    ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=True))
    ax.yaxis.set_minor_formatter(
        LogFormatter(labelOnlyBase=False)
    )  # labels between decades (a narrow range): plain too
    positive = [v for values in series.values() for v in values if 0 < v < math.inf]
    if positive and max(positive) > _AUTOSCALE_UP_TO:
        _fix_log_axis(ax, positive)  # before the bars: with limits set, matplotlib does not autoscale
    width = 0.8 / len(series)
    marked = set()  # the zero markers' explanations already in the legend
    for k, (name, values) in enumerate(series.items()):
        xs = [i + 1 + (k - (len(series) - 1) / 2) * width for i in range(len(values))]
        ax.bar(
            [x for x, v in zip(xs, values) if v > 0],
            [v for v in values if v > 0],
            width=width,
            label=_legend_label(name),
        )
        zeros = [x for x, v in zip(xs, values) if v <= 0]
        if zeros:
            why = _zero_meaning(records[name], lang)
            ax.plot(
                zeros,
                [0.0] * len(zeros),
                "x",
                color="#555555",
                markersize=9,
                clip_on=False,
                transform=ax.get_xaxis_transform(),
                label=None if why in marked else why,
            )
            marked.add(why)
    depth = max(len(v) for v in series.values())
    ax.set_xticks(range(1, depth + 1))
    ax.set_xlabel(tr("층 (1 = 입력 쪽)", "layer (1 = input side)", lang))
    ax.set_ylabel(tr(f"{_METRICS[metric][0]} (로그 눈금)", f"{_METRICS[metric][1]} (log scale)", lang))
    ax.set_title(
        title
        or tr(
            "층별 기울기 크기: 입력 쪽으로 갈수록 작아지면 기울기 소실",
            "gradient size per layer: shrinking towards the input is a vanishing gradient",
            lang,
        )
    )
    ax.grid(True, which="major", axis="y", alpha=0.3)
    legend = ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for text in legend.get_texts():
        if "\n" in text.get_text():
            text.set_linespacing(1.5)  # a wrapped name's lines apart (NanumGothic's Hangul touch at the default)
    return fig


_AUTOSCALE_UP_TO = 1e250  # above, matplotlib's log autoscale and tick locator overflow (seen from ~1e280)


def _fix_log_axis(ax, values):
    """The log y axis from a decade below the positive `values` (a bar needs length) to the decade above
    (within the floats), with decade ticks: matplotlib's own margins overflow there and it falls back to
    1..10, cutting a bar of 1e300 at 10 (or its tick labels raise OverflowError when the figure is drawn)."""
    low, high = math.floor(math.log10(min(values))) - 1, math.floor(math.log10(max(values))) + 1
    limits = max(10.0**low, 5e-324), sys.float_info.max if high > 308 else 10.0**high
    ax.set_ylim(limits)
    ax.set_yticks(GradScale(*limits).decades())
    ax.yaxis.set_minor_locator(NullLocator())


def _zero_meaning(records, lang):
    """What a zero marker means: a model with every gradient exactly 0 may simply be before backward, or dead
    (every ReLU off: the notebooks' dead network), as the layer view says too."""
    if all(r.mean_abs_grad == 0 and r.bias_grad_norm == 0 for r in records):
        return tr(
            "모든 기울기가 0: backward() 전이거나\n모든 길이 0을 곱함 (예: ReLU가 모두 꺼짐)",
            "every gradient is 0: before backward(),\nor every path multiplies by 0 (all ReLUs off)",
            lang,
        )
    return tr("기울기 = 0 (입력이 0이거나 연결이 끊김)", "gradient = 0 (input was 0 or no path)", lang)


def plot_gradient_flow_history(history, lang=None, title=None):
    """Each layer's mean |∂L/∂W| over training, as a layer x epoch heatmap on a log colour scale.

    `history` is what `fit(..., track_gradients=True)` returns:
    `history['gradient_flow'][e][i]` is layer i's mean |∂L/∂W| right after
    epoch e's last backward. A learner sees whether the layers near the
    input ever start learning. Exactly 0 (no log value) is drawn grey.
    """
    from matplotlib.colors import LinearSegmentedColormap, LogNorm

    flows = gradient_flow_history(history)
    depth = len(flows[0])
    grid = [[flows[e][i] for e in range(len(flows))] for i in range(depth)]  # rows: layers, columns: epochs
    positive = [v for row in grid for v in row if v > 0]
    fig = Figure(figsize=(7.0, 0.35 * depth + 1.8), layout="constrained")
    ax = fig.subplots()
    ax.set_facecolor("#bdbdbd")  # exactly 0: masked below, so the background shows
    masked = [[v if v > 0 else float("nan") for v in row] for row in grid]
    # The shared scale and palette of every picture (`colours`): one gradient, one colour, here as in the layer view.
    scale = GradScale()  # fixed: a value past its ends gets the end colour, and the colour bar's arrow says so
    norm = LogNorm(vmin=scale.low, vmax=scale.high)
    below, above = any(v < scale.low for v in positive), any(v > scale.high for v in positive)
    extend = "both" if below and above else "min" if below else "max" if above else "neither"
    cmap = LinearSegmentedColormap.from_list("mgk_grad", list(GRAD_PALETTE))
    image = ax.imshow(
        masked,
        aspect="auto",
        origin="lower",
        cmap=cmap,
        norm=norm,
        interpolation="nearest",
        extent=(0.5, len(flows) + 0.5, 0.5, depth + 0.5),
    )
    bar = fig.colorbar(image, ax=ax, extend=extend)
    bar.formatter = LogFormatter(labelOnlyBase=True)
    bar.update_ticks()
    bar.set_label(tr(f"평균 {_DLDW} (로그 눈금, 회색 = 0)", f"mean {_DLDW} (log scale, grey = 0)", lang))
    ax.set_yticks(range(1, depth + 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # epochs are counted: no epoch 1.5
    ax.set_xlabel(tr("에폭", "epoch", lang))
    ax.set_ylabel(tr("층 (1 = 입력 쪽)", "layer (1 = input side)", lang))
    ax.set_title(
        title
        or tr(
            "학습 중 층별 기울기: 입력 쪽 층도 배우기 시작하나요?",
            "gradient per layer during training: do the input-side layers ever start learning?",
            lang,
        )
    )
    return fig


# --------------------------------------------------------------------------
# Activation histograms (밑바닥부터 시작하는 딥러닝, ch. 6)
# --------------------------------------------------------------------------

_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def plot_activation_histograms(stats, bins=30, lang=None, title=None):
    """One histogram per layer of `activation_stats(model, X)`, as in 밑바닥부터 시작하는 딥러닝 ch. 6.

    `stats`: a list of records (one row), or a dict name -> list (one row per name).
    Each panel notes the saturated fraction (sigmoid) or the dead units (ReLU).
    """
    rows = stats if isinstance(stats, dict) else {"": stats}
    if not rows or not all(rows.values()):
        raise ValueError(bilingual("그릴 활성화 통계가 없습니다", "no activation statistics to plot"))
    for records in rows.values():
        _check_activation_records(records)
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= MAX_POINTS:
        raise ValueError(
            bilingual(
                f"bins는 1 이상 {MAX_POINTS:,} 이하의 정수입니다 (받은 것: {bins!r})",
                f"bins must be an int from 1 to {MAX_POINTS:,}, got {bins!r}",
            )
        )
    n_cols = max(len(r) for r in rows.values())
    fig = Figure(figsize=(2.4 * n_cols, 2.4 * len(rows) + 0.6), layout="constrained")
    axes = fig.subplots(len(rows), n_cols, squeeze=False, sharey="row")
    for r, (name, records) in enumerate(rows.items()):
        for c in range(n_cols):
            ax = axes[r][c]
            if c >= len(records):
                ax.set_visible(False)
                continue
            s = records[c]
            ax.hist(s.values, bins=bins, range=_RANGES.get(s.activation), color="#4292c6")
            ax.set_title(
                tr(f"{s.layer + 1}층 ({s.activation})", f"layer {s.layer + 1} ({s.activation})", lang), fontsize=9
            )
            ax.text(0.97, 0.95, _note(s, lang), transform=ax.transAxes, ha="right", va="top", fontsize=8)
            ax.tick_params(labelsize=7)
        if name:
            label = _legend_label(name)  # wrapped, not run off the figure
            axes[r][0].set_ylabel(label, fontsize=9, **({"linespacing": 1.5} if "\n" in label else {}))
    fig.suptitle(title or tr("층별 활성화 값 분포", "activation values per layer", lang))
    return fig


def _check_activation_records(records):
    """`records` is a list of `activation_stats` records; anything else (a model, say) is named with the call to make."""
    if isinstance(records, (list, tuple)) and all(isinstance(r, LayerActivations) for r in records):
        return
    kind = type(records).__name__
    raise TypeError(
        bilingual(
            f"plot_activation_histograms는 diagnostics.activation_stats(모델, X)의 결과(또는 이름 → 그 결과)를 그립니다 "
            f"(받은 것: {kind})",
            f"plot_activation_histograms draws diagnostics.activation_stats(model, X) records (or a dict name -> "
            f"those), got {kind}",
        )
    )


def _note(s, lang):
    if s.activation == "sigmoid":
        return tr(f"포화 {s.saturated:.0%}", f"saturated {s.saturated:.0%}", lang)
    if s.activation == "relu":
        return tr(f"죽은 뉴런 {s.dead_fraction:.0%}", f"dead units {s.dead_fraction:.0%}", lang)
    return f"std {s.std:.3g}"


# --------------------------------------------------------------------------
# Activation functions and their derivatives, both from the engine
# --------------------------------------------------------------------------


def _curve(name, xs):
    """f(x) and f'(x) at every x: the derivative is what backward() computes, not a formula."""
    ys, ds = [], []
    for x in xs:
        v = Value(x)
        y = getattr(v, name)()
        y.backward()
        ys.append(y.data)
        ds.append(v.grad)
    return ys, ds


MAX_POINTS = 100_000  # far more than a figure can show; a typo such as 10**9 would run for hours
# matplotlib cannot lay out axes that reach the float limit (relu up to 1e308: a singular transform);
# every activation has long settled into its asymptote well before this.
MAX_ABS_X = 1e100


def _check_range(x_range):
    """(low, high) from `x_range`: two finite real numbers, low < high."""
    pair = tuple(x_range) if isinstance(x_range, (list, tuple)) else None
    ok = (
        pair is not None
        and len(pair) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= MAX_ABS_X for v in pair)
        and pair[0] < pair[1]
    )
    if not ok:
        raise ValueError(
            bilingual(
                f"x_range는 -{particle(format(MAX_ABS_X, 'g'), '과/와')} {MAX_ABS_X:g} 사이의 두 수 (작은 값, 큰 값)입니다 (받은 것: {x_range!r})",
                f"x_range must be two numbers (low, high), low < high, between -{MAX_ABS_X:g} and {MAX_ABS_X:g}, "
                f"got {x_range!r}",
            )
        )
    return float(pair[0]), float(pair[1])


def plot_activation_functions(names=None, x_range=(-5.0, 5.0), points=201, lang=None, title=None):
    """Each activation function (활성화 함수) with its derivative, both computed by the engine.

    `names`: a name or a list; by default every activation of the engine
    but `linear`. The derivative curve is `x.grad` after `f(x).backward()`
    at each point, so it shows exactly what backpropagation uses (e.g.
    sigmoid' <= 1/4).
    """
    from ..nn import check_activation

    if names is None:
        names = [a for a in ACTIVATIONS if a != "linear"]
    names = [check_activation(n) for n in ([names] if isinstance(names, str) else names)]
    if not names:
        raise ValueError(bilingual("그릴 활성화 함수가 없습니다", "no activation function to plot"))
    lo, hi = _check_range(x_range)
    if isinstance(points, bool) or not isinstance(points, int) or not 2 <= points <= MAX_POINTS:
        raise ValueError(
            bilingual(
                f"points는 2 이상 {MAX_POINTS:,} 이하의 정수입니다 (받은 것: {points!r})",
                f"points must be an int from 2 to {MAX_POINTS:,}, got {points!r}",
            )
        )
    xs = [lo + (hi - lo) * i / (points - 1) for i in range(points)]
    n_cols = min(4, len(names))
    n_rows = math.ceil(len(names) / n_cols)
    fig = Figure(figsize=(3.0 * n_cols, 2.6 * n_rows + 0.6), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for k, ax in enumerate(ax for row in axes for ax in row):
        if k >= len(names):
            ax.set_visible(False)
            continue
        ys, ds = _curve(names[k], xs)
        ax.plot(xs, ys, label="f(x)")
        ax.plot(xs, ds, "--", label=tr("f′(x) (역전파)", "f′(x) (backward)", lang))
        ax.axhline(0.0, color="grey", linewidth=0.5)
        ax.set_title(names[k], fontsize=10)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    fig.suptitle(
        title
        or tr(
            "활성화 함수와 그 도함수 (도함수는 backward()로 계산)",
            "activation functions and their derivatives (computed by backward())",
            lang,
        )
    )
    return fig
