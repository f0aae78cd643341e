"""The layer view: one row per layer, a continuous log colour scale, the factor between layers, models side by side."""

import base64
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import micrograd_ko as mg
from micrograd_ko import losses, nn
from micrograd_ko.diagnostics import gradient_flow
from micrograd_ko.viz import LayerView, colours, display, fonts

SVG = "{http://www.w3.org/2000/svg}"
VANISHING = colours.VANISHING_BELOW
XOR = ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
SCREENSHOTS = Path(__file__).parent / "screenshots"


def after_backward(activation="sigmoid", init="uniform", hidden=10, seed=0, width=10, with_loss=False):
    model = nn.MLP(2, [width] * hidden + [1], activation=activation, init=init, seed=seed)
    loss = xor_loss(model)
    loss.backward()
    return (model, loss) if with_loss else model


def xor_loss(model):
    X, y = XOR
    return mg.sum([losses.bce_with_logits(model(x), t) for x, t in zip(X, y)]) / len(X)


def cells(svg):
    """{layer index: (fill colour, shown text)} of every cell of a one-model layer view."""
    root = ET.fromstring(svg.encode("utf-8"))
    found = {}
    for g in root.iter(f"{SVG}g"):
        if "cell" in (g.get("class") or "").split():
            found[int(g.get("data-layer"))] = (g.find(f"{SVG}rect").get("fill"), g.find(f"{SVG}text").text)
    return found


def texts_of(svg):
    return [t.text or "" for t in ET.fromstring(svg.encode("utf-8")).iter(f"{SVG}text")]


def luminance(fill):
    r, g, b = colours._rgb(fill)
    return 0.299 * r + 0.587 * g + 0.114 * b


@pytest.fixture(scope="module")
def flagship_pair():
    return after_backward(with_loss=True)


@pytest.fixture(scope="module")
def flagship(flagship_pair):
    return flagship_pair[0]


def test_small_is_loud_the_weakest_layer_is_the_darkest_red_and_shortest_bar(flagship_pair):
    model, loss = flagship_pair
    svg = mg.draw_graph(loss, group="layer", model=model).svg()
    width_attr = ET.fromstring(svg.encode("utf-8")).get("width")
    assert width_attr.endswith("px") and float(width_attr[:-2]) <= 850
    assert display.fits(svg)  # every text at least 10 px at a notebook's width
    flow = [r.mean_abs_grad for r in gradient_flow(model)]
    shown = cells(svg)
    weakest_first = sorted(range(11), key=lambda i: flow[i])
    fills = [shown[i][0] for i in weakest_first]
    assert len(set(fills)) == 11
    # Colour strength ordered by size: the weaker, the darker; the weakest is a deep red.
    assert all(luminance(a) < luminance(b) for a, b in zip(fills, fills[1:]))
    r, g, b = colours._rgb(fills[0])
    assert r > 3 * max(g, b) and luminance(fills[0]) < 100
    bars = {
        int(g_.get("data-layer")): float(g_.find(f"{SVG}rect").get("width"))
        for g_ in ET.fromstring(svg.encode()).iter(f"{SVG}g")
        if "cell" in (g_.get("class") or "")
    }
    assert all(bars[a] < bars[b] for a, b in zip(weakest_first, weakest_first[1:]))  # length for magnitude, too
    texts = texts_of(svg)
    assert {"10⁻⁸", "10⁻²", "10"} <= set(texts)  # 10⁻ⁿ ticks
    ratio = flow[-1] / flow[0]
    assert f"1층 = 출력층의 1/{float(f'{ratio:.2g}'):,.0f}" in texts and ratio > 10_000


def test_sigma_prime_times_gain_is_the_factor_drawn_and_sigma_prime_is_the_activations_own(flagship_pair):
    import math

    model, loss = flagship_pair
    view = mg.draw_graph(loss, group="layer", model=model)
    svg = view.svg()
    root = ET.fromstring(svg.encode("utf-8"))
    flow = [r.mean_abs_grad for r in gradient_flow(model)]
    drawn = {int(t.get("data-layer")): t for t in root.iter(f"{SVG}text") if t.get("class") == "factor"}
    assert sorted(drawn) == list(range(10))
    # sigma'(z) of every sigmoid unit and sample, computed here from the forward pass alone
    X, _ = XOR
    sig = {k: [] for k in range(10)}
    for x in X:
        h = x
        for k, layer in enumerate(model.layers):
            z = [math.fsum(w.data * v for w, v in zip(n.w, h)) + n.b.data for n in layer.neurons]
            if k < 10:
                h = [1 / (1 + math.exp(-v)) for v in z]
                sig[k].extend(s * (1 - s) for s in h)
    for k, t in drawn.items():
        factor, sigma, gain = (float(t.get(f"data-{a}")) for a in ("factor", "sigma", "gain"))
        assert factor == flow[k] / flow[k + 1]
        assert sigma == pytest.approx(math.fsum(sig[k]) / len(sig[k]), rel=1e-9) and sigma <= 0.25
        assert sigma * gain == pytest.approx(factor, rel=1e-12)
        shown = re.fullmatch(
            rf"↓ ×{factor:.2g} = σ′ ([0-9.]+) × {'출력층 가중치' if k == 9 else '가중치'} ([0-9.]+)", t.text
        )
        assert shown and any(
            shown.groups() == (f"{sigma:.{d}g}", f"{gain:.{d}g}") for d in (2, 3, 4)
        )  # rounded, not cut
    table = mg.diagnostics.layer_factors(model, loss)
    assert table == view.factors[""]  # the numbers behind the picture, for a notebook's table
    assert [row.gain_layer for row in table] == list(range(1, 11)) + [None]
    assert table[-1].factor is None and table[-1].mean_local == 1.0  # the linear output layer


def test_the_same_gradient_gets_the_same_colour_in_every_picture(flagship):
    alone = cells(LayerView.from_model(flagship).svg())
    beside = mg.compare_gradient_flow({"a": flagship, "b": after_backward("relu", "he_normal", hidden=2)})
    root = ET.fromstring(beside.svg().encode("utf-8"))
    first = [g for g in root.iter(f"{SVG}g") if "cell" in (g.get("class") or "")][:11]
    assert {int(g.get("data-layer")): g.find(f"{SVG}rect").get("fill") for g in first} == {
        k: v[0] for k, v in alone.items()
    }
    assert (
        colours.GradScale().length_axis([3e-5, 0.2]) == colours.GradScale()
    )  # a node view of the same numbers uses this scale too
    shared = colours.GradScale(1e-4, 1.0)  # a scale given once, used by several pictures
    one = cells(LayerView.from_model(flagship, scale=shared).svg())
    two = cells(mg.compare_gradient_flow({"x": flagship}, scale=(1e-4, 1.0)).svg())
    assert one == two and one != alone


def test_dead_relu_net_after_backward_says_every_gradient_is_exactly_zero():
    model = nn.MLP(2, [5] * 10 + [1], "relu", seed=2)
    loss = xor_loss(model)
    before = mg.draw_graph(loss, group="layer", model=model).svg()
    assert any("loss.backward()를 먼저 호출하세요" in t for t in texts_of(before))
    assert all(v == (colours.PENDING, "?") for v in cells(before).values())
    loss.backward()
    after = mg.draw_graph(loss, group="layer", model=model).svg()
    texts = texts_of(after)
    assert not any("backward()를 먼저" in t for t in texts)
    assert any(t.startswith("모든 기울기가 정확히 0입니다") and "ReLU" in t for t in texts)
    assert all(fill == colours.ZERO and text == "0 (정확히): 배우지 않음" for fill, text in cells(after).values())
    english = mg.draw_graph(loss, group="layer", model=model, lang="en").svg()
    assert any("every gradient is exactly 0" in t for t in texts_of(english))


def test_group_layer_is_the_layer_view_at_every_size_and_never_taller_than_two_screens():
    for sizes in ([3] * 6 + [1], [2, 1], [10] * 10 + [1], [4] * 30 + [1]):
        model = nn.MLP(2, sizes, activation="sigmoid", seed=0)
        loss = xor_loss(model)
        loss.backward()
        picture = mg.draw_graph(loss, group="layer", model=model)
        assert isinstance(picture, LayerView)
        width, height = display.size_px(picture.svg())
        assert width <= 850 and height <= 1800
    small = nn.MLP(2, [2, 1], seed=0)
    asked = mg.draw_graph(
        xor_loss(small), group="layer", model=small, detail="neurons"
    )  # every node: asked for explicitly
    assert not isinstance(asked, LayerView)


def test_extreme_gradients_draw_without_a_raw_error():
    for tiny in (5e-324, 1e-320, 1.5e308, -1.5e308):
        a = mg.Value(tiny)
        o = a * mg.Value(1.0)
        o.backward()
        svg = mg.render_svg(o, embed_font=False)
        assert "<svg" in svg
        scale = colours.GradScale().length_axis([tiny, 1.0])
        assert 0.0 <= scale.position(tiny) <= 1.0
    assert colours.GradScale().colour(5e-324) == colours.GradScale().colour(1e-12)  # below the scale: its deepest red
    with pytest.raises(ValueError, match="low < high"):
        colours.GradScale(0.0, 1.0)


def test_sigmoid_fades_while_tanh_and_relu_stay_level_side_by_side(flagship, tmp_path):
    models = {
        "sigmoid": flagship,
        "tanh": after_backward("tanh", "xavier_uniform"),
        "relu": after_backward("relu", "he_normal"),
    }
    view = mg.compare_gradient_flow(models)
    svg = view.svg()
    root = ET.fromstring(svg.encode("utf-8"))
    assert float(root.get("width")[:-2]) <= 900 and display.fits(svg)
    columns = {}
    for g in root.iter(f"{SVG}g"):
        if "cell" in (g.get("class") or "").split():
            columns.setdefault(float(g.find(f"{SVG}rect").get("x")), []).append(float(g.get("data-value")))
    assert len(columns) == 3
    spread = {name: max(v) / min(v) for name, v in zip(models, (columns[x] for x in sorted(columns)))}
    assert spread["sigmoid"] > 1000 and spread["tanh"] < 100 and spread["relu"] < 100
    assert view.save(tmp_path / "flow.svg").read_text(encoding="utf-8") == fonts.embed(svg)  # a file carries its glyphs
    bundle = view._repr_mimebundle_()
    data = re.search(r'base64,([^"]+)"', bundle["text/html"]).group(1)
    assert "@font-face" in base64.b64decode(data).decode("utf-8")  # the Korean glyphs travel with the picture
    assert mg.render_svg(view, embed_font=False) == svg
    with pytest.raises(ValueError, match="svg"):
        view.save(tmp_path / "flow.png")


def test_screenshot_of_the_flagship_picture(flagship, browser):
    """Drawn by Chromium into tests/screenshots/ (not committed), for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    html = mg.compare_gradient_flow(flagship)._repr_mimebundle_()["text/html"]
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.set_content(f"<!DOCTYPE html><meta charset='utf-8'><body style='margin:0;width:850px'>{html}</body>")
    img = page.locator("img")
    img.evaluate("i => i.decode()")
    box = img.bounding_box()
    assert box["width"] <= 850
    page.screenshot(path=str(SCREENSHOTS / "layer_view_flagship.png"), full_page=True)
    page.close()


def test_gradient_flow_player_steps_through_epochs_on_one_scale():
    import test_plots

    history = test_plots.history_by_hand(epochs=6)
    model = nn.MLP(2, [4, 4, 4, 1], activation="sigmoid", seed=0)
    player = mg.viz.gradient_flow_player(history, model=model, max_frames=4)
    assert len(player) == 4  # every 2nd epoch, and the last: 1, 3, 5, 6
    page = player.to_html()
    stage, *svgs = [
        base64.b64decode(b).decode("utf-8") for b in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    ]
    assert len(svgs) == 4 and stage == svgs[-1].replace(
        "_f3", "_s"
    )  # the saved view shows the last epoch, then one per frame
    flows = history["gradient_flow"]
    for svg, epoch in zip(svgs, (0, 2, 4, 5)):
        values = [float(v) if v else None for v in re.findall(r'data-value="([^"]*)"', svg)]
        assert sorted(v for v in values if v is not None) == sorted(v for v in flows[epoch] if v > 0 or v == 0)
        assert f"에폭 {epoch + 1}" in svg
    stops = {re.search(r"<linearGradient.*?</linearGradient>", s, re.S).group(0).split(">", 1)[1] for s in svgs}
    assert len(stops) == 1  # the same colour scale in every frame
    assert "1층 · sigmoid" in svgs[0]
    live = player._repr_html_()  # shown in a live notebook: its own text carries its glyphs
    assert "@font-face" in live.split("<script>")[0] and "font-family: var(--mgk-font" in live


def test_rows_name_the_activation_only_when_every_model_shares_it(flagship):
    mixed = mg.compare_gradient_flow({"sigmoid": flagship, "relu": after_backward("relu", "he_normal", hidden=2)})
    texts = texts_of(mixed.svg())
    assert "1층" in texts and "1층 · sigmoid" not in texts and "11층 · linear (출력)" in texts


def test_a_list_of_models_is_a_clear_type_error(flagship):
    with pytest.raises(TypeError, match=r"dict name -> model") as caught:
        mg.compare_gradient_flow([flagship])
    assert "사전" in str(caught.value)
    with pytest.raises(TypeError, match="gradient_flow"):
        mg.compare_gradient_flow({"m": [1, 2]})


def test_before_backward_the_picture_says_so_instead_of_painting_zeros():
    fresh = nn.MLP(2, [3, 1], seed=0)  # never through backward(): every grad is exactly 0.0
    fresh_loss = xor_loss(fresh)
    trained, trained_loss = after_backward(hidden=1, with_loss=True)
    both = mg.compare_gradient_flow(
        {"fresh": fresh, "trained": trained}, losses={"fresh": fresh_loss, "trained": trained_loss}
    )
    for view in (both, LayerView.from_model(fresh, loss=fresh_loss)):
        svg = view.svg()
        assert any("loss.backward()를 먼저 호출하세요" in t for t in texts_of(svg))
        root = ET.fromstring(svg.encode("utf-8"))
        first_column = min(
            float(g.find(f"{SVG}rect").get("x")) for g in root.iter(f"{SVG}g") if "cell" in (g.get("class") or "")
        )
        fresh_cells = [
            g
            for g in root.iter(f"{SVG}g")
            if "cell" in (g.get("class") or "") and float(g.find(f"{SVG}rect").get("x")) == first_column
        ]
        assert fresh_cells and all(
            g.find(f"{SVG}rect").get("fill") == colours.PENDING and g.find(f"{SVG}text").text == "?"
            for g in fresh_cells
        )
    assert "call loss.backward() first" in LayerView.from_model(fresh, loss=fresh_loss, lang="en").svg()
    # Without the loss nothing tells "not yet" from "exactly 0 after backward": the picture says both, and draws 0.
    unknown = LayerView.from_model(fresh).svg()
    assert any("backward()를 아직 부르지 않았다면" in t and "losses=" in t for t in texts_of(unknown))
    assert all(v == (colours.ZERO, "0") for v in cells(unknown).values())
    zero_init = nn.MLP(2, [3, 3, 1], activation="sigmoid", init="zeros", seed=0)
    (zero_init([1.0, 0.0]) - 1.0).backward()  # exactly-zero weight gradients after a real backward: still "0"
    assert "backward()" not in LayerView.from_model(zero_init).svg()


def test_gradients_past_the_fixed_scale_lengthen_the_axis_but_take_the_end_colour():
    from micrograd_ko.viz.layer_view import LayerRow

    values = [10.0**-e for e in range(13, 0, -1)]  # 1e-13 ... 0.1: five decades below the fixed scale
    view = LayerView({"": [LayerRow(k, "sigmoid", 4, v) for k, v in enumerate(values)]})
    assert view.scale == colours.GradScale() and view.axis == colours.GradScale(1e-13, 10.0)
    svg = view.svg()
    shown = cells(svg)
    fills = [shown[k][0] for k in range(len(values))]
    # colour: one fixed mapping, clamped: everything at or below 10⁻⁸ is the deepest red, above it ordered by size
    assert set(fills[:6]) == {colours.GRAD_PALETTE[0]}
    assert len(set(fills[5:])) == 8 and all(luminance(a) < luminance(b) for a, b in zip(fills[5:], fills[6:]))
    root = ET.fromstring(svg.encode("utf-8"))
    bars = [float(g.find(f"{SVG}rect").get("width")) for g in root.iter(f"{SVG}g") if "cell" in (g.get("class") or "")]
    assert all(
        a > b for a, b in zip(bars, bars[1:])
    )  # length is magnitude: drawn top (last layer) first, longest first
    texts = texts_of(svg)
    assert "10⁻¹³" in texts and {"≤10⁻⁸", "≥10"} <= set(texts)  # the length axis, and the colour bar's clamped ends


def test_the_same_gradient_is_the_same_colour_beside_a_deeper_model_and_in_the_node_view(flagship_pair):
    model, loss = flagship_pair
    deeper = after_backward(hidden=20, with_loss=True)
    alone = cells(mg.draw_graph(loss, group="layer", model=model).svg())
    both = mg.compare_gradient_flow({"10": model, "20": deeper[0]}, losses={"10": loss, "20": deeper[1]})
    root = ET.fromstring(both.svg().encode("utf-8"))
    groups = [g for g in root.iter(f"{SVG}g") if "cell" in (g.get("class") or "").split()]
    beside = {int(g.get("data-layer")): g.get("data-fill") for g in groups[:11]}
    assert beside == {k: fill for k, (fill, _) in alone.items()}  # 1.8e-06 is one colour in both pictures
    values = [(float(g.get("data-value")), g.get("data-fill")) for g in groups]
    assert min(v for v, _ in values) < 1e-8  # the 20-layer model reaches past the scale's low end
    for (a, fa), (b, fb) in ((x, y) for x in values for y in values):
        if a < b:  # never a smaller gradient in a lighter colour
            assert luminance(fa) <= luminance(fb)
        if a < VANISHING:  # the legend's "deep red: vanishing (< 10⁻⁶)": deep red means a red well over green
            r, g, _ = colours._rgb(fa)
            assert r > 120 and g < 60, (a, fa)  # the widened scale drew 1.8e-06 orange (#fc6d33)
    # the node view colours a node by the same fixed mapping, whatever else the graph holds
    x = mg.Value(2.0, label="x")
    y = (x * mg.Value(1e-12, label="tiny")) * mg.Value(1.8e-6 / 1e-12, label="k")
    y.backward()
    node_svg = mg.draw_graph(y).svg()
    assert colours.GradScale().colour(1.8e-6) in node_svg.lower() and x.grad == pytest.approx(1.8e-6)
    assert "≤10⁻⁸" in node_svg


def test_models_of_different_depth_each_label_their_own_output_layer_and_summary():
    deep = nn.MLP(2, [10] * 10 + [1], "sigmoid", seed=0)
    shallow = nn.MLP(2, [8, 8, 1], "tanh", seed=0)
    found = {}
    for order in (("deep", "shallow"), ("shallow", "deep")):  # the shallow model first, too
        models = {"deep": deep, "shallow": shallow}
        models = {k: models[k] for k in order}
        loss = {k: xor_loss(m) for k, m in models.items()}
        for v in loss.values():
            v.backward()
        svg = mg.compare_gradient_flow(models, losses=loss).svg()
        root = ET.fromstring(svg.encode("utf-8"))
        factors = [t for t in root.iter(f"{SVG}text") if t.get("class") == "factor"]
        outputs = [t for t in factors if "출력층 가중치" in t.text]
        # each model's last factor names its own output layer's weights: deep's layer 11, shallow's layer 3
        assert sorted(int(t.get("data-layer")) for t in outputs) == [1, 9]
        summaries = sorted(t.text for t in root.iter(f"{SVG}text") if t.get("class") == "summary")
        assert len(summaries) == 2 and all(s.startswith("1층 = 출력층의 ") for s in summaries)
        labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "row-label"]
        assert len(labels) == 11 and "11층 · linear (출력)" in labels  # every row of the deeper model, any order
        marks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "output-mark"]
        assert marks == ["▼ 출력층 (역전파 시작)"]  # the shallow model's row 3 is its output, in its own column
        assert "3층" in labels and display.fits(svg)
        found[order] = summaries
    assert found[("deep", "shallow")] == found[("shallow", "deep")]


def test_one_layer_with_gradient_exactly_zero_is_salient_never_the_longest_bar_and_summarised():
    z = nn.MLP(2, [4, 4, 4, 1], "tanh", seed=0)
    for neuron in z.layers[1].neurons:  # layer 2's weights 0: nothing flows back to layer 1
        for w in neuron.w:
            w.data = 0.0
        neuron.b.data = 0.5
    loss = xor_loss(z)
    loss.backward()
    svg = mg.draw_graph(loss, group="layer", model=z).svg()
    root = ET.fromstring(svg.encode("utf-8"))
    groups = {int(g.get("data-layer")): g for g in root.iter(f"{SVG}g") if "cell" in (g.get("class") or "").split()}
    bars = {k: float(g.find(f"{SVG}rect").get("width")) for k, g in groups.items()}
    values = {k: float(g.get("data-value")) for k, g in groups.items()}
    assert values[0] == 0.0 and all(values[k] > 0 for k in (1, 2, 3))
    assert bars[0] == 0.0 and bars[0] < min(bars[k] for k in (1, 2, 3))  # no length: never the longest
    assert groups[0].find(f"{SVG}rect[@class='zero-mark']").get("fill") == colours.ZERO
    assert cells(svg)[0] == (colours.ZERO, "0 (정확히): 배우지 않음")
    factor = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "factor" and t.get("data-layer") == "0")
    assert factor.text.startswith("↓ ×0 = σ′ ") and factor.text.endswith("× 가중치 0") and "e+00" not in svg
    summaries = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "summary"]
    assert summaries == ["1층: 기울기 정확히 0"]
    # the replay draws a layer of exactly 0 the same way: no length, named
    from micrograd_ko.viz.replay import TrainingReplay

    history = {"m": {"loss": [0.7], "accuracy": [0.5], "gradient_flow": [[0.0, 1e-3, 2e-2]]}}
    replay = TrainingReplay(["m"], history, {"m": {0: {"boundary": None}}}, XOR[0], XOR[1], "ko")
    frame = ET.fromstring(replay.svg(0).encode("utf-8"))
    first = next(g for g in frame.iter(f"{SVG}g") if g.get("class") == "cell" and g.get("data-layer") == "0")
    assert float(first.findall(f"{SVG}rect")[0].get("width")) == 0.0
    assert "0 (정확히)" in "".join(t.text or "" for t in first.iter(f"{SVG}text"))


@pytest.mark.parametrize(
    "spec",
    [
        (2, [6] * 5 + [1], "relu", 2),  # drew "×0.28 = σ′ 0.12 × 출력층 가중치 2.2" (0.12 × 2.2 = 0.26)
        (2, [10] * 10 + [1], "sigmoid", 0),
        (2, [8, 8, 1], "tanh", 0),
        (2, [5] * 6 + [1], "tanh", 3),
        (2, [4] * 8 + [1], "relu", 1),
    ],
)
def test_the_printed_sigma_prime_times_gain_is_the_printed_factor(spec):
    from micrograd_ko.viz.layer_view import _num

    n_in, sizes, activation, seed = spec
    model = nn.MLP(n_in, sizes, activation, seed=seed)
    loss = xor_loss(model)
    loss.backward()
    root = ET.fromstring(mg.draw_graph(loss, group="layer", model=model).svg().encode("utf-8"))
    drawn = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "factor"]
    checked = 0
    number = r"([0-9.]+(?:e[+-][0-9]+)?)"
    for text in drawn:
        shown = re.fullmatch(rf"↓ ×{number} ([=≈]) σ′ {number} × (?:출력층 )?(?:가중치 )?{number}", text)
        assert shown, text
        factor, sign, sigma, gain = shown[1], shown[2], float(shown[3]), float(shown[4])
        if sign == "=":  # the product of the numbers drawn, rounded as the factor is, is the factor drawn
            assert _num(sigma * gain) == factor, text
            checked += 1
    assert checked == len(drawn) >= 2


def test_a_nan_gradient_is_refused_by_the_layer_view_of_draw_graph_as_by_compare_gradient_flow():
    """draw_graph(group='layer') drew a nan set by hand as a full purple bar, '×nan = σ′ 0.24 × 가중치 nan' and
    '1층 = 출력층의 nan배', while compare_gradient_flow and plot_gradient_flow refused the same model."""
    model, loss = after_backward(hidden=2, width=3, with_loss=True)
    model.layers[0].neurons[0].w[0].grad = float("nan")
    with pytest.raises(ValueError, match=r"layers\[0\].*nan") as refused:
        mg.compare_gradient_flow(model)
    for draw in (lambda: mg.draw_graph(loss, group="layer", model=model), lambda: LayerView.from_model(model)):
        with pytest.raises(ValueError) as caught:
            draw()
        assert str(caught.value) == str(refused.value)
