"""Misusing the drawing, stepping and diagnostic tools: a clear error naming the argument, in both languages,
where the argument is given; never a raw Python error from inside the library, never silently ignored.
And nn.Sequential of Layers works with every layer tool."""

import math
import re

import pytest

import micrograd_ko as mg
from micrograd_ko import i18n, nn
from micrograd_ko.diagnostics import activation_stats, gradient_flow, layer_factors
from micrograd_ko.graph import DrawOptions, draw_graph, render_svg, save_graph
from micrograd_ko.stepper import BackpropStepper
from micrograd_ko.viz import plots
from micrograd_ko.viz.layer_view import compare_gradient_flow, gradient_flow_player
from micrograd_ko.viz.replay import training_replay

XOR_X, XOR_Y = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0]


def small_graph():
    x, w = mg.Value(2.0, label="x"), mg.Value(-3.0, label="w")
    y = (x * w).tanh()
    y.label = "y"
    return y, x, w


def mse(model):
    outs = [model(x) for x in XOR_X]
    outs = [o[0] if isinstance(o, list) else o for o in outs]
    return mg.sum([(o - t) ** 2 for o, t in zip(outs, XOR_Y)])


def sequential(seed=0):
    """Layers with a Dropout between them (in evaluation mode: the same graph on every call)."""
    model = nn.Sequential(
        nn.Layer(2, 3, "tanh", rng=seed),
        nn.Dropout(0.2, rng=seed),
        nn.Layer(3, 2, "sigmoid", rng=seed + 1),
        nn.Layer(2, 1, "linear", rng=seed + 2),
    )
    return model.eval()


@pytest.fixture
def korean_only():
    """Messages in Korean only, as the Korean notebooks set them: the Korean half alone must name the value."""
    i18n.set_message_language("ko")
    yield
    i18n.set_message_language(None)


# -- drawing options ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "option", ["show_grad", "legend", "repeat_shared_leaves", "fit", "collapse_params", "show_local", "compact"]
)
def test_a_yes_no_option_refuses_anything_but_true_or_false_naming_it(option):
    y, _, _ = small_graph()
    with pytest.raises(TypeError, match=rf"{option} must be True(?: or False|, False or None), got 'no'"):
        render_svg(y, **{option: "no"})
    with pytest.raises(TypeError, match=option):
        DrawOptions(**{option: 1})  # 1 is not True here either: the option takes a bool
    with pytest.raises(TypeError, match="embed_font"):
        render_svg(y, embed_font="no")


def test_optional_yes_no_options_still_take_none():
    y, _, _ = small_graph()
    opts = DrawOptions(show_local=None, compact=None, name_unlabeled=None, expand_dot=None)
    assert opts.show_local is None
    assert "<svg" in render_svg(y, opts, embed_font=False)


def test_rankdir_in_any_case_and_a_bad_one_lists_the_valid_values():
    y, _, _ = small_graph()
    assert DrawOptions(rankdir="tb").rankdir == "TB"
    assert draw_graph(y, rankdir="tb").graph_attr["rankdir"] == "TB"
    with pytest.raises(ValueError, match=r"rankdir must be one of \('LR', 'TB', 'RL', 'BT'\), got 'up'"):
        DrawOptions(rankdir="up")
    with pytest.raises(ValueError, match="rankdir"):
        DrawOptions(rankdir=3)


def test_highlight_of_the_wrong_type_is_refused_at_construction():
    with pytest.raises(TypeError, match=r"highlight must be a Value or a node's name .*got 3"):
        DrawOptions(highlight=3)
    with pytest.raises(TypeError, match="highlight"):
        DrawOptions(highlight=[mg.Value(1.0), 2])


def test_highlight_by_label_marks_that_node_and_a_foreign_node_or_unknown_name_is_refused():
    y, x, w = small_graph()
    by_label = render_svg(y, highlight="x", embed_font=False)
    by_value = render_svg(y, highlight=x, embed_font=False)
    assert by_label == by_value
    assert by_label.count("current") >= 1
    assert render_svg(y, embed_font=False).count("current") == 0
    with pytest.raises(ValueError, match=r"highlight='nope': no node in this graph"):
        draw_graph(y, highlight="nope")
    with pytest.raises(ValueError, match="is not in this graph"):
        draw_graph(y, highlight=mg.Value(5.0))
    a, b = mg.Value(1.0, label="twin"), mg.Value(2.0, label="twin")
    with pytest.raises(ValueError, match=r"highlight='twin': 2 nodes in this graph"):
        draw_graph(a * b, highlight="twin")


def test_highlight_by_the_drawn_names_of_parameters_and_unlabeled_nodes():
    model = nn.MLP(2, [2, 1], seed=0)
    loss = mse(model)
    weight = model.layers[1].neurons[0].w[1]
    by_name = render_svg(loss, model=model, highlight="w[1][0][1]", embed_font=False)
    assert by_name == render_svg(loss, model=model, highlight=weight, embed_font=False)
    with pytest.raises(ValueError, match="highlight"):
        draw_graph(loss, group="layer", model=model, highlight=weight)  # the layer view draws no node


def test_grads_must_map_values_to_numbers():
    y, x, _ = small_graph()
    with pytest.raises(TypeError, match="grads must be a dict node -> gradient, got list"):
        DrawOptions(grads=[1, 2])
    with pytest.raises(TypeError, match=r"must be a real number \(a gradient\), got 'a'"):
        draw_graph(y, grads={x: "a"})
    with pytest.raises(TypeError, match="keys of grads must be Values"):
        draw_graph(y, grads={"x": 1.0})
    assert "<svg" in render_svg(y, grads={x: 0.5}, embed_font=False)


def test_save_graph_and_render_svg_check_path_and_renderer_before_drawing(tmp_path):
    y, _, _ = small_graph()
    with pytest.raises(TypeError, match="path must be a file name .*got None"):
        save_graph(y, None)
    with pytest.raises(ValueError, match="renderer must be 'auto', 'dot' or 'wasm', got 'gv'"):
        render_svg(y, renderer="gv")
    with pytest.raises(ValueError, match="renderer"):
        save_graph(y, tmp_path / "g.svg", renderer="gv")
    assert not (tmp_path / "g.svg").exists()


def test_a_model_that_is_not_one_is_refused_when_the_options_are_made():
    with pytest.raises(TypeError, match=r"cannot find the layers of the model \(int\)"):
        DrawOptions(model=3)


# -- the stepper ----------------------------------------------------------------------------


def test_stepper_indices_behave_like_a_lists_and_bad_ones_are_clear():
    y, _, _ = small_graph()
    stepper = BackpropStepper(y)
    n = len(stepper)
    assert stepper.text(-1) == stepper.text(n - 1)
    assert stepper.text(-1).startswith(f"{n}/{n}단계")
    assert stepper.text(-n).startswith(f"1/{n}단계")
    assert stepper.svg(-1) == stepper.svg(n - 1)
    for call in (stepper.text, stepper.svg, stepper.graph):
        with pytest.raises(IndexError, match=rf"there is no step 99: steps run from 0 to {n - 1}"):
            call(99)
        with pytest.raises(IndexError, match="no step"):
            call(-n - 1)
        with pytest.raises(TypeError, match="a step number must be an integer, got '1'"):
            call("1")


def test_stepper_arguments_are_checked_at_construction():
    y, _, _ = small_graph()
    with pytest.raises(ValueError, match="max_steps must be a positive int, got 'a'"):
        BackpropStepper(y, max_steps="a")
    with pytest.raises(ValueError, match="max_steps must be a positive int, got 0"):
        BackpropStepper(y, max_steps=0)
    with pytest.raises(ValueError, match="max_nodes"):
        BackpropStepper(y, max_nodes=True)
    with pytest.raises(ValueError, match="rankdir must be one of .* got 'up'"):
        BackpropStepper(y, rankdir="up")
    assert BackpropStepper(y, rankdir="tb").rankdir == "TB"


def test_a_stepper_model_whose_parameters_the_graph_does_not_use_is_refused():
    model, other = nn.MLP(2, [2, 1], seed=0), nn.MLP(2, [2, 1], seed=1)
    loss = mse(model)
    for by in ("node", "layer"):
        with pytest.raises(ValueError, match="uses none of the parameters"):
            BackpropStepper(loss, model=other, by=by)


@pytest.mark.parametrize("name", ["steps.png", "steps", "steps.svg"])
def test_to_html_needs_an_html_name_and_writes_nothing_else(tmp_path, name):
    y, _, _ = small_graph()
    with pytest.raises(ValueError, match="must end in .html"):
        BackpropStepper(y).to_html(tmp_path / name)
    assert not (tmp_path / name).exists()
    assert BackpropStepper(y).to_html(tmp_path / "steps.HTML").startswith("<!DOCTYPE html>")


# -- the layer view and its players -----------------------------------------------------------


def tracked_history(model, epochs=3):
    flows = []
    for _ in range(epochs):
        model.zero_grad()
        mse(model).backward()
        flows.append([r.mean_abs_grad for r in gradient_flow(model)])
    return {"gradient_flow": flows}


def test_gradient_flow_player_refuses_a_model_of_another_depth():
    model = nn.MLP(2, [3, 3, 1], seed=0)
    history = tracked_history(model)
    assert len(gradient_flow_player(history, model)) == 3
    for other in (nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 3, 3, 1], seed=0)):
        with pytest.raises(ValueError, match=r"the model has \d layers but history's gradient_flow records 3"):
            gradient_flow_player(history, other)
    with pytest.raises(ValueError, match="max_frames"):
        gradient_flow_player(history, model, max_frames=0)
    with pytest.raises(ValueError, match=r"gradient_flow\[1\] must be a list"):
        gradient_flow_player({"gradient_flow": [[0.1], "x"]})
    with pytest.raises(ValueError, match="must end in .html"):
        gradient_flow_player(history, model).to_html("flow.png")


def test_compare_gradient_flow_refuses_swapped_losses():
    m1, m2 = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 1], seed=1)
    l1, l2 = mse(m1), mse(m2)
    l1.backward()
    l2.backward()
    assert compare_gradient_flow({"a": m1, "b": m2}, losses={"a": l1, "b": l2}).factors["a"]
    with pytest.raises(ValueError, match=r"none of the parameters of the model 'a'.*swapped"):
        compare_gradient_flow({"a": m1, "b": m2}, losses={"a": l2, "b": l1})
    with pytest.raises(ValueError, match="swapped"):
        layer_factors(m1, l2)


def test_training_replay_of_an_empty_dict_says_what_the_dict_must_hold(tmp_path):
    with pytest.raises(ValueError, match="the models dict is empty: it must map at least one name to a model"):
        training_replay({}, XOR_X, XOR_Y)
    with pytest.raises(TypeError, match="takes a dict name -> model, got list"):
        training_replay([nn.MLP(2, [1])], XOR_X, XOR_Y)
    with pytest.raises(ValueError, match="lr"):
        training_replay({"m": nn.MLP(2, [1])}, XOR_X, XOR_Y, lr=True)
    replay = training_replay({"m": nn.MLP(2, [2, 1], seed=0)}, XOR_X, XOR_Y, epochs=2, frames=2)
    with pytest.raises(ValueError, match="must end in .html"):
        replay.to_html(tmp_path / "replay.png")


def test_a_bad_second_model_is_refused_before_the_first_is_trained():
    first = nn.MLP(2, [2, 1], seed=0)
    before = [p.data for p in first.parameters()]
    with pytest.raises(TypeError, match="cannot find the layers"):
        training_replay({"ok": first, "bad": 3}, XOR_X, XOR_Y, epochs=2)
    assert [p.data for p in first.parameters()] == before


# -- diagnostics and plots -------------------------------------------------------------------------


def test_activation_stats_names_the_bad_sample():
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match=r"X\[0\]\[0\] = 'a': expected a number"):
        activation_stats(model, [["a", "b"]])
    with pytest.raises(ValueError, match=r"X\[1\]\[1\] = nan: expected a finite number"):
        activation_stats(model, [[1.0, 2.0], [1.0, float("nan")]])
    with pytest.raises(TypeError, match=r"but X\[0\] = 3.0"):
        activation_stats(model, [3.0, 4.0])
    with pytest.raises(ValueError, match=r"low must be below high, got low=0.9, high=0.1"):
        activation_stats(model, [[1.0, 2.0]], low=0.9, high=0.1)
    with pytest.raises(TypeError, match="low must be a finite real number"):
        activation_stats(model, [[1.0, 2.0]], low="a")


def test_activation_stats_of_huge_but_finite_outputs_stay_finite():
    model = nn.MLP(2, [3, 1], activation="relu", seed=0)
    stats = activation_stats(model, [[1e308, 1e308], [-1e308, -1e308]])
    for s in stats:
        assert math.isfinite(s.mean) and math.isfinite(s.std)
        flat = s.values
        # against the definition, computed here on values scaled down by 2**-1024 (exact)
        scaled = [math.ldexp(a, -1024) for a in flat]
        mean = math.fsum(scaled) / len(scaled)
        std = math.sqrt(math.fsum((a - mean) ** 2 for a in scaled) / len(scaled))
        assert s.mean == pytest.approx(math.ldexp(mean, 1024), rel=1e-12)
        assert s.std == pytest.approx(math.ldexp(std, 1024), rel=1e-12)


def test_layer_factors_refuses_grads_that_are_not_a_mapping():
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match="grads must be a dict node -> gradient, got list"):
        layer_factors(model, grads=[1, 2])


def test_plot_activation_functions_checks_its_range_points_and_bins():
    with pytest.raises(ValueError, match=r"x_range must be two numbers .*got \(-1e\+308, 1e\+308\)"):
        plots.plot_activation_functions(["tanh"], x_range=(-1e308, 1e308))
    with pytest.raises(ValueError, match="points must be an int from 2 to"):
        plots.plot_activation_functions(["tanh"], points="a")
    with pytest.raises(ValueError, match="x_range"):
        plots.plot_activation_functions(["tanh"], x_range="ab")
    fig = plots.plot_activation_functions(["tanh", "relu"], x_range=(-1e100, 1e100), points=5)
    assert all(math.isfinite(v) for ax in fig.axes[:2] for line in ax.lines for v in line.get_ydata())
    stats = activation_stats(nn.MLP(2, [3, 1], seed=0), XOR_X)
    with pytest.raises(ValueError, match="bins must be an int"):
        plots.plot_activation_histograms(stats, bins=0)


# -- nn.Sequential in the layer tools -----------------------------------------------------------------


def test_sequential_of_layers_works_with_every_layer_tool(tmp_path):
    model = sequential()
    loss = mse(model)
    loss.backward()
    records = gradient_flow(model)
    assert [r.layer for r in records] == [0, 2, 3]  # places in model.parts; the Dropout has no weights
    weights = model.parts[2].neurons[0].w + model.parts[2].neurons[1].w
    assert records[1].mean_abs_grad == pytest.approx(math.fsum(abs(w.grad) for w in weights) / 6, rel=1e-12)
    assert [s.layer for s in activation_stats(model, XOR_X)] == [0, 2, 3]

    view = compare_gradient_flow({"seq": model}, losses={"seq": loss})
    svg = view.svg()
    assert "2층 · 가중치 없음" in svg  # the Dropout's place, labelled
    assert len(re.findall(r'class="factor"', svg)) == 2  # the factor into layer 1 is drawn across the gap
    factors = view.factors["seq"]
    assert [f.gain_layer for f in factors] == [2, 3, None]

    assert type(draw_graph(loss, group="layer", model=model)).__name__ == "LayerView"
    neurons = draw_graph(loss, group="layer", detail="neurons", model=model)
    assert "parts[2]" in neurons.source and "layers[" not in neurons.source

    by_layer = BackpropStepper(loss, model=model)
    assert [s.layer for s in by_layer] == [3, 2, 0]
    assert "parts[0]" in by_layer.text(-1)
    assert by_layer.svg(0).startswith("<svg")
    by_node = BackpropStepper(loss, model=model, by="node")
    assert any("w[2][1][0]" in by_node.text(i) for i in range(len(by_node)))


def test_sequential_with_a_part_that_is_not_a_layer_says_what_is_supported():
    for inner in (nn.MLP(2, [2, 1], seed=0), nn.Neuron(2), nn.Sequential(nn.Layer(2, 1, rng=0))):
        model = nn.Sequential(inner)
        with pytest.raises(
            TypeError, match=r"model.parts\[0\] .* has parameters but no `neurons`.*nn.Sequential of nn.Layer"
        ):
            gradient_flow(model)


def test_dropout_refuses_input_that_is_not_values_or_numbers():
    drop = nn.Dropout(0.5, rng=0)
    with pytest.raises(TypeError, match="Dropout takes a Value, or a list of Values .*got 'ab'"):
        drop("ab")
    with pytest.raises(TypeError, match="Dropout takes"):
        drop.eval()([1.0, "a"])  # refused in evaluation mode too, not passed on
    assert drop.train()([mg.Value(1.0), 2.0])  # Values and numbers are fine


# -- the Korean half names the value too (finding 14) -------------------------------------------------------


@pytest.mark.parametrize(
    "call, shown",
    [
        (lambda: DrawOptions(style="fancy"), "'fancy'"),
        (lambda: DrawOptions(rankdir="up"), "'up'"),
        (lambda: DrawOptions(group="neuron"), "'neuron'"),
        (lambda: DrawOptions(detail="all"), "'all'"),
        (lambda: DrawOptions(max_nodes=0), "0"),
        (lambda: DrawOptions(show_grad="no"), "'no'"),
        (lambda: draw_graph(3), "int"),
        (lambda: render_svg(object()), "object"),
        (lambda: BackpropStepper(3), "int"),
        (lambda: BackpropStepper(small_graph()[0], by="edge"), "'edge'"),
        (lambda: BackpropStepper(small_graph()[0]).text(99), "99"),
        (lambda: compare_gradient_flow([1]), "list"),
        (lambda: training_replay({"m": nn.MLP(2, [1])}, XOR_X, XOR_Y, loss="hinge"), "'hinge'"),
        (lambda: plots.plot_gradient_flow(nn.MLP(2, [1]), metric="x"), "'x'"),
    ],
)
def test_the_korean_message_names_the_bad_value(korean_only, call, shown):
    with pytest.raises((TypeError, ValueError, IndexError)) as caught:
        call()
    message = str(caught.value)
    assert not re.search(r"\b(got|must)\b", message)  # the Korean half only
    assert shown in message


def test_the_report_section_refuses_a_figures_flag_that_is_not_a_bool():
    from micrograd_ko.viz.report import section_html

    with pytest.raises(TypeError, match="figures must be True or False, got 'no'"):
        section_html(None, figures="no")


def test_records_lists_are_checked_and_take_no_loss():
    model = nn.MLP(2, [3, 1], seed=0)
    loss = mse(model)
    loss.backward()
    records = gradient_flow(model)
    with pytest.raises(ValueError, match="'r' is a list of records, which cannot use a loss"):
        compare_gradient_flow({"r": records}, losses={"r": loss})
    with pytest.raises(TypeError, match=r"the list for 'm' must be diagnostics.gradient_flow\(model\) records"):
        plots.plot_gradient_flow({"m": [1, 2]})
    assert plots.plot_gradient_flow({"m": records}).axes


def test_what_draw_graph_cannot_draw_is_named_with_what_to_do():
    x = mg.Value(1.0, label="x")
    with pytest.raises(TypeError, match=r"\[1\].*float") as error:
        mg.draw_graph([x, 2.0])  # a list is drawn: the item that is not a Value is the problem
    assert "[1]" in str(error.value).split(" / ")[0]
    with pytest.raises(TypeError, match="empty"):
        mg.draw_graph([])
    model = mg.nn.MLP(2, [3, 1], seed=0)
    for call in (mg.draw_graph, mg.render_svg):
        with pytest.raises(TypeError, match=r"group='layer', model=model") as error:
            call(model)  # a model is not a graph: the layer view is drawn from its loss
        assert "손실" in str(error.value)


def test_activation_histograms_of_a_model_or_of_other_records_say_what_to_pass():
    model = nn.MLP(2, [3, 1], seed=0)
    # plot_gradient_flow takes a model; its neighbour takes activation_stats(model, X): a model is named, with the call
    for call in (
        lambda: plots.plot_activation_histograms(model),
        lambda: plots.plot_activation_histograms(model, XOR_X),
    ):
        with pytest.raises(TypeError, match=r"activation_stats\(model, X\)") as error:
            call()
        assert "MLP" in str(error.value) and "activation_stats(모델, X)" in str(error.value)
    with pytest.raises(TypeError, match=r"activation_stats\(model, X\)"):
        plots.plot_activation_histograms({"m": [1, 2]})
    assert plots.plot_activation_histograms(activation_stats(model, XOR_X)).axes


def test_options_that_the_drawing_would_ignore_are_refused():
    # detail= only means something in a layer grouping, expand_dot=True only node by node: silently dropped before.
    model = nn.MLP(2, [3, 1], seed=0)
    for detail in ("neurons", "layers"):
        with pytest.raises(ValueError, match="group='layer'") as error:
            DrawOptions(detail=detail, model=model)
        assert "층" in str(error.value) and repr(detail) in str(error.value)
    with pytest.raises(ValueError, match="expand_dot=True") as error:
        DrawOptions(group="layer", model=model, expand_dot=True)
    assert "group='layer'" in str(error.value)
    assert DrawOptions(group="layer", model=model, detail="neurons", expand_dot=False).detail == "neurons"
