"""The app in a real browser: Playwright drives Debian's Chromium against ``panel serve``.

Skipped only where Chromium or Playwright is absent, and never in CI (tests/optional.py).
"""

import os
import time

import numpy as np
import pytest

from tests.browser import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, READY, free_port, panel_server, plotted_traces,
                           slider_handle, source, wait_until_plot_matches_model, widget_values)
from tests.optional import IN_CI, require


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing in CI (.ci/run installs it with apt-get)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    sync_api = require("playwright.sync_api", "browser tests").sync_api
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def url():
    with panel_server() as u:
        yield u


class PageWatch:
    """Console errors, page errors and every request a page makes."""

    def __init__(self, page):
        self.errors, self.requests = [], []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def outside_requests(self):
        return [u for u in self.requests
                if not u.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))]


def open_app(browser, url):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    watch = PageWatch(page)
    page.goto(url)
    page.wait_for_function(READY, timeout=90_000)
    return page, watch


def test_page_loads_offline_cleanly_and_matches_model(browser, url):
    page, watch = open_app(browser, url)
    wait_until_plot_matches_model(page)
    ARTIFACTS.mkdir(exist_ok=True)
    time.sleep(1.0)
    page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=True)
    assert watch.errors == []
    assert watch.outside_requests() == []
    assert len(source(page, "curve_source")["h"]) == 400
    page.close()


READOUT_CELLS = """() => {
  const cells = [];
  const walk = (root) => { for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) walk(el.shadowRoot);
    if (el.tagName === 'TD' && el.textContent.trim() === 'mean at end') {
      const value = el.nextElementSibling, box = el.getBoundingClientRect();
      cells.push({border: getComputedStyle(el).borderBottomWidth, align: getComputedStyle(value).textAlign,
                  text: value.textContent, visible: box.width > 0 && box.height > 0});
    } } };
  walk(document);
  return cells;
}"""


def test_readouts_show_as_a_styled_table_with_the_runs_numbers(browser, url):
    """The readouts are a raw Bokeh Div, drawn in its own shadow root: the page's CSS does not
    reach it, so the table must carry its own (before: unruled rows, values left-aligned)."""
    page, watch = open_app(browser, url)
    wait_until_plot_matches_model(page)
    page.locator("text=mean at end").first.scroll_into_view_if_needed()
    cells = page.evaluate(READOUT_CELLS)
    assert len(cells) == 1 and cells[0]["visible"], cells
    assert cells[0]["border"] == "1px" and cells[0]["align"] == "right", cells
    mean_at_end = float(cells[0]["text"])
    rate = source(page, "summary_source")["mean"]
    assert abs(mean_at_end - rate[-1]) < 1e-3  # the number shown is the run's last mean
    assert watch.errors == []
    page.close()


def test_keyboard_moves_a_slider_and_the_plot_follows(browser, url):
    page, watch = open_app(browser, url)
    before = plotted_traces(page)
    handle = slider_handle(page, "mu")
    handle.focus()
    for _ in range(30):
        handle.press("ArrowRight")
    page.wait_for_function("() => { for (const m of Bokeh.documents[0].all_models)"
                           " if (m.title === 'mu') return Math.abs(m.value - 0.3) < 1e-9; return false; }",
                           timeout=30_000)
    wait_until_plot_matches_model(page)
    assert not np.allclose(plotted_traces(page)[0][1][-100:], before[0][1][-100:])
    assert watch.errors == [] and watch.outside_requests() == []
    page.close()


def test_mouse_drag_moves_a_slider_and_the_plot_follows(browser, url):
    page, watch = open_app(browser, url)
    handle = slider_handle(page, "tau (ms)")
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for dx in range(0, 61, 4):  # a drag: many intermediate values on the way
        page.mouse.move(x + dx, y)
        time.sleep(0.02)
    page.mouse.up()
    tau = widget_values(page)["tau (ms)"]
    assert tau > 12.0
    wait_until_plot_matches_model(page)
    assert watch.errors == [] and watch.outside_requests() == []
    page.close()


def test_two_pages_stay_isolated(browser, url):
    a, _ = open_app(browser, url)
    b, _ = open_app(browser, url)
    b_before = source(b, "trials_source")["rate"]
    handle = slider_handle(a, "sigma")
    handle.focus()
    for _ in range(20):
        handle.press("ArrowLeft")
    wait_until_plot_matches_model(a)
    assert widget_values(a)["sigma"] == pytest.approx(0.8)
    time.sleep(1.0)
    assert widget_values(b)["sigma"] == 1.0
    np.testing.assert_array_equal(source(b, "trials_source")["rate"], b_before)
    a.close()
    b.close()


def test_url_with_out_of_range_value_is_refused_visibly(browser, url):
    page, watch = open_app(browser, url + "?tau=500&mu=0.5")
    wait_until_plot_matches_model(page)  # after the refresh that used to hide the message
    message = page.get_by_text("tau (ms) = 500.0 is outside the allowed range")
    assert message.count() == 1 and message.is_visible()  # a hidden alert still counts
    assert widget_values(page)["mu"] == 0.5  # the rest of the link applies
    page.close()
    page, _ = open_app(browser, url + "?mu=0.5&linear_summation=false")
    values = widget_values(page)
    assert values["mu"] == 0.5 and values["linear_summation"] is False and values["rectify_output"] is False
    wait_until_plot_matches_model(page)
    page.close()


@pytest.fixture(scope="module")
def served_in_process():
    """The explorer (``/app``) and a stock Panel page (``/stock``) served by a Bokeh server in
    this process, so tests can look at its sessions and sockets. Sessions end 0.2 s after
    their page closes. One per module: a second server in the same process did not run its
    session clean-up."""
    import panel as pn

    from explorer.app import create_app

    port, server_id = free_port(), "in-process-check"
    thread = pn.serve({"app": create_app, "stock": lambda: pn.pane.Markdown("stock")}, port=port,
                      address="127.0.0.1", websocket_origin=[f"127.0.0.1:{port}"], threaded=True,
                      show=False, server_id=server_id, check_unused_sessions_milliseconds=100,
                      unused_session_lifetime_milliseconds=100)
    try:
        deadline = time.monotonic() + 60
        while server_id not in pn.state._servers:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", pn.state._servers[server_id][0]
    finally:
        thread.stop()


def wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_served_pages_send_without_nagles_wait(browser, served_in_process):
    """The explorer's sessions turn Nagle's algorithm off once the page has loaded (a stock
    Panel page in the same server keeps it on: the check can tell the two apart)."""
    import socket

    base, server = served_in_process

    def nodelay(path):
        sockets = [c._socket.ws_connection.stream.socket
                   for s in server.get_sessions(path) for c in s._subscribed_connections]
        return [bool(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)) for s in sockets]

    assert wait_for(lambda: server.get_sessions("/app") == [] and server.get_sessions("/stock") == [])

    app = browser.new_page()
    app.goto(base + "/app")
    app.wait_for_function(READY, timeout=90_000)
    stock = browser.new_page()
    stock.goto(base + "/stock")
    stock.get_by_text("stock").wait_for(timeout=30_000)
    assert wait_for(lambda: nodelay("/app") == [True])  # set when the page reports it has loaded
    assert nodelay("/stock") == [False]
    app.close()
    stock.close()


def test_a_closed_sessions_objects_are_freed_though_frozen_while_open(browser, served_in_process):
    import gc
    import weakref

    base, server = served_in_process
    before = set(server.get_sessions("/app"))
    page = browser.new_page()
    page.goto(base + "/app")
    page.wait_for_function(READY, timeout=90_000)
    (session,) = set(server.get_sessions("/app")) - before
    trials = weakref.ref(session.document.get_model_by_name("trials_source"))
    assert wait_for(lambda: all(id(o) != id(trials()) for o in gc.get_objects()))  # frozen
    del session
    page.close()
    assert wait_for(lambda: trials() is None, timeout=30.0)  # the session ended; its sweep freed it
