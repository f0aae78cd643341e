"""The HTML backprop player in a real browser: headless Chromium driven by Playwright.

Uses the system Chromium (`/usr/bin/chromium`, Debian's package), never a
browser downloaded by Playwright; skipped with the reason when it is missing.
"""

from pathlib import Path

import pytest

import micrograd_ko as mg
from micrograd_ko.engine import topological_order
from micrograd_ko.stepper import BackpropStepper


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def lecture_stepper():
    a, b, c, f = (
        mg.Value(2.0, label="a"),
        mg.Value(-3.0, label="b"),
        mg.Value(10.0, label="c"),
        mg.Value(-2.0, label="f"),
    )
    L = ((a * b + c) * f).tanh()
    L.label = "L"
    return BackpropStepper(L)


def current_node(player):
    """The graphviz name of the highlighted value node in the visible frame."""
    return player.locator(".mgk-drawing g.value.current > title").text_content()


def test_next_prev_and_slider_move_the_highlight(page, tmp_path):
    stepper = lecture_stepper()
    order = topological_order(stepper.root)
    expected = [f"v{order.index(step.node)}" for step in stepper]
    path = tmp_path / "player.html"
    stepper.to_html(path)
    page.goto(path.as_uri())
    player = page.locator(".mgk-stepper")
    assert page.locator(".mgk-frame.mgk-active").count() == 1
    assert current_node(player) == expected[0]
    assert player.locator(".mgk-prev").is_disabled()
    seen = [current_node(player)]
    for i in range(1, len(stepper)):
        player.locator(".mgk-next").click()
        seen.append(current_node(player))
        assert player.locator(".mgk-counter").text_content() == f"{i + 1} / {len(stepper)}"
        assert "연쇄법칙" in player.locator(".mgk-current").text_content()
        assert player.locator(".mgk-current").text_content() == stepper.text(i)
    assert seen == expected
    assert player.locator(".mgk-next").is_disabled()
    player.locator(".mgk-prev").click()
    assert current_node(player) == expected[-2]
    slider = player.locator(".mgk-slider")
    slider.evaluate("(s) => { s.value = '1'; s.dispatchEvent(new Event('input')); }")
    assert current_node(player) == expected[1]
    assert page.errors == []


def test_two_players_on_one_page_are_independent(page):
    first, second = lecture_stepper(), lecture_stepper()
    page.set_content(f"<!DOCTYPE html><meta charset='utf-8'><body>{first._repr_html_()}{second._repr_html_()}</body>")
    players = page.locator(".mgk-stepper")
    assert players.count() == 2
    before = current_node(players.nth(1))
    players.nth(0).locator(".mgk-next").click()
    assert current_node(players.nth(0)) != current_node(players.nth(1)) == before
    assert page.errors == []


def test_without_javascript_one_step_shows_and_every_step_unfolds(browser, tmp_path):
    stepper = lecture_stepper()
    path = tmp_path / "player.html"
    stepper.to_html(path)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(path.as_uri())
    assert page.locator(".mgk-controls").count() == 0  # no button that could not work
    text, picture = page.locator(".mgk-stage .mgk-text").bounding_box(), page.locator(".mgk-stage img").bounding_box()
    assert (
        text["y"] < picture["y"] and picture["y"] + picture["height"] <= 900
    )  # the step's text and its picture: one screen
    frames = page.locator(".mgk-frame")
    assert frames.count() == len(stepper) and not frames.nth(0).is_visible()
    page.locator(".mgk-all summary").click()
    assert all(frames.nth(i).is_visible() for i in range(len(stepper)))
    context.close()


def test_the_page_carries_the_glyphs_of_its_text(page, tmp_path):
    """Opened on a machine without a Korean font (as this one may be), the steps' Korean text still has glyphs."""
    path = tmp_path / "player.html"
    lecture_stepper().to_html(path)
    page.goto(path.as_uri())
    page.evaluate("document.fonts.ready.then(() => true)")
    assert page.evaluate("document.fonts.check('16px MicrogradKoPage', '연쇄법칙 위에서 흘러온 기울기')")
    family = page.locator(".mgk-current").evaluate("e => getComputedStyle(e).fontFamily")
    assert family.split(",")[0].strip('"') == "MicrogradKoPage"
    assert page.errors == []


def test_the_notebook_fragment_carries_its_glyphs_too(page):
    """A live notebook shows `_repr_html_` (no page around it): its title, buttons and steps still have glyphs."""
    page.set_content(f"<!DOCTYPE html><meta charset='utf-8'><body>{lecture_stepper()._repr_html_()}</body>")
    player = page.locator(".mgk-stepper")
    family = player.locator(".mgk-title").evaluate("e => getComputedStyle(e).fontFamily").split(",")[0].strip('"')
    assert family.endswith("text") and family.startswith("mgk")
    page.evaluate("document.fonts.ready.then(() => true)")
    for text in ("역전파 단계별 보기", "연쇄법칙 위에서 흘러온 기울기", "이전 다음"):
        assert page.evaluate(f"document.fonts.check('16px {family}', {text!r})"), text
    assert (
        player.locator(".mgk-prev").evaluate("e => getComputedStyle(e).fontFamily").split(",")[0].strip('"') == family
    )
    assert page.errors == []


def test_a_large_stepper_plays_on_one_readable_drawing(page, tmp_path):
    """XOR 2-4-4-1 on a batch of 4 (109 steps): one drawing whose highlight and gradients change per step,
    text at least 10 px on screen, the current node scrolled into view."""
    model = mg.nn.MLP(2, [4, 4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    loss = mg.losses.bce([model(x) for x in ([0, 0], [0, 1], [1, 0], [1, 1])], [0, 1, 1, 0])
    stepper = BackpropStepper(loss, model=model, by="node")
    path = tmp_path / "big.html"
    stepper.to_html(path)
    page.set_viewport_size({"width": 900, "height": 900})
    page.goto(path.as_uri())
    player = page.locator(".mgk-stepper")
    assert player.locator(".mgk-drawing > svg").count() == 1 and player.locator("img").count() == 0
    order = topological_order(loss)
    for i in range(4):
        assert current_node(player) == f"v{order.index(stepper[i].node)}"
        box, node = (
            page.locator(".mgk-drawing").bounding_box(),
            page.locator(".mgk-drawing g.value.current").bounding_box(),
        )
        assert (
            box["x"] - 4 <= node["x"] and node["x"] + node["width"] <= box["x"] + box["width"] + 4
        )  # in view (its 3 px border aside)
        assert box["y"] - 4 <= node["y"] and node["y"] + node["height"] <= box["y"] + box["height"] + 4
        player.locator(".mgk-next").click()
    smallest = page.locator(".mgk-drawing > svg").evaluate(
        "svg => Math.min(...[...svg.querySelectorAll('g.node text')].map(t => t.getBoundingClientRect().height))"
    )
    assert smallest >= 10
    grads = page.locator(".mgk-drawing g.value text:last-of-type").all_text_contents()
    assert sum("?" in g for g in grads) < len(grads)
    names = page.locator(".mgk-drawing g.value text").all_text_contents()
    assert any(n.startswith("w[0][") for n in names)  # named from the model, as in draw_graph
    SCREENSHOTS = Path(__file__).parent / "screenshots"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "stepper_large.png"))
    assert page.errors == []


def inside(box, width=1280, height=900, slack=4):
    return (
        box is not None
        and box["x"] >= -slack
        and box["y"] >= -slack
        and box["x"] + box["width"] <= width + slack
        and box["y"] + box["height"] <= height + slack
    )


@pytest.mark.parametrize("kind", ["neuron", "layers", "large"])
def test_controls_text_and_highlight_are_on_one_1280x900_screen_at_every_step(page, tmp_path, kind):
    """The player fits one screen: at every step its controls, the step's explanation and the highlighted
    node (or layer) are inside the 1280 x 900 viewport together; ←/→ step too."""
    if kind == "neuron":
        x1, x2, w1, w2 = (
            mg.Value(2.0, label="x1"),
            mg.Value(0.0, label="x2"),
            mg.Value(-3.0, label="w1"),
            mg.Value(1.0, label="w2"),
        )
        o = (x1 * w1 + x2 * w2 + mg.Value(6.8813735870195432, label="b")).tanh()
        stepper, current = BackpropStepper(o), ".mgk-drawing g.value.current"
    elif kind == "layers":
        model = mg.nn.MLP(2, [10] * 10 + [1], activation="sigmoid", seed=0)
        loss = (
            mg.sum(
                [mg.losses.bce_with_logits(model(x), t) for x, t in zip([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0])]
            )
            / 4
        )
        stepper, current = BackpropStepper(loss, model=model), ".mgk-drawing g.cell.current"
    else:
        model = mg.nn.MLP(2, [4, 4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
        loss = mg.losses.bce([model(x) for x in ([0, 0], [0, 1], [1, 0], [1, 1])], [0, 1, 1, 0])
        stepper, current = BackpropStepper(loss, model=model, by="node"), ".mgk-drawing g.value.current"
    path = tmp_path / "player.html"
    stepper.to_html(path)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(path.as_uri())
    player = page.locator(".mgk-stepper")
    steps = list(range(len(stepper)))[:12] + list(range(len(stepper)))[-3:]  # a large one: its first and last steps
    for i in sorted(set(steps)):
        player.locator(".mgk-slider").evaluate(f"(s) => {{ s.value = '{i}'; s.dispatchEvent(new Event('input')); }}")
        for part in (".mgk-controls", ".mgk-current", current):
            assert inside(player.locator(part).first.bounding_box()), (kind, i, part)
        assert player.locator(".mgk-current").text_content() == stepper.text(i)
    if kind != "large":
        page.screenshot(path=str(Path(__file__).parent / "screenshots" / f"player_1280x900_{kind}.png"))
    player.locator(".mgk-slider").evaluate("(s) => { s.value = '0'; s.dispatchEvent(new Event('input')); }")
    player.locator(".mgk-next").click()
    page.keyboard.press("ArrowRight")
    assert player.locator(".mgk-counter").text_content() == f"3 / {len(stepper)}"
    page.keyboard.press("ArrowLeft")
    assert player.locator(".mgk-counter").text_content() == f"2 / {len(stepper)}"
    assert page.errors == []


def test_every_steps_text_shows_whole_where_its_lines_wrap(page, tmp_path):
    """The text box was as tall as the longest text's line count: at a notebook's narrower width the chain rule's
    long lines wrap, and a dot node's last contributions hid under the drawing (seen at 700 px: 7 lines wrap to 11)."""
    names = [mg.Value(0.5 + k, label=f"w{k}") for k in range(4)]
    inputs = [mg.Value(-1.5 - k, label=f"x{k}") for k in range(4)]
    out = mg.dot(names, inputs)
    out.label = "z"
    loss = out.tanh()
    loss.label = "L"
    stepper = BackpropStepper(loss)
    path = tmp_path / "player.html"
    stepper.to_html(path)
    page.set_viewport_size({"width": 520, "height": 800})
    page.goto(path.as_uri())
    player = page.locator(".mgk-stepper")
    box = player.locator(".mgk-current")
    wrapped = False
    for i in range(len(stepper)):
        if i:
            player.locator(".mgk-next").click()
        assert box.text_content() == stepper.text(i)
        lines = stepper.text(i).count("\n") + 1
        sizes = box.evaluate("e => [e.scrollHeight, e.clientHeight, parseFloat(getComputedStyle(e).lineHeight)]")
        wrapped |= sizes[0] > (lines + 1) * sizes[2]  # more lines drawn than the text has: it wrapped
        assert sizes[0] <= sizes[1] + 1, (i, sizes)  # nothing hidden below the box's edge
    assert wrapped  # the case the test is about did happen
    assert page.errors == []
