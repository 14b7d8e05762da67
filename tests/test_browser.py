"""The app in a real browser: streamlit served headless, Debian's Chromium driven by Playwright.

Opens Home and Step through and screenshots them (test-results/), steps with the Right key
and checks that the cursor and the memory view move, types a bad character and checks the
message. Skips when Chromium, Playwright or the copy checkpoint is missing.
"""
from __future__ import annotations

import os

import plotly.offline
import pytest

from app_fixtures import (CHART_JS, CHART_TITLES_JS, CHROMIUM, CHROMIUM_ARGS, RESULTS, free_port, needs_copy, settle,
                          start_server, stop_server)

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.browser, needs_copy,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def base_url():
    RESULTS.mkdir(exist_ok=True)
    port = free_port()
    proc = start_server(port, RESULTS / "streamlit-server.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def tab(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def chart(tab, prefix: str) -> dict:
    """Title, cursor positions and a checksum of the first trace of the chart whose title starts with prefix."""
    return tab.wait_for_function(CHART_JS, arg=prefix, timeout=30_000).json_value()


def screenshot(tab, name: str) -> None:
    tab.set_viewport_size({"width": 1400, "height": 4200})  # the main area scrolls: a tall window shows it all
    tab.wait_for_timeout(800)
    tab.screenshot(path=str(RESULTS / name))
    tab.set_viewport_size({"width": 1400, "height": 1000})


def test_every_page_renders_and_is_screenshotted(tab, base_url):
    elsewhere = []  # the app works offline: nothing may be fetched from another host
    tab.on("request", lambda r: None if r.url.startswith((base_url, "data:", "blob:")) else elsewhere.append(r.url))
    tab.goto(base_url + "/")
    tab.wait_for_selector('[data-testid="stApp"] h1', timeout=90_000)
    tab.wait_for_selector('[data-testid="stImage"] img', timeout=30_000)
    assert tab.get_by_text("Choosing an address is attention").is_visible()
    screenshot(tab, "home.png")
    tab.get_by_role("link", name="Start here").click()
    settle(tab)
    assert tab.url.endswith("/step")  # text=HELLO is the default, so the URL drops it
    assert tab.get_by_text("Step 0 of 10").is_visible()
    assert len(tab.query_selector_all(".js-plotly-plot")) == 3  # input/output, heads and memory, one detail tab
    screenshot(tab, "step_through.png")
    tab.goto(base_url + "/step?text=HELLO&step=6&lecture=true")
    settle(tab)
    assert tab.get_by_text("Step 6 of 10").is_visible()
    screenshot(tab, "step_through_lecture.png")
    assert elsewhere == []


def test_right_key_moves_the_cursor_and_the_memory(tab, base_url):
    tab.goto(base_url + "/step?text=HELLO")
    settle(tab)
    before = chart(tab, "Where the heads look, and the memory after step 0")
    assert before["cursors"] == [0, 0, 0, 0]  # write and read panels, each a black-and-white box
    tab.evaluate("document.querySelectorAll('.js-plotly-plot').forEach(gd => { gd.__kept = true; })")
    tab.evaluate("document.activeElement && document.activeElement.blur()")
    tab.keyboard.press("ArrowRight")
    after = chart(tab, "Where the heads look, and the memory after step 1")
    drawn_here = tab.evaluate("() => window.__ntmSteps.clientSteps")
    assert drawn_here == 3, "the key drew the three step charts from their tables, without waiting for the server"
    tab.wait_for_function("() => location.search.includes('step=1')", timeout=30_000)  # then the server follows
    settle(tab)
    assert tab.locator("[data-testid=stSlider] input[type=range]").first.input_value() == "1"
    assert tab.get_by_text("Step 1 of 10", exact=False).first.is_visible()
    assert after["zsum"] != before["zsum"], "the memory view shows the memory of the new step"
    assert set(after["cursors"]) == {1}
    assert set(chart(tab, "Input, target and output")["cursors"]) == {1}
    assert chart(tab, "How the write head addresses memory at step 1")
    assert "step=1" in tab.url
    kept = tab.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => gd.__kept === true)")
    assert kept[:2] == [True, True], "the step charts change in place: they are not drawn anew each step"
    assert tab.evaluate("() => document.querySelector('.ntm-chart[role=img]').getAttribute('aria-label')")
    served = tab.evaluate("() => [...document.scripts].map(s => s.src).filter(s => s.includes('/app/static/'))")
    assert len(served) == 1 and served[0].endswith("/app/static/plotly-cartesian.min.js")
    assert tab.evaluate("() => window.__ntmPlotlyLib.version") == plotly.offline.get_plotlyjs_version()
    tab.keyboard.press("ArrowLeft")
    tab.wait_for_function("() => location.search.indexOf('step=') < 0", timeout=30_000)  # step 0 is the default
    settle(tab)
    assert set(chart(tab, "Where the heads look")["cursors"]) == {0}


def test_a_bad_character_shows_the_message_and_keeps_the_run(tab, base_url):
    tab.goto(base_url + "/step?text=HELLO")
    settle(tab)
    box = tab.get_by_role("textbox", name="Text: each character becomes its 8-bit code")
    box.fill("HÉLLO")
    box.press("Enter")
    message = tab.get_by_text("cannot be encoded", exact=False).first
    message.wait_for(timeout=30_000)
    settle(tab)
    assert message.is_visible()
    assert chart(tab, "Input, target and output")  # the last good run stays on screen
    notes = tab.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(g => g.layout.annotations"
                         " ? g.layout.annotations.map(a => a.text).join('|') : '').join('|')")
    assert "Input: “HELLO”" in notes and len(tab.evaluate(CHART_TITLES_JS)) == 3
    screenshot(tab, "step_through_bad_input.png")


def test_play_animates_in_the_browser_and_the_download_plays_offline(tab, chromium, base_url, tmp_path):
    tab.goto(base_url + "/step?text=HI&view=Play+the+whole+run")
    settle(tab)
    start = chart(tab, "The whole run")
    tab.locator(".updatemenu-button").first.click()  # ▶ Play
    tab.wait_for_timeout(2500)
    assert chart(tab, "The whole run")["zsum"] != start["zsum"], "Play moves the memory panel through the steps"
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Download this animation").click()
    saved = tmp_path / "animation.html"
    download.value.save_as(saved)
    assert saved.stat().st_size > 1_000_000  # plotly.js is inside
    offline = chromium.new_context(offline=True, viewport={"width": 1400, "height": 900})
    try:
        page = offline.new_page()
        page.goto(saved.as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg", state="attached", timeout=30_000)
        first = chart(page, "The whole run")
        assert set(first["cursors"]) == {0}  # starts paused at step 0
        page.locator(".updatemenu-button").first.click()
        page.wait_for_timeout(2500)
        assert chart(page, "The whole run")["zsum"] != first["zsum"]
    finally:
        offline.close()


def test_arrow_keys_in_the_text_box_move_the_caret_not_the_step(tab, base_url):
    tab.goto(base_url + "/step?text=HELLO")
    settle(tab)
    box = tab.get_by_role("textbox", name="Text: each character becomes its 8-bit code")
    box.click()
    tab.keyboard.press("ArrowLeft")
    tab.keyboard.press("ArrowRight")
    tab.wait_for_timeout(1000)
    settle(tab)
    assert tab.evaluate("() => window.__ntmSteps.clientSteps") == 0
    assert "step=" not in tab.url and set(chart(tab, "Where the heads look")["cursors"]) == {0}


def test_next_and_previous_step_the_charts_at_once_and_the_server_once(tab, base_url):
    tab.goto(base_url + "/step?text=HELLO&step=3")
    settle(tab)
    tab.get_by_role("button", name="Next ▶").click()
    assert chart(tab, "Where the heads look, and the memory after step 4")
    tab.wait_for_function("() => location.search.includes('step=4')", timeout=30_000)
    settle(tab)
    tab.get_by_role("button", name="◀ Previous").click()
    tab.get_by_role("button", name="◀ Previous").click()
    tab.wait_for_function("() => location.search.includes('step=2')", timeout=30_000)
    settle(tab)
    tab.wait_for_timeout(500)
    assert "step=2" in tab.url and tab.get_by_text("Step 2 of 10", exact=False).first.is_visible()
    assert tab.evaluate("() => window.__ntmSteps.clientSteps") == 9  # three clicks, three charts each
    assert set(chart(tab, "Where the heads look")["cursors"]) == {2}


def test_keys_pressed_faster_than_the_server_answers_end_on_the_same_step(tab, base_url):
    tab.goto(base_url + "/step?text=HELLO")
    settle(tab)
    tab.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(6):
        tab.keyboard.press("ArrowRight", delay=5)
    tab.wait_for_function("() => location.search.includes('step=6')", timeout=30_000)
    settle(tab)
    tab.wait_for_timeout(800)
    settle(tab)
    assert set(chart(tab, "Where the heads look, and the memory after step 6")["cursors"]) == {6}
    assert set(chart(tab, "Input, target and output")["cursors"]) == {6}
    assert tab.locator("[data-testid=stSlider] input[type=range]").first.input_value() == "6"
    assert tab.get_by_text("Step 6 of 10", exact=False).first.is_visible()
