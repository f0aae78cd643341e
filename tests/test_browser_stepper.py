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
    a, b, c, f = mg.Value(2.0, label="a"), mg.Value(-3.0, label="b"), mg.Value(10.0, label="c"), mg.Value(-2.0, label="f")
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
        assert "연쇄법칙" in player.locator(".mgk-frame.mgk-active .mgk-text").text_content()
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


def test_without_javascript_every_frame_is_shown(browser, tmp_path):
    stepper = lecture_stepper()
    path = tmp_path / "player.html"
    stepper.to_html(path)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(path.as_uri())
    frames = page.locator(".mgk-frame")
    assert frames.count() == len(stepper)
    assert all(frames.nth(i).is_visible() for i in range(len(stepper)))
    assert not page.locator(".mgk-controls").is_visible()  # buttons that could not work stay hidden
    context.close()


def test_the_page_carries_the_glyphs_of_its_text(page, tmp_path):
    """Opened on a machine without a Korean font (as this one may be), the steps' Korean text still has glyphs."""
    path = tmp_path / "player.html"
    lecture_stepper().to_html(path)
    page.goto(path.as_uri())
    page.evaluate("document.fonts.ready.then(() => true)")
    assert page.evaluate("document.fonts.check('16px MicrogradKoPage', '연쇄법칙 위에서 흘러온 기울기')")
    family = page.locator(".mgk-frame.mgk-active .mgk-text").evaluate("e => getComputedStyle(e).fontFamily")
    assert family.split(',')[0].strip('"') == 'MicrogradKoPage'
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
    assert player.locator(".mgk-prev").evaluate("e => getComputedStyle(e).fontFamily").split(",")[0].strip('"') == family
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
        box, node = page.locator(".mgk-drawing").bounding_box(), page.locator(".mgk-drawing g.value.current").bounding_box()
        assert box["x"] - 4 <= node["x"] and node["x"] + node["width"] <= box["x"] + box["width"] + 4  # in view (its 3 px border aside)
        player.locator(".mgk-next").click()
    smallest = page.locator(".mgk-drawing > svg").evaluate(
        "svg => Math.min(...[...svg.querySelectorAll('g.node text')].map(t => t.getBoundingClientRect().height))")
    assert smallest >= 10
    grads = page.locator(".mgk-drawing g.value text:last-of-type").all_text_contents()
    assert sum("?" in g for g in grads) < len(grads)
    names = page.locator(".mgk-drawing g.value text").all_text_contents()
    assert any(n.startswith("w[0][") for n in names)  # named from the model, as in draw_graph
    SCREENSHOTS = Path(__file__).parent / "screenshots"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "stepper_large.png"))
    assert page.errors == []
