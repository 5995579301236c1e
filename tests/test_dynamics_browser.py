"""The dynamics views in Chromium: data in the page against the model, a click on the regime map
moving both sliders."""

import os
import time

import numpy as np
import pytest

from explorer import dynamics
from model import fixed_points as fpm

from .optional import IN_CI, require


def _wait_source(page, name, timeout=180_000):
    page.wait_for_function(
        f"""() => {{ const d = window.Bokeh && Bokeh.documents[0];
            const s = d && d.get_model_by_name('{name}');
            return !!(s && Object.values(s.data).length && Object.values(s.data)[0].length > 0); }}""",
        timeout=timeout)


def test_map_click_moves_the_sliders_and_views_show_the_models_data():
    from .browser import CHROMIUM, CHROMIUM_ARGS, READY, panel_server, source, state_from_page, widget_values
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing in CI (.ci/run installs it with apt-get)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    require("playwright.sync_api", "browser tests")
    from playwright.sync_api import sync_playwright
    query = "w_self=1&g=2&beta=6&theta=1&sigma=0.2&input_kind=none&duration=500"
    with panel_server() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{url}?{query}")
        page.wait_for_function(READY, timeout=120_000)
        _wait_source(page, "phase_source")
        # the phase line's fixed points in the page are the model's (float32 on the wire)
        state = state_from_page(page)
        fp = fpm.fixed_points(dynamics.setting(state, 0.0))
        rate, stable = np.asarray(fp.rate), np.asarray(fp.stable)
        shown = source(page, "stable_source")
        np.testing.assert_allclose(np.sort(np.asarray(shown["x"])),
                                   np.sort(rate[stable]), atol=1e-5)
        assert page.get_by_text("Regime map", exact=True).is_visible()
        page.get_by_text("Regime map", exact=True).click()
        _wait_source(page, "map_source")
        before = widget_values(page)
        assert before["self weight"] == pytest.approx(1.0) and before["mu"] == pytest.approx(0.0)
        # the map's figure is the canvas right of the traces: click at 80% across, 30% down
        canvas = page.locator("canvas").all()
        target = None
        for c in canvas:
            b = c.bounding_box()
            if b and b["x"] > 800 and b["y"] < 500 and b["width"] > 200:
                target = b
        assert target is not None
        page.mouse.click(target["x"] + 0.8 * target["width"], target["y"] + 0.3 * target["height"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            after = widget_values(page)
            if after["self weight"] != before["self weight"] and after["mu"] != before["mu"]:
                break
            time.sleep(0.2)
        assert after["self weight"] > 1.5 and after["mu"] > 0.5, after
        # the marker moved there too
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            here = source(page, "map_here_source")
            if np.isclose(here["x"][0], after["self weight"], atol=1e-5):  # float32 on the wire
                break
            time.sleep(0.2)
        assert np.isclose(here["x"][0], after["self weight"], atol=1e-5), here
        assert np.isclose(here["y"][0], after["mu"], atol=1e-5), here
        browser.close()
