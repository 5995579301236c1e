"""The four dynamics views, in Bokeh figures fed through named sources, in tabs.

The issue asked for HoloViews (``DynamicMap``s with streams, ``hv.Image`` + ``Tap``). Each view
built both ways (the HoloViews ones in ``explorer/bench/hv_views.py``, same data in the same
sources) and timed in one process, interleaved (``python -m explorer.bench.holoviews_vs_bokeh``):
a HoloViews update costs 21-136 ms (p50, load average 2-11) where these cost ~1 ms, which puts
the views' estimated page p95 over the bound of 3x the one-number floor (in every run for the
phase line and hysteresis; in three of four for the others; figures: README, "the dynamics
views"). So, as the issue allows, these views are plain Bokeh: built once, then only
their sources' columns change (``views.send``), like the traces.

Each view keeps a key of what its data depends on and sends only when that key changes (the
regime map ignores the seed, the trials, sigma and its own axes' values; the phase line's curve
ignores sigma and the run). Only the tab on screen is fed; the others when they are opened. A
tap on the regime map moves both of its parameters' sliders (through ``Explorer.apply``, so it
is validated all-or-nothing). The time cursor is a line dragged on the rate plot (an editable
``Span``), kept in step with its slider; the hysteresis tab sweeps a parameter the user picks.
"""

from __future__ import annotations

import threading

import numpy as np
import panel as pn
from bokeh.events import Tap
from bokeh.models import ColumnDataSource, LinearColorMapper, Span
from bokeh.plotting import figure

from . import dynamics
from .frame import Frame
from .lean import lean_renderers
from .presets import NOTES
from .state import ExplorerState
from .views import send

_warm = {"started": False, "ready": threading.Event(), "waiting": [], "lock": threading.Lock()}


def warm_up() -> None:
    """Compile the fixed-point programs once per process, off the event loop (JAX releases the
    GIL). Measured on the 2-core machine: the first scalar fixed-point call ~5 s, branches ~12 s
    and the regime map ~8 s of compilation; served sessions show their dynamics views when it is
    done instead of blocking the page (and every other session) meanwhile."""
    with _warm["lock"]:
        if _warm["started"]:
            return
        _warm["started"] = True

    def run():
        try:
            state = ExplorerState()
            dynamics.phase_line(state, 0.0)
            dynamics.branches(state)  # one grid shape for every axis (the axis is traced data)
            dynamics.regime_map(state, "w_self", "mu", 0.0)
        finally:
            with _warm["lock"]:
                _warm["ready"].set()
                waiting, _warm["waiting"] = _warm["waiting"], []
            for doc, callback in waiting:
                try:
                    doc.add_next_tick_callback(callback)  # Bokeh's one thread-safe entry
                except Exception:  # noqa: BLE001  a session closed meanwhile: nothing to feed
                    pass

    # Not a daemon: a daemon thread killed inside XLA's compiler when Python exits aborts the
    # process (seen: "terminate called ... FATAL: exception not rethrown", exit status 134).
    threading.Thread(target=run, name="dynamics-warm-up").start()


def _when_compiled(doc, callback) -> bool:
    """True when the programs are compiled; otherwise queue ``callback`` on ``doc`` for then."""
    warm_up()
    with _warm["lock"]:
        if _warm["ready"].is_set():
            return True
        _warm["waiting"].append((doc, callback))
        return False


REGIME_COLORS = ["#c0392b", "#6b8fb5", "#f2a541", "#9b9b9b"]  # oscillates, one, two, drifts
WIDTH, HEIGHT = 430, 330
TABS = ("Phase line", "Hysteresis", "Distribution", "Regime map")


def _figure(title, x_label, y_label, **kw):
    fig = figure(width=WIDTH, height=HEIGHT, title=title, x_axis_label=x_label, y_axis_label=y_label,
                 tools="pan,wheel_zoom,reset,save", **kw)
    fig.toolbar.logo = None
    fig.title.text_font_size = "13px"
    fig.title.text_color = "#33415c"
    return fig


def _source(name, *columns):
    return ColumnDataSource({c: np.zeros(0, np.float32) for c in columns}, name=name)


def _joined_rows(u, rows):
    """Rows (k, n) over x = u as one line with NaN breaks (one glyph, one array per column)."""
    k = rows.shape[0]
    x = np.concatenate([np.broadcast_to(u, rows.shape), np.full((k, 1), np.nan)], 1).ravel()
    y = np.concatenate([rows, np.full((k, 1), np.nan)], 1).ravel()
    return x, y


class DynamicsViews:
    """The dynamics tabs of one session; `update` is called after each refresh."""

    def __init__(self, explorer):
        self.explorer = explorer
        state = explorer.state
        if explorer._server_doc() is not None:
            warm_up()  # served: compile before the first tab is opened; in-process, on first use
        self._doc = explorer._server_doc()
        self.cursor = pn.widgets.FloatSlider(label="time cursor (ms)", start=0.0, end=state.t_sim(),
                                             value=state.t_sim(), step=state.dt, width=260)
        # The time cursor, dragged on the rate plot: Bokeh 3.9's editable Span (its view moves it on
        # a pan that starts on the line, and each move syncs `location` to the server). The slider
        # stays for the keyboard; the two follow each other (``cursor_moves``).
        self.cursor_span = Span(location=state.t_sim(), dimension="height", editable=True, name="time_cursor",
                                line_color="#c0392b", line_width=3, line_alpha=0.8, line_dash="dashed",
                                hover_line_color="#c0392b", hover_line_width=6, hover_line_alpha=0.5)
        explorer.figures.rates.add_layout(self.cursor_span)
        self.cursor_moves = {"dragged": 0, "taken": 0}  # span changes received, and acted on
        self._cursor_pending = None
        self._cursor_scheduled = False
        self._cursor_from_slider = False  # the line being moved by the slider: not a drag
        self.cursor_span.on_change("location", self._on_cursor_dragged)
        self.cursor.param.watch(self._cursor_to_span, "value")
        self.branch_axis = pn.widgets.Select(
            label="branches against", value="input", width=200,
            options={dynamics.MAP_AXES["input"][1]: "input",
                     **{label: name for name, (_, label) in dynamics.MAP_AXES.items() if name != "input"}})
        self.window = pn.widgets.RangeSlider(label="distribution window (ms)", start=0.0, end=state.t_sim(),
                                             value=(state.t_sim() / 2, state.t_sim()), step=state.dt, width=260)
        self.x_axis = pn.widgets.Select(label="map x", options=list(dynamics.MAP_AXES), value="w_self", width=120)
        self.y_axis = pn.widgets.Select(label="map y", options=list(dynamics.MAP_AXES), value="mu", width=120)
        self._keys = {}
        self._extent = (None, (0.0, 0.0))  # (id of the frame, its trials' extent)
        self._fixed = (None, None)  # (key, fixed points at the cursor's input level)
        self.sent = {k: 0 for k in
                     ("phase", "phase_dots", "branches", "branch_here", "trajectory", "distribution", "map",
                      "map_here")}
        self.data = {}
        self.preset_text = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["preset-text"])

        self.phase = _figure("Phase line at the cursor", "rate", "drift (rate / ms)", name="phase_figure")
        self.phase.add_layout(Span(location=0, dimension="width", line_color="#999999", line_width=1))
        self.src = {
            "phase": _source("phase_source", "x", "drift"),
            "arrows": _source("arrow_source", "x", "y", "angle"),
            "stable": _source("stable_source", "x", "y"),
            "unstable": _source("unstable_source", "x", "y"),
            "dots": _source("phase_trials_source", "x", "y"),
            "branch_stable": _source("branch_stable_source", "u", "rate"),
            "branch_unstable": _source("branch_unstable_source", "u", "rate"),
            "folds": _source("fold_source", "u", "rate"),
            "trajectory": _source("trajectory_source", "u", "rate"),
            "hist": _source("histogram_source", "left", "right", "density"),
            "pdf": _source("pdf_source", "x", "pdf"),
            "map": ColumnDataSource({"image": [np.zeros((2, 2), np.float32)], "x": [0.0], "y": [0.0],
                                     "dw": [1.0], "dh": [1.0]}, name="map_source"),
            "here": _source("map_here_source", "x", "y"),
        }
        src = self.src
        self.phase.line("x", "drift", source=src["phase"], line_color="#0b3d6e", line_width=2, legend_label="drift")
        self.phase.scatter("x", "y", source=src["arrows"], marker="triangle", angle="angle", size=9,
                           color="#f2a541")
        self.phase.scatter("x", "y", source=src["stable"], size=12, color="#0b3d6e", legend_label="stable")
        self.phase.scatter("x", "y", source=src["unstable"], size=12, fill_color="white", line_color="#0b3d6e",
                           line_width=2, legend_label="unstable")
        self.phase.scatter("x", "y", source=src["dots"], size=6, color="#c0392b", alpha=0.6,
                           legend_label="trials at cursor")

        self.phase.legend.location = "top_left"
        self.phase.legend.background_fill_alpha = 0.6
        self.phase.legend.label_text_font_size = "10px"
        lean_renderers(self.phase)

        # The other tabs' figures are made when their tab is first opened, and their models go to
        # the page only while their tab is on screen (dynamic tabs): 146 of the first document's
        # 551 Bokeh models (``python -m explorer.bench --part build``); this constructor went from
        # 9.4% to 6.9% of a join's server time (py-spy on ``panel serve``, ``explorer/lean.py``).
        self.hyst = self.dist = self.map = self._trajectory = None
        self.branch_here = Span(location=0.0, dimension="height", line_color="#33415c", line_dash="dotted",
                                line_width=2, name="branch_current")  # the setting's own value
        self._bodies = [pn.Column(pn.pane.Bokeh(self.phase), self.cursor), pn.Column(), pn.Column(), pn.Column()]
        self.tabs = pn.Tabs(*zip(TABS, self._bodies), width=WIDTH + 20, dynamic=True)
        self.tabs.param.watch(lambda e: self._open(e.new), "active")  # before the update below
        self.tabs.param.watch(lambda e: self.update(), "active")
        self.preset_text.object = NOTES.get(explorer.presets.value, "")
        explorer.presets.param.watch(lambda e: setattr(self.preset_text, "object", NOTES.get(e.new, "")), "value")
        self.panel = pn.Column(self.tabs, self.preset_text, width=WIDTH + 20)
        for w in (self.cursor, self.window, self.x_axis, self.y_axis, self.branch_axis):
            w.param.watch(lambda e: self.update(), "value")

    def all_views(self) -> pn.Column:
        """Every tab's figure and controls, made now, in one column: for benchmarks and tests that
        feed all four views (the page shows and sends one tab at a time)."""
        for index in range(len(TABS)):
            self._open(index)
        return pn.Column(*self._bodies)

    def _open(self, index: int) -> None:
        """Make tab ``index``'s figure and controls the first time the tab is opened."""
        body, src = self._bodies[index], self.src
        if body.objects:
            return
        if TABS[index] == "Hysteresis":
            self.hyst = fig = _figure("Fixed points vs input level", "input level", "rate")
            self._trajectory = fig.line("u", "rate", source=src["trajectory"], line_color="#f2a541", alpha=0.8,
                                        line_width=1.2, legend_label="trial 1")
            fig.line("u", "rate", source=src["branch_stable"], line_color="#0b3d6e", line_width=2.5,
                     legend_label="stable")
            fig.line("u", "rate", source=src["branch_unstable"], line_color="#0b3d6e", line_dash="dashed",
                     line_width=1.5, legend_label="unstable")
            fig.scatter("u", "rate", source=src["folds"], marker="diamond", size=13, color="#c0392b",
                        legend_label="folds")
            fig.add_layout(self.branch_here)
            objects = [pn.pane.Bokeh(fig), self.branch_axis]
        elif TABS[index] == "Distribution":
            self.dist = fig = _figure("Rate distribution over the window", "rate", "density")
            fig.quad(left="left", right="right", top="density", bottom=0, source=src["hist"],
                     fill_color="#6b8fb5", line_color="white")
            fig.line("x", "pdf", source=src["pdf"], line_color="#c0392b", line_dash="dashed", line_width=2,
                     legend_label="exact")
            objects = [pn.pane.Bokeh(fig), self.window]
        elif TABS[index] == "Regime map":
            self.map = fig = _figure("Regimes (click: go there)", "self weight", "mu")
            mapper = LinearColorMapper(palette=REGIME_COLORS, low=-0.5, high=3.5)
            fig.image(image="image", x="x", y="y", dw="dw", dh="dh", source=src["map"], color_mapper=mapper)
            fig.scatter("x", "y", source=src["here"], marker="x", size=16, color="black", line_width=3)
            fig.on_event(Tap, lambda event: self._on_tap(x=event.x, y=event.y))
            objects = [pn.pane.Bokeh(fig), pn.Row(self.x_axis, self.y_axis)]
        else:
            return
        if fig.legend:
            fig.legend.location = "top_left"
            fig.legend.background_fill_alpha = 0.6
            fig.legend.label_text_font_size = "10px"
        lean_renderers(fig)
        if "branches" in self.data:  # data that came before the figure existed
            self._label_branches(self.data["branches"])
        if "map" in self.data:
            self._label_map(self.data["map"])
        body.objects = objects

    def _label_branches(self, d):
        """The hysteresis figure's axis and title for branches ``d`` (once its tab was opened)."""
        if self.hyst is None:
            return
        self.hyst.xaxis.axis_label = d["label"]
        # the run's path is (input received, rate): drawn only against the input level
        on_input = d["axis"] == "input"
        self.hyst.title.text = f"Fixed points vs {d['label']}" + ("" if on_input else " (run's path: vs input only)")
        self._trajectory.visible = on_input
        for item in self.hyst.legend.items:
            if self._trajectory in item.renderers:
                item.visible = on_input

    def _label_map(self, d):
        """The map figure's axes for map ``d`` (once its tab was opened)."""
        if self.map is None:
            return
        xs, ys = d["xs"], d["ys"]
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        self.map.xaxis.axis_label, self.map.yaxis.axis_label = d["x_label"], d["y_label"]
        self.map.x_range.start, self.map.x_range.end = xs[0] - dx / 2, xs[-1] + dx / 2
        self.map.y_range.start, self.map.y_range.end = ys[0] - dy / 2, ys[-1] + dy / 2

    def _show(self, name, d):
        """Put view ``name``'s data ``d`` into its sources (only changed columns go out)."""
        src = self.src
        if name == "phase":
            send(src["phase"], {"x": d["x"], "drift": d["drift"]})
            st = d["fixed_stable"]
            send(src["stable"], {"x": d["fixed"][st], "y": d["fixed_drift"][st]})
            send(src["unstable"], {"x": d["fixed"][~st], "y": d["fixed_drift"][~st]})
            send(src["arrows"], {"x": d["arrow_x"], "y": np.zeros_like(d["arrow_x"]),
                                 "angle": -np.pi / 2 * d["arrow_dir"]})
        elif name == "phase_dots":
            send(src["dots"], {"x": d["rate"], "y": d["drift"]})
        elif name == "branches":
            u, r = _joined_rows(d["u"], d["stable"])
            send(src["branch_stable"], {"u": u, "rate": r})
            u, r = _joined_rows(d["u"], d["unstable"])
            send(src["branch_unstable"], {"u": u, "rate": r})
            send(src["folds"], {"u": d["fold_u"], "rate": d["fold_rate"]})
            self._label_branches(d)
        elif name == "branch_here":
            self.branch_here.location = d["current"]
        elif name == "trajectory":
            send(src["trajectory"], {"u": d["u"], "rate": d["rate"]})
        elif name == "distribution":
            send(src["hist"], {"left": d["left"], "right": d["right"], "density": d["density"]})
            send(src["pdf"], {"x": d["x"], "pdf": d["pdf"]})
        elif name == "map":
            xs, ys = d["xs"], d["ys"]
            dx, dy = xs[1] - xs[0], ys[1] - ys[0]
            src["map"].data = {"image": [d["regime"].astype(np.float32)], "x": [xs[0] - dx / 2],
                               "y": [ys[0] - dy / 2], "dw": [xs[-1] - xs[0] + dx], "dh": [ys[-1] - ys[0] + dy]}
            self._label_map(d)
        elif name == "map_here":
            send(src["here"], {"x": [d["here"][0]], "y": [d["here"][1]]})

    # -- feeding ----------------------------------------------------------------------
    def _send(self, name, key, make):
        """Send ``make()`` to the pipe ``name`` unless ``key`` is what was sent last."""
        if self._keys.get(name) == key:
            return
        data = make()
        self._keys[name] = key
        self.data[name] = data
        self.sent[name] += 1
        self._show(name, data)

    # -- the time cursor --------------------------------------------------------------------
    def _on_cursor_dragged(self, attr, old, new) -> None:
        """The cursor's line moved (a drag on the rate plot). Served, the moves are coalesced: at most
        one is scheduled on the session's loop and it takes the latest location, so a drag costs
        one dots update per turn of the loop however many moves arrive. The traces are not touched:
        the cursor is no setting, so nothing is simulated again."""
        if new is None or self._cursor_from_slider:
            return
        self.cursor_moves["dragged"] += 1
        self._cursor_pending = float(new)
        if self._doc is None:
            self._take_cursor()
        elif not self._cursor_scheduled:
            self._cursor_scheduled = True
            self._doc.add_next_tick_callback(self._take_cursor)

    def _take_cursor(self) -> None:
        self._cursor_scheduled = False
        state = self.explorer.state
        t = float(np.clip(round(self._cursor_pending / state.dt) * state.dt, 0.0, state.t_sim()))
        self.cursor_moves["taken"] += 1
        if self._doc is None:
            self.cursor.value = t
            return
        with pn.io.hold(self._doc):
            self.cursor.value = t

    def _cursor_to_span(self, event) -> None:
        """The slider (keyboard, or a new run length) moves the line; a drag's own value is not
        sent back (it is on the line already, to within half a step)."""
        loc = self.cursor_span.location
        if loc is not None and abs(loc - event.new) <= self.explorer.state.dt / 2:
            return
        self._cursor_from_slider = True
        try:
            self.cursor_span.location = event.new
        finally:
            self._cursor_from_slider = False

    def _on_tap(self, x=None, y=None, **_):
        if x is None or y is None:
            return
        values = {}
        for axis, v in ((self.x_axis.value, x), (self.y_axis.value, y)):
            field = dynamics.MAP_AXES[axis][0]
            lo, hi = self.explorer.state.param[field].bounds
            values[field] = float(np.clip(round(v, 3), lo, hi))
        self.explorer.apply(**values)

    def update(self, frame: Frame | None = None, settings: dict | None = None) -> None:
        """Feed the tab on screen with what changed (called after every refresh; ``settings``:
        the state's settings, if the caller has them already)."""
        state: ExplorerState = self.explorer.state
        frame = frame or self.explorer.frame
        if frame is None:
            return
        doc = self.explorer._server_doc()
        if doc is not None and not _when_compiled(doc, lambda: self.update()):
            return  # served, still compiling: fed when the warm-up is done
        t_sim = state.t_sim()
        for w in (self.cursor, self.window):
            if w.end != t_sim:
                w.end, w.step = t_sim, state.dt
                w.value = t_sim if w is self.cursor else (t_sim / 2, t_sim)
        settings = state.settings() if settings is None else settings
        # what the fixed points depend on: everything but noise, run size and the seed
        dyn = tuple(v for k, v in sorted(settings.items()) if k not in ("sigma", "seed", "n_trials"))
        run = (id(frame),)
        tab = TABS[self.tabs.active]
        if tab == "Phase line":
            u = dynamics.input_level_at(state, self.cursor.value)
            at = dynamics.trials_at(frame, self.cursor.value)
            if self._extent[0] != id(frame):
                self._extent = (id(frame), dynamics.trial_extent(frame))
            cover = self._extent[1]
            if self._fixed[0] != dyn + (u,):
                self._fixed = (dyn + (u,), dynamics.fixed_points_at(state, u))
            points = self._fixed[1]
            # re-sent when the physics or the range it must cover moves, not for every new run
            self._send("phase", dyn + (u,) + dynamics.phase_range(points[0], cover),
                       lambda: dynamics.phase_line(state, u, cover, points))
            self._send("phase_dots", run + (self.cursor.value,),
                       lambda: dict(rate=at, drift=dynamics.drift(state, u, at)))
        elif tab == "Hysteresis":
            axis = self.branch_axis.value
            u = dynamics.input_level_at(state, self.cursor.value)
            try:  # against the input, the input level is the axis: the cursor moves only the marker
                self._send("branches", dyn + (axis,) + (() if axis == "input" else (u,)),
                           lambda: dynamics.branches(state, axis, u))
            except ValueError as err:
                self.explorer.show_message(str(err))
                return
            current = u if axis == "input" else float(getattr(state, dynamics.MAP_AXES[axis][0]))
            self._send("branch_here", (axis, current), lambda: dict(current=current))
            if axis == "input":
                self._send("trajectory", run, lambda: dynamics.trajectory(state, frame))
        elif tab == "Distribution":
            self._send("distribution", run + tuple(self.window.value),
                       lambda: dynamics.distribution(state, frame, self.window.value))
        else:
            u = dynamics.input_level_at(state, self.cursor.value)
            axes = (self.x_axis.value, self.y_axis.value)
            on_axes = {dynamics.MAP_AXES[a][0] for a in axes if a in dynamics.MAP_AXES}
            # the map does not depend on the values of its own axes, nor on the run's length
            dyn = tuple(v for k, v in sorted(settings.items())
                        if k not in ("sigma", "seed", "n_trials", "duration") and k not in on_axes)
            try:
                data = dynamics.regime_map(state, *axes, u) if self._keys.get("map") != dyn + axes + (u,) else None
            except ValueError as err:
                self.explorer.show_message(str(err))
                return
            if data is not None:
                data["x_label"], data["y_label"] = (dynamics.MAP_AXES[a][1] for a in axes)
                self._send("map", dyn + axes + (u,), lambda: data)
            here = tuple(float(getattr(state, dynamics.MAP_AXES[a][0])) for a in axes)
            self._send("map_here", here, lambda: dict(here=here))
