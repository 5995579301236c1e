"""The dashboard in-process (no browser): plotted data against the model and the theory."""

import jax
import numpy as np
import param
import pytest

import model
from explorer.app import Explorer
from explorer import decimate
from explorer.views import SMALL, SUMMARY_COLUMNS
from tests.decimated import largest_error, split_traces


@pytest.fixture
def app():
    return Explorer()


def model_rates(app):
    """What model.simulate gives for the app's current settings and frozen noise."""
    s = app.state
    xi = model.draw_xi(jax.random.PRNGKey(s.seed), n_trials=s.n_trials, n_steps=s.n_steps, n_units=1)
    res = model.simulate(s.to_network(), s.t_sim(), s.dt, s.to_inputs(), s.n_trials, xi=xi)
    return np.asarray(res.rate[:, :, 0]), res


def assert_shows_samples(t, y, samples, dt):
    error = largest_error(t, y, samples, dt)
    assert error is not None and error <= 1e-6 * max(1.0, np.abs(samples).max()), error


def assert_plot_shows_model(app):
    rates, res = model_rates(app)
    dt = app.state.dt
    data = app.figures.trials_source.data
    traces = split_traces(np.asarray(data["t"], float), np.asarray(data["rate"], float))
    assert len(traces) == min(app.state.n_trials, 40)
    for k, (t, y) in enumerate(traces):
        assert_shows_samples(t, y, rates[k], dt)
    summary = {k: np.asarray(v, float) for k, v in app.figures.summary_source.data.items()}
    assert_shows_samples(summary["t"], summary["mean"], rates.mean(axis=0), dt)
    sd = rates.std(axis=0, ddof=1)
    lower, upper = rates.mean(axis=0) - sd, rates.mean(axis=0) + sd
    assert summary["lower"].min() == pytest.approx(lower.min(), rel=1e-4, abs=1e-5)
    assert summary["upper"].max() == pytest.approx(upper.max(), rel=1e-4, abs=1e-5)


def test_plots_show_the_model(app):
    assert_plot_shows_model(app)


@pytest.mark.parametrize("changes", [
    {"mu": 1.5}, {"sigma": 0.2, "tau": 3.0}, {"linear_summation": False},
    {"mult_coupling": True}, {"rectify_output": True, "rectify_rate": 0.5},
    {"lambda_": 0.0}, {"g": -2.0, "beta": 4.0, "theta": 1.0},
    {"input_kind": "sine", "amplitude": 3.0, "period": 50.0},
    {"input_kind": "pulse train", "connection": "instantaneous"},
    {"input_kind": "ramp", "input_weight": -2.0}, {"input_kind": "none"},
    {"w_self": 2.0, "self_delay": 3.0}, {"duration": 200.0, "dt": 0.05, "n_trials": 7},
])
def test_changes_reach_the_plots(app, changes):
    before = np.asarray(app.figures.trials_source.data["rate"]).copy()
    assert app.apply(**changes)
    after = np.asarray(app.figures.trials_source.data["rate"])
    assert before.shape != after.shape or not np.array_equal(before, after, equal_nan=True)
    assert_plot_shows_model(app)


def test_theory_band_matches_closed_form(app):
    app.apply(mu=0.4, sigma=0.6, lambda_=2.0, input_kind="step", amplitude=1.0, input_weight=1.5, onset=50.0)
    src = app.figures.summary_source.data
    assert all(r.visible for r in app.figures.theory_renderers)
    # Long after the step: mean (mu + phi(1.5)) / lambda, sd sqrt(sigma^2 / (2 lambda)).
    mean_end = (0.4 + 1 / (1 + np.exp(-1.5))) / 2.0
    sd_end = np.sqrt(0.36 / 4.0)
    assert src["theory_mean"][-1] == pytest.approx(mean_end, rel=1e-5)
    assert src["theory_upper"][-1] - src["theory_mean"][-1] == pytest.approx(sd_end, rel=1e-4)
    assert src["theory_mean"][-1] - src["theory_lower"][-1] == pytest.approx(sd_end, rel=1e-4)
    # Before the input arrives: (mu + phi(0)) / lambda, approached from 0.
    t = np.asarray(src["t"])
    before = np.asarray(src["theory_mean"])[(t > 40) & (t < 49)]
    assert before == pytest.approx((0.4 + 0.5) / 2.0, rel=1e-3)
    assert "exact mean" in app.note.text


@pytest.mark.parametrize("changes, reason", [
    ({"rectify_output": True}, "rectification"), ({"w_self": 1.0}, "autapse"),
])
def test_theory_band_hidden_where_it_does_not_apply(app, changes, reason):
    app.apply(**changes)
    assert not any(r.visible for r in app.figures.theory_renderers)
    for col in ("theory_mean", "theory_lower", "theory_upper"):
        assert np.isnan(app.figures.summary_source.data[col]).all()
    assert reason in app.note.text
    app.apply(rectify_output=False, w_self=0.0)
    assert all(r.visible for r in app.figures.theory_renderers)


def test_frozen_noise(app):
    noise = np.asarray(app.figures.noise_source.data["noise"]).copy()
    app.apply(mu=2.0, tau=5.0, g=3.0)
    np.testing.assert_array_equal(app.figures.noise_source.data["noise"], noise)
    seed = app.state.seed
    app.apply(seed=seed + 5)
    assert not np.array_equal(np.asarray(app.figures.noise_source.data["noise"]), noise, equal_nan=True)
    app.apply(seed=seed)
    np.testing.assert_array_equal(app.figures.noise_source.data["noise"], noise)


def test_transfer_curve_and_visited_range(app):
    app.apply(g=2.0, beta=3.0, theta=0.5, input_kind="step", amplitude=1.0, input_weight=1.0)
    h = np.asarray(app.figures.curve_source.data["h"], float)
    phi = np.asarray(app.figures.curve_source.data["phi"], float)
    np.testing.assert_allclose(phi, 2.0 / (1 + np.exp(-3.0 * (h - 0.5))), rtol=1e-6)
    assert (app.figures.visited.left, app.figures.visited.right) == (0.0, 1.0)
    assert app.figures.point_source.data["h"][0] == pytest.approx(1.0)


def test_readouts(app):
    text = app.readouts.text
    for word in ("mean at end", "variance at end", "compute time", "device", "CPU", "samples simulated",
                 "20 trials × 10,000 steps"):
        assert word in text


def test_out_of_range_is_refused_visibly_and_changes_nothing(app):
    before = app.state.settings()
    refreshes = app.refreshes
    assert not app.apply(tau=-1.0, mu=0.5)
    assert app.message.visible and "tau (ms) = -1.0 is outside the allowed range [0.1, 100.0]" in app.message.object
    assert app.state.settings() == before and app.refreshes == refreshes
    assert not app.apply(dt=0.3)
    assert not app.apply(mu=3.0, n_trials=7.5) and app.state.mu == before["mu"]  # all or nothing
    assert not app.apply(n_trials=True) and not app.apply(tau="5")
    assert not app.apply(linear_summation="yes")
    assert not app.apply(nonsense=1)
    assert app.apply(mu=0.5) and not app.message.visible


def test_too_many_samples_keeps_the_last_picture(app):
    data = np.asarray(app.figures.trials_source.data["rate"]).copy()
    app.apply(duration=10000.0, dt=0.01, n_trials=1000)
    assert app.message.visible and "trials x steps" in app.message.object
    np.testing.assert_array_equal(app.figures.trials_source.data["rate"], data)
    # the widgets go back to what the picture shows
    assert (app.state.duration, app.state.dt, app.state.n_trials) == (1000.0, 0.1, 20)
    assert app.widgets["n_trials"].value == 20 and "restored" in app.message.object
    app.apply(n_trials=5)
    assert not app.message.visible


def test_sessions_are_isolated():
    a, b = Explorer(), Explorer()
    data_b = np.asarray(b.figures.trials_source.data["rate"]).copy()
    a.apply(mu=3.0, seed=9)
    assert b.state.mu == 0.0 and b.state.seed == 0
    np.testing.assert_array_equal(b.figures.trials_source.data["rate"], data_b)
    assert a.figures.trials_source is not b.figures.trials_source


def test_payload_is_bounded_and_binary(app):
    for duration in (100.0, 1000.0, 10000.0):
        app.apply(duration=duration)
        total = 0
        for src in (app.figures.trials_source, app.figures.summary_source, app.figures.noise_source):
            for col in src.data.values():
                assert isinstance(col, np.ndarray) and col.dtype == np.float32
                total += col.nbytes
        assert total < 300_000, (duration, total)


def test_minmax_decimation_keeps_extremes_on_fixed_times():
    rng = np.random.default_rng(0)
    t = (np.arange(10_007) + 1) * 0.1
    y = rng.normal(size=(3, t.size))
    y[1, 5000] = 50.0
    y[2, -1] = -40.0  # in the short last bin
    td, yd = decimate.bin_edges(t, 500), decimate.minmax(y, 500)
    assert yd.shape == (3, td.size) and td.size <= 2 * 500
    for k in range(3):
        assert_shows_samples(td, yd[k], y[k], 0.1)
    np.testing.assert_array_equal(yd.max(axis=1), y.max(axis=1))
    np.testing.assert_array_equal(yd.min(axis=1), y.min(axis=1))
    assert np.all(np.diff(td) >= 0) and td[0] == t[0] and td[-1] == t[-1]
    # short traces are not decimated
    np.testing.assert_array_equal(decimate.minmax(y[:, :900], 500), y[:, :900])


def test_envelope_never_thinner_than_the_band():
    rng = np.random.default_rng(1)
    t = (np.arange(5_003) + 1) * 0.1
    mid = np.cumsum(rng.normal(size=t.size))
    lower, upper = decimate.envelope(mid - 1.0, mid + 1.0, 300)
    idx = (np.rint(decimate.bin_edges(t, 300) / 0.1).astype(int) - 1).reshape(-1, 2)
    assert lower.size == upper.size == idx.size <= 600
    assert idx[0, 0] == 0 and idx[-1, 1] == t.size - 1 and np.all(idx[1:, 0] == idx[:-1, 1] + 1)  # bins tile
    for (a, b), lo, hi in zip(idx, lower.reshape(-1, 2), upper.reshape(-1, 2)):
        assert lo[0] == lo[1] == (mid[a:b + 1] - 1.0).min()
        assert hi[0] == hi[1] == (mid[a:b + 1] + 1.0).max()


class _Queue(list):
    # What ``pn.io.hold(doc)`` reads and resets on a document's callback manager: nothing held.
    hold_value = None
    _held_events = None
    _hold = None


class FakeDoc:
    """Stands in for a served document: queues next-tick callbacks instead of running them."""

    def __init__(self):
        self.callbacks = _Queue()

    def hold(self, policy="combine"):
        pass

    def unhold(self):
        pass

    def add_next_tick_callback(self, callback):
        self.callbacks.append(callback)

    def run_pending(self):
        pending, self.callbacks = self.callbacks, _Queue()
        for callback in pending:
            callback()

    def run_until_idle(self, app, timeout=60.0):
        """Run callbacks (the scheduled refresh, then the worker's delivery) until none is
        queued and no simulation is in flight."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            self.run_pending()
            if not self.callbacks and not app._runs.in_flight:
                return
            assert time.monotonic() < deadline, "a simulation never came back"
            time.sleep(0.002)


def test_served_updates_coalesce_latest_value_wins(app, monkeypatch):
    doc = FakeDoc()
    monkeypatch.setattr(Explorer, "_server_doc", staticmethod(lambda: doc))
    refreshes = app.refreshes
    for k in range(25):  # a drag: many values arrive before the server gets to run a refresh
        app.state.mu = 0.04 * (k + 1)
    assert len(doc.callbacks) == 1 and app.refreshes == refreshes
    assert not app.busy.value  # same shapes: nothing to compile, no busy indicator
    doc.run_until_idle(app)
    assert app.refreshes == refreshes + 1
    assert_plot_shows_model(app)  # the one refresh used the last value, mu = 1.0
    assert app.state.mu == pytest.approx(1.0)


def test_shape_change_shows_busy_until_the_refresh_ran(app, monkeypatch):
    doc = FakeDoc()
    monkeypatch.setattr(Explorer, "_server_doc", staticmethod(lambda: doc))
    app.state.n_trials = 7
    assert app.busy.value and len(doc.callbacks) == 1
    doc.run_until_idle(app)
    assert not app.busy.value
    assert_plot_shows_model(app)


def test_a_failing_dynamics_view_leaves_the_rest_of_the_answer_and_the_spinner_right(app, monkeypatch):
    """The phase line is fed in the same hold as the traces; when it raises, the traces, the link
    and the preset name still follow, the page says what failed, and the busy spinner (on for a
    new shape) goes off."""
    doc = FakeDoc()
    monkeypatch.setattr(Explorer, "_server_doc", staticmethod(lambda: doc))

    def broken(frame=None, settings=None):
        raise ZeroDivisionError("a bug in a view")

    monkeypatch.setattr(app.dynamics, "update", broken)
    app.state.n_trials = 7  # a new shape: the spinner goes on
    assert app.busy.value
    doc.run_until_idle(app)
    assert not app.busy.value
    assert_plot_shows_model(app)
    assert "n_trials=7" in app.address.value
    assert app.message.visible and "phase line could not be drawn (ZeroDivisionError)" in app.message.object


def test_transfer_curve_follows_each_value_before_the_simulation(app, monkeypatch):
    doc = FakeDoc()
    monkeypatch.setattr(Explorer, "_server_doc", staticmethod(lambda: doc))
    app.state.beta = 4.0
    h = np.asarray(app.figures.curve_source.data["h"], float)
    phi = np.asarray(app.figures.curve_source.data["phi"], float)
    np.testing.assert_allclose(phi, 1.0 / (1 + np.exp(-4.0 * h)), rtol=1e-6)
    assert len(doc.callbacks) == 1  # the simulation is still queued


def test_inert_controls_are_greyed_out(app):
    assert app.widgets["rectify_rate"].disabled and not app.widgets["amplitude"].disabled
    app.apply(rectify_output=True, connection="instantaneous", input_kind="pulse train")
    assert not app.widgets["rectify_rate"].disabled
    assert app.widgets["input_delay"].disabled and not app.widgets["width"].disabled
    app.apply(input_kind="none")
    assert all(app.widgets[n].disabled for n in ("amplitude", "input_weight", "onset", "period", "width"))


def test_duration_slider_acts_on_release(app):
    slider = app.widgets["duration"]
    slider.value = 500.0  # dragging: the state (and the compiled shapes) stay
    assert app.state.duration == 1000.0
    with param.edit_constant(slider):
        slider.value_throttled = 500.0  # released (the browser sets it; it is read-only here)
    assert app.state.duration == 500.0
    app.apply(duration=300.0)
    assert slider.value == 300.0


@pytest.mark.parametrize("name", list(__import__("explorer.state", fromlist=["PRESETS"]).PRESETS))
def test_presets_load_and_match_the_model(app, name):
    from explorer.state import ExplorerState
    app.presets.value = name
    assert not app.message.visible
    assert app.state.settings() == ExplorerState.preset(name)
    assert_plot_shows_model(app)


def test_bistable_preset_switches_and_holds(app):
    app.presets.value = "Bistable switch (autapse + sine)"
    mean = np.asarray(app.frame.mean)
    t = app.frame.times
    high = [pt.rate for pt in model.theory.fixed_points(app.state.to_params(), w_self=1.0) if pt.stable][-1]
    assert mean[(t > 60) & (t < 100)].max() < 0.3  # low before the input
    assert mean[(t > 200) & (t < 300)].min() > 0.8 * high  # switched on by the positive half-wave
    assert mean[(t > 450) & (t < 550)].max() < 0.3  # and off again by the negative one


def test_onset_slider_spans_the_run(app):
    assert app.widgets["onset"].end == 1000.0
    app.apply(duration=3000.0, onset=2500.0)
    assert app.widgets["onset"].end == 3000.0 and app.state.onset == 2500.0
    app.apply(duration=2000.0)
    assert app.widgets["onset"].end == 2000.0 and app.state.onset == 2000.0
    assert_plot_shows_model(app)


def sent_columns(app, **changes):
    """What a change sends to the page: {data source name: columns sent} (Bokeh document events,
    serialized as the server would)."""
    from bokeh.document import Document
    from bokeh.protocol import Protocol

    doc = Document()
    doc.add_root(app.__panel__().get_root(doc))
    events = []
    doc.on_change(events.append)
    app.apply(**changes)
    sent_buffers = len(Protocol().create("PATCH-DOC", events).buffers)
    sent = {}
    long_columns = 0
    for e in events:
        if getattr(e, "attr", None) == "data":
            cols = getattr(e, "cols", None) or list(e.model.data)  # None: the whole data
            sent.setdefault(e.model.name, set()).update(cols)
            long_columns += sum(len(e.model.data[c]) >= SMALL for c in cols)
    # what goes on the wire: one binary buffer per long column sent, no more (short ones are JSON)
    assert sent_buffers == long_columns
    # the dynamics views' sources have their own test (tests/test_dynamics_views.py)
    dynamics = {src.name for src in app.dynamics.src.values()}
    return {name: cols for name, cols in sent.items() if name not in dynamics}


def test_a_change_sends_only_what_it_changes(app):
    summary = set(SUMMARY_COLUMNS)
    # mu moves the rates; not the time axes, the gain curve, the operating point or the noise
    assert sent_columns(app, mu=0.4) == {"trials_source": {"rate"}, "summary_source": summary}
    # sigma leaves the exact mean as it is, and redraws the frozen noise's scale
    assert sent_columns(app, sigma=0.5) == {"trials_source": {"rate"}, "noise_source": {"noise"},
                                            "summary_source": summary - {"theory_mean"}}
    # g rescales the gain: its curve and the operating point's height, not where they sit in h
    assert sent_columns(app, g=2.0) == {"trials_source": {"rate"}, "summary_source": summary,
                                        "curve_source": {"phi"}, "point_source": {"phi"}}
    # a larger input moves the operating point; the curve already spans theta ± 8 / beta
    assert sent_columns(app, amplitude=3.0) == {"trials_source": {"rate"}, "summary_source": summary,
                                                "point_source": {"h", "phi"}}
    # a new duration: new time axes, sent whole
    sent = sent_columns(app, duration=500.0)
    assert sent["trials_source"] == {"t", "rate"} and sent["summary_source"] == summary | {"t"}
    assert_plot_shows_model(app)


def test_controls_answer_without_panels_50_ms_wait(app):
    from explorer.widgets import DEBOUNCE_MS

    assert DEBOUNCE_MS < 50
    for name, widget in app.widgets.items():
        assert widget._debounce == DEBOUNCE_MS, name
    assert app.presets._debounce == DEBOUNCE_MS


def test_a_built_session_is_frozen_out_of_full_sweeps(monkeypatch):
    import gc

    from explorer.app import Explorer, create_app

    import panel as pn

    doc = FakeDoc()
    monkeypatch.setattr(Explorer, "_server_doc", staticmethod(lambda: doc))  # as under panel serve
    try:
        view = create_app()
        from bokeh.models import Plot

        figures = [pane.object for pane in view.select(pn.pane.Bokeh)  # built with the session
                   if isinstance(pane.object, Plot)]
        models = [m for f in figures for m in f.references()]
        tracked = {id(o) for o in gc.get_objects()}  # the frozen generation is not listed
        # rates, noise, transfer; the phase line (the other dynamics views are made when their
        # tab is first opened: explorer/lean.py)
        assert len(figures) == 3 + 1 and len(models) > 50
        assert gc.get_freeze_count() > 10_000
        assert not any(id(m) in tracked for m in models)
    finally:
        gc.unfreeze()


def test_create_app_in_a_notebook_leaves_the_garbage_collector_alone():
    """Outside a server (a notebook, a script) the process is the user's: nothing is frozen."""
    import gc

    from explorer.app import create_app

    gc.unfreeze()
    view = create_app()
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    assert view is not None


def test_widgets_send_what_panel_sends_without_asking_the_design_each_time():
    """``explorer/widgets.py`` skips Panel's design lookup for changes without stylesheets: the
    properties sent for a value, a greyed-out control, new bounds are Panel's own, and a
    stylesheet change still goes through Panel (with the design's sheets first)."""
    from bokeh.document import Document

    from explorer.widgets import Checkbox, FloatInput, FloatSlider, Select

    made = [FloatSlider(label="mu", start=0, end=1, step=0.01, value=0.5), Select(label="k", options=["a", "b"]),
            FloatInput(label="n", value=2, start=1, end=5), Checkbox(label="on")]
    for widget in made:
        doc = Document()
        widget.get_root(doc)
        panels = type(widget).__mro__[1]
        assert panels.__module__.startswith("panel.")
        changes = {"disabled": True, "visible": False, "width": 123}
        if isinstance(widget, FloatSlider):
            changes |= {"value": 0.25, "start": -1.0, "end": 2.0}
        elif isinstance(widget, Select):
            changes |= {"value": "b", "options": ["a", "b", "c"]}
        elif isinstance(widget, FloatInput):
            changes |= {"value": 3.0}
        else:
            changes |= {"value": True}
        for name, new in changes.items():
            event = param.parameterized.Event(what="value", name=name, obj=widget, cls=type(widget),
                                              old=getattr(widget, name), new=new, type="changed")
            ours = widget._update_properties(event, doc=doc)
            assert ours == panels._update_properties(widget, event, doc=doc), (type(widget).__name__, name)
        sheet = param.parameterized.Event(what="value", name="stylesheets", obj=widget, cls=type(widget),
                                          old=[], new=[":host { color: red; }"], type="changed")
        def sheets(properties):  # Panel makes new stylesheet models each time: compare what they load
            return [getattr(s, "url", s) for s in properties["stylesheets"]]

        sent = sheets(widget._update_properties(sheet, doc=doc))
        assert len(sent) > 1 and sent == sheets(panels._update_properties(widget, sheet, doc=doc))
    assert all(w._design is not None for w in made)  # the design is there: the shortcut was taken


def test_send_sends_only_changed_columns_and_notices_outside_changes():
    """``views.send``: a column whose float32 values did not change is not sent again (NaN
    included), a caller changing its array afterwards does not hide a change, and data set on the
    source by other code makes the next send send every column."""
    from bokeh.document import Document
    from bokeh.models import ColumnDataSource

    from explorer.views import send

    doc = Document()
    short, long = ColumnDataSource(data={"x": [], "y": []}), ColumnDataSource(data={"t": [], "z": []})
    doc.add_root(short)
    doc.add_root(long)
    sent = []
    doc.callbacks.on_change(sent.append)

    def columns_sent():  # (source, column) pairs sent since the last call; cols None: all
        out = {(e.model, c) for e in sent for c in (e.cols if e.cols is not None else e.model.data)}
        sent.clear()
        return {({id(short): "short", id(long): "long"}[id(m)], c) for m, c in out}

    x, y = np.arange(5.0), np.array([1.0, np.nan, 3.0, 4.0, 5.0])
    t = np.linspace(0, 1, 2 * SMALL)
    send(short, {"x": x, "y": y})
    send(long, {"t": t, "z": t ** 2})
    assert columns_sent() == {("short", "x"), ("short", "y"), ("long", "t"), ("long", "z")}
    assert isinstance(short.data["y"], list) and np.isnan(short.data["y"][1])  # short: a JSON list
    assert isinstance(long.data["z"], np.ndarray) and long.data["z"].dtype == np.float32
    send(short, {"x": x, "y": y.copy()})
    send(long, {"t": t.copy(), "z": t ** 2})
    assert columns_sent() == set()  # nothing changed, the NaN neither
    y[0] = 7.0  # the caller's array, changed after it was sent: not the source's copy
    assert short.data["y"][0] == 1.0
    send(short, {"x": x, "y": y})
    send(long, {"t": t, "z": t ** 2 + np.float32(1e-3)})
    assert columns_sent() == {("short", "y"), ("long", "z")} and short.data["y"][0] == 7.0
    short.data["x"] = [9.0] * 5  # another part of the program sets a column itself
    columns_sent()
    send(short, {"x": x, "y": y})
    assert list(short.data["x"]) == list(x) and ("short", "x") in columns_sent()
    send(long, {"t": t[:3], "z": t[:3]})  # a new length replaces everything
    assert columns_sent() == {("long", "t"), ("long", "z")} and len(long.data["z"]) == 3


def test_the_noise_shown_follows_seed_sigma_and_size_and_is_reused_otherwise():
    """``FrameMaker`` keeps the shown noise (sigma * xi of the first trials) while the frozen
    noise and sigma stay; every frame's noise equals a fresh maker's for the same state."""
    from explorer.frame import FrameMaker
    from explorer.state import ExplorerState

    kept = FrameMaker()
    settings = ExplorerState().settings()
    previous = None
    for change in ({}, {"mu": 0.7}, {"sigma": 2.0}, {"tau": 3.0}, {"seed": 5}, {"n_trials": 2},
                   {"duration": 500.0}, {"sigma": 0.5}):
        settings |= change
        state = ExplorerState(**settings)
        noise = kept.make(state).noise
        np.testing.assert_array_equal(noise, FrameMaker().make(state).noise)
        if previous is not None:
            assert (noise is previous) == (set(change) <= {"mu", "tau"}), change
        previous = noise


def test_the_state_a_worker_simulates_is_the_settings_given_each_time(app):
    """``Explorer._snapshot_of``: one state per session, updated with what changed; after each
    change it holds exactly the settings it was given (-0.0 and 0.0 apart)."""
    first = None
    for change in ({}, {"mu": 0.5}, {"mu": -0.0}, {"mu": 0.0}, {"input_kind": "sine", "tau": 3.0}, {"seed": 9}):
        settings = app.state.settings() | change
        snapshot = app._snapshot_of(settings)
        first = first or snapshot
        assert snapshot is first
        assert {k: repr(v) for k, v in snapshot.settings().items()} == {k: repr(v) for k, v in settings.items()}
