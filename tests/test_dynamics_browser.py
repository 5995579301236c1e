"""The dynamics views in Chromium: data in the page against the model, a click on the regime map
moving both sliders."""

import contextlib
import os
import time

import numpy as np
import pytest

from explorer import dynamics
from model import fixed_points as fpm

from .optional import IN_CI, require


BISTABLE = "w_self=1&g=2&beta=6&theta=1&sigma=0.2&input_kind=none&duration=500"


@contextlib.contextmanager
def _projector_page():
    """A served explorer and a Chromium page at 1280 x 720 (a projector): yields (url, page)."""
    from .browser import CHROMIUM, CHROMIUM_ARGS, panel_server
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing in CI (.ci/run installs it with apt-get)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    require("playwright.sync_api", "browser tests")
    from playwright.sync_api import sync_playwright
    with panel_server() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield url, browser.new_page(viewport={"width": 1280, "height": 720})
        finally:
            browser.close()


def _wait_source(page, name, timeout=180_000):
    page.wait_for_function(
        f"""() => {{ const d = window.Bokeh && Bokeh.documents[0];
            const s = d && d.get_model_by_name('{name}');
            return !!(s && Object.values(s.data).length && Object.values(s.data)[0].length > 0); }}""",
        timeout=timeout)


def test_map_click_moves_the_sliders_and_views_show_the_models_data():
    from .browser import READY, source, state_from_page, widget_values
    query = BISTABLE
    with _projector_page() as (url, page):
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


CURSOR = """() => { const d = Bokeh.documents[0]; const m = d.get_model_by_name('time_cursor');
  const v = Bokeh.index.find_one(m); const pv = v.plot_view;
  const r = pv.canvas_view.el.getBoundingClientRect(); const f = pv.frame.bbox;
  return {loc: m.location, x: r.left + v.coordinates.x_scale.compute(m.location),
          top: r.top + f.top, bottom: r.top + f.bottom, left: r.left + f.left, right: r.left + f.right}; }"""
PHASE_FRAME = """() => { const d = Bokeh.documents[0]; const p = d.get_model_by_name('phase_figure');
  const pv = Bokeh.index.find_one(p); const r = pv.canvas_view.el.getBoundingClientRect(); const f = pv.frame.bbox;
  return {x0: pv.frame.x_range.start, x1: pv.frame.x_range.end, y0: pv.frame.y_range.start,
          y1: pv.frame.y_range.end, left: r.left + f.left, right: r.left + f.right, top: r.top + f.top,
          bottom: r.top + f.bottom}; }"""
COUNT_CHANGES = """() => { window.__changes = {trials: 0, dots: 0};
  const d = Bokeh.documents[0];
  d.get_model_by_name('trials_source').change.connect(() => window.__changes.trials++);
  d.get_model_by_name('phase_trials_source').change.connect(() => window.__changes.dots++); }"""


def test_dragging_the_time_cursor_on_the_rate_plot_moves_the_phase_lines_dots():
    import jax

    import model
    from .browser import READY, source, state_from_page, widget_values
    query = BISTABLE
    with _projector_page() as (url, page):
        patches = []
        page.on("websocket", lambda ws: ws.on(
            "framesent", lambda p: patches.append(1) if '"attr":"location"' in str(p) else None))
        page.goto(f"{url}?{query}")
        page.wait_for_function(READY, timeout=120_000)
        _wait_source(page, "phase_trials_source")
        state = state_from_page(page)
        xi = model.draw_xi(jax.random.PRNGKey(state.seed), n_trials=state.n_trials, n_steps=state.n_steps,
                           n_units=1)
        res = model.simulate(state.to_network(), state.t_sim(), state.dt, state.to_inputs(), state.n_trials,
                             xi=xi)
        rates, times = np.asarray(res.rate[:, :, 0]), np.asarray(res.times)
        before = np.asarray(source(page, "phase_trials_source")["x"])
        page.evaluate(COUNT_CHANGES)
        c = page.evaluate(CURSOR)
        assert c["loc"] == pytest.approx(state.t_sim())  # the line starts at the run's end
        y = (c["top"] + c["bottom"]) / 2
        page.mouse.move(c["x"], y)
        page.mouse.down()
        page.mouse.move(c["left"] + 0.4 * (c["right"] - c["left"]), y, steps=30)
        page.mouse.up()
        dropped = page.evaluate(CURSOR)["loc"]
        assert 0.3 * state.t_sim() < dropped < 0.5 * state.t_sim()
        t_expected = round(dropped / state.dt) * state.dt
        deadline, dots = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            slider = widget_values(page)["time cursor (ms)"]
            dots = np.asarray(source(page, "phase_trials_source")["x"])
            n = int(np.searchsorted(times, slider))
            if slider == pytest.approx(t_expected) and np.allclose(dots, rates[:len(dots), n], atol=1e-5):
                break
            time.sleep(0.2)
        assert slider == pytest.approx(t_expected)  # the slider followed the line
        np.testing.assert_allclose(dots, rates[:len(dots), n], atol=1e-5)  # the model's rates there
        assert not np.allclose(dots, before, atol=1e-3)  # they moved
        # what the user sees: the dashed red line is drawn where it was dropped, not at the run's end
        from .pixels import png_pixels
        box = {"x": c["left"], "y": c["top"], "width": c["right"] - c["left"], "height": c["bottom"] - c["top"]}
        img = png_pixels(page.screenshot(clip=box)).astype(int)
        red = (img[..., 0] > 150) & (img[..., 1] < 120) & (img[..., 2] < 120)
        columns = np.flatnonzero(red.sum(0) > 0.2 * img.shape[0]) + box["x"]  # a dashed vertical line
        line_x = page.evaluate(CURSOR)["x"]
        assert columns.size and np.abs(columns - line_x).max() <= 4, (columns, line_x)
        changes = page.evaluate("window.__changes")
        assert changes["trials"] == 0  # the traces were not recomputed nor re-sent
        # visible: the phase line's tab is on screen, its plot inside the window, the dots in its ranges
        assert page.get_by_text("Phase line", exact=True).is_visible()
        f = page.evaluate(PHASE_FRAME)
        assert 0 <= f["left"] < f["right"] <= 1280 and 0 <= f["top"] < f["bottom"] <= 720, f
        assert f["x0"] < dots.min() and dots.max() < f["x1"], f
        drift = np.asarray(source(page, "phase_trials_source")["y"])
        assert f["y0"] < drift.min() and drift.max() < f["y1"], f
        # the curve spans every dot (not drawn off its end)
        curve = np.asarray(source(page, "phase_source")["x"])
        assert curve[0] < dots.min() and dots.max() < curve[-1]
        print(f"drag: {len(patches)} location messages sent, {changes['dots']} dots updates received")
        assert 0 < changes["dots"] <= len(patches)

        # branches against a chosen parameter: the page's data are the model's for that parameter
        from model import regimes
        page.get_by_text("Hysteresis", exact=True).click()
        _wait_source(page, "branch_stable_source")
        select = page.get_by_label("branches against")
        assert select.is_visible() and select.is_enabled()
        select.select_option("mu")
        state = state_from_page(page)
        values = np.linspace(*dynamics.map_range(state, "mu"), dynamics.BRANCH_POINTS)
        br = regimes.branches(dynamics.setting(state, 0.0), "mu", values)
        rate, stable = np.asarray(br.fixed.rate), np.asarray(br.fixed.stable)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            shown = source(page, "branch_stable_source")
            if len(shown["u"]) and np.nanmin(shown["u"]) == pytest.approx(values[0], abs=1e-5):
                break
            time.sleep(0.2)
        expected = np.sort(rate[stable & np.isfinite(rate)])
        got = np.asarray(shown["rate"])
        np.testing.assert_allclose(np.sort(got[np.isfinite(got)]), expected, atol=1e-5)
        fv = np.asarray(br.fold_value)
        np.testing.assert_allclose(np.sort(source(page, "fold_source")["u"]), np.sort(fv[np.isfinite(fv)]),
                                   atol=1e-5)
        assert len(fv[np.isfinite(fv)]) == 2  # this autapse is bistable over a range of mu: two folds
