"""BackpropStepper: the chain rule one node at a time, its frames and its HTML export."""

import base64
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd_ko as mg
from micrograd_ko.diagnostics import gradient_flow
from micrograd_ko.engine import topological_order
from micrograd_ko.graph import fmt
from micrograd_ko.stepper import BackpropStepper

SVG = "{http://www.w3.org/2000/svg}"


def lecture_graph():
    a, b, c, f = (
        mg.Value(2.0, label="a"),
        mg.Value(-3.0, label="b"),
        mg.Value(10.0, label="c"),
        mg.Value(-2.0, label="f"),
    )
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = (d * f).tanh() * 2.0
    L.label = "L"
    return L, [a, b, c, f]


def leaf_sums(stepper):
    """The sum of every contribution the stepper added into each node."""
    sums = Counter()
    for step in stepper:
        for c in step.contributions:
            sums[c.parent] += c.product
    return sums


def test_contributions_into_each_leaf_sum_to_its_grad():
    L, leaves = lecture_graph()
    stepper = BackpropStepper(L)
    L.backward()
    sums = leaf_sums(stepper)
    for leaf in leaves:
        assert math.isclose(sums[leaf], leaf.grad, rel_tol=1e-12, abs_tol=1e-300)
        assert stepper.gradients[leaf] == pytest.approx(leaf.grad, rel=1e-12)


# Random graphs with node reuse: a list of values, each op combining earlier ones.
OPS = {
    "add": lambda x, y: x + y,
    "mul": lambda x, y: x * y,
    "sub": lambda x, y: x - y,
    "tanh": lambda x, y: x.tanh(),
    "sigmoid": lambda x, y: x.sigmoid(),
    "square": lambda x, y: x * x,
    "dot": lambda x, y: mg.dot([x, y], [y, x]),
}


@given(
    leaves=st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=4),
    steps=st.lists(
        st.tuples(st.sampled_from(sorted(OPS)), st.integers(0, 100), st.integers(0, 100)), min_size=1, max_size=8
    ),
)
def test_stepper_matches_backward_on_random_graphs(leaves, steps):
    values = [mg.Value(x) for x in leaves]
    leaf_values = list(values)
    for op, i, j in steps:
        values.append(OPS[op](values[i % len(values)], values[j % len(values)]))
    root = values[-1]
    if not root._prev:
        return
    stepper = BackpropStepper(root)
    root.backward()
    sums = leaf_sums(stepper)
    for leaf in leaf_values:
        assert math.isclose(sums.get(leaf, 0.0), leaf.grad, rel_tol=1e-12, abs_tol=1e-12)
    for step in stepper:  # the upstream gradient is complete when a node is reached
        assert math.isclose(step.upstream, step.node.grad, rel_tol=1e-12, abs_tol=1e-12)


def test_steps_walk_backward_in_topological_order():
    L, _ = lecture_graph()
    stepper = BackpropStepper(L)
    order = topological_order(L)
    assert [s.node for s in stepper] == [n for n in reversed(order) if n._prev]
    assert stepper[0].node is L and stepper[0].upstream == 1.0
    for step in stepper:
        assert [c.parent for c in step.contributions] == list(step.node._prev)
        assert [c.local for c in step.contributions] == list(step.node.local_grads())
        assert all(c.product == step.upstream * c.local for c in step.contributions)


def test_text_writes_the_chain_rule_with_numbers():
    L, _ = lecture_graph()
    stepper = BackpropStepper(L)
    step = stepper[2]  # d * f -> d and f
    text = stepper.text(2)
    assert "연쇄법칙" in text and "위에서 흘러온 기울기" in text
    for c in step.contributions:
        assert f"{fmt(step.upstream)} × {fmt(c.local)} = {fmt(c.product)}" in text
    assert "∂L/∂d +=" in text and "∂L/∂f +=" in text
    english = stepper.text(2, lang="en")
    assert "chain rule" in english and "upstream gradient" in english
    assert "출발: ∂L/∂L = 1" in stepper.text(0)


def highlighted(svg):
    root = ET.fromstring(svg.encode("utf-8"))
    return {g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if "current" in (g.get("class") or "").split()}


def test_each_frame_highlights_its_node_and_hides_future_gradients():
    L, _ = lecture_graph()
    stepper = BackpropStepper(L)
    order = topological_order(L)
    for i, step in enumerate(stepper):
        index = order.index(step.node)
        assert highlighted(stepper.svg(i)) == {f"v{index}", f"v{index}_op"}
    first = stepper.svg(0)
    shown = [(t.text or "").replace("\u200b", "") for t in ET.fromstring(first.encode("utf-8")).iter(f"{SVG}text")]
    assert shown.count("기울기 ?") == len(order) - 3  # only L and its two parents are known after step 1
    last = stepper.svg(len(stepper) - 1)
    assert "기울기 ?" not in last


def frame_svgs(page):
    """The SVG of each step's picture, decoded from its <img> data URI."""
    return [base64.b64decode(b).decode("utf-8") for b in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)]


def test_html_is_one_self_contained_page(tmp_path):
    L, _ = lecture_graph()
    stepper = BackpropStepper(L)
    path = tmp_path / "player.html"
    page = stepper.to_html(path)
    assert path.read_text(encoding="utf-8") == page
    assert len(frame_svgs(page)) == 1  # one drawing, its state changes per step
    assert re.findall(r'src="(?!data:)', page) == []  # nothing fetched from outside
    for outside in ("<link", "@import", "http:", "https:"):
        assert outside not in page.split("<script>")[0]
    ids = Counter(re.findall(r'\bid="([^"]+)"', page))
    assert ids and max(ids.values()) == 1
    for svg in frame_svgs(page):  # ids stay unique once the script inlines the pictures
        ids.update(re.findall(r'\bid="([^"]+)"', svg))
    assert max(ids.values()) == 1
    assert "이전" in page and "다음" in page
    assert "previous" in stepper.to_html(lang="en")


def test_saved_form_is_a_list_of_steps_without_controls():
    """What an untrusted notebook keeps: no script or style, so no buttons may be in the markup itself."""
    L, _ = lecture_graph()
    stepper = BackpropStepper(L)
    fragment = stepper._repr_html_()
    without_script = re.sub(r"<script>.*?</script>|<style>.*?</style>", "", fragment, flags=re.S)
    assert "<button" not in without_script and "<input" not in without_script and "<svg" not in without_script
    assert without_script.count('<li class="mgk-frame"') == len(stepper)
    assert "셀을 실행하면" in without_script  # the one line that says how to make it interactive
    # Saved, one step is shown: its text above its picture (the highlight on its node); the others' texts folded.
    stage = re.search(r'<div class="mgk-stage".*?</div>', without_script, re.S).group(0)
    assert stepper.text(0).split("\n")[0] in stage
    (svg,) = frame_svgs(fragment)
    assert highlighted(svg) >= {f"v{topological_order(L).index(stepper[0].node)}"}
    assert '<details class="mgk-all">' in without_script and "max-height:62vh" in stage


def test_notebook_fragment_has_its_own_ids():
    L, _ = lecture_graph()
    stepper = BackpropStepper(L)
    one, two = stepper._repr_html_(), stepper._repr_html_()
    assert "<html" not in one and "<script>" in one
    ids_one = set(re.findall(r'\bid="([^"]+)"', one))
    assert ids_one and not ids_one & set(re.findall(r'\bid="([^"]+)"', two))


def xor_deep(activation="sigmoid", seed=0):
    model = mg.nn.MLP(2, [4] * 4 + [1], activation=activation, seed=seed)
    X, y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
    loss = mg.sum([mg.losses.bce_with_logits(model(x), t) for x, t in zip(X, y)]) / 4
    return model, loss


def test_layer_by_layer_steps_match_backward():
    model, loss = xor_deep()
    stepper = BackpropStepper(loss, model=model)
    loss.backward()
    flow = gradient_flow(model)
    assert [s.layer for s in stepper] == [4, 3, 2, 1, 0]  # from the output layer down
    for step in stepper:
        assert math.isclose(step.weight_grad, flow[step.layer].mean_abs_grad, rel_tol=1e-12)
    for upper, lower in zip(stepper.steps, stepper.steps[1:]):
        assert upper.downstream == lower.upstream  # what one layer passes down is what the next receives
    sig = stepper[1]  # a sigmoid layer: its local derivative is at most 1/4
    assert 0 < sig.local <= 0.25 and stepper[0].local == 1.0  # the output layer is linear
    text = stepper.text(1)
    assert "4층" in text and "국소적 미분" in text and fmt(sig.weight_grad) in text
    assert f"기울기가 {sig.local:.2g}배가 됩니다" in text  # a whole sentence, not "기울기가 0.24배로"
    assert "layer 4" in stepper.text(1, lang="en")


def test_layer_by_layer_frames_highlight_the_layer_and_hide_the_layers_below():
    model, loss = xor_deep()
    stepper = BackpropStepper(loss, model=model)
    svg = stepper.svg(1)
    root = ET.fromstring(svg.encode("utf-8"))
    cells = {int(g.get("data-layer")): g for g in root.iter(f"{SVG}g") if "cell" in (g.get("class") or "").split()}
    assert "current" in cells[3].get("class").split()
    assert [cells[k].get("data-value") == "" for k in range(5)] == [True, True, True, False, False]
    page = stepper.to_html()
    pictures = frame_svgs(page)
    assert len(pictures) == len(stepper) + 1 == 6  # the saved view's shown step, then one per step for the live player
    assert pictures[0] == pictures[1].replace("_f0", "_s")


def test_bad_roots_give_clear_errors():
    with pytest.raises(TypeError, match="Value"):
        BackpropStepper(1.0)
    with pytest.raises(ValueError, match="leaf"):
        BackpropStepper(mg.Value(1.0))
    x = mg.Value(0.3)
    for _ in range(20):
        x = x.tanh()
    with pytest.raises(ValueError, match="max_steps"):
        BackpropStepper(x, max_steps=5)
    a = mg.Value(1.0)
    odd = mg.Value(2.0, (a,), "mystery")  # micrograd's constructor form: no local derivative known
    with pytest.raises(ValueError, match="local derivative"):
        BackpropStepper(odd)


def xor_batch(seed=0):
    """XOR MLP 2-4-4-1 on a batch of 4: 109 steps node by node."""
    model = mg.nn.MLP(2, [4, 4, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
    X, y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
    loss = mg.losses.bce([model(x) for x in X], y)
    return model, loss


def test_frames_share_one_layout(monkeypatch):
    """Node by node the graph is laid out once or twice (which layout fits), not once per step: the player's
    size follows the graph, not graph x steps (it was 68 MB for these 109 steps)."""
    from micrograd_ko.viz import node_view

    calls = []
    real = node_view.render
    monkeypatch.setattr(node_view, "render", lambda *a, **k: calls.append(1) or real(*a, **k))
    _, loss = xor_batch()
    stepper = BackpropStepper(loss)
    assert len(stepper) == 109
    fragment = stepper._repr_html_()
    assert len(calls) <= 2
    assert len(fragment) < 2_000_000
    assert fragment.count('class="mgk-img') == 1  # too many steps for a picture each: the last step's, once
    assert fragment.count('<li class="mgk-frame"') == 109


def test_svg_of_a_step_is_the_shared_drawing_in_that_state():
    L, _ = lecture_graph()
    stepper = BackpropStepper(L)
    order = topological_order(L)
    last = stepper.svg(len(stepper) - 1)
    texts = [(t.text or "").replace("\u200b", "") for t in ET.fromstring(last.encode("utf-8")).iter(f"{SVG}text")]
    for node in order:
        assert f"기울기 {fmt(node.grad if node.grad else stepper.gradients[node])}" in texts


def test_parameters_are_named_from_the_model_in_the_graph_and_the_stepper():
    model, loss = xor_batch()
    loss.backward()
    w = model.layers[1].neurons[2].w[3]
    b = model.layers[0].neurons[1].b
    svg = mg.render_svg(loss, model=model)
    shown = {(t.text or "").replace("\u200b", "") for t in ET.fromstring(svg.encode("utf-8")).iter(f"{SVG}text")}
    assert {"w[1][2][3]", "b[0][1]"} <= shown
    stepper = BackpropStepper(loss, model=model, by="node")
    assert stepper.names[w] == "w[1][2][3]" and stepper.names[b] == "b[0][1]"
    assert any(
        "∂L/∂w[1][2][3]" in stepper.text(i).replace("#", "") or "w[1][2][3]" in stepper.text(i)
        for i in range(len(stepper))
    )
    assert BackpropStepper(loss, model=model).by == "layer"
    with pytest.raises(ValueError, match="by"):
        BackpropStepper(loss, by="neuron")


def test_negative_zero_is_written_0():
    x, c, w = mg.Value(0.0, label="x"), mg.Value(3.0, label="c"), mg.Value(-0.1708, label="w")
    a = x * c
    a.label = "a"
    y = a * w
    y.label = "y"
    text = BackpropStepper(y).text(1)  # upstream -0.1708 into a, local derivative ∂a/∂c = x = 0
    assert "-0.1708 × 0 = 0" in text and "= -0 " not in text and fmt(-0.0) == "0"


def test_a_graph_too_big_to_draw_is_refused_before_the_walk():
    import tracemalloc

    xs = [mg.Value(0.001 * i) for i in range(1000)]
    ws = [mg.Value(0.002 * i) for i in range(1000)]
    root = mg.sum([mg.dot(ws, xs) for _ in range(199)])  # 199 dot nodes over 1,000 + 1,000 leaves
    tracemalloc.start()
    with pytest.raises(ValueError, match="max_nodes=2000") as caught:
        mg.BackpropStepper(root, max_steps=300)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "노드" in str(caught.value) and "model=" in str(caught.value)
    assert peak < 50_000_000  # no state per step was built (that took 1.9 GB)


def test_a_step_out_of_range_is_a_bilingual_index_error():
    a = mg.Value(2.0)
    stepper = mg.BackpropStepper(a * a + 1.0)
    assert stepper[-1] is stepper.steps[-1] and stepper[0:1] == stepper.steps[0:1]
    with pytest.raises(IndexError, match="there is no step 999") as caught:
        stepper[999]
    assert "999단계는 없습니다" in str(caught.value)
    assert list(stepper) == stepper.steps  # iteration still stops where the steps end


@pytest.mark.parametrize("index", ["a", 1.5, None])
def test_a_step_number_that_is_not_an_integer_is_a_bilingual_type_error(index):
    a = mg.Value(2.0)
    stepper = mg.BackpropStepper(a * a + 1.0)
    with pytest.raises(TypeError, match="a step number must be an integer") as caught:
        stepper[index]
    assert "단계 번호는 정수여야 합니다" in str(caught.value)


def test_layer_steps_explain_the_pictures_factor_as_sigma_prime_times_gain():
    model, loss = xor_deep()
    stepper = BackpropStepper(loss, model=model)
    loss.backward()
    table = {f.gain_layer: f for f in mg.diagnostics.layer_factors(model, loss)}
    for i, step in enumerate(stepper):
        text = stepper.text(i)
        if step.layer == 0:
            assert "가중치가 곱하는 배수" not in text  # nothing below the first layer
            continue
        f = table[step.layer]
        assert f"×{f.factor:.2g} = 아래층 σ′ {f.mean_local:.2g} × 이 층 가중치가 곱하는 배수 {f.gain:.2g}" in text


def test_notebook_01_names_the_current_nodes_border_by_the_colour_it_is_drawn_in():
    """Notebook 01 told readers the visited node has an orange border; the stepper draws it in HIGHLIGHT."""
    import json
    from pathlib import Path

    from matplotlib.colors import to_rgb

    from micrograd_ko.viz.colours import HIGHLIGHT

    r, g, b = to_rgb(HIGHLIGHT)
    drawn = "파란색" if b > max(r, g) else "주황색" if r > g > b else None
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "01_value_and_chain_rule.ipynb"
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    (sentence,) = [
        "".join(c["source"]) for c in cells if c["cell_type"] == "markdown" and "테두리가 지금" in "".join(c["source"])
    ]
    assert drawn and f"{drawn} 테두리가 지금 방문한 노드" in sentence


@pytest.mark.parametrize("by", ["node", "layer"])
def test_a_graph_changed_after_the_stepper_was_made_is_named_not_drawn_half_new(by):
    # In a notebook: the stepper is made, an optimizer step changes the weights, the stepper is shown again.
    # Its gradients and local derivatives are those of the old numbers: shown beside the new ones, they lie.
    model, loss = xor_batch()
    stepper = BackpropStepper(loss, model=model, by=by)
    stepper.text(0)
    weight = model.layers[0].neurons[0].w[0]
    before = weight.data
    weight.data += 0.5
    for show in (lambda: stepper.text(0), lambda: stepper.svg(0), lambda: stepper.to_html(), stepper._repr_html_):
        with pytest.raises(RuntimeError, match=r"BackpropStepper\(loss\)") as error:
            show()
        assert "바뀌었습니다" in str(error.value)
    weight.data = before  # the same numbers again: shown as before
    assert stepper.text(0)


def test_a_lecture_closure_node_is_refused_with_the_way_to_step_through_it():
    # The lecture's way to add an op (a _backward function) backpropagates, but holds no local derivative to show.
    x = mg.Value(0.5, label="x")
    out = mg.Value(math.tanh(0.5), (x,), "tanh")

    def _backward():
        x.grad += (1 - out.data**2) * out.grad

    out._backward = _backward
    with pytest.raises(ValueError, match="local derivative") as error:
        BackpropStepper(out)
    message = str(error.value)
    assert "_backward" in message and "Op" in message and "from_op" in message and " / " in message


def test_a_gradient_past_the_floats_is_refused_as_backward_refuses_it():
    # The forward pass is finite (1e-100), dy/dx = 1e400 is not: backward() raises, and the stepper showed "= inf".
    x = mg.Value(1e-300, label="x")
    y = (x * 1e200) * 1e200
    with pytest.raises(mg.engine.GradientOverflowError):
        y.backward()
    with pytest.raises(mg.engine.GradientOverflowError, match="'x'") as error:
        BackpropStepper(y)
    assert "float 범위" in str(error.value) and "float range" in str(error.value)
