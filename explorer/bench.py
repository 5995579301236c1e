"""``python -m explorer.bench``: the explorer's end-to-end speed in Chromium, against a floor.

Starts ``panel serve`` with the explorer and a one-number floor app (``floor_app.py``), opens
them in Debian's Chromium (Playwright), and for each view presses a slider's arrow key many
times, timing key press -> new data in the page's Bokeh source. Prints p50 / p95 latency,
the ratio of p95 to each floor's p95, the longest main-thread task during updates, bytes
received per update, and the cold start (server launch -> first plots drawn). Figures only.

Two floors: a stock Panel slider (which waits 50 ms on the server before acting) and the
explorer's own slider (``widgets.py``, 5 ms), so the explorer's overhead over the stack can be
read both against what Panel gives by default and against the same widget mechanics.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

INSTRUMENT = """(name) => {
  window.__t0 = null; window.__lat = []; window.__long = [];
  const src = Bokeh.documents[0].get_model_by_name(name);
  src.properties.data.change.connect(() => {
    if (window.__t0 !== null) { window.__lat.push(performance.now() - window.__t0); window.__t0 = null; }
  });
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); })
    .observe({entryTypes: ['longtask']});
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url, proc, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("panel serve exited")
            time.sleep(0.05)
    raise TimeoutError(url)


def slider_handle(page, title_prefix):
    titles = page.locator(".bk-slider-title").all_inner_texts()
    index = next(i for i, t in enumerate(titles) if t.split(":")[0] == title_prefix)
    return page.locator(".noUi-handle").nth(index)


def measure(page, source_name, slider_title, presses, received):
    page.evaluate(INSTRUMENT, source_name)
    handle = slider_handle(page, slider_title)
    handle.focus()
    for _ in range(3):  # warm-up presses, not counted
        page.evaluate("window.__t0 = performance.now()")
        handle.press("ArrowRight")
        page.wait_for_function("window.__t0 === null", timeout=60_000)
    page.evaluate("window.__lat = []; window.__long = []")
    time.sleep(0.3)
    received.clear()
    for i in range(presses):
        page.evaluate("window.__t0 = performance.now()")
        handle.press("ArrowRight" if i % 2 else "ArrowLeft")
        page.wait_for_function("window.__t0 === null", timeout=60_000)
        time.sleep(0.05)
    time.sleep(0.3)
    lat = np.array(page.evaluate("window.__lat"))
    longest = max(page.evaluate("window.__long") or [0.0])
    return {
        "p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95)),
        "long_task": float(longest), "bytes": sum(received) / presses,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presses", type=int, default=40)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", "explorer/app.py", "explorer/floor_app.py",
           "--port", str(port), "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"]
    base = f"http://127.0.0.1:{port}"
    launched = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=os.environ.copy())
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            _wait_http(base + "/", proc)
            received: list[int] = []

            def open_page(path, source_name):
                page = browser.new_page(viewport={"width": 1500, "height": 1100})
                page.on("websocket", lambda ws: ws.on(
                    "framereceived", lambda payload: received.append(len(payload))))
                page.goto(base + path)
                page.wait_for_function(
                    f"() => {{ const d = window.Bokeh && Bokeh.documents[0];"
                    f" const s = d && d.get_model_by_name('{source_name}');"
                    f" return !!(s && s.data[Object.keys(s.data)[0]].length > 0); }}", timeout=120_000)
                return page

            page = open_page("/app", "trials_source")
            cold = time.monotonic() - launched
            page.close()
            for label, source, slider in [("floor: one number, Panel's slider", "floor_source", "value"),
                                          ("floor: one number, explorer's slider", "floor_undelayed_source",
                                           "value, explorer's slider")]:
                floor_page = open_page("/floor_app", source)
                rows.append((label, measure(floor_page, source, slider, args.presses, received)))
                floor_page.close()
            for label, path in [("explorer default (20 trials x 1 s)", "/app"),
                                ("explorer heavy (200 trials x 5 s)", "/app?n_trials=200&duration=5000")]:
                page = open_page(path, "trials_source")
                rows.append((label, measure(page, "trials_source", "mu", args.presses, received)))
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)

    panel_floor, own_floor = rows[0][1]["p95"], rows[1][1]["p95"]
    print(f"key press -> new data in the page's Bokeh source, {args.presses} presses per view, Chromium "
          f"(headless), panel serve on loopback")
    header = ("view", "p50 ms", "p95 ms", "p95 / Panel-slider floor p95", "p95 / explorer-slider floor p95",
              "longest task ms", "kB per update")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for label, r in rows:
        print(f"| {label} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p95'] / panel_floor:.2f} | "
              f"{r['p95'] / own_floor:.2f} | {r['long_task']:.0f} | {r['bytes'] / 1e3:.1f} |")
    print(f"\ncold start: panel serve launched -> first plots drawn: {cold:.1f} s")


if __name__ == "__main__":
    main()
