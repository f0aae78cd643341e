"""The lecture's picture: `style='lecture'` draws what karpathy's `draw_dot` draws, and a neuron's `dot`
node is drawn as the lecture writes it (one `*` per input, then the `+` chain) with the right gradients."""

import math
import random
import re
import xml.etree.ElementTree as ET

import pytest
import test_graph

import micrograd_ko as mg
from micrograd_ko import nn
from micrograd_ko.graph import fmt
from micrograd_ko.viz.options import EXPAND_DOT_UP_TO

SVG = "{http://www.w3.org/2000/svg}"


def nodes_of(svg):
    """{graphviz node name: [its texts]} for every node of the SVG."""
    root = ET.fromstring(svg.encode("utf-8"))
    found = {}
    for g in root.iter(f"{SVG}g"):
        if "node" in (g.get("class") or "").split():
            found[g.find(f"{SVG}title").text] = [(t.text or "").replace("\u200b", "") for t in g.iter(f"{SVG}text")]
    return found


def edge_texts(svg):
    root = ET.fromstring(svg.encode("utf-8"))
    return [
        t.text for g in root.iter(f"{SVG}g") if "edge" in (g.get("class") or "").split() for t in g.iter(f"{SVG}text")
    ]


def ops_drawn(svg):
    """The op names drawn, one per op node (an op node's last text is its name)."""
    return sorted(texts[-1] for name, texts in nodes_of(svg).items() if name.endswith("_op"))


def lecture_example():
    """The first lecture's L = (a*b + c) * f, labelled as in the video, after backward()."""
    L, nodes = test_graph.lecture_graph()
    L.backward()
    return L, nodes


def test_lecture_style_is_the_lectures_draw_dot():
    L, values = lecture_example()
    g = mg.draw_graph(L, style="lecture", lang="en")
    source = g.source
    assert "rankdir=LR" in source
    # One record per value: { label | data %.4f | grad %.4f }, fields side by side.
    for v in values:
        assert f"{{{v.label}|data {v.data:.4f}|grad {v.grad:.4f}}}" in source
    assert "fillcolor" not in source and "style=filled" not in source  # no colours
    svg = mg.render_svg(L, style="lecture", lang="en", renderer="wasm")
    drawn = nodes_of(svg)
    assert sorted(t for name, t in drawn.items() if not name.endswith("_op")) == sorted(
        [v.label, f"data {v.data:.4f}", f"grad {v.grad:.4f}"] for v in values
    )
    assert ops_drawn(svg) == ["*", "*", "+"]
    assert "<ellipse" in svg and edge_texts(svg) == []  # op ellipses, no numbers on edges
    assert "기울기" not in svg and "|grad|" not in svg  # no caption, no colour bar
    # The record's fields are one strip: the same baseline, left to right.
    root = ET.fromstring(svg.encode("utf-8"))
    for g_ in root.iter(f"{SVG}g"):
        if "value" in (g_.get("class") or "").split():
            texts = list(g_.iter(f"{SVG}text"))
            assert len({t.get("y") for t in texts}) == 1
            xs = [float(t.get("x")) for t in texts]
            assert xs == sorted(xs)


def test_the_default_style_stays_ours_and_the_lecture_style_is_on_every_entry_point(tmp_path):
    L, values = lecture_example()
    ours = mg.draw_graph(L, lang="en").source
    assert "data 2.0000" not in ours and "data 2" in ours and "{ a |" not in ours
    saved = mg.save_graph(L, tmp_path / "lecture.svg", style="lecture", lang="en")
    assert ["L", "data -8.0000", "grad 1.0000"] in nodes_of(saved.read_text(encoding="utf-8")).values()
    assert ["f", "data -2.0000", "grad 4.0000"] in nodes_of(mg.render_svg(L, style="lecture", lang="en")).values()
    with pytest.raises(ValueError, match="style must be one of"):
        mg.draw_graph(L, style="video")


def test_lecture_style_leaves_unlabeled_values_unnamed_and_follows_the_language():
    x = mg.Value(1.0)
    y = (x * 2 + 1).relu()  # karpathy's trace_graph, first cell
    y.backward()
    source = mg.draw_graph(y, style="lecture", lang="en").source
    assert not any("#" in label for label in re.findall(r'label="([^"]*)"', source))  # no '#i' names
    assert "{|data 3.0000|grad 1.0000}" in source
    assert "데이터 3.0000" in mg.draw_graph(y, style="lecture", lang="ko").source


def test_lecture_style_does_not_combine_with_a_layer_grouping():
    model = nn.MLP(2, [3, 1], seed=0)
    loss = model([1.0, 2.0])
    with pytest.raises(ValueError, match="lecture"):
        mg.draw_graph(loss, style="lecture", group="layer", model=model)


def trace_graph_neuron():
    """karpathy's trace_graph.ipynb: a 2-input neuron on x = [1.0, -2.0]."""
    random.seed(1337)
    n = nn.Neuron(2)
    y = n([mg.Value(1.0), mg.Value(-2.0)])
    y.backward()
    return n, y


@pytest.mark.parametrize("style", ["default", "lecture"])
def test_the_lecture_neuron_has_one_product_per_input_then_the_sums(style):
    n, y = trace_graph_neuron()
    svg = mg.render_svg(y, style=style, renderer="wasm")
    assert ops_drawn(svg) == ["*", "*", "+", "+", "relu"]  # x1*w1, x2*w2, +, + b, relu: no 'dot'
    assert ops_drawn(mg.render_svg(y, style=style, expand_dot=False, renderer="wasm")) == ["+", "dot", "relu"]


@pytest.mark.parametrize("inputs", [1, 2, 3, 5, EXPAND_DOT_UP_TO])
def test_expanded_products_and_sums_carry_the_dot_nodes_gradient(inputs):
    xs = [mg.Value(0.3 * i - 0.7, label=f"x{i}") for i in range(inputs)]
    ws = [mg.Value(0.5 - 0.2 * i, label=f"w{i}") for i in range(inputs)]
    d = mg.dot(ws, xs)
    b = mg.Value(0.1, label="b")
    out = (d + b).tanh()
    out.backward()
    svg = mg.render_svg(out, lang="en", renderer="wasm")
    drawn = nodes_of(svg)
    assert ops_drawn(svg).count("*") == inputs and "dot" not in ops_drawn(svg)
    assert ops_drawn(svg).count("+") == max(inputs - 1, 0) + 1
    dot_id = next(
        name
        for name, texts in drawn.items()
        if f"data {fmt(d.data)}" in texts and not name.endswith("_op") and name.count("_") == 0
    )
    products = {name: texts for name, texts in drawn.items() if re.fullmatch(rf"{dot_id}_p\d+", name)}
    sums = {name: texts for name, texts in drawn.items() if re.fullmatch(rf"{dot_id}_s\d+", name)}
    assert len(products) == (inputs if inputs > 1 else 0) and len(sums) == max(inputs - 2, 0)
    for i in range(inputs if inputs > 1 else 0):
        texts = products[f"{dot_id}_p{i}"]
        assert texts == [f"w{i}*x{i}", f"data {fmt(ws[i].data * xs[i].data)}", f"grad {fmt(d.grad)}"]
    for k in range(1, inputs - 1):
        assert sums[f"{dot_id}_s{k}"] == [
            f"data {fmt(math.fsum(w.data * x.data for w, x in zip(ws[: k + 1], xs[: k + 1])))}",
            f"grad {fmt(d.grad)}",
        ]
    # The chain rule reads off the picture: w_i.grad = (product's grad) * (local derivative x_i on its edge).
    for w, x in zip(ws, xs):
        assert w.grad == pytest.approx(d.grad * x.data) and fmt(x.data) in edge_texts(svg)


def test_a_dot_over_the_cut_off_or_with_an_overflowing_product_stays_one_node():
    xs = [mg.Value(0.1 * i) for i in range(EXPAND_DOT_UP_TO + 1)]
    big = mg.dot(xs, xs)
    assert ops_drawn(mg.render_svg(big, renderer="wasm")) == ["dot"]
    # 1e200 * 1e200 overflows while the dot (exact, = 0) does not: the steps drawn would be inf.
    a, b = mg.Value(1e200), mg.Value(-1e200)
    exact = mg.dot([a, b], [a, a])
    assert exact.data == 0.0
    assert ops_drawn(mg.render_svg(exact, renderer="wasm")) == ["dot"]
    assert ops_drawn(mg.render_svg(exact, expand_dot=True, renderer="wasm")) == ["dot"]


def test_gradients_given_as_a_mapping_keep_the_dot_node_unless_asked():
    n, y = trace_graph_neuron()
    grads = {v: v.grad for v in mg.engine.topological_order(y)}
    assert "dot" in ops_drawn(mg.render_svg(y, grads=grads, renderer="wasm"))  # the stepper's frames: one node per step
    assert "dot" not in ops_drawn(mg.render_svg(y, grads=grads, expand_dot=True, renderer="wasm"))


def test_an_op_with_many_inputs_writes_each_local_derivative_where_its_edge_arrives():
    # Edge labels around a many-input op crowd and sit on each other's edges: the numbers go
    # into the op node, one field (port) per input, and the inputs are ordered like the fields.
    xs = [mg.Value(0.5 * i, label=f"x{i}") for i in range(EXPAND_DOT_UP_TO + 2)]
    ws = [mg.Value(1.0 - 0.1 * i, label=f"w{i}") for i in range(len(xs))]
    d = mg.dot(ws, xs)
    d.backward()
    for rankdir in ("LR", "TB"):
        g = mg.draw_graph(d, rankdir=rankdir)
        op = next(name for name in nodes_of(g.svg()) if name.endswith("_op"))
        for k in range(len(d.local_grads())):
            assert f"-> {op}:p{k}" in g.source
        svg = g.svg()
        assert nodes_of(svg)[op] == [fmt(local) for local in d.local_grads()] + ["dot"]
        assert edge_texts(svg) == []  # no numbers left on the edges
        assert "numbers in op fields: local derivatives" in mg.render_svg(d, rankdir=rankdir, lang="en")
    # Two inputs keep their numbers on the edges.
    two = mg.Value(2.0, label="a") * mg.Value(3.0, label="b")
    two.backward()
    assert sorted(edge_texts(mg.render_svg(two))) == ["2", "3"]


def test_an_op_with_more_inputs_than_fields_allow_is_drawn_without_numbers():
    from micrograd_ko.viz.node_view import MAX_LOCAL_FIELDS

    xs = [mg.Value(0.1 * i, label=f"x{i}") for i in range(MAX_LOCAL_FIELDS + 1)]
    s = mg.sum(xs)
    s.backward()
    svg = mg.render_svg(s, lang="en")
    assert ops_drawn(svg) == ["sum"] and edge_texts(svg) == []
    assert "local derivatives" not in svg  # the caption does not promise numbers that are not drawn
    assert "numbers in op fields" in mg.render_svg(mg.sum(xs[:MAX_LOCAL_FIELDS]), lang="en")


def test_the_lectures_neuron_is_shown_readable_in_a_notebook_scrolling_sideways():
    from micrograd_ko.viz import display

    x1, x2 = mg.Value(2.0, label="x1"), mg.Value(0.0, label="x2")
    w1, w2 = mg.Value(-3.0, label="w1"), mg.Value(1.0, label="w2")
    o = (x1 * w1 + x2 * w2 + mg.Value(6.8813735870195432, label="b")).tanh()
    o.label = "o"
    o.backward()
    g = mg.draw_graph(o, style="lecture", lang="en")
    bundle = g._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert svg == g.svg() and not display.fits(svg)  # the lecture's left-to-right records, as drawn, too wide to fit
    assert ["o", "data 0.7071", "grad 1.0000"] in nodes_of(svg).values()
    page = bundle["text/html"]
    box = re.search(r'<div class="mgk-scroll" style="([^"]*)"><img [^>]*width="([0-9]+)" style="([^"]*)"', page)
    assert box and "overflow-x:auto" in box[1] and "max-width:none" in box[3]  # not scaled down to the output
    shown = int(box[2])
    assert shown > display.OUTPUT_WIDTH and display.on_screen_text(svg, shown) >= display.SCROLL_TEXT - 0.1
    assert "scroll sideways" in page
    # the default style still fits by turning, never scrolls
    assert "mgk-scroll" not in mg.draw_graph(o)._repr_mimebundle_()["text/html"]
