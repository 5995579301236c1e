"""Sample statistics of many trials against the exact discrete moments (model.theory).

The mean, variance and autocovariance formulas are closed forms derived from NEST's scheme
(see model/theory.py and ../shared/nest-semantics.md), not outputs of our simulation.
Every check allows 4 standard errors.
"""

import numpy as np
import pytest

import model
from model import theory

N_TRIALS = 4000
Z = 4.0


def check_mean_and_variance(p, res, steps):
    rate = np.asarray(res.rate[:, :, 0])
    for n in steps:  # sample n - 1 holds y[n]
        x = rate[:, n - 1]
        mean, var = float(theory.mean_at(p, 0.1, n)), float(theory.variance_at(p, 0.1, n))
        assert abs(x.mean() - mean) <= Z * np.sqrt(var / N_TRIALS), (n, x.mean(), mean)
        se_var = var * np.sqrt(2.0 / (N_TRIALS - 1))
        assert abs(x.var(ddof=1) - var) <= Z * se_var, (n, x.var(ddof=1), var)


@pytest.mark.parametrize("switches", [{}, {"mult_coupling": True}, {"linear_summation": False}])
def test_ou_moments(switches):
    p = model.Params(mu=0.3, sigma=0.5, tau=10.0, lambda_=1.0, **switches)
    res = model.simulate(p, t_sim=80.0, dt=0.1, n_trials=N_TRIALS, key=11)
    check_mean_and_variance(p, res, [1, 10, 100, 400, 800])
    # The stationary mean hides phi(0) (twice with mult_coupling, none without linear summation).
    phi0 = 0.5
    expected = {(): 0.3 + phi0, ("mult_coupling",): 0.3 + 2 * phi0, ("linear_summation",): 0.3}
    assert float(theory.stationary_mean(p)) == pytest.approx(expected[tuple(switches)], rel=1e-12)
    assert float(theory.stationary_variance(p)) == pytest.approx(0.5**2 / 2, rel=1e-12)


def test_stationary_autocovariance():
    p = model.Params(mu=-0.2, sigma=0.8, tau=5.0, lambda_=2.0)
    # Start in the stationary distribution so every sample is stationary.
    m, v = float(theory.stationary_mean(p)), float(theory.stationary_variance(p))
    rng = np.random.default_rng(3)
    res = model.simulate(model.Network(p, n_units=N_TRIALS, initial_rate=rng.normal(m, np.sqrt(v), N_TRIALS)),
                         t_sim=30.0, dt=0.1, key=5)
    rate = np.asarray(res.rate[0]).T  # (N_TRIALS, n_steps): units are independent trials here
    base = rate[:, 50]
    for k in [0, 1, 5, 20, 60, 200]:
        c = np.mean((base - base.mean()) * (rate[:, 50 + k] - rate[:, 50 + k].mean()))
        expected = float(theory.autocovariance(p, 0.1, k))
        se = np.sqrt((v * v + expected * expected) / N_TRIALS)
        assert abs(c - expected) <= Z * se, (k, c, expected)


def test_lambda_zero_diffuses():
    p = model.Params(lambda_=0.0, mu=0.1, sigma=0.7, tau=8.0)
    res = model.simulate(p, t_sim=50.0, dt=0.1, n_trials=N_TRIALS, key=2)
    check_mean_and_variance(p, res, [1, 50, 250, 500])
    assert float(theory.variance_at(p, 0.1, 500)) == pytest.approx(500 * 0.1 / 8.0 * 0.49, rel=1e-12)
