"""Plots: Korean text drawn with real glyphs, the numbers the figures show, the engine's derivatives."""

import io
import logging
import math
import random
import warnings

import pytest
from matplotlib import font_manager, rcParams
from matplotlib.figure import Figure

import micrograd_ko as mg
from micrograd_ko import nn, plots
from micrograd_ko.diagnostics import activation_stats, gradient_flow
from micrograd_ko.viz import colours
from micrograd_ko.viz import plots as viz_plots


def save_cleanly(fig, tmp_path, caplog):
    """Save as PNG and SVG with every warning an error; matplotlib's logged glyph complaints fail too."""
    with caplog.at_level(logging.WARNING, logger="matplotlib"), warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(tmp_path / "fig.png")
        fig.savefig(tmp_path / "fig.svg")
    complaints = [
        r.getMessage() for r in caplog.records if "glyph" in r.getMessage().lower() or "findfont" in r.getMessage()
    ]
    assert complaints == []
    assert (tmp_path / "fig.png").stat().st_size > 0


def test_the_default_font_is_the_bundled_korean_font():
    path = font_manager.findfont(font_manager.FontProperties(family=rcParams["font.family"]), fallback_to_default=False)
    assert path.endswith("NanumGothic.ttf")
    plots.use_korean_font()  # idempotent
    assert rcParams["font.family"][0] == "NanumGothic" and rcParams["font.family"].count("NanumGothic") == 1


def test_the_glyph_check_can_fail(tmp_path):
    fig = Figure()
    fig.subplots().set_title("기울기 소실", fontfamily="DejaVu Sans")  # a font without Hangul
    with warnings.catch_warnings(), pytest.raises(UserWarning, match="missing from font"):
        warnings.simplefilter("error")
        fig.savefig(tmp_path / "boxes.png")


def trained_models():
    X, y = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0]
    models = {}
    for act in ("sigmoid", "relu"):
        model = nn.MLP(2, [6, 6, 6, 1], activation=act, seed=0)
        mg.sum([(model(x) - t) ** 2 for x, t in zip(X, y)]).backward()
        models[act] = model
    return models


def test_gradient_flow_plot_shows_each_layers_gradient(tmp_path, caplog):
    models = trained_models()
    fig = plots.plot_gradient_flow(models)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    heights = [p.get_height() for p in ax.patches]
    expected = [r.mean_abs_grad for m in models.values() for r in gradient_flow(m)]
    assert heights == pytest.approx(expected, rel=1e-12)
    assert "층별 기울기" in ax.get_title()
    save_cleanly(fig, tmp_path, caplog)
    english = plots.plot_gradient_flow(models, metric="bias_grad_norm", lang="en")
    assert r"$\|\partial L/\partial b\|$" in english.axes[0].get_ylabel() and "layer" in english.axes[0].get_xlabel()
    save_cleanly(english, tmp_path, caplog)


def test_math_in_labels_is_mathtext_not_the_korean_fonts_tiny_glyph(tmp_path, caplog):
    """NanumGothic draws ∂ tiny and misshapen: every ∂ and ‖ in a label is mathtext (DejaVu Sans glyphs)."""
    models = trained_models()
    figures = [
        plots.plot_gradient_flow(models, metric=m)
        for m in ("mean_abs_grad", "max_abs_grad", "grad_norm", "bias_grad_norm")
    ]
    history = {"gradient_flow": [[r.mean_abs_grad for r in gradient_flow(models["relu"])]] * 3}
    figures.append(plots.plot_gradient_flow_history(history))
    labels = [t for fig in figures for ax in fig.axes for t in (ax.get_xlabel(), ax.get_ylabel(), ax.get_title())]
    assert any(r"\partial" in t for t in labels)
    assert not any("∂" in t or "‖" in t for t in labels)
    for fig in figures:  # a narrow range gets labels between decades: every glyph found
        save_cleanly(fig, tmp_path, caplog)


def test_zero_gradients_are_marked_not_dropped(tmp_path, caplog):
    model = nn.MLP(2, [3, 3, 1], activation="sigmoid", init="zeros", seed=0)
    (model([1.0, 0.0]) - 1.0).backward()
    fig = plots.plot_gradient_flow({"zeros": model})
    markers = [line for line in fig.axes[0].lines if line.get_marker() == "x"]
    assert len(markers) == 1 and len(markers[0].get_xdata()) == 2  # both hidden layers have exactly 0
    save_cleanly(fig, tmp_path, caplog)


def test_the_notebooks_name_the_zero_marker_by_the_colour_it_is_drawn_in():
    """Notebook 05 told readers to look for a red × where plot_gradient_flow draws a grey one."""
    import json
    from pathlib import Path

    from matplotlib.colors import to_rgb

    model = nn.MLP(2, [3, 3, 1], activation="sigmoid", init="zeros", seed=0)
    (model([1.0, 0.0]) - 1.0).backward()
    (marker,) = [line for line in plots.plot_gradient_flow({"zeros": model}).axes[0].lines if line.get_marker() == "x"]
    r, g, b = to_rgb(marker.get_color())
    drawn = "회색" if max(r, g, b) - min(r, g, b) < 0.05 else "빨간" if r > 2 * max(g, b) else None
    notebooks = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    sentences = [
        line
        for path in notebooks
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
        if cell["cell_type"] == "markdown"
        for line in "".join(cell["source"]).splitlines()
        if "×로 표시" in line
    ]
    assert drawn and sentences
    assert all(f"{drawn} ×" in line for line in sentences), sentences


def test_activation_histograms_count_every_activation(tmp_path, caplog):
    rng = random.Random(0)
    X = [[rng.gauss(0, 1) for _ in range(20)] for _ in range(40)]
    rows = {
        "sigmoid": activation_stats(
            nn.MLP(20, [10] * 3, activation="sigmoid", output_activation="sigmoid", init="normal", seed=0), X
        ),
        "relu": activation_stats(
            nn.MLP(20, [10] * 3, activation="relu", output_activation="relu", init="he_normal", seed=0), X
        ),
    }
    fig = plots.plot_activation_histograms(rows)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 6
    for ax in axes:
        assert sum(p.get_height() for p in ax.patches) == 40 * 10
    assert axes[0].get_title() == "1층 (sigmoid)"
    assert axes[0].get_xlim()[0] <= 0.0 and axes[0].get_xlim()[1] >= 1.0
    save_cleanly(fig, tmp_path, caplog)


def test_activation_functions_with_derivatives_from_backward(tmp_path, caplog):
    fig = plots.plot_activation_functions(("sigmoid", "tanh", "relu"), x_range=(-3.0, 3.0), points=61)
    sig, tanh, relu = fig.axes[:3]
    xs, ds = sig.lines[0].get_xdata(), sig.lines[1].get_ydata()
    for x, d in zip(xs, ds):
        s = 1 / (1 + math.exp(-x))
        assert d == pytest.approx(s * (1 - s), rel=1e-12)
    assert max(ds) == pytest.approx(0.25)  # sigma' <= 1/4: the root of the vanishing gradient
    for x, d in zip(tanh.lines[0].get_xdata(), tanh.lines[1].get_ydata()):
        assert d == pytest.approx(1 - math.tanh(x) ** 2, rel=1e-12, abs=1e-15)
    relu_d = dict(zip(relu.lines[0].get_xdata(), relu.lines[1].get_ydata()))
    assert relu_d[0.0] == 0.0  # the engine's (and PyTorch's) choice at the kink
    save_cleanly(fig, tmp_path, caplog)
    with pytest.raises(ValueError, match="swish"):
        plots.plot_activation_functions(["swish"])


def history_by_hand(epochs=6):
    """What fit(..., track_gradients=True) records, made here the same way: after each epoch's last backward,
    [r.mean_abs_grad for r in gradient_flow(model)]."""
    X, y = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0]
    model = nn.MLP(2, [4, 4, 4, 1], activation="sigmoid", seed=0)
    flows = []
    for _ in range(epochs):
        model.zero_grad()
        mg.sum([(model(x) - t) ** 2 for x, t in zip(X, y)]).backward()
        flows.append([r.mean_abs_grad for r in gradient_flow(model)])
        for p in model.parameters():
            p.data -= 0.5 * p.grad
    flows[2][0] = 0.0  # an exactly-zero entry, as a zero-initialized layer gives
    return {"loss": [0.0] * epochs, "gradient_flow": flows}


def test_gradient_flow_history_is_a_layer_by_epoch_heatmap(tmp_path, caplog):
    history = history_by_hand()
    fig = plots.plot_gradient_flow_history(history)
    ax = fig.axes[0]
    image = ax.images[0]
    data = image.get_array()
    flows = history["gradient_flow"]
    assert data.shape == (4, 6)  # layers x epochs
    for e, row in enumerate(flows):
        for i, value in enumerate(row):
            if value > 0:
                assert data[i, e] == pytest.approx(value, rel=1e-12)
            else:
                assert bool(data.mask[i, e])  # exactly 0 has no place on a log scale: shown as the grey background
    assert type(image.norm).__name__ == "LogNorm"
    positive = [v for row in flows for v in row if v > 0]
    scale = colours.GradScale()  # the fixed scale of every picture: past its ends, the end colour
    assert (image.norm.vmin, image.norm.vmax) == (scale.low, scale.high) and scale.low == colours.FIXED_LOW
    for value in positive:  # the same colour as in the layer view
        assert image.cmap(image.norm(value))[:3] == pytest.approx(
            [int(scale.colour(value)[k : k + 2], 16) / 255 for k in (1, 3, 5)], abs=0.02
        )
    assert "에폭" in ax.get_xlabel() and "회색 = 0" in fig.axes[1].get_ylabel()
    save_cleanly(fig, tmp_path, caplog)
    with pytest.raises(ValueError, match="track_gradients=True"):
        plots.plot_gradient_flow_history({"loss": [1.0]})
    with pytest.raises(ValueError, match="same number of layers"):
        plots.plot_gradient_flow_history({"gradient_flow": [[1.0, 2.0], [1.0]]})


def test_a_model_with_every_gradient_zero_is_not_explained_as_a_zero_input(tmp_path, caplog):
    # Before backward every gradient is 0: "input was 0 or no path" would be a wrong explanation.
    fresh = nn.MLP(2, [3, 3, 1], activation="sigmoid", seed=0)
    zeros = nn.MLP(2, [3, 3, 1], activation="sigmoid", init="zeros", seed=0)
    (zeros([1.0, 0.0]) - 1.0).backward()  # after backward: its two hidden layers exactly 0, the output not
    fig = plots.plot_gradient_flow({"fresh": fresh, "zeros": zeros}, lang="en")
    labels = {line.get_label() for line in fig.axes[0].lines if line.get_marker() == "x"}
    assert labels == {
        "every gradient is 0: before backward(),\nor every path multiplies by 0 (all ReLUs off)",
        "gradient = 0 (input was 0 or no path)",
    }
    korean = plots.plot_gradient_flow(fresh)
    (marker,) = [line for line in korean.axes[0].lines if line.get_marker() == "x"]
    assert "backward()" in marker.get_label() and "기울기" in marker.get_label()
    save_cleanly(fig, tmp_path, caplog)


@pytest.mark.parametrize("epochs", [1, 3])
def test_the_heatmaps_epochs_are_whole_numbers(epochs):
    fig = plots.plot_gradient_flow_history({"gradient_flow": [[0.1, 0.01]] * epochs})
    fig.canvas.draw()
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    shown = [t for t in ax.get_xticks() if low <= t <= high]
    assert shown and all(t == int(t) and 1 <= t <= epochs for t in shown)  # no epoch 0.6 or 1.5


@pytest.mark.parametrize("huge", [1e300, 1e308])
def test_gradient_bars_near_the_ends_of_the_floats_stay_inside_the_axis(huge):
    # matplotlib's log autoscale overflows past ~1e290 and falls back to 1..10: bars of 1e300 were cut at 10.
    model = nn.MLP(2, [2, 2, 1], seed=0)
    for p, grad in zip(model.parameters(), [huge] * 6 + [1.0] * 6 + [5e-324] * 3):
        p.grad = grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.plot_gradient_flow(model)
        fig.savefig(io.BytesIO(), format="png")  # drawn: tick labels are made
    low, high = fig.axes[0].get_ylim()
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert sorted(heights) == [5e-324, 1.0, huge] and low <= 5e-324 and high >= huge
    for p in model.parameters():
        p.grad = huge
    low, high = plots.plot_gradient_flow(model).axes[0].get_ylim()
    assert low < huge <= high  # every bar has a length


def test_a_long_model_name_is_wrapped_in_the_legend_and_leaves_the_bars_their_room(tmp_path, caplog):
    """A 120-character name made constrained layout give up ('axes sizes collapsed to zero'): the legend ran off the
    figure with every name cut to 3 letters; a 50-character one squeezed the bars to half the width."""
    models = {}
    for name in ("x" * 120, "sigmoid, N(0,1/n), b~N(0,1), 폭 30, 시드 0, 학습률 0.1", "ReLU, He"):
        model = nn.MLP(2, [4, 4, 1], activation="sigmoid", seed=0)
        model([1.0, -1.0]).backward()
        models[name] = model
    fig = plots.plot_gradient_flow(models)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 'constrained_layout not applied' fails
        fig.savefig(io.BytesIO(), format="png")  # as a notebook draws it; measured below in its pixels
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    names = list(models)
    assert labels[0].replace("\n", "") == names[0]  # cut inside the one long word
    assert [label.replace("\n", " ") for label in labels[1:]] == names[1:]  # broken at spaces
    assert "\n" in labels[1] and "\n" not in labels[2]
    widest = max(viz_plots._columns(line) for label in labels for line in label.split("\n"))
    assert widest <= viz_plots.LEGEND_COLUMNS
    assert ax.get_position().width > 0.5  # of the figure's width: the bars keep most of it
    assert ax.get_legend().get_window_extent().x1 <= fig.bbox.x1 + 1  # the legend inside the figure
    save_cleanly(fig, tmp_path, caplog)


def test_a_long_row_name_of_the_activation_histograms_is_wrapped_inside_the_figure(tmp_path, caplog):
    """The row name is the first panel's y label: a 48-character one ran off the top of the figure."""
    name = "sigmoid, N(0,1/n), b~N(0,1), 폭 30, 시드 0, 학습률 0.1"
    rows = {
        name: activation_stats(nn.MLP(2, [8, 8, 1], activation="sigmoid", seed=0), [[0.0, 1.0], [1.0, 0.0]]),
        "ReLU": activation_stats(nn.MLP(2, [8, 8, 1], activation="relu", seed=0), [[0.0, 1.0], [1.0, 0.0]]),
    }
    fig = plots.plot_activation_histograms(rows)
    fig.savefig(io.BytesIO(), format="png")
    label = fig.axes[0].yaxis.label
    assert label.get_text().replace("\n", " ") == name
    box = label.get_window_extent()
    assert box.y0 >= 0 and box.y1 <= fig.bbox.y1  # inside the figure, top to bottom
    save_cleanly(fig, tmp_path, caplog)


def test_a_model_whose_name_starts_with_an_underscore_keeps_its_legend_entry():
    """matplotlib leaves out of a legend every label starting with '_': a model named '_base' was drawn with no
    name beside its bars (the pictures review found it)."""
    models = {}
    for name in ("_base", "wide"):
        model = nn.MLP(2, [4, 1], seed=0)
        model([1.0, -1.0]).backward()
        models[name] = model
    labels = [t.get_text() for t in plots.plot_gradient_flow(models).axes[0].get_legend().get_texts()]
    assert [label.lstrip("\u200b") for label in labels] == ["_base", "wide"]
