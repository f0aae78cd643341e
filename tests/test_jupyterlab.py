"""The pictures in a real JupyterLab, as a learner meets them: a saved notebook opened unrun, then Run All.

A fixture starts `jupyter lab` on 127.0.0.1 (free port, token, no browser, a
temporary root holding the notebooks), and Playwright drives Debian's Chromium
in a 1280 px window:

(a) saved and untrusted (JupyterLab keeps no <svg>, <script>, <style> then):
    every graph shows a picture, not `<... at 0x...>`; the stepper is a list
    of its steps with no dead buttons and one line on how to make it live;
(b) after Run All: the stepper's next button and slider move the highlight,
    no console errors, and every picture fits the output area with its text
    at least 10 px on screen.

The notebook is written and executed (nbclient) here, so the test does not
depend on the lessons' text; committed notebooks with pictures are opened
too, unless their outputs predate the current pictures (then re-executing
them is the notebook's job). Screenshots go to tests/screenshots/ (not
committed) for a person to look at.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

if shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None:
    pytest.skip("jupyterlab is not installed (it is in the test extra)", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
# Whether Chromium here could draw Hangul without the glyphs a drawn text carries (CI has no Korean font).
KOREAN_SYSTEM_FONT = bool(
    shutil.which("fc-list") and subprocess.run(["fc-list", ":lang=ko"], capture_output=True, text=True).stdout.strip()
)
SCREENSHOTS = Path(__file__).parent / "screenshots"
TOKEN = "micrograd-ko-test"

CELLS = [
    """import micrograd_ko as mg
from micrograd_ko import datasets, losses, nn

a, b, c, f = mg.Value(2.0, label="a"), mg.Value(-3.0, label="b"), mg.Value(10.0, label="c"), mg.Value(-2.0, label="f")
L = (a * b + c) * f
L.label = "L"
L.backward()
mg.draw_graph(L)""",
    """y = mg.Value(0.5, label="x")
for k in range(6):
    y = (y * mg.Value(0.9, label=f"w{k}") + mg.Value(0.1, label=f"b{k}")).tanh()
y.backward()
mg.draw_graph(y)  # too wide left to right: drawn top to bottom""",
    """X, Y = datasets.xor()

def after_backward(activation, init):
    model = nn.MLP(2, [10] * 10 + [1], activation=activation, init=init, seed=0)
    loss = mg.sum([losses.bce_with_logits(model(x), t) for x, t in zip(X, Y)]) / len(X)
    loss.backward()
    return model, loss

deep, deep_loss = after_backward("sigmoid", "uniform")
mg.draw_graph(deep_loss, group="layer", model=deep)""",
    """mg.BackpropStepper(L)""",
    """tanh_net, tanh_loss = after_backward("tanh", "xavier_uniform")
relu_net, relu_loss = after_backward("relu", "he_normal")
mg.compare_gradient_flow({"sigmoid": deep, "tanh": tanh_net, "relu": relu_net},
                         losses={"sigmoid": deep_loss, "tanh": tanh_loss, "relu": relu_loss})""",
    """x1, x2, w1, w2 = mg.Value(2.0, label="x1"), mg.Value(0.0, label="x2"), mg.Value(-3.0, label="w1"), mg.Value(1.0, label="w2")
o = (x1 * w1 + x2 * w2 + mg.Value(6.8813735870195432, label="b")).tanh()
o.label = "o"
o.backward()
mg.BackpropStepper(o)""",
    """dead = nn.MLP(2, [5] * 10 + [1], "relu", seed=2)
dead_loss = mg.sum([losses.bce_with_logits(dead(x), t) for x, t in zip(X, Y)]) / len(X)
dead_loss.backward()
mg.draw_graph(dead_loss, group="layer", model=dead)""",
    """mg.viz.training_replay({"sigmoid": nn.MLP(2, [8] * 4 + [1], activation="sigmoid", seed=0),
                         "tanh": nn.MLP(2, [8] * 4 + [1], activation="tanh", init="xavier_uniform", seed=0)},
                        X, Y, epochs=30, frames=10)""",
    """mg.draw_graph(o, style="lecture")  # karpathy's left-to-right records: too wide, scrolls sideways""",
]
PICTURE_CELLS = (0, 1, 2, 4, 6, 8)  # code cells whose output is one picture
STEPPER_CELL = 3
NEURON_CELL = 5  # the lecture's neuron, stepped node by node
REPLAY_CELL = 7
LECTURE_CELL = 8  # the lecture style of the neuron: its text readable, the picture scrolling inside its output
STEPS = 3  # (a*b + c)*f: one step per operation


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)  # saved as a learner saves it: opening it later, it is untrusted


def current_pictures(nb):
    """Whether a committed notebook's outputs were made by the current drawing code (an <img> per graph)."""
    html = [o.get("data", {}).get("text/html", "") for cell in nb.cells for o in cell.get("outputs", [])]
    html = ["".join(h) if isinstance(h, list) else h for h in html]
    svg_only = any(
        "image/svg+xml" in o.get("data", {}) and "text/html" not in o.get("data", {})
        for cell in nb.cells
        for o in cell.get("outputs", [])
    )
    old_stepper = any(
        "mgk-stepper" in h and ("<button" in h.split("<script>")[0] or "mgk-stage" not in h) for h in html
    )
    return not svg_only and not old_stepper


def committed_with_pictures():
    found = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        text = path.read_text(encoding="utf-8")
        if "image/svg+xml" in text or "mgk-stepper" in text or "mgk-output" in text:
            found.append(path)
    return found


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    root.mkdir()
    make_notebook(root / "pictures.ipynb")
    for path in committed_with_pictures():
        shutil.copy(path, root / path.name)
    news = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}')  # no "official Jupyter news?" toast over the pictures
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
    }
    log = open(home / "lab.log", "w")  # noqa: SIM115 (open while the server runs; closed in the finally below)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--ServerApp.root_dir={root}",
            f"--IdentityProvider.token={TOKEN}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        + (["--allow-root"] if hasattr(os, "getuid") and os.getuid() == 0 else []),
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"jupyter lab exited: {(home / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        else:
            pytest.fail("jupyter lab did not start within 60 s")
        yield url, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        log.close()


def open_notebook(browser, url, name):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(f"{url}/lab/tree/{name}?token={TOKEN}&reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function("document.querySelectorAll('.jp-Notebook .jp-Cell').length > 0")
    page.wait_for_timeout(1500)
    return page


def outputs(page):
    """The output area of each code cell, in order."""
    return page.locator(".jp-Notebook .jp-CodeCell .jp-OutputArea")


def screenshot(page, name, element=None):
    if element is not None:  # JupyterLab draws only the cells in view: scroll, then let it draw
        element.scroll_into_view_if_needed()
        page.wait_for_timeout(800)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


# Measures every picture in an output area: its box against the area's, and its smallest text on screen.
MEASURE = r"""
(area) => {
  const width = area.getBoundingClientRect().width;
  const found = [];
  const decode = (src) => new TextDecoder().decode(Uint8Array.from(atob(src.split(",")[1]), c => c.charCodeAt(0)));
  const px = (v) => { const m = /^([0-9.]+)(pt|px)?$/.exec(v || ""); return m ? parseFloat(m[1]) * (m[2] === "pt" ? 4 / 3 : 1) : NaN; };
  for (const img of area.querySelectorAll("img:not(.mgk-drawn)")) {  // a drawn text is not a picture
    const scroller = img.closest(".mgk-scroll");  // a picture kept readable scrolls sideways inside this box
    const box = img.getBoundingClientRect();
    const svg = new DOMParser().parseFromString(decode(img.src), "image/svg+xml").documentElement;
    const natural = px(svg.getAttribute("width"));
    const view = (svg.getAttribute("viewBox") || "").split(/\s+/).map(Number);
    const unit = view.length === 4 ? natural / view[2] : 1;
    const sizes = [...svg.querySelectorAll("text")].map(t => parseFloat(t.getAttribute("font-size") || "14"));
    found.push({kind: "img", width: scroller ? scroller.getBoundingClientRect().width : box.width, area: width,
                loaded: img.complete && img.naturalWidth > 0, scrolls: !!scroller && scroller.scrollWidth > scroller.clientWidth,
                text: Math.min(...sizes) * unit * box.width / natural});
  }
  for (const svg of area.querySelectorAll(".mgk-drawing svg:not(svg svg)")) {
    // A player's drawing: its box must fit (a drawing kept readable scrolls inside it, to the current node).
    const box = svg.closest(".mgk-drawing").getBoundingClientRect();
    const texts = [...svg.querySelectorAll("text")].filter(t => t.getBBox().width > 0);
    const sizes = texts.map(t => t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize));
    found.push({kind: "svg", width: box.width, area: width, loaded: true, text: Math.min(...sizes)});
  }
  return found;
}
"""


def test_saved_notebook_shows_pictures_and_a_step_list(lab, browser):
    url, _ = lab
    page = open_notebook(browser, url, "pictures.ipynb")
    areas = outputs(page)
    page.wait_for_function("document.querySelectorAll('.jp-OutputArea-output img').length >= 4", timeout=30_000)
    assert "at 0x" not in page.locator(".jp-Notebook").text_content()
    for i in PICTURE_CELLS:
        area = areas.nth(i)
        area.scroll_into_view_if_needed()
        assert area.locator(".jp-OutputArea-output img:not(.mgk-drawn)").count() == 1  # (a note is drawn too)
        assert (
            area.locator(".jp-OutputArea-output svg").count() == 0
        )  # untrusted: JupyterLab kept no SVG, the <img> is what shows
        pictures = area.evaluate(MEASURE)
        assert pictures and all(p["loaded"] for p in pictures)
        assert_prose_drawn(area, i, least=0)  # a note under the picture, if any: drawn
    for cell in (STEPPER_CELL, NEURON_CELL, REPLAY_CELL):
        player = areas.nth(cell)
        assert (
            player.locator(".mgk-frame").count() >= STEPS and player.locator(".mgk-stage .mgk-stage-img").count() == 1
        )
        assert player.locator("button").count() == 0 and player.locator("input").count() == 0  # nothing dead
        assert "셀을 실행하면" in player.text_content()
        player.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        height = player.evaluate("e => e.getBoundingClientRect().height")
        assert height <= 1800, (cell, height)  # a small graph's saved player: within two screens
        shown = [player.locator(".mgk-stage .mgk-drawn"), player.locator(".mgk-stage .mgk-stage-img")]
        assert all(visible(page, part) for part in shown), cell  # the step's text and its picture, on one screen
        player.locator(".mgk-all summary").first.click()  # every step's text too
        # title, how to play, the step's text, the list's heading, the steps' texts
        assert_prose_drawn(player, cell, least=4)
        player.locator(".mgk-all summary").first.click()
    assert "연쇄법칙" in areas.nth(STEPPER_CELL).locator(".mgk-stage").text_content()
    dead = areas.nth(6).locator("img").evaluate(DECODE)
    assert "모든 기울기가 정확히 0입니다" in dead and "backward()를 먼저" not in dead
    lecture = areas.nth(LECTURE_CELL)
    lecture.scroll_into_view_if_needed()
    (picture,) = lecture.evaluate(MEASURE)
    assert_prose_drawn(lecture, LECTURE_CELL, least=1)  # its note ("scroll sideways")
    assert picture["scrolls"] and picture["width"] <= picture["area"] + 0.5 and picture["text"] >= 12, picture
    screenshot(page, "jupyterlab_saved_lecture.png", lecture)
    screenshot(page, "jupyterlab_saved_stepper.png", areas.nth(NEURON_CELL))
    screenshot(page, "jupyterlab_saved_layer_view.png", areas.nth(2))
    screenshot(page, "jupyterlab_saved_replay.png", areas.nth(REPLAY_CELL))
    page.close()


# The text a saved player shows as HTML text (a hidden element's text is not shown).
SHOWN_TEXT = r"""
(root) => {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let text = "";
  for (let node = walker.nextNode(); node; node = walker.nextNode())
    if (node.parentElement.getClientRects().length > 0) text += node.textContent;
  return text;
}
"""

# A drawn text (an <img> of an SVG with its own @font-face) against the same SVG without its fonts: the share of
# pixels that differ. On a machine without a Korean font the second draws boxes, so 0 means the glyphs did not load.
DRAWN_INK = r"""
async (img) => {
  const load = (src) => new Promise((ok, fail) => { const i = new Image(); i.onload = () => ok(i); i.onerror = fail; i.src = src; });
  const pixels = (i) => {
    const c = document.createElement("canvas");
    c.width = i.naturalWidth; c.height = i.naturalHeight;
    const g = c.getContext("2d");
    g.drawImage(i, 0, 0);
    return g.getImageData(0, 0, c.width, c.height).data;
  };
  const svg = decodeURIComponent(img.src.slice(img.src.indexOf(",") + 1));
  const bare = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg.replace(/<style>[\s\S]*?<\/style>/, ""));
  const [own, machine] = [pixels(await load(img.src)), pixels(await load(bare))];
  let differ = 0;
  for (let k = 0; k < own.length; k += 4)
    if ([0, 1, 2, 3].some(c => own[k + c] !== machine[k + c])) differ++;
  return {loaded: img.complete && img.naturalWidth > 0, width: img.naturalWidth,
          shown: Math.round(img.getBoundingClientRect().width), differ: differ / (own.length / 4)};
}
"""


def assert_prose_drawn(area, label, least):
    """The Korean prose of a saved output: none of it HTML text; drawn, each drawing whole and in its own glyphs."""
    assert not re.search("[\u1100-\u11ff\uac00-\ud7af]", area.evaluate(SHOWN_TEXT)), label  # no Hangul as text
    drawn = area.locator(".mgk-drawn").all()
    assert len(drawn) >= least, label
    for text in drawn:
        ink = text.evaluate(DRAWN_INK)
        assert ink["loaded"] and ink["shown"] == ink["width"], (label, ink)  # whole, at its own size
        if not KOREAN_SYSTEM_FONT:  # its own glyphs, not the boxes the machine would draw
            assert ink["differ"] > 0.02, (label, text.get_attribute("alt"), ink)


DECODE = "img => new TextDecoder().decode(Uint8Array.from(atob(img.src.split(',')[1]), c => c.charCodeAt(0)))"

# The part of the window where the notebook shows: its scrolling panel's box, within the 1280 x 900 window.
VISIBLE = r"""
(el) => {
  let panel = el.parentElement;
  while (panel && !(/(auto|scroll)/.test(getComputedStyle(panel).overflowY) && panel.scrollHeight > panel.clientHeight)) panel = panel.parentElement;
  const p = panel ? panel.getBoundingClientRect() : {top: 0, left: 0, bottom: innerHeight, right: innerWidth};
  const b = el.getBoundingClientRect();
  return b.width > 0 && b.top >= Math.max(0, p.top) - 4 && b.bottom <= Math.min(innerHeight, p.bottom) + 4
      && b.left >= Math.max(0, p.left) - 4 && b.right <= Math.min(innerWidth, p.right) + 4;
}
"""


def visible(page, locator):
    return locator.first.evaluate(VISIBLE)


def active_node(stepper):
    return stepper.locator(".mgk-drawing g.value.current > title").first.text_content()


def test_after_run_all_the_stepper_plays_and_every_picture_fits(lab, browser):
    url, _ = lab
    page = open_notebook(browser, url, "pictures.ipynb")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=30_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(".mgk-stepper.mgk-js .mgk-next", timeout=120_000)
    # Run All marks every queued cell [*] at once: done when none is left.
    page.wait_for_function(
        "[...document.querySelectorAll('.jp-InputArea-prompt')].every(p => !p.textContent.includes('*'))",
        timeout=120_000,
    )
    page.wait_for_timeout(1000)
    areas = outputs(page)
    stepper = areas.nth(STEPPER_CELL).locator(".mgk-stepper")
    first = active_node(stepper)
    stepper.locator(".mgk-next").click()
    second = active_node(stepper)
    assert second != first and stepper.locator(".mgk-counter").text_content() == f"2 / {STEPS}"
    stepper.locator(".mgk-slider").evaluate(
        f"(s) => {{ s.value = '{STEPS - 1}'; s.dispatchEvent(new Event('input')); }}"
    )
    assert active_node(stepper) not in (first, second)
    assert stepper.locator(".mgk-next").is_disabled()
    for i in range(len(CELLS)):
        areas.nth(i).scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        for picture in areas.nth(i).evaluate(MEASURE):
            assert picture["loaded"], (i, picture)
            assert picture["width"] <= picture["area"] + 0.5, (i, picture)  # whole, no sideways scrolling
            assert picture["text"] >= 10, (i, picture)
    screenshot(page, "jupyterlab_run_wide_graph.png", areas.nth(1))
    screenshot(page, "jupyterlab_run_compare.png", areas.nth(4))
    for cell, current in (
        (NEURON_CELL, ".mgk-drawing g.value.current"),
        (STEPPER_CELL, ".mgk-drawing g.value.current"),
        (REPLAY_CELL, ".mgk-drawing"),
    ):
        player = areas.nth(cell).locator(".mgk-stepper")
        player.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        n = int(player.locator(".mgk-slider").get_attribute("max")) + 1
        for i in range(n):
            player.locator(".mgk-slider").evaluate(
                f"(s) => {{ s.value = '{i}'; s.dispatchEvent(new Event('input')); }}"
            )
            for part in (".mgk-controls", ".mgk-current", current):
                assert visible(page, player.locator(part)), (cell, i, part)
        page.screenshot(path=str(SCREENSHOTS / f"jupyterlab_run_player_{cell}.png"))
    neuron = areas.nth(NEURON_CELL).locator(".mgk-stepper")
    neuron.locator(".mgk-slider").evaluate("(s) => { s.value = '0'; s.dispatchEvent(new Event('input')); }")
    neuron.locator(".mgk-next").click()
    page.keyboard.press("ArrowRight")
    assert neuron.locator(".mgk-counter").text_content().startswith("3 / ")
    page.keyboard.press("ArrowLeft")
    assert neuron.locator(".mgk-counter").text_content().startswith("2 / ")
    assert page.errors == []
    page.close()


@pytest.mark.parametrize("path", committed_with_pictures(), ids=lambda p: p.stem)
def test_committed_notebook_unrun_shows_pictures(lab, browser, path):
    if not current_pictures(nbformat.read(path, as_version=4)):
        pytest.skip(f"{path.name}: its outputs predate the current pictures; re-execute it (jupyter execute --inplace)")
    url, _ = lab
    page = open_notebook(browser, url, path.name)
    text = page.locator(".jp-Notebook").text_content()
    assert not re.search(r"<micrograd_ko\.[\w.]+ (object )?at 0x", text)
    for stepper in page.locator(".mgk-stepper").all():
        assert stepper.locator("button").count() == 0
        assert stepper.locator(".mgk-stage .mgk-stage-img").count() == 1 and stepper.locator(".mgk-frame").count() > 0
    images = page.locator(".mgk-output img").all()
    for img in images:
        img.scroll_into_view_if_needed()
        assert img.evaluate("i => i.complete && i.naturalWidth > 0")
    screenshot(page, f"jupyterlab_saved_{path.stem}.png", images[0] if images else None)
    page.close()
