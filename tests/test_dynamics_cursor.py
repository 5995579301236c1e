"""The time cursor, the phase line's range and the branches against a chosen parameter, in-process:
the data that go to the page against the model (and closed-form fold conditions)."""

import numpy as np
import pytest

import model
from explorer import dynamics
from explorer.app import Explorer
from explorer.dynamics_views import TABS, _joined_rows
from explorer.state import PRESETS, ExplorerState
from model import regimes


@pytest.fixture(scope="module")
def app():
    a = Explorer()
    a.apply(mu=0.5, w_self=2.0)  # the link the issue names: trials near 3.2, the curve ended at 2.5
    a.dynamics.tabs.active = TABS.index("Phase line")
    return a


def test_dragging_the_cursor_moves_the_dots_to_the_trials_there_without_a_new_run(app):
    d = app.dynamics
    refreshes, trials = app.refreshes, app.figures.trials_source.data["rate"]
    sent = dict(d.sent)
    d.cursor_span.location = 300.04  # what a drag on the rate plot sends
    assert d.cursor.value == pytest.approx(300.0)  # on the dt grid; the slider follows the line
    np.testing.assert_array_equal(d.src["dots"].data["x"],
                                  dynamics.trials_at(app.frame, 300.0).astype(np.float32))
    assert app.refreshes == refreshes and app.figures.trials_source.data["rate"] is trials  # no new run
    assert d.sent["phase"] == sent["phase"]  # no input: the curve does not depend on the time
    assert d.sent["phase_dots"] == sent["phase_dots"] + 1
    d.cursor_span.location = 2e6  # past the run's end: held at the end, and the line put back there
    assert d.cursor.value == pytest.approx(app.state.t_sim()) and d.cursor_span.location == d.cursor.value
    d.cursor.value = 120.0  # the slider (keyboard) moves the line
    assert d.cursor_span.location == 120.0
    np.testing.assert_array_equal(d.src["dots"].data["x"],
                                  dynamics.trials_at(app.frame, 120.0).astype(np.float32))


@pytest.mark.parametrize("settings", [dict(mu=0.5, w_self=2.0)] + [ExplorerState.preset(n) for n in PRESETS]
                         + [dict(sigma=4.0, lambda_=0.2), dict(mu=-4.0, w_self=-3.0, sigma=2.0, input_kind="none")])
def test_every_trial_at_the_cursor_lies_on_the_phase_curve(settings):
    a = Explorer()
    a.apply(**settings | {"duration": min(settings.get("duration", 1000.0), 2000.0)})
    d = a.dynamics
    d.tabs.active = TABS.index("Phase line")
    for t in np.linspace(0.0, a.state.t_sim(), 7):
        d.cursor_span.location = float(t)
        x, dots = (np.asarray(d.src[k].data["x"]) for k in ("phase", "dots"))  # what the page receives
        assert np.isfinite(x).all() and len(dots) == a.frame.trials.shape[0]
        assert x[0] < dots.min() and dots.max() < x[-1], (t, x[0], x[-1], dots.min(), dots.max())
        # with a margin: a tenth of the curve's width at least beyond the outermost trial
        assert min(dots.min() - x[0], x[-1] - dots.max()) >= 0.1 * (x[-1] - x[0]) * 0.5


def test_phase_curve_is_resent_for_sigma_only_when_its_range_must_change(app):
    d = app.dynamics
    musts = []
    for sigma in (0.3, 0.31, 2.5, 2.51):
        before, sent = d.data["phase"], d.sent["phase"]
        app.apply(sigma=sigma)
        needed = dynamics.phase_range(before["fixed"], dynamics.trial_extent(app.frame))
        musts.append(not np.allclose(needed, (before["x"][0], before["x"][-1])))
        assert d.sent["phase"] == sent + musts[-1], sigma
    assert musts == [True, False, True, False]  # 1 -> 0.3 narrows, 0.31 -> 2.5 widens; small steps: neither
    app.apply(sigma=1.0)


BISTABLE = "Bistable switch (autapse + sine)"


@pytest.mark.parametrize("axis", ["input", "mu", "g", "beta", "theta", "w_self", "tau", "lambda_", "self_delay"])
def test_branches_in_the_page_are_the_models_for_the_chosen_parameter(axis):
    a = Explorer()
    a.apply(**ExplorerState.preset(BISTABLE) | {"duration": 500.0})
    d = a.dynamics
    d.cursor.value = 50.0  # before the onset: input level 0
    d.branch_axis.value = axis
    d.tabs.active = TABS.index("Hysteresis")
    s = a.state
    values = (np.linspace(*dynamics.input_span(s), dynamics.BRANCH_POINTS) if axis == "input"
              else np.linspace(*dynamics.map_range(s, axis), dynamics.BRANCH_POINTS))
    br = regimes.branches(dynamics.setting(s, 0.0), axis, values)
    rate, stable = np.asarray(br.fixed.rate).T, np.asarray(br.fixed.stable).T
    for name, part in (("branch_stable", stable), ("branch_unstable", ~stable)):
        u, r = _joined_rows(values, np.where(part, rate, np.nan))
        np.testing.assert_allclose(d.src[name].data["u"], u.astype(np.float32), equal_nan=True)
        np.testing.assert_allclose(d.src[name].data["rate"], r.astype(np.float32), equal_nan=True)
    fv, fr = np.asarray(br.fold_value), np.asarray(br.fold_rate)
    ok = np.isfinite(fv)
    np.testing.assert_allclose(d.src["folds"].data["u"], fv[ok].astype(np.float32))
    np.testing.assert_allclose(d.src["folds"].data["rate"], fr[ok].astype(np.float32))
    field = dynamics.MAP_AXES[axis][0]
    current = 0.0 if axis == "input" else getattr(s, field)
    assert d.branch_here.location == pytest.approx(current)  # the setting's own value marked
    assert d.hyst.xaxis.axis_label == dynamics.MAP_AXES[axis][1]
    assert d._trajectory.visible == (axis == "input")  # the run's path only against the input
    if axis in ("input", "mu"):
        # the bistable autapse (lambda = 1, w = 1): a fold where x = phi(x + u) + mu and phi' = 1
        assert len(fv[ok]) == 2
        for v, x in zip(fv[ok], fr[ok]):
            uu, mu = (v, s.mu) if axis == "input" else (0.0, v)
            assert x == pytest.approx(model.phi(x + uu, s.g, s.beta, s.theta) + mu, abs=1e-6)
            assert model.phi_slope(x + uu, s.g, s.beta, s.theta) == pytest.approx(1.0, abs=1e-6)


def test_unknown_branch_parameter_is_refused_naming_it():
    state = ExplorerState()
    with pytest.raises(ValueError, match="'sigma'"):
        dynamics.branches(state, "sigma")
    with pytest.raises(ValueError, match="'speed'"):
        regimes.branches(dynamics.setting(state, 0.0), "speed", np.linspace(0, 1, 5))


def test_a_burst_of_cursor_moves_is_coalesced_into_one_update(app, monkeypatch):
    """Served, the moves that arrive before the session's loop turns cost one update, the last."""
    d = app.dynamics
    ticks = []

    class Doc:  # the session's document: only its next-tick queue matters here
        def add_next_tick_callback(self, callback):
            ticks.append(callback)

    monkeypatch.setattr(d, "_doc", Doc())
    monkeypatch.setattr("panel.io.hold", lambda doc: __import__("contextlib").nullcontext())
    moves, sent = dict(d.cursor_moves), d.sent["phase_dots"]
    for t in np.linspace(200.0, 400.0, 10):  # ten drag events before the loop turns
        d.cursor_span.location = float(t)
    assert len(ticks) == 1 and d.sent["phase_dots"] == sent  # nothing computed yet
    ticks.pop()()
    assert d.cursor_moves["dragged"] == moves["dragged"] + 10 and d.cursor_moves["taken"] == moves["taken"] + 1
    assert d.cursor.value == pytest.approx(400.0) and d.sent["phase_dots"] == sent + 1
    np.testing.assert_array_equal(d.src["dots"].data["x"], dynamics.trials_at(app.frame, 400.0).astype(np.float32))


def test_an_unknown_branch_parameter_reaching_the_view_is_named_on_the_page_and_nothing_changes():
    a = Explorer()
    d = a.dynamics
    d.tabs.active = TABS.index("Hysteresis")
    before = {k: dict(d.src[k].data) for k in ("branch_stable", "folds")}
    d.branch_axis.options = {**d.branch_axis.options, "speed": "speed"}  # not a parameter of the model
    d.branch_axis.value = "speed"
    assert a.message.visible and "'speed'" in a.message.object
    for k, data in before.items():
        assert all(np.array_equal(d.src[k].data[c], v, equal_nan=True) for c, v in data.items())
