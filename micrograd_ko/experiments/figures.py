"""Figures of the experiments (matplotlib, made only when a result is drawn).

The library's own plots (`micrograd_ko.plots`) draw one model's diagnostics;
these draw what an experiment measures over many seeds: medians per layer,
bundles of loss curves, histograms counted in worker processes.
"""

from __future__ import annotations

import math

from ..i18n import tr
from .common import median


def _new_figure(**kwargs):
    """A matplotlib Figure without pyplot (no global state, nothing to close), with the Korean font."""
    from matplotlib.figure import Figure

    from ..plots import use_korean_font

    use_korean_font()
    return Figure(**kwargs)


def _log_scale(ax):
    """A log y axis with ASCII tick labels (1e-03): NanumGothic has no U+2212 minus for 10⁻³."""
    from matplotlib.ticker import FuncFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}"))


def _finish(fig, ax, title, xlabel, ylabel, grid="major"):
    """The same finish for every line figure: title, axis labels, a light grid, the legend."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which=grid, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def per_layer_figure(series, title, xlabel, ylabel):
    """One line per network: a value per layer, on a log scale."""
    fig = _new_figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    for label, values in series.items():
        ax.plot(range(1, len(values) + 1), values, marker="o", label=label)
    _log_scale(ax)
    ax.set_xticks(range(1, max(len(v) for v in series.values()) + 1))
    return _finish(fig, ax, title, xlabel, ylabel, grid="both")


def curves_figure(groups, title, xlabel, ylabel, hline=None, hline_label=None, log_y=False, first_x=0):
    """Loss curves: `groups` maps a name to a list of curves; each name gets one colour.

    Every curve is drawn faintly and the median curve of each group boldly;
    point k of a curve sits at x = first_x + k.
    """
    fig = _new_figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    for colour, (label, curves) in zip((f"C{i}" for i in range(10)), groups.items()):
        for curve in curves:
            ax.plot(range(first_x, first_x + len(curve)), curve, color=colour, alpha=0.15, linewidth=0.8)
        middle = [median(values) for values in zip(*curves)]
        ax.plot(range(first_x, first_x + len(middle)), middle, color=colour, linewidth=2.0, label=label)
    if hline is not None:
        ax.axhline(hline, color="0.4", linestyle=":", linewidth=1.2, label=hline_label, zorder=0)
    if log_y:
        _log_scale(ax)
    return _finish(fig, ax, title, xlabel, ylabel)


def histogram_grid(rows, value_range, title, xlabel, ylim=None, lang=None):
    """Histograms already counted: `rows` maps a row name to per-layer lists of bin counts over `value_range`.

    With `ylim` every panel shares that height (as 밑바닥부터 시작하는 딥러닝 ch. 6 fixes it), so a
    spread that shrinks from layer to layer is seen as a shape, not hidden by each panel's own scale;
    a bin taller than `ylim` is cut at the top, and marked there with a ▲ that the title explains
    (a cut bin otherwise reads as a flat-topped shape). Without it each panel scales to its own tallest bin.
    """
    n_rows = len(rows)
    n_cols = max(len(layers) for layers in rows.values())
    fig = _new_figure(figsize=(2.0 * n_cols, 1.6 * n_rows + 0.6))
    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey=ylim is not None)
    low, high = value_range
    any_cut = False
    for r, (name, layers) in enumerate(rows.items()):
        for c, counts in enumerate(layers):
            edges = [low + (high - low) * k / len(counts) for k in range(len(counts) + 1)]
            ax = axes[r][c]
            ax.stairs(counts, edges, fill=True, color=f"C{r}")
            if ylim is None:
                ax.set_yticks([])
            else:
                ax.set_ylim(0, ylim)
                cut = [(edges[k] + edges[k + 1]) / 2 for k, n in enumerate(counts) if n > ylim]
                if cut:
                    ax.plot(cut, [ylim] * len(cut), "^", color="black", markersize=4, clip_on=False, label="cut")
                    any_cut = True
                if c > 0:
                    ax.tick_params(labelleft=False)
            if r == 0:
                ax.set_title(f"{c + 1}", fontsize=9)
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
            if r == n_rows - 1:
                ax.set_xlabel(xlabel, fontsize=8)
    if any_cut:
        title += tr("\n▲ 세로축보다 높아 위가 잘린 칸", "\n▲ bin taller than the axis, cut at the top", lang)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def bar_figure(labels, values, title, ylabel, log_y=False, reference=None, zero_label="0"):
    """Bars per label. On a log axis a value that cannot be drawn (0, negative, inf, nan) gets no bar but a
    marked label at the bottom (`zero_label` for 0, else the value), so the axis stays logarithmic and
    the other bars stay readable."""
    fig = _new_figure(figsize=(max(6.4, 0.75 * len(values)), 3.8))
    ax = fig.subplots()
    drawable = [v > 0 and math.isfinite(v) for v in values] if log_y else [math.isfinite(v) for v in values]
    ax.bar(
        [i for i, ok in enumerate(drawable) if ok],
        [v for v, ok in zip(values, drawable) if ok],
        color=[f"C{i}" for i, ok in enumerate(drawable) if ok],
    )
    ax.set_xticks(range(len(values)), labels, fontsize=7)
    if reference is not None:
        ax.axhline(reference, color="black", linestyle="--", linewidth=1.0)
    if log_y:
        _log_scale(ax)
    for i, (v, ok) in enumerate(zip(values, drawable)):
        if not ok:
            ax.annotate(
                zero_label if v == 0 else f"{v:g}",
                (i, 0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                rotation=90,
                fontsize=8,
                color="C3",
            )
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def line_figure(xs, series, title, xlabel, ylabel, points=None):
    """Curves over the same x values; `points` = (xs, ys) adds the data as dots."""
    fig = _new_figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    if points is not None:
        ax.scatter(*points, s=6, color="0.6", zorder=1)
    for label, ys in series.items():
        ax.plot(xs, ys, linewidth=2.0, label=label, zorder=2)
    return _finish(fig, ax, title, xlabel, ylabel)
