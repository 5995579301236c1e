"""``python -m explorer.bench.holoviews_vs_bokeh``: each dynamics view, Bokeh vs HoloViews, one process.

Builds the four dynamics views both ways, the Bokeh ones of ``explorer/dynamics_views.py`` and
the HoloViews ones of ``explorer/bench/hv_views.py`` (a ``DynamicMap`` over its own stream per layer,
``hv.Image`` + ``Tap`` for the map), renders each into a Panel document, then interleaves
updates of both with the same data (view by view, the two ways alternating which goes first)
and prints the per-update time, p50 and p95, and the ratio hv / bokeh. An update is what the
server does for one new view datum: put the data into the models, then encode the resulting
document events as the PATCH-DOC message a session would send (Bokeh's own ``patch_doc``), so
model-building and serialisation costs on either side are counted. Also prints each
HoloViews view's first render (``get_root``, the session-build cost) against the Bokeh views'.
Ratios from one run are robust to the shared machine's load; the load average is printed too.
Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


MARKER = "Regime map, marker only"  # a slider on one of the map's axes: only the cross moves


def _percentiles(ms):
    a = np.asarray(ms)
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def _data_sets(k):
    """``k`` different data for every view part, from the bistable switch at k values of mu
    (g for the map, whose own axes are w_self and mu)."""
    from explorer import dynamics
    from explorer.app import Explorer
    from explorer.state import ExplorerState

    a = Explorer()
    a.apply(**ExplorerState.preset("Bistable switch (autapse + sine)"))
    sets = []
    for i in range(k):
        a.apply(mu=round(-0.2 + 0.4 * i / max(k - 1, 1), 3), g=round(1.0 + 0.3 * i / max(k - 1, 1), 3))
        s, f = a.state, a.frame
        u = dynamics.input_level_at(s, s.t_sim() / 2)
        at = dynamics.trials_at(f, s.t_sim() / 2)
        m = dynamics.regime_map(s, "w_self", "mu", u)
        m["x_label"], m["y_label"] = dynamics.MAP_AXES["w_self"][1], dynamics.MAP_AXES["mu"][1]
        sets.append({
            "Phase line": [("phase", dynamics.phase_line(s, u)),
                           ("phase_dots", dict(rate=at, drift=dynamics.drift(s, u, at)))],
            "Hysteresis": [("branches", dynamics.branches(s)), ("trajectory", dynamics.trajectory(s, f))],
            "Distribution": [("distribution", dynamics.distribution(s, f, (s.t_sim() / 2, s.t_sim())))],
            "Regime map": [("map", m), ("map_here", dict(here=m["here"]))],
            MARKER: [("map_here", dict(here=m["here"]))],
        })
    return sets


class _Doc:
    """A Bokeh document collecting its change events, as a server session would."""

    def __init__(self):
        from bokeh.document import Document
        self.doc = Document()
        self.events = []
        self.doc.on_change(self.events.append)

    def flush(self) -> int:
        """Encode the pending events as one PATCH-DOC message; returns its buffers' bytes."""
        from bokeh.protocol.messages.patch_doc import patch_doc
        events, self.events[:] = list(self.events), []
        if not events:
            return 0
        msg = patch_doc.create(events)
        return sum(memoryview(b.data).nbytes for b in msg.buffers) + len(str(msg.content))


def main(argv=None):
    """Run the comparison and print its table.

    **Arguments:** `argv`: command-line arguments (``--updates N`` per view and way, default 60;
    ``--sets K`` different data cycled through, default 6).
    """
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--updates", type=int, default=60)
    ap.add_argument("--sets", type=int, default=6)
    ap.add_argument("--phase-p95", type=float, help="the phase-line p95 (ms) of `python -m explorer.bench "
                    "--part browser`, Bokeh; with --floor-p95, prints each view's estimated page p95 with HoloViews")
    ap.add_argument("--floor-p95", type=float, help="the stock one-number floor's p95 (ms) of the same run")
    args = ap.parse_args(argv)
    print(f"uptime before: {os.getloadavg()}")

    import panel as pn
    from explorer.app import Explorer
    from explorer.dynamics_views import TABS

    t = time.perf_counter()
    sets = _data_sets(args.sets)
    print(f"data: {args.sets} sets in {time.perf_counter() - t:.1f} s")

    # Bokeh: one DynamicsViews, all four figures made and rendered into its document
    bk_doc = _Doc()
    t = time.perf_counter()
    bk = Explorer().dynamics
    built = time.perf_counter()
    bk_doc.doc.add_root(bk.all_views().get_root(bk_doc.doc))
    bk_first = (built - t, time.perf_counter() - built)
    bk_doc.flush()

    t = time.perf_counter()
    from explorer.bench import hv_views as hvv
    hv_import = time.perf_counter() - t
    hv_views, hv_docs, hv_first = {}, {}, {}
    for tab, cls in zip(TABS, (hvv.PhaseLine, hvv.Hysteresis, hvv.Distribution,
                                hvv.RegimeMap)):
        hv_docs[tab] = _Doc()
        t = time.perf_counter()
        hv_views[tab] = cls()
        built = time.perf_counter()
        hv_docs[tab].doc.add_root(pn.panel(hv_views[tab].object).get_root(hv_docs[tab].doc))
        hv_first[tab] = (built - t, time.perf_counter() - built)
        hv_docs[tab].flush()
    hv_views[MARKER], hv_docs[MARKER] = hv_views["Regime map"], hv_docs["Regime map"]
    views = TABS + (MARKER,)

    def update(way, tab, data):
        doc = bk_doc if way == "bokeh" else hv_docs[tab]
        t = time.perf_counter()
        if way == "bokeh":
            for name, d in data[tab]:
                bk._show(name, d)
        else:
            hv_views[tab].show_all(data[tab])  # one re-render for all the view's parts
        size = doc.flush()
        return (time.perf_counter() - t) * 1e3, size

    times = {(w, tab): [] for w in ("bokeh", "hv") for tab in views}
    sizes = {(w, tab): [] for w in ("bokeh", "hv") for tab in views}
    for i in range(args.updates + 3):  # the first 3 are warm-up
        for tab in views:
            ways = ("bokeh", "hv") if i % 2 == 0 else ("hv", "bokeh")
            for way in ways:
                # the marker moves to the next set's point, away from where the full map put it
                ms, size = update(way, tab, sets[(i + (tab == MARKER)) % len(sets)])
                if i >= 3:
                    times[way, tab].append(ms)
                    sizes[way, tab].append(size)

    print(f"uptime after: {os.getloadavg()}")
    print(f"\nHoloViews import + hv.extension('bokeh'): {hv_import * 1e3:.0f} ms")
    print(f"Bokeh, all four views: built {bk_first[0] * 1e3:.0f} ms, get_root {bk_first[1] * 1e3:.0f} ms")
    print("\n| view | bokeh p50 / p95 (ms) | hv p50 / p95 (ms) | hv/bokeh p50 / p95 | hv - bokeh p95 (ms) "
          "| bytes bokeh / hv | hv first render: built + get_root (ms) |")
    print("|---|---|---|---|---|---|---|")
    for tab in views:
        b50, b95 = _percentiles(times["bokeh", tab])
        h50, h95 = _percentiles(times["hv", tab])
        first = f"{hv_first[tab][0] * 1e3:.0f} + {hv_first[tab][1] * 1e3:.0f}" if tab in hv_first else "(as above)"
        print(f"| {tab} | {b50:.1f} / {b95:.1f} | {h50:.1f} / {h95:.1f} | {h50 / b50:.1f}x / {h95 / b95:.1f}x "
              f"| {h95 - b95:.1f} | {int(np.median(sizes['bokeh', tab]))} / {int(np.median(sizes['hv', tab]))} "
              f"| {first} |")
    print(f"\n{args.updates} updates per view and way, {args.sets} data sets cycled, interleaved.")
    if args.phase_p95 and args.floor_p95:
        bound = 3 * args.floor_p95
        print(f"\nestimated page p95 with HoloViews = phase-line p95 {args.phase_p95:.1f} + (hv - bokeh p95); "
              f"bound 3 x floor {args.floor_p95:.1f} = {bound:.1f} ms")
        for tab in views:
            est = args.phase_p95 + _percentiles(times["hv", tab])[1] - _percentiles(times["bokeh", tab])[1]
            print(f"| {tab} | {est:.1f} ms | {est / args.floor_p95:.2f}x floor | "
                  f"{'fits' if est <= bound else 'does not fit'} |")


if __name__ == "__main__":
    main()
