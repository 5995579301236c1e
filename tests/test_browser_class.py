"""A class in Chromium: offline in every path (a session rebuilt because its websocket came
late, the alert, the spinner), and a lost connection said on the page.

Every request to a host other than 127.0.0.1 is aborted and counted: a classroom may have no
internet, and a page that needs one fails there.
"""

import time

from tests.browser import READY, panel_server
from tests.test_browser import browser  # noqa: F401  (the module's Chromium, skipped or failed alike)

LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")


LINKED = """() => { const out = []; const walk = (root) => {
    for (const e of root.querySelectorAll('link[href], script[src], img[src]')) out.push(e.href || e.src);
    for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot); };
  walk(document); return out; }"""


def linked_elsewhere(page):
    """Stylesheets, scripts and images the page (shadow roots included) links to another host:
    a link made but not (yet) fetched is found too."""
    return [u for u in page.evaluate(LINKED) if not u.startswith(LOCAL)]


def offline_page(browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    outside, errors = [], []

    def route(r):
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("websocket", lambda ws: ws.url.startswith("ws://127.0.0.1") or outside.append(ws.url))
    return page, outside, errors


def test_a_rebuilt_session_loads_nothing_from_other_hosts(browser):  # noqa: F811
    """Sessions expire 1 ms after the page's HTML is sent, so the websocket always arrives late
    and the server builds the session again without its HTML (before: 8 stylesheets from
    cdn.holoviz.org, 8 console errors, an unstyled alert). Then a request too big for the
    memory budget: the spinner turns, the alert shows, styled, and still nothing from outside."""
    # The default run (20 x 10,000, float64) holds 4.8 MB (the start-up probe's sessions too);
    # 1000 trials need 86 MB.
    budget_mb = "40"
    with panel_server(extra_env={"EXPLORER_CACHE_BUDGET_MB": budget_mb},
                      args=["--unused-session-lifetime", "1", "--check-unused-sessions", "5"]) as url:
        page, outside, errors = offline_page(browser)
        page.goto(url)
        page.wait_for_function(READY, timeout=90_000)
        spin = page.locator(".bk-input-group", has_text="trials").locator("input")
        spin.fill("1000")
        spin.press("Enter")
        alert = page.get_by_text("memory budget")
        alert.wait_for(state="visible", timeout=60_000)
        assert page.locator(".bk-input-group", has_text="trials").locator("input").input_value() == "20"
        host = alert.evaluate("e => { const h = e.getRootNode().host; const s = getComputedStyle(h);"
                              " return [s.backgroundColor, s.color, getComputedStyle(e).color]; }")
        assert "rgb(0, 0, 0)" not in host[1:], host  # red, not plain black: its stylesheet came
        time.sleep(1.0)
        assert outside == [], outside
        assert linked_elsewhere(page) == []
        assert not [e for e in errors if "Failed to load resource" in e], errors
        page.close()


def test_a_lost_connection_is_shown_on_the_page(browser):  # noqa: F811
    """The server stops under an open page (a restart, a wifi drop): the page says so and tells
    the user to reload (before: nothing was said, sliders moved, plots never updated)."""
    stop = []
    with panel_server(stopper=stop) as url:
        page, outside, errors = offline_page(browser)
        page.goto(url)
        page.wait_for_function(READY, timeout=90_000)
        # The toast itself; Panel's notifications also copy its text into an aria-live
        # announcer for screen readers, which is not what a seeing user looks at.
        notice = page.locator(".notyf__message", has_text="Connection to the server lost")
        assert not notice.is_visible()
        stop[0]()
        notice.wait_for(state="visible", timeout=20_000)
        assert "Reload the page" in notice.inner_text()
        assert outside == [], outside
        assert linked_elsewhere(page) == []
        page.close()
