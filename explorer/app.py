"""The sigmoid-rate explorer: ``panel serve explorer/app.py``.

One ``Explorer`` per browser session. Widgets are made from the state's parameters and bound
to them; a change updates the cheap transfer curve at once and asks for a simulation. While
the page's events keep arriving (a slider drag), simulations coalesce: at most one is
scheduled, and it reads the state when it runs, so the latest value wins and no backlog builds.
"""

from __future__ import annotations

import html
import logging

import numpy as np
import panel as pn
import param
from bokeh.models import Div

from explorer import links
from explorer.exports import export_card
from explorer.dynamics_views import TABS, DynamicsViews
from explorer.frame import Frame, FrameMaker
from explorer.input_checks import input_warning
from explorer import lean
from explorer.lean import tooltip_icon
from explorer.state import PRESETS, ExplorerState, TOOLTIPS
from explorer import workers
from explorer.serving import freeze_live_objects, on_session_ended, on_session_loaded, prepare_page
from explorer.views import Figures, with_columns
from explorer.widgets import Checkbox, FloatInput, FloatSlider, Select, on_step_grid

CSS = """
:host { --accent: #0b3d6e; }
.explorer-title h1 { margin: 0 0 2px 0; font-size: 22px; color: #0b3d6e; }
.explorer-title p { margin: 0; color: #4a5568; font-size: 13px; }
"""
# Each Div's own stylesheet: its text is drawn inside its shadow root, where the page's CSS does
# not reach (checked in Chromium: tests/test_browser.py).
READOUTS_CSS = """
table { border-collapse: collapse; font-size: 13px; width: 100%; }
td, th { padding: 3px 8px; border-bottom: 1px solid #e2e8f0; text-align: right; }
th:first-child, td:first-child { text-align: left; color: #4a5568; }
"""
NOTE_CSS = ":host { color: #4a5568; font-size: 12px; }"

CUSTOM = "(custom setting)"


def _same_value(a, b) -> bool:
    """Equal and of one type, -0.0 and 0.0 told apart (a link may set either)."""
    return a is b or (type(a) is type(b) and a == b and repr(a) == repr(b))


def _set_text(div: Div, text: str) -> None:
    """Change a Div's text only when it differs: an unchanged text sends nothing."""
    if div.text != text:
        div.text = text

_PRESET_SETTINGS: dict = {}  # name -> full settings, made once
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
        # A float-mode input bound by the Explorer (``_whole_number``): Bokeh's int mode drops a
        # typed ".", so "2.5" became 25 trials; now a fraction is refused with a message.
        lo, hi = p.bounds
        w = FloatInput(label=p.label, value=getattr(state, name), start=lo, end=hi, step=1, width=260,
                       description=p.doc)
        state.param.watch(lambda e: setattr(w, "value", e.new), name)
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
        lo, hi = p.bounds
        step = STEPS.get(name, 0.01)
        w = FloatSlider(label=p.label, start=lo, end=hi, step=step, value=getattr(state, name), width=230)
        # The state's own value echoed back is left as it is (a NEST import's 1/3 stays 1/3); the
        # rounded value is not sent back to a slider that shows it already: the browser's
        # slider may have moved on meanwhile, and would jump back (30 quick presses stopped short).
        w.param.watch(lambda e: e.new != getattr(state, name)
                      and setattr(state, name, on_step_grid(e.new, lo, step)), "value")
        state.param.watch(lambda e: on_step_grid(w.value, lo, step) != e.new and setattr(w, "value", e.new), name)
    return w, pn.Row(w, tooltip_icon(TOOLTIPS[name]), margin=0)


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
        # Raw Bokeh Divs, not Panel panes: both change with every answer, and a Panel pane's update
        # went through its own parameter and markup processing (6% of the server's time per
        # slider move, py-spy with 10 moving clients). The text is built escaped (``_readout_table``).
        self.readouts = Div(text="", css_classes=["readouts"], stylesheets=[READOUTS_CSS],
                            sizing_mode="stretch_width", name="readouts")
        self.note = Div(text="", css_classes=["note"], stylesheets=[NOTE_CSS], sizing_mode="stretch_width",
                        name="theory_note")
        self.busy = pn.indicators.LoadingSpinner(value=False, size=22)
        self.refreshes = 0
        self._scheduled = False
        self._reverting = False
        self._accepted = self.state.settings()
        self._message_settings = None
        self.address = links.AddressBar()
        self._shape = None
        self._runs = workers.LatestOnly()  # served: one simulation in flight, off the event loop
        self._snapshot, self._snapshot_settings = None, None  # what the worker simulates (_snapshot_of)
        self._run_ms = {}  # shape key -> compute time of its last run: picks the lane
        new_noise = pn.widgets.Button(label="New noise", color="primary", width=230,
                                      description="Draw a new frozen noise realisation (seed + 1)")
        new_noise.on_click(lambda _: self.apply(seed=(self.state.seed + 1) % (2**31 - 1)))
        self.widgets = {}

        def w(name):
            self.widgets[name], row = _widget(self.state, name)
            return row

        self.presets = Select(label="Preset", options=list(PRESETS) + [CUSTOM], width=270,
                              description="Load a ready-made setting (the rest back to defaults)")
        self.presets.param.watch(lambda e: e.new in PRESETS and self.apply(**ExplorerState.preset(e.new)), "value")
        self.input_warning = pn.pane.Alert("", alert_type="warning", visible=False, sizing_mode="stretch_width")
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
            export_card(self),
            width=320, scroll=True, height_policy="max",
        )
        for name in ("n_trials", "seed"):
            self.widgets[name].param.watch(lambda e, name=name: self._whole_number(name, e.new), "value")
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
        links.apply_link(self)  # what is valid applies; what is refused is named
        links.follow_history()

    def _whole_number(self, name: str, value) -> None:
        """A typed count: applied when whole and in range, else refused and the box put back."""
        if value is None:  # the box was emptied: show the count in use again
            self.widgets[name].value = getattr(self.state, name)
            return
        if value == getattr(self.state, name):
            return
        if not self.apply(**{name: int(value) if float(value).is_integer() else value}):
            self.widgets[name].value = getattr(self.state, name)

    def show_message(self, text: str) -> None:
        """Show ``text`` (escaped: it may carry a link's or a file's input) until a setting changes."""
        self.message.object = links.as_plain_markdown(text)
        self.message.visible = True
        self._message_settings = self.state.settings()

    # -- updates -------------------------------------------------------------------------
    def _onset_within_run(self) -> None:
        """The onset slider spans the run: an input starting after its end would show nothing."""
        self.widgets["onset"].end = self.state.duration
        if self.state.onset > self.state.duration:
            self.state.onset = self.state.duration

    def _show_inert_controls(self) -> None:
        for name, inert in INERT.items():
            widget, disabled = self.widgets[name], inert(self.state)
            if widget.disabled != disabled:  # setting a Panel parameter costs even when unchanged
                widget.disabled = disabled

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
        doc = self._server_doc()
        if doc is None:
            try:
                self.refresh()
            finally:
                self.busy.value = False
            return
        self._runs.request(lambda: self._start_run(doc))

    def _start_run(self, doc):
        """Simulate a snapshot of the state in a worker thread (``workers.py``); the plots are
        fed on the session's loop when it is done."""
        settings = self.state.settings()
        snapshot = self._snapshot_of(settings)
        shape = self._shape_key()
        last_ms = self._run_ms.get(shape)
        heavy = (last_ms > workers.HEAVY_MS if last_ms is not None
                 else snapshot.n_trials * snapshot.n_steps > workers.HEAVY_SAMPLES)
        if heavy:
            self.busy.value = True  # seconds of work ahead: say so
        return workers.submit("heavy" if heavy else "quick", lambda: with_columns(self.frames.make(snapshot)),
                              doc.add_next_tick_callback,
                              lambda future: self._deliver(future, settings, shape, doc))

    def _snapshot_of(self, settings: dict) -> ExplorerState:
        """``settings`` as the state a worker simulates: one per session, given only the values that
        changed since its last run. A session has one run in flight at most (``LatestOnly``) and a
        frame keeps no reference to its state, so the next run may change it. Building a new one
        validated all 25 parameters each time: 6% of the loop's time with 29 clients moving sliders
        (py-spy)."""
        if self._snapshot is None:
            self._snapshot = ExplorerState(**settings)
        else:
            last = self._snapshot_settings
            changed = {k: v for k, v in settings.items() if not _same_value(last[k], v)}
            if changed:
                self._snapshot.param.update(**changed)
        self._snapshot_settings = settings
        return self._snapshot

    def _deliver(self, future, settings, shape, doc) -> None:
        again = self._runs.finished()
        try:
            frame = future.result()
        except ValueError as err:
            self._refuse(err)
            again = False  # the state went back to what the picture shows
        except Exception as err:  # noqa: BLE001  (the page must say something, the server logs it)
            logging.getLogger(__name__).exception("simulation failed")
            self._refuse(f"the simulation failed ({type(err).__name__})")
            again = False
        else:
            self._run_ms[shape] = frame.compute_ms
            try:
                self._show(frame, settings, shape)
            except Exception:  # noqa: BLE001  (the spinner and the next run must not hang on it)
                logging.getLogger(__name__).exception("showing a frame failed")
                again = False
        if again:
            self._runs.request(lambda: self._start_run(doc))
        else:
            self.busy.value = False

    def _shape_key(self):
        s = self.state
        return (s.n_steps, s.n_trials, s.w_self != 0.0, s.input_kind != "none")

    def refresh(self) -> None:
        """Simulate the current state and feed every plot; on failure keep the last picture."""
        try:
            frame = self.frames.make(self.state)
        except ValueError as err:
            self._refuse(err)
            return
        except Exception as err:  # noqa: BLE001  (as in _deliver: the page must say something)
            logging.getLogger(__name__).exception("simulation failed")
            self._refuse(f"the simulation failed ({type(err).__name__})")
            return
        self._show(frame, self.state.settings(), self._shape_key())

    def _refuse(self, err) -> None:
        # Put the widgets back to what the picture shows, so nothing on the page lies.
        self.show_message(f"{err}. The last accepted settings were restored.")
        self._reverting = True
        try:
            self.state.param.update(**self._accepted)
        finally:
            self._reverting = False
        # The message stays until the settings move from those restored, even to the refused
        # value again once it fits (e.g. the memory budget has room now).
        self._message_settings = self.state.settings()
        self._show_inert_controls()

    def _show(self, frame: Frame, settings: dict, shape) -> None:
        """Feed every plot with a frame computed for ``settings``."""
        self._accepted = settings
        self.frame = frame
        self._shape = shape
        # Everything an answer changes goes out in one message: the traces, the readouts, the
        # phase line, the preset's name and the link. Before, the phase line and the link went in
        # two more messages, and each message costs Bokeh an index of the whole document's models
        # (~360) plus its writing: 3 messages per move became 1 (10 moving clients: 21.3 -> see
        # README "Running a class" for the figures).
        with pn.io.hold():
            if settings != self._message_settings:
                self.message.visible = False  # the user changed something since the message
            self.figures.show_frame(frame)
            self.figures.show_transfer_curve(self.state.to_params(), frame.h_visited)
            _set_text(self.note, html.escape(frame.theory_note))
            _set_text(self.readouts, self._readout_table(frame))
            current = self.state.settings()  # once for the views below (each reading is ~25 parameter reads)
            try:  # in the same message as the traces; a failure there must not stop the rest
                self.dynamics.update(frame, current)
            except Exception as err:  # noqa: BLE001  (the page says so, the server logs it)
                logging.getLogger(__name__).exception("the dynamics view failed")
                self.show_message(f"The {TABS[self.dynamics.tabs.active].lower()} could not be drawn ({type(err).__name__})")
            self._follow_presets(current)
            warning = input_warning(self.state)
            self.input_warning.object, self.input_warning.visible = links.as_plain_markdown(warning), bool(warning)
            self.address.show(self.state, current)
        self.refreshes += 1

    def _follow_presets(self, settings: dict) -> None:
        """The preset list names the preset shown (``settings``: the state's), or "custom" once
        anything moved, so picking the same preset again is a change and loads it afresh."""
        if not _PRESET_SETTINGS:
            _PRESET_SETTINGS.update({n: ExplorerState.preset(n) for n in PRESETS})
        shown = next((n for n, v in _PRESET_SETTINGS.items() if v == settings), CUSTOM)
        if self.presets.value != shown:
            self.presets.value = shown

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
            header, self.message, self.input_warning, self.address.box,
            pn.Row(pn.pane.Bokeh(self.figures.rates, sizing_mode="stretch_width"), self.dynamics.panel,
                   sizing_mode="stretch_width"),
            pn.pane.Bokeh(self.note, sizing_mode="stretch_width"),
            pn.pane.Bokeh(self.figures.noise, sizing_mode="stretch_width"),
            pn.Row(
                pn.pane.Bokeh(self.figures.transfer, sizing_mode="stretch_width"),
                pn.Column(pn.pane.HTML("<b>Readouts</b>"), pn.pane.Bokeh(self.readouts, sizing_mode="stretch_width"),
                          sizing_mode="stretch_width"),
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )
        return pn.Row(self.sidebar, main, sizing_mode="stretch_both", stylesheets=[CSS])


# Shown when the server cannot be reached (a restart, a wifi drop, a laptop waking up), by
# Panel's notifications (served locally). No automatic reconnection: tried against a restarted
# server, BokehJS 3.9 failed to re-pull the session ("buffer for id=... not found") and the page
# then said "Reconnecting now." for ever while nothing worked; a reload always works.
LOST = ("Connection to the server lost: the plots no longer follow the controls. "
        "Reload the page (F5) to continue.")


def create_app() -> pn.viewable.Viewable:
    pn.extension(sizing_mode="fixed", notifications=True, disconnect_notification=LOST)
    on_session_loaded()  # answers leave at once, not after the browser's delayed acknowledgement
    explorer = Explorer()
    view = explorer.__panel__()
    if Explorer._server_doc() is not None:
        # Served only: in a notebook the process is the user's, and gc.freeze() would keep it all.
        on_session_ended(explorer.frames.release)  # its caches leave the memory budget at once
        freeze_live_objects()  # no 100 ms garbage-collector sweeps of long-lived objects during a drag
    return view


if pn.state.served:
    # location=False: Panel's Location parses the query itself and fails on long numbers;
    # explorer/links.py reads the link and writes the address bar.
    lean.for_serving()  # Bokeh's checks in the tests instead, stable defaults cached (lean.py)
    create_app().servable(title="Sigmoid-rate explorer", location=False)
    prepare_page()  # stylesheets from this server, also when the session is rebuilt
