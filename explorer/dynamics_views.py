"""The four dynamics views as HoloViews ``DynamicMap``s fed by ``Pipe`` streams, in tabs.

Each view keeps a key of what its data depends on and sends only when that key changes (the
regime map ignores the seed, the trials and sigma; the phase line's curve ignores sigma). Only
the tab on screen is fed; the others are fed when they are opened. A ``Tap`` on the regime
map moves both of its parameters' sliders (through ``Explorer.apply``, so it is validated).
"""

from __future__ import annotations

import threading

import holoviews as hv
import numpy as np
import panel as pn

from . import dynamics
from .frame import Frame
from .presets import NOTES
from .state import ExplorerState

hv.extension("bokeh", logo=False)

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
            dynamics.branches(state)
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

    threading.Thread(target=run, daemon=True, name="dynamics-warm-up").start()


def _when_compiled(doc, callback) -> bool:
    """True when the programs are compiled; otherwise queue ``callback`` on ``doc`` for then."""
    with _warm["lock"]:
        if _warm["ready"].is_set():
            return True
        _warm["waiting"].append((doc, callback))
        return False


REGIME_COLORS = ["#c0392b", "#6b8fb5", "#f2a541", "#9b9b9b"]  # oscillates, one, two, drifts
WIDTH, HEIGHT = 430, 330
TABS = ("Phase line", "Hysteresis", "Distribution", "Regime map")


def _name_source(name):
    """A hook naming the plot's data source, so tests and the browser can find it."""
    def hook(plot, element):
        plot.handles["source"].name = name
    return hook


def _opts(**kw):
    return dict(width=WIDTH, height=HEIGHT, toolbar="above", default_tools=["save", "reset"],
                fontsize={"title": "11pt"}) | kw


class DynamicsViews:
    """The dynamics tabs of one session; `update` is called after each refresh."""

    def __init__(self, explorer):
        self.explorer = explorer
        state = explorer.state
        warm_up()
        self.cursor = pn.widgets.FloatSlider(name="time cursor (ms)", start=0.0, end=state.t_sim(),
                                             value=state.t_sim(), step=state.dt, width=260)
        self.window = pn.widgets.RangeSlider(name="distribution window (ms)", start=0.0, end=state.t_sim(),
                                             value=(state.t_sim() / 2, state.t_sim()), step=state.dt, width=260)
        self.x_axis = pn.widgets.Select(name="map x", options=list(dynamics.MAP_AXES), value="w_self", width=120)
        self.y_axis = pn.widgets.Select(name="map y", options=list(dynamics.MAP_AXES), value="mu", width=120)
        self.pipes = {k: hv.streams.Pipe(data=None) for k in
                      ("phase", "phase_dots", "branches", "trajectory", "distribution", "map", "map_here")}
        self._keys = {}
        self.sent = {k: 0 for k in self.pipes}  # how often each view's data went to the page
        self.data = {}
        self.preset_text = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["preset-text"])

        phase = (hv.DynamicMap(self._phase, streams=[self.pipes["phase"]])
                 * hv.DynamicMap(self._phase_dots, streams=[self.pipes["phase_dots"]]))
        hyst = (hv.DynamicMap(self._branches, streams=[self.pipes["branches"]])
                * hv.DynamicMap(self._trajectory, streams=[self.pipes["trajectory"]]))
        dist = hv.DynamicMap(self._distribution, streams=[self.pipes["distribution"]])
        self.map_dmap = hv.DynamicMap(self._map, streams=[self.pipes["map"]])
        self.tap = hv.streams.Tap(source=self.map_dmap, x=None, y=None)
        self.tap.add_subscriber(self._on_tap)
        regime = self.map_dmap * hv.DynamicMap(self._map_here, streams=[self.pipes["map_here"]])
        pane = lambda obj: pn.pane.HoloViews(obj, backend="bokeh", linked_axes=False)  # noqa: E731
        self.tabs = pn.Tabs(
            (TABS[0], pn.Column(pane(phase), self.cursor)),
            (TABS[1], pane(hyst)),
            (TABS[2], pn.Column(pane(dist), self.window)),
            (TABS[3], pn.Column(pane(regime), pn.Row(self.x_axis, self.y_axis))),
            dynamic=True, width=WIDTH + 20,  # a tab is rendered when opened: ~0.5 s of HoloViews each
        )
        self.tabs.param.watch(lambda e: self.update(), "active")
        self.preset_text.object = NOTES.get(explorer.presets.value, "")
        explorer.presets.param.watch(lambda e: setattr(self.preset_text, "object", NOTES.get(e.new, "")), "value")
        self.panel = pn.Column(self.tabs, self.preset_text, width=WIDTH + 20)
        for w in (self.cursor, self.window, self.x_axis, self.y_axis):
            w.param.watch(lambda e: self.update(), "value")

    # -- HoloViews callbacks: data -> elements ------------------------------------------
    @staticmethod
    def _phase(data):
        if data is None:
            return hv.Curve([]) * hv.Scatter([]) * hv.Scatter([]) * hv.Scatter([])
        d = data
        curve = hv.Curve((d["x"], d["drift"]), "rate", "drift (rate / ms)", label="drift").opts(framewise=True, 
            color="#0b3d6e", line_width=2, hooks=[_name_source("phase_source")],
            **_opts(title="Phase line at the cursor"))
        zero = hv.HLine(0).opts(framewise=True, color="#999999", line_width=1)
        stable = d["fixed_stable"]
        filled = hv.Scatter((d["fixed"][stable], d["fixed_drift"][stable]), "rate", "drift (rate / ms)",
                            label="stable").opts(framewise=True, size=12, color="#0b3d6e", hooks=[_name_source("stable_source")])
        hollow = hv.Scatter((d["fixed"][~stable], d["fixed_drift"][~stable]), "rate", "drift (rate / ms)",
                            label="unstable").opts(framewise=True, size=12, color="white", line_color="#0b3d6e", line_width=2,
                                                   hooks=[_name_source("unstable_source")])
        arrows = hv.Points({"rate": d["arrow_x"], "drift": np.zeros_like(d["arrow_x"]),
                            "angle": -np.pi / 2 * d["arrow_dir"]}, ["rate", "drift"], ["angle"]).opts(framewise=True, 
            marker="triangle", angle=hv.dim("angle"), size=9, color="#f2a541")
        return curve * zero * arrows * filled * hollow

    @staticmethod
    def _phase_dots(data):
        if data is None:
            return hv.Scatter([], "rate", "drift (rate / ms)")
        return hv.Scatter((data["rate"], data["drift"]), "rate", "drift (rate / ms)", label="trials at cursor").opts(framewise=True, 
            size=6, color="#c0392b", alpha=0.6, hooks=[_name_source("phase_trials_source")])

    @staticmethod
    def _branches(data):
        if data is None:
            return hv.Overlay([hv.Curve([], "input level", "rate")])
        parts = []
        for row in range(data["stable"].shape[0]):
            parts.append(hv.Curve((data["u"], data["stable"][row]), "input level", "rate").opts(framewise=True, 
                color="#0b3d6e", line_width=2.5))
            parts.append(hv.Curve((data["u"], data["unstable"][row]), "input level", "rate").opts(framewise=True, 
                color="#0b3d6e", line_dash="dashed", line_width=1.5))
        parts.append(hv.Scatter((data["fold_u"], data["fold_rate"]), "input level", "rate", label="folds").opts(framewise=True, 
            marker="diamond", size=12, color="#c0392b", hooks=[_name_source("fold_source")]))
        return hv.Overlay(parts).opts(framewise=True, **_opts(title="Fixed points vs input level"))

    @staticmethod
    def _trajectory(data):
        if data is None:
            return hv.Curve([], "input level", "rate")
        return hv.Curve((data["u"], data["rate"]), "input level", "rate", label="trial 1").opts(framewise=True, 
            color="#f2a541", alpha=0.8, line_width=1.2, hooks=[_name_source("trajectory_source")])

    @staticmethod
    def _distribution(data):
        if data is None:
            return hv.Histogram([]) * hv.Curve([])
        hist = hv.Histogram((np.append(data["left"], data["right"][-1]), data["density"]), "rate", "density").opts(framewise=True, 
            color="#6b8fb5", line_color="white", hooks=[_name_source("histogram_source")],
            **_opts(title="Rate distribution over the window"))
        pdf = hv.Curve((data["x"], data["pdf"]), "rate", "density", label="exact").opts(framewise=True, 
            color="#c0392b", line_dash="dashed", line_width=2)
        return hist * pdf

    @staticmethod
    def _map(data):
        if data is None:
            return hv.Image(np.zeros((2, 2)))
        xs, ys = data["xs"], data["ys"]
        dx, dy = (xs[1] - xs[0]) / 2, (ys[1] - ys[0]) / 2
        img = hv.Image(data["regime"][::-1], bounds=(xs[0] - dx, ys[0] - dy, xs[-1] + dx, ys[-1] + dy),
                       kdims=[data["x_label"], data["y_label"]], vdims=["regime"])
        return img.opts(framewise=True, cmap=REGIME_COLORS, clim=(-0.5, 3.5), colorbar=False, tools=["tap"],
                        hooks=[_name_source("map_source")],
                        **_opts(title="Regimes (click: go there)"))

    @staticmethod
    def _map_here(data):
        if data is None:
            return hv.Points([])
        return hv.Points([data["here"]]).opts(framewise=True, marker="x", size=16, color="black", line_width=3,
                                              hooks=[_name_source("map_here_source")])

    # -- feeding ----------------------------------------------------------------------
    def _send(self, name, key, make):
        """Send ``make()`` to the pipe ``name`` unless ``key`` is what was sent last."""
        if self._keys.get(name) == key:
            return
        data = make()
        self._keys[name] = key
        self.data[name] = data
        self.sent[name] += 1
        self.pipes[name].send(data)

    def _on_tap(self, x=None, y=None, **_):
        if x is None or y is None:
            return
        values = {}
        for axis, v in ((self.x_axis.value, x), (self.y_axis.value, y)):
            field = dynamics.MAP_AXES[axis][0]
            lo, hi = self.explorer.state.param[field].bounds
            values[field] = float(np.clip(round(v, 3), lo, hi))
        self.explorer.apply(**values)

    def update(self, frame: Frame | None = None) -> None:
        """Feed the tab on screen with what changed (called after every refresh)."""
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
        settings = state.settings()
        # what the fixed points depend on: everything but noise, run size and the seed
        dyn = tuple(v for k, v in sorted(settings.items()) if k not in ("sigma", "seed", "n_trials"))
        run = (id(frame),)
        tab = TABS[self.tabs.active]
        if tab == "Phase line":
            u = dynamics.input_level_at(state, self.cursor.value)
            at = dynamics.trials_at(frame, self.cursor.value)
            self._send("phase", dyn + (u,), lambda: dynamics.phase_line(state, u))
            self._send("phase_dots", run + (self.cursor.value,),
                       lambda: dict(rate=at, drift=dynamics.drift(state, u, at)))
        elif tab == "Hysteresis":
            self._send("branches", dyn, lambda: dynamics.branches(state))
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
