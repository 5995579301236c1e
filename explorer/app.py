"""The sigmoid-rate explorer: ``panel serve explorer/app.py``.

One ``Explorer`` per browser session. Widgets are made from the state's parameters and bound
to them; a change updates the cheap transfer curve at once and asks for a simulation. While
the page's events keep arriving (a slider drag), simulations coalesce: at most one is
scheduled, and it reads the state when it runs, so the latest value wins and no backlog builds.
"""

from __future__ import annotations

import html
import urllib.parse

import numpy as np
import panel as pn
import param

from explorer.dynamics_views import DynamicsViews
from explorer.frame import Frame, FrameMaker
from explorer.state import PRESETS, ExplorerState, TOOLTIPS
from explorer.serving import freeze_live_objects, on_session_loaded
from explorer.views import Figures
from explorer.widgets import Checkbox, FloatSlider, IntInput, Select

CSS = """
:host { --accent: #0b3d6e; }
.explorer-title h1 { margin: 0 0 2px 0; font-size: 22px; color: #0b3d6e; }
.explorer-title p { margin: 0; color: #4a5568; font-size: 13px; }
.readouts table { border-collapse: collapse; font-size: 13px; width: 100%; }
.readouts td, .readouts th { padding: 3px 8px; border-bottom: 1px solid #e2e8f0; text-align: right; }
.readouts th:first-child, .readouts td:first-child { text-align: left; color: #4a5568; }
.note { color: #4a5568; font-size: 12px; }
"""

SIMULATION_FIELDS = [name for name in ExplorerState.param if name != "name"]
CURVE_FIELDS = ("g", "beta", "theta")


# Sliders that set array shapes: each new value compiles once, so they act on release only.
ON_RELEASE = ("duration",)
STEPS = {"tau": 0.1, "duration": 10.0, "onset": 5.0, "period": 1.0, "width": 0.5}


def _widget(state: ExplorerState, name: str):
    """A widget bound to the state's parameter, and the row that shows it with its tooltip."""
    p = state.param[name]
    if isinstance(p, param.Selector):  # these widgets show the parameter's doc as a tooltip
        w = Select.from_param(p, width=260)
        return w, w
    if isinstance(p, param.Integer):
        w = IntInput.from_param(p, width=260)
        return w, w
    if isinstance(p, param.Boolean):
        w = Checkbox.from_param(p, width=230)
    elif name in ON_RELEASE:
        lo, hi = p.bounds
        w = FloatSlider(label=p.label, start=lo, end=hi, step=STEPS[name],
                        value=getattr(state, name), width=230)
        w.param.watch(lambda e: setattr(state, name, e.new), "value_throttled")
        state.param.watch(lambda e: setattr(w, "value", e.new), name)
    else:
        w = FloatSlider.from_param(p, step=STEPS.get(name, 0.01), width=230)
    return w, pn.Row(w, pn.widgets.TooltipIcon(value=TOOLTIPS[name]), margin=0)


# Controls that do nothing in the current state are greyed out: (control, when it is inert).
INERT = {
    "rectify_rate": lambda s: not s.rectify_output,
    "input_delay": lambda s: s.connection == "instantaneous" or s.input_kind == "none",
    "period": lambda s: s.input_kind not in ("pulse train", "sine"),
    "width": lambda s: s.input_kind != "pulse train",
    "amplitude": lambda s: s.input_kind == "none",
    "input_weight": lambda s: s.input_kind == "none",
    "onset": lambda s: s.input_kind == "none",
    "connection": lambda s: s.input_kind == "none",
    "self_delay": lambda s: s.w_self == 0.0,
}


class Explorer(pn.viewable.Viewer):
    """The whole dashboard for one session."""

    def __init__(self, **params):
        super().__init__(**params)
        self.state = ExplorerState()
        self.frames = FrameMaker()
        self.figures = Figures()
        self.frame: Frame | None = None
        self.message = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")
        self.readouts = pn.pane.HTML("", css_classes=["readouts"], sizing_mode="stretch_width")
        self.note = pn.pane.HTML("", css_classes=["note"], sizing_mode="stretch_width")
        self.busy = pn.indicators.LoadingSpinner(value=False, size=22)
        self.refreshes = 0
        self._scheduled = False
        self._reverting = False
        self._accepted = self.state.settings()
        self._shape = None
        new_noise = pn.widgets.Button(label="New noise", color="primary", width=230,
                                      description="Draw a new frozen noise realisation (seed + 1)")
        new_noise.on_click(lambda _: self.apply(seed=(self.state.seed + 1) % (2**31 - 1)))
        self.widgets = {}

        def w(name):
            self.widgets[name], row = _widget(self.state, name)
            return row

        self.presets = Select(label="Preset", options=list(PRESETS), width=270,
                              description="Load a ready-made setting (the rest back to defaults)")
        self.presets.param.watch(lambda e: self.apply(**ExplorerState.preset(e.new)), "value")
        self.dynamics = DynamicsViews(self)
        self.sidebar = pn.Column(
            self.presets,
            pn.Card(*map(w, ["tau", "lambda_", "sigma", "mu"]), title="Neuron (NEST sigmoid_rate_ipn)", width=300),
            pn.Card(*map(w, ["g", "beta", "theta"]), title="Gain phi(h)", width=300),
            pn.Card(*map(w, ["linear_summation", "mult_coupling", "rectify_output", "rectify_rate"]),
                    title="Switches", width=300),
            pn.Card(*map(w, ["input_kind", "amplitude", "input_weight", "onset", "period", "width",
                             "connection", "input_delay"]), title="Input designer", width=300),
            pn.Card(*map(w, ["w_self", "self_delay"]), title="Autapse (self-coupling)", width=300),
            pn.Card(*map(w, ["duration", "dt", "n_trials", "seed"]), new_noise, title="Run", width=300),
            width=320, scroll=True, height_policy="max",
        )
        self._onset_within_run()
        self.state.param.watch(lambda _: self._onset_within_run(), "duration")
        self._show_inert_controls()
        # After the widgets' own links (precedence 0): a refusal may then put values back.
        self.state.param.watch(self._on_change, SIMULATION_FIELDS, precedence=10)
        self._apply_url_arguments()
        self.refresh()

    # -- settings from outside (Python, the URL) ----------------------------------------
    def apply(self, **values) -> bool:
        """Set several values at once, all or nothing; a refusal is shown on the page."""
        clean, problems = self.state.normalize(values)
        if problems:
            self.show_message("Refused: " + "; ".join(problems) + ". Nothing was changed.")
            return False
        self.state.param.update(**clean)
        return True

    def _apply_url_arguments(self) -> None:
        args = getattr(pn.state, "session_args", None) or {}
        values = {}
        for key, raw in args.items():
            text = raw[0].decode() if isinstance(raw, list) and raw else str(raw)
            values[key] = self._parse(key, urllib.parse.unquote(text))
        if values:
            self.apply(**values)

    def _parse(self, name, text):
        """A URL value as the parameter's type where it reads as one; else the text itself,
        which ``normalize`` then refuses with the parameter's name."""
        p = self.state.param[name] if name in self.state.param else None
        if isinstance(p, param.Boolean):
            return {"true": True, "1": True, "false": False, "0": False}.get(text.lower(), text)
        if isinstance(p, (param.Number, param.Selector)):
            try:
                return float(text)
            except ValueError:
                return text
        return text

    def show_message(self, text: str) -> None:
        self.message.object = html.escape(text)
        self.message.visible = True

    # -- updates -------------------------------------------------------------------------
    def _onset_within_run(self) -> None:
        """The onset slider spans the run: an input starting after its end would show nothing."""
        self.widgets["onset"].end = self.state.duration
        if self.state.onset > self.state.duration:
            self.state.onset = self.state.duration

    def _show_inert_controls(self) -> None:
        for name, inert in INERT.items():
            self.widgets[name].disabled = inert(self.state)

    def _on_change(self, *events) -> None:
        if self._reverting:
            return  # putting back the last good settings: the picture already shows them
        self._show_inert_controls()
        names = {e.name for e in events}
        if names & set(CURVE_FIELDS) and self.frame is not None:
            self.figures.show_transfer_curve(self.state.to_params(), self.frame.h_visited)
        doc = self._server_doc()
        if doc is None:
            self.refresh()  # no server loop (in-process use): update now
            return
        if self._scheduled:
            return  # a refresh is already queued; it will read the latest state
        self._scheduled = True
        if self._shape_key() != self._shape:
            self.busy.value = True  # new shapes compile once; show it before the work starts
        doc.add_next_tick_callback(self._scheduled_refresh)

    @staticmethod
    def _server_doc():
        """The session's document when served (its event loop runs our refreshes), else None."""
        doc = pn.state.curdoc
        return doc if doc is not None and doc.session_context is not None else None

    def _scheduled_refresh(self) -> None:
        self._scheduled = False
        try:
            self.refresh()
        finally:
            self.busy.value = False

    def _shape_key(self):
        s = self.state
        return (s.n_steps, s.n_trials, s.w_self != 0.0, s.input_kind != "none")

    def refresh(self) -> None:
        """Simulate the current state and feed every plot; on failure keep the last picture."""
        try:
            frame = self.frames.make(self.state)
        except ValueError as err:
            # Put the widgets back to what the picture shows, so nothing on the page lies.
            self.show_message(f"{err}. The last accepted settings were restored.")
            self._reverting = True
            try:
                self.state.param.update(**self._accepted)
            finally:
                self._reverting = False
            self._show_inert_controls()
            return
        self.message.visible = False
        self._accepted = self.state.settings()
        self.frame = frame
        self._shape = self._shape_key()
        with pn.io.hold():
            self.figures.show_frame(frame)
            self.figures.show_transfer_curve(self.state.to_params(), frame.h_visited)
            self.note.object = html.escape(frame.theory_note)
            self.readouts.object = self._readout_table(frame)
            self.dynamics.schedule(frame)
        self.refreshes += 1

    def _readout_table(self, f: Frame) -> str:
        n = len(f.times)
        mean, var = f.mean[-1], f.sd[-1] ** 2
        rows = []
        if f.theory_mean is not None:
            t_mean, t_var = f.theory_mean[-1], f.theory_sd[-1] ** 2
            # Sampling error of the estimates over n trials (Gaussian rate): how far off is normal.
            se_mean = np.sqrt(t_var / f.n_trials)
            se_var = t_var * np.sqrt(2.0 / (f.n_trials - 1)) if f.n_trials > 1 else 0.0

            def z(diff, se):
                return f"{diff / se:+.1f} SE" if se > 0 else ("exact" if abs(diff) < 1e-9 else "")

            rows.append(("mean at end", f"{mean:.4f}", f"{t_mean:.4f}", z(mean - t_mean, se_mean)))
            rows.append(("variance at end", f"{var:.4f}", f"{t_var:.4f}", z(var - t_var, se_var)))
        else:
            rows.append(("mean at end", f"{mean:.4f}", "—", ""))
            rows.append(("variance at end", f"{var:.4f}", "—", ""))
        body = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td><td>{d}</td></tr>" for a, b, c, d in rows)
        points = ", ".join(f"h = {h:.3f}, phi = {ph:.3f}" for h, ph in f.operating_points) or "no input"
        return (
            "<table><tr><th></th><th>measured</th><th>theory</th><th>difference</th></tr>" + body + "</table>"
            "<table>"
            f"<tr><td>operating point (end)</td><td>{points}</td></tr>"
            f"<tr><td>compute time</td><td>{f.compute_ms:.1f} ms</td></tr>"
            f"<tr><td>device</td><td>{html.escape(f.device)}</td></tr>"
            f"<tr><td>samples simulated</td><td>{f.n_trials:,} trials × {n:,} steps = {f.n_trials * n:,}</td></tr>"
            "</table>"
        )

    def __panel__(self):
        header = pn.Row(
            pn.pane.HTML(
                "<div class='explorer-title'><h1>Sigmoid-rate explorer</h1>"
                "<p>NEST 3.10 <code>sigmoid_rate_ipn</code>: tau dX = [−lambda X + mu + phi(h)] dt + "
                "sqrt(tau) sigma dW, &nbsp; phi(h) = g / (1 + exp(−beta (h − theta)))</p></div>",
                sizing_mode="stretch_width"),
            self.busy, sizing_mode="stretch_width",
        )
        main = pn.Column(
            header, self.message,
            pn.Row(pn.pane.Bokeh(self.figures.rates, sizing_mode="stretch_width"), self.dynamics.panel,
                   sizing_mode="stretch_width"),
            self.note,
            pn.pane.Bokeh(self.figures.noise, sizing_mode="stretch_width"),
            pn.Row(
                pn.pane.Bokeh(self.figures.transfer, sizing_mode="stretch_width"),
                pn.Column(pn.pane.HTML("<b>Readouts</b>"), self.readouts, sizing_mode="stretch_width"),
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )
        return pn.Row(self.sidebar, main, sizing_mode="stretch_both", stylesheets=[CSS])


def create_app() -> pn.viewable.Viewable:
    pn.extension(sizing_mode="fixed", notifications=False)
    on_session_loaded()  # answers leave at once, not after the browser's delayed acknowledgement
    view = Explorer().__panel__()
    freeze_live_objects()  # no 100 ms garbage-collector sweeps of long-lived objects during a drag
    return view


if pn.state.served:
    create_app().servable(title="Sigmoid-rate explorer")
