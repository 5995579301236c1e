"""model.theory against independent facts: NEST's stated constants, the ODE, and long runs."""

import numpy as np
import pytest

import model
from model import theory


def test_transfer_curve_closed_form():
    p = model.Params(g=2.0, beta=3.0, theta=0.5)
    h = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(theory.phi(h, p), 2.0 / (1 + np.exp(-3.0 * (h - 0.5))), rtol=1e-14)
    eps = 1e-6
    numeric = (theory.phi(h + eps, p) - theory.phi(h - eps, p)) / (2 * eps)
    np.testing.assert_allclose(theory.phi_slope(h, p), numeric, rtol=1e-7)


def test_mean_trajectory_from_nonzero_start_matches_noiseless_run():
    p = model.Params(mu=0.4, sigma=0.0, tau=7.0, lambda_=0.5, g=1.3)
    res = model.simulate(model.Network(p, initial_rate=2.0), t_sim=50.0, dt=0.1)
    n = np.arange(1, 501)
    np.testing.assert_allclose(res.rate[0, :, 0], theory.mean_at(p, 0.1, n, y0=2.0), rtol=0, atol=1e-12)


def test_bistable_autapse_fixed_points():
    p = model.Params(g=2.0, beta=6.0, theta=1.0, sigma=0.0)
    points = theory.fixed_points(p, w_self=1.0)
    assert [pt.stable for pt in points] == [True, False, True]
    for pt in points:  # each one solves lambda x = mu + phi(w x)
        assert pt.rate == pytest.approx(2.0 / (1 + np.exp(-6.0 * (pt.rate - 1.0))), abs=1e-9)
    # Runs started on either side of the unstable point settle on the stable ones.
    for start, target in [(0.9, points[0].rate), (1.1, points[2].rate)]:
        net = model.Network(p, initial_rate=start, w_delayed=np.ones((1, 1)), delay_steps=5)
        res = model.simulate(net, t_sim=200.0, dt=0.1)
        assert float(res.rate[0, -1, 0]) == pytest.approx(target, abs=1e-6)


def test_monostable_with_strong_input():
    p = model.Params(g=2.0, beta=6.0, theta=1.0)
    points = theory.fixed_points(p, w_self=1.0, input_rate=1.0, input_weight=1.0)
    assert len(points) == 1 and points[0].stable and points[0].rate > 1.9


def test_moments_stay_exact_as_lambda_vanishes():
    """The n-step formulas use expm1, so lambda -> 0 meets the Euler-Maruyama limit smoothly."""
    n = np.array([1, 10, 1000, 100000])
    for lam in (1e-9, 1e-13):
        p, p0 = model.Params(lambda_=lam, mu=0.3, sigma=0.7), model.Params(lambda_=0.0, mu=0.3, sigma=0.7)
        np.testing.assert_allclose(theory.mean_at(p, 0.1, n), theory.mean_at(p0, 0.1, n), rtol=1e-6)
        np.testing.assert_allclose(theory.variance_at(p, 0.1, n), theory.variance_at(p0, 0.1, n), rtol=1e-6)


def test_tangent_fixed_point_is_found_once():
    # x = phi(x) with g = 2, beta = 2, theta = 1 touches the diagonal at x = 1 only.
    points = theory.fixed_points(model.Params(g=2.0, beta=2.0, theta=1.0), w_self=1.0)
    assert len(points) == 1 and points[0].rate == pytest.approx(1.0, abs=1e-4)


def test_fixed_points_need_scalar_parameters():
    with pytest.raises(ValueError, match="scalar"):
        theory.fixed_points(model.Params(g=[1.0, 2.0]), w_self=1.0)


FLOAT32_SCRIPT = """
import numpy as np, model
from model import theory
assert model.float_dtype() == np.float32
p, p0 = model.Params(lambda_=1e-7, sigma=0.7), model.Params(lambda_=0.0, sigma=0.7)
n = np.array([10, 1000, 100000])
v, v0 = np.asarray(theory.variance_at(p, 0.1, n)), np.asarray(theory.variance_at(p0, 0.1, n))
m, m0 = np.asarray(theory.mean_at(p, 0.1, n)), np.asarray(theory.mean_at(p0, 0.1, n))
assert np.all(np.isfinite(v)) and np.allclose(v, v0, rtol=1e-3) and np.allclose(m, m0, rtol=1e-3), (v, v0, m, m0)
assert len(theory.fixed_points(model.Params(g=2.0, beta=2.0, theta=1.0), w_self=1.0)) == 1
try:
    model.simulate(model.Params(beta=1e39), 1.0)
    raise SystemExit("no error for a value beyond float32")
except ValueError as err:
    assert "beta" in str(err)
# Kept noise response in float32: a large mean (mu / lambda = 500) must not eat the variance.
noise = model.FrozenNoise.draw(1, n_trials=4000, n_steps=3000)
big = model.Params(mu=500.0, sigma=0.7, tau=5.0)
res = model.simulate(big, 300.0, 0.1, n_trials=4000, xi=noise, record_trials=5)
assert noise.responses
var, mean = np.asarray(res.trial_var[-1, 0], float), np.asarray(res.trial_mean[-1, 0], float)
v_exact = float(theory.variance_at(big, 0.1, 3000))
assert abs(var - v_exact) < 4 * v_exact * np.sqrt(2 / 3999), (var, v_exact)
assert abs(mean - float(theory.mean_at(big, 0.1, 3000))) < 4 * np.sqrt(v_exact / 4000) + 1e-4 * 500
print("ok")
"""


def test_float32_mode():
    """The default (x64 off) mode: theory without cancellation, values that do not fit refused,
    ensemble moments accurate beside a large mean."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", FLOAT32_SCRIPT], capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in __import__("os").environ.items() if k != "JAX_ENABLE_X64"})
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]
