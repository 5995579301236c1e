"""``python -m explorer.bench``: the explorer's end-to-end speed in Chromium, against a floor.

Starts ``panel serve`` with the explorer and a one-number floor app (``floor_app.py``), opens
them in Debian's Chromium (Playwright), and for each view presses a slider's arrow key many
times, timing key press -> new data in the page's Bokeh source. The clock starts at the key
event's own time stamp in the page, so the harness (locating the handle, the DevTools
round trip) is not counted. Views take turns, a few presses each, in several rounds, so a
slow spell of this shared machine falls on all of them alike. Prints p50 / p95 latency,
the ratio of p95 to each floor's p95, the longest main-thread task during updates, bytes
received per update, and the cold start (server launch -> first plots drawn). Figures only.

Two floors: stock Panel (its slider waits 50 ms on the server; Nagle's algorithm on) and the
same page with the explorer's transport (its 5 ms slider, ``widgets.py``, and no Nagle wait,
``serving.py``). The ratio to the second is the explorer's own cost over the stack.

The last view has a dynamics view on screen (the phase line tab, ``dynamics_views.py``): its
clock stops when the phase line's data arrive, which come after the traces'.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from explorer.bench.harness import CHROMIUM, CHROMIUM_ARGS, free_port, slider_handle, wait_http

ROOT = Path(__file__).resolve().parents[2]

INSTRUMENT = """(name) => {
  window.__t0 = null; window.__waiting = false; window.__lat = []; window.__long = [];
  window.addEventListener('keydown', (e) => { if (window.__waiting) window.__t0 = e.timeStamp; }, true);
  const src = Bokeh.documents[0].get_model_by_name(name);
  src.properties.data.change.connect(() => {
    if (window.__t0 === null) return;
    window.__lat.push(performance.now() - window.__t0); window.__t0 = null; window.__waiting = false;
  });
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); })
    .observe({entryTypes: ['longtask']});
}"""


class View:
    """One page of the benchmark, instrumented, with its slider focused."""

    def __init__(self, page, frames, source_name, slider_title):
        self.page = page
        self.frames = frames  # sizes of the websocket frames the page received
        page.evaluate(INSTRUMENT, source_name)
        slider_handle(page, slider_title).focus()
        self.presses = 0
        self.received = 0
        for _ in range(3):  # warm-up presses, not counted
            self.press()
        page.evaluate("window.__lat = []; window.__long = []")

    def press(self):
        self.page.evaluate("window.__waiting = true")
        self.page.keyboard.press("ArrowRight" if self.presses % 2 == 0 else "ArrowLeft")
        self.page.wait_for_function("!window.__waiting", timeout=60_000)
        self.presses += 1

    def run(self, presses):
        before = sum(self.frames)
        for _ in range(presses):
            self.press()
            time.sleep(0.05)
        time.sleep(0.2)
        self.received += sum(self.frames) - before

    def figures(self):
        lat = np.array(self.page.evaluate("window.__lat"))
        return {
            "p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95)),
            "long_task": float(max(self.page.evaluate("window.__long") or [0.0])),
            "bytes": self.received / len(lat), "n": len(lat),
        }


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m explorer.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presses", type=int, default=60, help="timed presses per view")
    ap.add_argument("--rounds", type=int, default=6, help="turns each view takes")
    ap.add_argument("--part", choices=["all", "browser", "classroom", "build", "joining", "procs"], default="all",
                    help="the Chromium views, the classroom scenarios (explorer/bench/classroom.py), or both; "
                         "build: one session's build cost in-process (explorer/bench/build.py); joining: "
                         "only the classroom's joining scenario; procs: only the class on python -m explorer --procs 2")
    args = ap.parse_args(argv)
    if args.part == "build":
        from explorer.bench import build

        build.run()
        return
    if args.part == "joining":
        from explorer.bench import classroom

        classroom.run_joining()
        return
    if args.part == "procs":
        from explorer.bench import classroom

        classroom.run_procs()
        return
    if args.part != "classroom":
        browser_views(args)
    if args.part != "browser":
        from explorer.bench import classroom

        print()
        classroom.run()
        print()
        classroom.run_procs()


def browser_views(args):
    """The Chromium part: key press -> new data in the page, each view against the floors."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", "explorer/app.py", "explorer/bench/floor_app.py",
           "--port", str(port), "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"]
    base = f"http://127.0.0.1:{port}"
    proc = None
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            launched = time.monotonic()  # the browser is up first: cold start is the server's
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env=os.environ.copy())
            wait_http(base + "/", proc)

            def open_page(path, source_name):
                page = browser.new_page(viewport={"width": 1500, "height": 1100})
                frames = []
                page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(len(payload))))
                page.goto(base + path)
                page.wait_for_function(
                    f"() => {{ const d = window.Bokeh && Bokeh.documents[0];"
                    f" const s = d && d.get_model_by_name('{source_name}');"
                    f" return !!(s && s.data[Object.keys(s.data)[0]].length > 0); }}", timeout=120_000)
                return page, frames

            page, _ = open_page("/app", "trials_source")
            cold = time.monotonic() - launched
            page.close()
            views = {}
            for label, path, source, slider in [
                ("floor: one number, stock Panel", "/floor_app", "floor_source", "value"),
                ("floor: one number, explorer's transport", "/floor_app?transport=explorer", "floor_source",
                 "value"),
                ("explorer default (20 trials x 1 s)", "/app", "trials_source", "mu"),
                ("explorer heavy (200 trials x 5 s)", "/app?n_trials=200&duration=5000", "trials_source", "mu"),
                # The dynamics tab on screen (phase line), bistable autapse: mu moves the curve, so the
                # clock stops when the phase line's data arrive (HoloViews DynamicMap via a Pipe).
                ("dynamics: phase line shown (bistable autapse)",
                 "/app?w_self=1&g=2&beta=6&theta=1&sigma=0.2&input_kind=none", "phase_source", "mu"),
            ]:
                views[label] = View(*open_page(path, source), source, slider)
            per_round = -(-args.presses // args.rounds)
            for _ in range(args.rounds):
                for view in views.values():
                    view.page.bring_to_front()
                    view.run(per_round)
            rows = [(label, view.figures()) for label, view in views.items()]
            browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)

    panel_floor, own_floor = rows[0][1]["p95"], rows[1][1]["p95"]
    print(f"key press -> new data in the page's Bokeh source, {rows[0][1]['n']} presses per view in "
          f"{args.rounds} rounds, Chromium (headless), panel serve on loopback")
    header = ("view", "p50 ms", "p95 ms", "p95 / stock floor p95", "p95 / explorer-transport floor p95",
              "longest task ms", "kB per update")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for label, r in rows:
        print(f"| {label} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p95'] / panel_floor:.2f} | "
              f"{r['p95'] / own_floor:.2f} | {r['long_task']:.0f} | {r['bytes'] / 1e3:.1f} |")
    print(f"\ncold start: panel serve launched -> first plots drawn: {cold:.1f} s")


if __name__ == "__main__":
    main()
