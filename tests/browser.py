"""Helpers for the browser tests: a real ``panel serve`` and Debian's Chromium via Playwright."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jax
import numpy as np

import model
from explorer.bench.harness import CHROMIUM, CHROMIUM_ARGS, free_port, slider_handle  # noqa: F401  (shared with the benchmark)
from explorer.state import ExplorerState
from tests.decimated import largest_error, split_traces

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"

READY = """() => { const d = window.Bokeh && Bokeh.documents[0];
  const s = d && d.get_model_by_name('trials_source'); return !!(s && s.data.t.length > 0); }"""


@contextlib.contextmanager
def panel_server(extra_env=None, timeout=90.0, args=(), stopper=None):
    """``panel serve explorer/app.py`` on a free loopback port; yields the page's URL.

    ``args``: more ``panel serve`` options. ``stopper``: a list that receives a function
    stopping the server (to stop it under an open page)."""
    port = free_port()
    env = os.environ | {"JAX_ENABLE_X64": "1"} | (extra_env or {})
    cmd = [sys.executable, "-m", "panel", "serve", "explorer/app.py", "--port", str(port),
           "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}", *args]
    log = open(ARTIFACTS.mkdir(exist_ok=True) or ARTIFACTS / f"panel-serve-{port}.log", "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/app"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"panel serve did not start; see {log.name}")
                time.sleep(0.2)
        if stopper is not None:
            stopper.append(lambda: (proc.terminate(), proc.wait(10)))
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def source(page, name: str) -> dict:
    return page.evaluate(
        """(name) => { const d = Bokeh.documents[0].get_model_by_name(name).data; const out = {};
           for (const k of Object.keys(d)) out[k] = Array.from(d[k], v => (v === null ? NaN : v)); return out; }""",
        name,
    )


def widget_values(page) -> dict:
    """Every slider, select, spinner (title -> value) and checkbox (label -> active) on the page."""
    return page.evaluate("""() => { const out = {};
        for (const m of Bokeh.documents[0].all_models) {
            if (typeof m.title !== 'string' && typeof m.label !== 'string') continue;
            let value; try { value = m.value; } catch (e) { continue; }  // a FileInput's is unset
            if (typeof m.title === 'string' && value !== undefined) out[m.title] = value;
            else if (typeof m.label === 'string' && typeof m.active === 'boolean') out[m.label] = m.active;
        }
        return out; }""")


def state_from_page(page) -> ExplorerState:
    state = ExplorerState()
    labels = {p.label: name for name, p in state.param.objects().items() if name != "name"}
    values = {}
    for title, value in widget_values(page).items():
        if title not in labels:
            continue  # not a setting (e.g. a plot's legend toggle)
        name = labels[title]
        if name == "dt":
            value = float(value)
        values[name] = value
    state.param.update(**values)
    return state


def expected_traces(state: ExplorerState, shown: int) -> np.ndarray:
    xi = model.draw_xi(jax.random.PRNGKey(state.seed), n_trials=state.n_trials,
                       n_steps=state.n_steps, n_units=1)
    res = model.simulate(state.to_network(), state.t_sim(), state.dt, state.to_inputs(),
                         state.n_trials, xi=xi)
    return np.asarray(res.rate[:shown, :, 0])


def plotted_traces(page):
    data = source(page, "trials_source")
    return split_traces(data["t"], data["rate"])


def mismatch(page) -> float | None:
    """Largest |plotted - model| for the settings the page shows now (None: shapes differ)."""
    state = state_from_page(page)
    traces = plotted_traces(page)
    expected = expected_traces(state, len(traces))
    worst = 0.0
    for k, (t, y) in enumerate(traces):
        error = largest_error(t, y, expected[k], state.dt)
        if error is None:
            return None
        worst = max(worst, error)
    return worst


def wait_until_plot_matches_model(page, timeout=30.0, tol=1e-5) -> float:
    deadline = time.monotonic() + timeout
    worst = None
    while time.monotonic() < deadline:
        worst = mismatch(page)
        if worst is not None and worst <= tol:
            return worst
        time.sleep(0.3)
    raise AssertionError(f"plot never matched the model for the page's settings (last mismatch {worst})")
