"""The dynamics views in-process: their data against the model, what is (not) re-sent, bad axes."""

import numpy as np
import pytest

import model
from explorer import dynamics
from explorer.app import Explorer
from explorer.dynamics_views import TABS
from explorer.state import ExplorerState
from model import fixed_points as fpm


@pytest.fixture(scope="module")
def app():
    a = Explorer()
    a.apply(**ExplorerState.preset("Bistable switch (autapse + sine)"))
    return a


def _show(app, tab):
    app.dynamics.tabs.active = TABS.index(tab)
    return app.dynamics.data


def test_phase_line_marks_the_models_fixed_points_where_the_drift_vanishes(app):
    app.dynamics.cursor.value = 100.0  # before the sine's onset: input 0, bistable
    data = _show(app, "Phase line")["phase"]
    fp = fpm.fixed_points(fpm.setting(app.state.to_params(), app.state.w_self,
                                      app.state.delay_steps(app.state.self_delay), 0.0, 1.0, app.state.dt))
    rate, exists, stable = (np.asarray(a) for a in (fp.rate, fp.exists, fp.stable))
    np.testing.assert_allclose(np.sort(data["fixed"]), np.sort(rate[exists]), atol=1e-5)
    assert sorted(data["fixed_stable"].tolist()) == sorted(stable[exists].tolist()) == [False, True, True]
    # the drift changes sign at each fixed point: + below the unstable one's left, etc.
    crossings = data["x"][:-1][np.sign(data["drift"][:-1]) != np.sign(data["drift"][1:])]
    assert len(crossings) == 3
    np.testing.assert_allclose(np.sort(crossings), np.sort(rate[exists]), atol=np.diff(data["x"])[0] * 1.01)
    dots = app.dynamics.data["phase_dots"]
    np.testing.assert_allclose(dots["rate"], dynamics.trials_at(app.frame, 100.0))


def test_hysteresis_branches_and_folds_match_the_model(app):
    data = _show(app, "Hysteresis")
    br = data["branches"]
    assert len(br["fold_u"]) == 2
    # at a fold phi(w x + u) = lambda x - mu and its slope equals lambda / w (lambda = 1, w = 1, mu = 0)
    p = app.state
    for u, x in zip(br["fold_u"], br["fold_rate"]):
        assert model.phi(x + u, p.g, p.beta, p.theta) == pytest.approx(x, abs=1e-4)
        assert model.phi_slope(x + u, p.g, p.beta, p.theta) == pytest.approx(1.0, abs=1e-3)
    step = max(1, app.frame.trials.shape[1] // 2000)
    np.testing.assert_allclose(data["trajectory"]["rate"], app.frame.trials[0, ::step])
    np.testing.assert_allclose(data["trajectory"]["u"], dynamics.delivered_input(app.state)[::step])


def test_distribution_is_the_shown_trials_over_the_window(app):
    app.dynamics.window.value = (500.0, 2000.0)
    hist = _show(app, "Distribution")["distribution"]
    t = app.frame.times
    samples = app.frame.trials[:, (t >= 500.0) & (t <= 2000.0)].ravel()
    counts, _ = np.histogram(samples, np.append(hist["left"], hist["right"][-1]))
    np.testing.assert_allclose(hist["density"] * np.diff(np.append(hist["left"], hist["right"][-1])) * samples.size,
                               counts, rtol=1e-9)
    assert np.isnan(hist["pdf"]).all()  # autapse: the Gaussian theory does not apply


def test_exact_density_overlaid_where_theory_applies():
    a = Explorer()
    a.apply(input_kind="none", sigma=0.5, mu=0.3, n_trials=200, duration=500.0)
    a.dynamics.window.value = (300.0, 500.0)
    hist = _show(a, "Distribution")["distribution"]
    m = float(model.theory.stationary_mean(a.state.to_params()))
    v = float(model.theory.stationary_variance(a.state.to_params()))
    peak = hist["x"][np.nanargmax(hist["pdf"])]
    assert peak == pytest.approx(m, abs=0.02)
    assert np.nanmax(hist["pdf"]) == pytest.approx(1 / np.sqrt(2 * np.pi * v), rel=0.02)


def test_regime_map_cell_matches_the_model_and_is_not_resent_for_seed_or_sigma(app):
    data = _show(app, "Regime map")["map"]
    st = dynamics.setting(app.state, dynamics.input_level_at(app.state, app.dynamics.cursor.value))
    i, j = 37, 71
    cell = st._replace(w_self=st.w_self * 0 + data["xs"][j], mu=st.mu * 0 + data["ys"][i])
    assert data["regime"][i, j] == int(fpm.regime(fpm.fixed_points(cell), cell.lambda_))
    assert set(np.unique(data["regime"])) >= {1.0, 2.0}
    sent = dict(app.dynamics.sent)
    app.apply(seed=app.state.seed + 1)
    app.apply(sigma=0.3, n_trials=10)
    assert app.dynamics.sent["map"] == sent["map"]
    app.apply(w_self=1.2)  # an axis of the map: only the marker moves
    assert app.dynamics.sent["map"] == sent["map"] and app.dynamics.sent["map_here"] > sent["map_here"]
    app.apply(g=2.2)  # off the axes: the map changes
    assert app.dynamics.sent["map"] == sent["map"] + 1


def test_phase_curve_is_not_resent_when_sigma_moves(app):
    before = _show(app, "Phase line")["phase"]
    sent = dict(app.dynamics.sent)
    app.apply(sigma=app.state.sigma + 0.1)
    # only when the trials leave its range (tests/test_dynamics_cursor.py: the range follows them)
    needed = dynamics.phase_range(before["fixed"], dynamics.trial_extent(app.frame))
    assert app.dynamics.sent["phase"] == sent["phase"] + (not np.allclose(needed, before["x"][[0, -1]]))
    assert app.dynamics.sent["phase_dots"] == sent["phase_dots"] + 1


def test_tap_on_the_map_moves_both_sliders(app):
    _show(app, "Regime map")
    app.dynamics._on_tap(x=0.7504, y=-0.2)  # what a Tap event on the map calls
    assert app.state.w_self == pytest.approx(0.75) and app.state.mu == pytest.approx(-0.2)
    assert app.widgets["w_self"].value == pytest.approx(0.75)


def test_equal_map_axes_are_refused_and_nothing_changes(app):
    _show(app, "Regime map")
    before = app.dynamics.data["map"]
    app.dynamics.y_axis.value = app.dynamics.x_axis.value
    assert app.message.visible and "twice" in app.message.object
    assert app.dynamics.data["map"] is before
    app.dynamics.y_axis.value = "mu"


@pytest.mark.parametrize("settings", [
    dict(lambda_=0.0, beta=20.0, g=5.0, w_self=5.0, mu=5.0),
    dict(lambda_=0.0, beta=-20.0, g=-5.0, w_self=-5.0, mu=-5.0, input_kind="none"),
    dict(tau=0.1, dt=1.0, beta=20.0, w_self=-5.0, self_delay=20.0, g=5.0, theta=-5.0),
    dict(beta=0.0, g=0.0, rectify_output=True, rectify_rate=5.0, mult_coupling=True, input_weight=-5.0),
    dict(linear_summation=False, w_self=5.0, beta=20.0, g=5.0, sigma=0.0, amplitude=-10.0),
])
def test_no_nan_or_infinity_reaches_a_plot_at_extreme_settings(settings):
    a = Explorer()
    a.apply(duration=200.0, **settings)
    assert not a.message.visible, a.message.object
    gaps = {("branches", "stable"), ("branches", "unstable"), ("distribution", "pdf")}  # NaN = draw nothing
    d = a.dynamics
    # every control of the views too: the cursor (dragged line or slider) and the branches' axis
    for t in (0.0, a.state.t_sim() / 2, a.state.t_sim(), -50.0, 1e9):
        d.cursor_span.location = t
        for axis in d.branch_axis.options.values():
            d.branch_axis.value = axis
            for tab in TABS:
                _show(a, tab)
            assert not a.message.visible, a.message.object
            for view, data in d.data.items():
                for column, value in data.items():
                    if isinstance(value, str):
                        continue
                    arr = np.asarray(value, float)
                    assert not np.isinf(arr).any(), (view, column)
                    if (view, column) not in gaps:
                        assert np.isfinite(arr).all(), (view, column, arr)
            for name, src in d.src.items():  # what goes to the page
                for column, value in src.data.items():
                    arr = np.asarray(value[0] if column == "image" else value, float)
                    assert not np.isinf(arr).any(), (name, column)
            for span in (d.cursor_span, d.branch_here):
                assert np.isfinite(span.location), span.name
