"""The training replay: models trained side by side and replayed epoch by epoch in one offline player."""

import base64
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import micrograd_ko as mg
from micrograd_ko import datasets, losses, nn
from micrograd_ko.diagnostics import gradient_flow

SVG = "{http://www.w3.org/2000/svg}"
SCREENSHOTS = Path(__file__).parent / "screenshots"
X, Y = datasets.xor()


def models():
    return {
        "sigmoid": nn.MLP(2, [6] * 4 + [1], activation="sigmoid", seed=0),
        "tanh": nn.MLP(2, [6] * 4 + [1], activation="tanh", init="xavier_uniform", seed=0),
    }


def mean_bce(model):
    return mg.sum([losses.bce_with_logits(model(x), t) for x, t in zip(X, Y)]) / len(X)


@pytest.fixture(scope="module")
def replay():
    return mg.viz.training_replay(models(), X, Y, epochs=60, frames=7, lr=0.5)


def test_the_history_is_plain_gradient_descent_written_out():
    fresh, twin = models()["tanh"], models()["tanh"]
    first = mean_bce(twin)
    first.backward()
    flow = [r.mean_abs_grad for r in gradient_flow(twin)]
    for p in twin.parameters():
        p.data -= 0.5 * p.grad
    second = mean_bce(twin).data
    replay = mg.viz.training_replay({"tanh": fresh}, X, Y, epochs=2, frames=2, lr=0.5)
    history = replay.history["tanh"]
    assert history["loss"] == [first.data, second]  # the same arithmetic, bit for bit
    assert history["gradient_flow"][0] == flow
    assert replay.frames == [0, 1]


def test_frames_spread_over_the_epochs_first_and_last_included(replay):
    assert replay.frames[0] == 0 and replay.frames[-1] == 59 and len(replay) == 7
    assert (
        replay.history["tanh"]["loss"][-1] < 0.1 < replay.history["sigmoid"]["loss"][-1]
    )  # tanh learns, sigmoid stays flat


def test_each_frame_draws_the_loss_so_far_the_boundary_and_the_layers(replay):
    for i, epoch in enumerate(replay.frames):
        svg = replay.svg(i)
        root = ET.fromstring(svg.encode("utf-8"))
        charts = [g for g in root.iter(f"{SVG}g") if g.get("class") == "loss-chart"]
        assert [float(g.get("data-loss")) for g in charts] == [replay.history[n]["loss"][epoch] for n in replay.names]
        for chart in charts:
            points = chart.find(f"{SVG}polyline").get("points").split()
            assert len(points) == epoch + 1  # the loss so far, not the whole run
        assert sum(1 for g in root.iter(f"{SVG}g") if g.get("class") == "boundary") == 2
        cells = [float(g.get("data-value")) for g in root.iter(f"{SVG}g") if g.get("class") == "cell"]
        expected = [v for n in replay.names for v in reversed(replay.history[n]["gradient_flow"][epoch])]
        assert cells == expected
        assert f"에폭 {epoch + 1}/60" in svg and replay.text(i).startswith(f"에폭 {epoch + 1}/60")
        assert float(root.get("width")[:-2]) <= 850 and float(root.get("height")[:-2]) <= 700


def test_one_offline_file_and_a_saved_view_of_the_last_epoch(replay, tmp_path):
    page = replay.to_html(tmp_path / "replay.html")
    assert (tmp_path / "replay.html").read_text(encoding="utf-8") == page
    assert re.findall(r'src="(?!data:)', page) == [] and "http:" not in page.split("<script>")[0]
    saved = re.sub(r"<script>.*?</script>|<style>.*?</style>", "", replay._repr_html_(), flags=re.S)
    stage = re.search(r'<div class="mgk-stage" data-shown="(\d+)".*?</div>', saved, re.S)
    assert int(stage.group(1)) == len(replay) - 1 and "마지막 에폭" in stage.group(0)
    picture = re.search(r'class="mgk-img mgk-stage-img" src="data:image/svg\+xml;base64,([^"]+)"', stage.group(0))
    shown = base64.b64decode(picture.group(1)).decode("utf-8")
    assert "에폭 60/60" in shown
    assert "<button" not in saved and "<input" not in saved


def test_bad_input_is_refused_clearly():
    with pytest.raises(TypeError, match="dict name -> model"):
        mg.viz.training_replay([nn.MLP(2, [1])], X, Y)
    with pytest.raises(ValueError, match="at most 4"):
        mg.viz.training_replay({str(k): nn.MLP(2, [1]) for k in range(5)}, X, Y)
    with pytest.raises(ValueError, match="bce_with_logits"):
        mg.viz.training_replay({"m": nn.MLP(2, [1])}, X, Y, loss="hinge")
    with pytest.raises(ValueError, match="lr"):
        mg.viz.training_replay({"m": nn.MLP(2, [1])}, X, Y, lr=-1)
    with pytest.raises(ValueError, match="one output"):
        mg.viz.training_replay({"m": nn.MLP(2, [2])}, X, Y, epochs=1)
    assert math.isfinite(
        mg.viz.training_replay(
            {"m": nn.MLP(3, [2, 1], seed=0)}, [[0, 0, 1], [1, 0, 0]], [0, 1], epochs=2, frames=2
        ).history["m"]["loss"][-1]
    )  # 3-D inputs: no boundary panel


def test_the_replay_plays_live_on_one_screen(browser, tmp_path, replay):
    path = tmp_path / "replay.html"
    replay.to_html(path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    player = page.locator(".mgk-stepper")
    for i in range(len(replay)):
        player.locator(".mgk-slider").evaluate(f"(s) => {{ s.value = '{i}'; s.dispatchEvent(new Event('input')); }}")
        assert player.locator(".mgk-current").text_content() == replay.text(i)
        drawn = player.locator(".mgk-drawing svg .model").all_text_contents()
        assert drawn == replay.names
        for part in (".mgk-controls", ".mgk-current", ".mgk-drawing svg"):
            box = player.locator(part).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 900 + 2, (i, part)
        epoch = player.locator(".mgk-drawing svg").evaluate("s => s.querySelector('text').textContent")
        assert epoch == f"에폭 {replay.frames[i] + 1}/60"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "replay_1280x900.png"))
    assert errors == []
    page.close()


def test_a_deeper_model_second_is_inside_every_frame():
    models = {"shallow": nn.MLP(2, [8, 1], "tanh", seed=0), "deep": nn.MLP(2, [8] * 6 + [1], "sigmoid", seed=0)}
    replay = mg.viz.training_replay(models, X, Y, epochs=40, frames=8, lang="en")
    for i in (0, len(replay) - 1):
        root = ET.fromstring(replay.svg(i).encode("utf-8"))
        height = float(root.get("viewBox").split()[3])
        assert float(root.get("height")[:-2]) == height
        texts = {t.text: float(t.get("y")) for t in root.iter("{http://www.w3.org/2000/svg}text")}
        assert "L7" in texts and "L1" in texts  # deep's output and first layer
        assert max(float(t.get("y")) for t in root.iter("{http://www.w3.org/2000/svg}text")) < height
