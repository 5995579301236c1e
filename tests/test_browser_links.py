"""Links, downloads and imports in Chromium: what a user sees in the page and the address bar."""

import json
import time

import numpy as np
import pytest

from explorer.exports import pynest_script
from explorer.links import GESTURE_MS
from explorer.widgets import on_step_grid
from tests.browser import READY, expected_traces, plotted_traces, slider_handle, source, state_from_page, \
    wait_until_plot_matches_model, widget_values
from tests.test_browser import PageWatch, browser, url  # noqa: F401  (fixtures)


def open_page(browser, address, context=None):
    context = context or browser.new_context(accept_downloads=True, viewport={"width": 1500, "height": 1300})
    page = context.new_page()
    watch = PageWatch(page)
    page.on("dialog", lambda d: watch.errors.append(f"dialog: {d.message}"))  # an alert() that ran
    page.goto(address)
    page.wait_for_function(READY, timeout=90_000)
    return page, watch


def visible_message(page, text, timeout=15.0):
    """True once ``text`` is on the page and visible (a hidden alert still counts for count())."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = page.get_by_text(text, exact=False)
        if found.count() and found.first.is_visible():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("query, named, applied", [
    ("?tau=500&mu=0.5", "tau (ms) = 500.0 is outside the allowed range", {"mu": 0.5}),
    ("?mu=NaN", "mu = 'NaN' is not a number", {}),
    ("?n_trials=2.5", "trials = '2.5' is not a whole number", {}),
    ("?dt=0.3", "dt (ms) = 0.3 is not one of", {}),
    ("?seed=-1", "seed = -1 is outside the allowed range", {}),
    ("?mu=0.5&utm_source=course&utm_medium=lms", "unknown settings 'utm_source', 'utm_medium'", {"mu": 0.5}),
    ("?mu=%FF&g=2", "mu: the value is not UTF-8 text", {"g": 2.0}),
    ("?mu=" + "9" * 5000, "mu: the value has 5,000 characters", {}),
    ("?input_kind=pulse%2520train", "input = 'pulse%20train' is not one of", {}),
    ("?mu=0_5", "mu = '0_5' is not a number", {}),
])
def test_a_refused_link_value_is_shown_and_the_rest_applied(browser, url, query, named, applied):
    page, watch = open_page(browser, url + query)
    assert visible_message(page, named), f"no visible message {named!r}"
    wait_until_plot_matches_model(page)  # the page works, with the valid values
    values = widget_values(page)
    assert values["mu"] == applied.get("mu", 0.0) and values["g"] == applied.get("g", 1.0)
    assert visible_message(page, named, timeout=1.0)  # still there after the refresh
    assert watch.errors == []
    page.context.close()


def test_nothing_from_a_link_is_executed_or_rendered(browser, url):
    page, watch = open_page(browser, url + "?%3Cscript%3Ealert(1)%3C/script%3E=1"
                                          "&mu=%3Cimg%20src=x%20onerror=alert(2)%3E&sigma=0.5")
    assert visible_message(page, "<img src=x onerror=alert")  # shown as text
    assert visible_message(page, "<script>alert(1)</script")
    assert page.locator("img[src=x]").count() == 0 and page.locator(".explorer-message script").count() == 0
    assert widget_values(page)["sigma"] == 0.5
    time.sleep(1.0)
    assert watch.errors == []  # no alert() ran, no failed image load
    page.context.close()


def test_the_address_bar_is_a_link_to_the_same_picture_and_history_steps_back(browser, url):
    page, watch = open_page(browser, url)
    entries = page.evaluate("() => window.history.length")
    handle = slider_handle(page, "mu")
    handle.focus()
    for _ in range(10):
        handle.press("ArrowRight")
    page.wait_for_function("() => window.location.search.includes('mu=0.1&')", timeout=30_000)
    wait_until_plot_matches_model(page)
    # Ten presses in a row are one gesture: one history entry, not one per refresh.
    assert page.evaluate("() => window.history.length") == entries + 1
    first_mu = on_step_grid(widget_values(page)["mu"], -5.0, 0.01)  # the decimal the slider shows
    assert first_mu == 0.1
    before = page.evaluate("() => window.location.search")
    time.sleep(GESTURE_MS / 1e3 + 0.5)  # a new gesture
    handle.press("ArrowRight")
    page.wait_for_function("(before) => window.location.search !== before", arg=before, timeout=30_000)
    wait_until_plot_matches_model(page)
    assert page.evaluate("() => window.history.length") == entries + 2
    shown_mu = on_step_grid(widget_values(page)["mu"], -5.0, 0.01)
    assert shown_mu == 0.11 and page.evaluate("() => window.location.search") == f"?mu={shown_mu!r}&seed=0"
    link = page.url
    assert "seed=0" in link
    shown = {k: np.asarray(v) for k, v in source(page, "trials_source").items()}
    other, _ = open_page(browser, link)  # another browser context: no shared state
    wait_until_plot_matches_model(other)
    again = source(other, "trials_source")
    for column, values in shown.items():
        np.testing.assert_array_equal(np.asarray(again[column]), values)  # bit for bit
    other.context.close()
    page.go_back()  # the previous setting
    page.wait_for_function(READY, timeout=90_000)
    page.wait_for_function("() => { for (const m of Bokeh.documents[0].all_models)"
                           f" if (m.title === 'mu') return m.value === {first_mu!r}; return false; }}",
                           timeout=30_000)
    wait_until_plot_matches_model(page)
    assert watch.errors == [] and watch.outside_requests() == []
    page.context.close()


def download(page, label):
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=label).click()
    return open(info.value.path()).read(), info.value.suggested_filename


def test_each_file_downloads_from_the_page(browser, url):
    page, watch = open_page(browser, url + "?mu=0.4&n_trials=3&duration=200&w_self=0.5")
    wait_until_plot_matches_model(page)
    state = state_from_page(page)
    state.duration = float(state.duration)  # the browser reports 200.0 as 200
    script, name = download(page, "PyNEST script")
    assert name.endswith(".py") and script == pynest_script(state)
    compile(script, name, "exec")  # valid Python (run in NEST by tests/test_pynest_export.py)
    data, name = download(page, "Data (CSV)")
    table = np.loadtxt(data.splitlines(), delimiter=",", skiprows=1)
    assert table.shape == (state.n_steps, 1 + 3 + 2)  # no theory columns with an autapse
    np.testing.assert_allclose(table[:, 1:4].T, expected_traces(state, 3), rtol=0, atol=1e-12)
    params, name = download(page, "Parameters (JSON, NEST keys)")
    assert json.loads(params) == state.to_params().to_nest()
    assert watch.errors == [] and watch.outside_requests() == []
    page.context.close()


def test_importing_a_nest_status_moves_the_sliders(browser, url, tmp_path):
    page, watch = open_page(browser, url)
    box = page.get_by_placeholder('{"tau": 10.0, "lambda": 1.0, ...}')
    box.fill('{"tau": 5.0, "g": 2.0, "global_id": 1, "model": "sigmoid_rate_ipn"}')
    box.press("Tab")
    page.get_by_role("button", name="Import the pasted status").click()
    page.wait_for_function("() => { for (const m of Bokeh.documents[0].all_models)"
                           " if (m.title === 'g') return m.value === 2; return false; }", timeout=30_000)
    assert widget_values(page)["tau (ms)"] == 5.0
    wait_until_plot_matches_model(page)
    bad = tmp_path / "status.json"
    bad.write_text('{"tau": 7.0, "<img src=x onerror=alert(3)>": 1}')
    page.locator("input[type=file]").set_input_files(str(bad))
    assert visible_message(page, "unknown key(s) '<img src=x onerror=alert(3)>'")
    assert widget_values(page)["tau (ms)"] == 5.0  # nothing changed
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"tau": 8.0, "lambda": 0.5}]))  # nest.GetStatus gives a list
    page.locator("input[type=file]").set_input_files(str(good))
    page.wait_for_function("() => { for (const m of Bokeh.documents[0].all_models)"
                           " if (m.title === 'tau (ms)') return m.value === 8; return false; }", timeout=30_000)
    assert watch.errors == []
    page.context.close()


def test_typing_a_fraction_of_trials_is_refused_not_read_as_25(browser, url):
    page, watch = open_page(browser, url)
    box = page.locator(".bk-input-group", has_text="trials").locator("input")
    box.fill("2.5")
    box.press("Enter")
    assert visible_message(page, "trials must be a whole number, got 2.5")
    assert widget_values(page)["trials"] == 20
    wait_until_plot_matches_model(page)
    assert len(plotted_traces(page)) == 20
    page.context.close()
