"""Fixed points, stability criterion, branches and regime maps: closed forms, bad input, no recompiles."""

import numpy as np
import pytest

import model
from model import fixed_points as fpm
from model import regimes

BISTABLE = model.Params(g=2.0, beta=6.0, theta=1.0)


@pytest.mark.parametrize("P1,d", [(0.9, 5), (0.99, 10), (0.3, 1), (0.5, 2), (1.0, 3), (0.95, 0)])
def test_stability_criterion_matches_the_characteristic_roots(P1, d):
    """-|e^{i w1} - P1| < K < 1 - P1  <=>  every root of z^(d+1) - P1 z^d - K inside the circle."""
    bound = float(fpm.oscillation_bound(np.float64(P1), np.float64(d)))
    Ks = np.concatenate([np.linspace(-1.5 * bound, 1.5 * max(1 - P1, 1e-3), 41), [-bound * 0.999, -bound * 1.001]])
    Ks = Ks[(np.abs(Ks + bound) > 1e-9) & (np.abs(Ks - (1 - P1)) > 1e-9)]  # not on the circle itself
    predicted = np.asarray(fpm.stable_for(Ks, np.full_like(Ks, P1), np.full_like(Ks, d)))
    for K, stable in zip(Ks, predicted):
        c = np.zeros(d + 2)
        c[0] = 1.0
        c[1] -= P1
        c[-1] -= K  # d = 0: the same coefficient as P1's
        assert stable == (np.abs(np.roots(c)).max() < 1.0), (K, bound)


def test_fixed_points_solve_the_scheme_and_agree_with_the_theory_module():
    st = fpm.setting(BISTABLE, 1.0, 10, 0.2, 1.0, 0.1)
    fp = fpm.fixed_points(st)
    rates = np.asarray(fp.rate)[np.asarray(fp.exists)]
    assert len(rates) == 3
    # a fixed point of NEST's update y -> P1 y + P2 (mu + phi(w y + w_in u))
    prop = model.propagators(10.0, 1.0, 0.1)
    after = prop.P1 * rates + prop.P2 * (0.0 + model.phi(rates + 0.2, 2.0, 6.0, 1.0))
    np.testing.assert_allclose(after, rates, rtol=0, atol=1e-14)
    ref = model.theory.fixed_points(BISTABLE, w_self=1.0, input_rate=0.2, input_weight=1.0)
    np.testing.assert_allclose(rates, [pt.rate for pt in ref], atol=1e-9)
    assert list(np.asarray(fp.stable)[np.asarray(fp.exists)]) == [pt.stable for pt in ref]


def test_branches_have_two_folds_where_the_slope_test_says():
    st = fpm.setting(BISTABLE, 1.0, 10, 0.0, 1.0, 0.1)
    br = regimes.branches(st, "input", np.linspace(-2, 2, 101))
    fv, fr = np.asarray(br.fold_value), np.asarray(br.fold_rate)
    folds = sorted(zip(fv[~np.isnan(fv)], fr[~np.isnan(fv)]))
    assert len(folds) == 2
    for u, x in folds:  # at a fold G = 0 and G' = 0: phi(x + u) = x and phi'(x + u) = 1 (lambda = 1)
        assert model.phi(x + u, 2.0, 6.0, 1.0) == pytest.approx(x, abs=1e-9)
        assert model.phi_slope(x + u, 2.0, 6.0, 1.0) == pytest.approx(1.0, abs=1e-9)
    n = np.asarray(br.fixed.exists).sum(-1)
    inside = (br.values > folds[0][0]) & (br.values < folds[1][0])
    assert (n[np.asarray(inside)] == 3).all() and (n[~np.asarray(inside)] == 1).all()


def test_regime_map_classifies_and_never_recompiles_on_new_values():
    st = fpm.setting(BISTABLE, 1.0, 10, 0.0, 1.0, 0.1)
    xs, ys = np.linspace(-3, 3, 30), np.linspace(0.1, 10, 20)
    rm = regimes.regime_map(st, "w_self", xs, "self_delay", ys)
    assert rm.regime.shape == (20, 30)
    r = np.asarray(rm.regime)
    assert (r[:, np.abs(xs - 1.0) < 0.15] == 2).all() and (r[:, np.abs(xs) < 0.3] == 1).all()
    # the first oscillating setting of the NEST test: boundary at beta = 2.913 with a 1 ms delay
    osc = fpm.setting(model.Params(tau=1.0, g=2.0, mu=0.5, theta=-2.25), -1.5, 10, 0.0, 0.0, 0.1)
    betas = np.array([2.5, 2.85, 2.95, 4.0])
    r = np.asarray(regimes.regime_map(osc, "beta", betas, "self_delay", np.array([1.0, 1.04])).regime)
    assert (r == [[1, 1, 0, 0]] * 2).all()
    before = model.trace_count()
    regimes.regime_map(st._replace(mu=st.mu + 0.3), "mu", xs, "beta", ys + 1)
    regimes.regime_map(st, "tau", xs + 4, "input", ys)
    regimes.regime_map(osc, "tau", np.arange(4.0), "input", np.array([1.0, 2.0]))
    assert model.trace_count() == before


@pytest.mark.parametrize("x_axis,y_axis,shape,match", [
    ("tau", "nope", (10, 10), "unknown axis 'nope'"),
    ("mu", "mu", (10, 10), "'mu' twice"),
    ("mu", "g", (600, 600), "360,000 cells"),
])
def test_regime_map_refuses_bad_axes_and_grids(x_axis, y_axis, shape, match):
    st = fpm.setting(BISTABLE, 1.0, 10, 0.0, 1.0, 0.1)
    with pytest.raises(ValueError, match=match):
        regimes.regime_map(st, x_axis, np.zeros(shape[1]), y_axis, np.zeros(shape[0]))
