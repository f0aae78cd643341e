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
XOR = ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
SCREENSHOTS = Path(__file__).parent / "screenshots"


def after_backward(activation="sigmoid", init="uniform", hidden=10, seed=0):
    model = nn.MLP(2, [10] * hidden + [1], activation=activation, init=init, seed=seed)
    X, y = XOR
    loss = mg.sum([losses.bce_with_logits(model(x), t) for x, t in zip(X, y)]) / len(X)
    loss.backward()
    return model


def cells(svg):
    """{layer index: (fill colour, shown text)} of every cell of a one-model layer view."""
    root = ET.fromstring(svg.encode("utf-8"))
    found = {}
    for g in root.iter(f"{SVG}g"):
        if "cell" in (g.get("class") or "").split():
            found[int(g.get("data-layer"))] = (g.find(f"{SVG}rect").get("fill"), g.find(f"{SVG}text").text)
    return found


def luminance(fill):
    r, g, b = colours._rgb(fill)
    return 0.299 * r + 0.587 * g + 0.114 * b


@pytest.fixture(scope="module")
def flagship():
    return after_backward()


def test_flagship_fits_and_gives_each_layer_its_own_shade_in_order(flagship):
    svg = mg.compare_gradient_flow(flagship).svg()
    width_attr = ET.fromstring(svg.encode("utf-8")).get("width")
    assert width_attr.endswith("px") and float(width_attr[:-2]) <= 900
    assert display.fits(svg)  # every text at least 10 px at a notebook's width
    flow = [r.mean_abs_grad for r in gradient_flow(flagship)]
    shown = cells(svg)
    hidden = sorted(range(10), key=lambda i: flow[i])  # the ten sigmoid layers, weakest gradient first
    fills = [shown[i][0] for i in hidden]
    assert len(set(fills)) == 10
    # Stronger gradient, darker shade: strictly ordered, so neighbouring layers never share a colour.
    assert all(luminance(a) > luminance(b) for a, b in zip(fills, fills[1:]))
    assert colours.ZERO not in fills


def test_each_layer_shows_its_mean_and_the_factor_to_the_next(flagship):
    svg = mg.compare_gradient_flow(flagship).svg()
    flow = [r.mean_abs_grad for r in gradient_flow(flagship)]
    texts = [t.text for t in ET.fromstring(svg.encode("utf-8")).iter(f"{SVG}text")]
    factors = [float(t.split("×")[1]) for t in texts if t and t.startswith("↓ ×")]
    expected = [flow[i - 1] / flow[i] for i in range(len(flow) - 1, 0, -1)]  # top (output) to bottom
    assert factors == pytest.approx(expected, rel=0.05)  # two significant digits shown
    sigmoid_factors = expected[1:]  # between sigmoid layers: every one a shrink, none above 1/4 * 4 = 1
    assert all(f < 1 for f in sigmoid_factors)
    assert [c[1] for _, c in sorted(cells(svg).items())] == [f"{v:.2g}" if v >= 1e-3 else f"{v:.1e}" for v in flow]


def test_exactly_zero_has_its_own_colour_and_legend_entry():
    model = nn.MLP(2, [3, 3, 1], activation="sigmoid", init="zeros", seed=0)
    (model([1.0, 0.0]) - 1.0).backward()  # zero init: the hidden layers' weights get exactly 0
    view = LayerView.from_model(model)
    svg = view.svg()
    shown = cells(svg)
    assert shown[0] == (colours.ZERO, "0") and shown[1] == (colours.ZERO, "0")
    assert shown[2][0] != colours.ZERO
    assert any("입력이 0이거나 연결이 끊김" in (t.text or "") for t in ET.fromstring(svg.encode()).iter(f"{SVG}text"))
    tiny = LayerView({"": [view.columns[""][0].__class__(0, "sigmoid", 4, 1e-8), view.columns[""][0].__class__(1, "sigmoid", 4, 1e-2)]})
    vanishing = cells(tiny.svg())[0][0]
    assert vanishing != colours.ZERO and colours._rgb(vanishing)[0] > 2 * max(colours._rgb(vanishing)[1:])


def test_sigmoid_fades_while_tanh_and_relu_stay_level_side_by_side(flagship, tmp_path):
    models = {"sigmoid": flagship, "tanh": after_backward("tanh", "xavier_uniform"), "relu": after_backward("relu", "he_normal")}
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
    svgs = [base64.b64decode(b).decode("utf-8") for b in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)]
    assert len(svgs) == 4
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
    texts = [t.text for t in ET.fromstring(mixed.svg().encode()).iter(f"{SVG}text")]
    assert "1층" in texts and "1층 · sigmoid" not in texts and "11층 · linear (출력)" in texts


def test_a_list_of_models_is_a_clear_type_error(flagship):
    with pytest.raises(TypeError, match=r"dict name -> model") as caught:
        mg.compare_gradient_flow([flagship])
    assert "사전" in str(caught.value)
    with pytest.raises(TypeError, match="gradient_flow"):
        mg.compare_gradient_flow({"m": [1, 2]})


def test_before_backward_the_picture_says_so_instead_of_painting_zeros():
    fresh = nn.MLP(2, [3, 1], seed=0)  # never through backward(): every grad is exactly 0.0
    for view in (mg.compare_gradient_flow({"fresh": fresh, "trained": after_backward(hidden=1)}), LayerView.from_model(fresh)):
        svg = view.svg()
        texts = [t.text or "" for t in ET.fromstring(svg.encode()).iter(f"{SVG}text")]
        assert any("loss.backward()를 먼저 호출하세요" in t for t in texts)
        root = ET.fromstring(svg.encode("utf-8"))
        first_column = min(float(g.find(f"{SVG}rect").get("x")) for g in root.iter(f"{SVG}g") if "cell" in (g.get("class") or ""))
        fresh_cells = [g for g in root.iter(f"{SVG}g") if "cell" in (g.get("class") or "")
                       and float(g.find(f"{SVG}rect").get("x")) == first_column]
        assert fresh_cells and all(g.find(f"{SVG}rect").get("fill") == colours.PENDING and g.find(f"{SVG}text").text == "?"
                                   for g in fresh_cells)
    assert "call loss.backward() first" in LayerView.from_model(fresh, lang="en").svg()
    zero_init = nn.MLP(2, [3, 3, 1], activation="sigmoid", init="zeros", seed=0)
    (zero_init([1.0, 0.0]) - 1.0).backward()  # exactly-zero weight gradients after a real backward: still "0"
    assert "backward()" not in LayerView.from_model(zero_init).svg()
