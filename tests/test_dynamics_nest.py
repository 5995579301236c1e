"""Fixed points, stability and regimes (model/fixed_points.py) against NEST 3.10 run here, sigma = 0.

Each test puts many units in one NEST network (one autapse each), so a test is one NEST run.
A delayed autapse carries nothing for its first d steps (NEST's empty history); where the test
needs a run to start exactly at a fixed point, a step_rate_generator with the autapse's weight
feeds the fixed-point rate during those steps and, after, events that add nothing (0 under
linear_summation, where event sums are linear; without it a rate far below theta, where w phi(v)
is exactly 0), so the start is a true steady state.
"""

import numpy as np
import pytest

import model
from model import fixed_points as fpm

from .nest_runner import Generator, NestSetup, run_nest

DT = 0.1
STEPS = 10_000


def _setting(kw, w, d, u=0.0, w_in=0.0):
    return fpm.setting(model.Params(**kw), w, d, u, w_in, DT)


def _run(nest, units):
    """units: (params dict, w_self, delay steps, u, w_in, initial rate, compensate)."""
    setup = NestSetup(units=[], t_sim=STEPS * DT, dt=DT, initial_rates=[], max_delay=5.0)
    for i, (kw, w, d, u, w_in, y0, compensate) in enumerate(units):
        setup.units.append(model.Params(**kw).replace(sigma=0.0).to_nest())
        setup.initial_rates.append(y0)
        setup.delayed.append((i, i, w, d * DT))
        if w_in != 0.0:
            # emitted from step 0, delay one step with min_delay one step: arrives at step 0
            setup.generators.append(Generator([DT], [u], [(i, w_in, DT)]))
        if compensate:
            # afterwards an event adding nothing: 0 under linear_summation, and without it a rate
            # far below theta (beta > 0), where w phi(v) is exactly 0
            after = 0.0 if kw.get("linear_summation", True) else -1e6
            setup.generators.append(Generator([DT, (d + 1) * DT], [compensate, after], [(i, w, DT)]))
    _, rate, _ = run_nest(nest, setup)
    return rate


# (params, w_self, delay steps, u, w_in): bistable and monostable settings under every switch.
STAY = [
    (dict(g=2.0, beta=6.0, theta=1.0), 1.0, 10, 0.0, 0.0),
    (dict(g=2.0, beta=6.0, theta=1.0), 1.0, 1, 0.3, 1.0),
    (dict(g=2.0, beta=6.0, theta=1.0, tau=5.0, lambda_=0.7), 0.8, 7, -0.2, 1.5),
    (dict(g=2.0, beta=6.0, theta=1.0, mult_coupling=True), 1.0, 3, -1.0, -0.5),
    (dict(g=2.0, beta=6.0, theta=1.2, mult_coupling=True), 1.0, 4, 0.5, 1.0),
    (dict(g=1.0, beta=8.0, theta=0.8, linear_summation=False, mu=0.1), 1.2, 2, 1.0, 0.3),
    (dict(g=2.0, beta=6.0, theta=1.0, mu=-0.2, rectify_output=True, rectify_rate=0.2), 1.0, 5, 0.0, 0.0),
    (dict(g=1.0, beta=1.0, mu=0.3), -0.5, 6, 1.0, 1.0),
]


def test_stable_points_stay_and_unstable_points_leave_in_nest(nest):
    units, expect = [], []  # expect: (kind, x*, other data)
    for kw, w, d, u, w_in in STAY:
        fp = fpm.fixed_points(_setting(kw, w, d, u, w_in))
        rates, stable = np.asarray(fp.rate), np.asarray(fp.stable)
        stable_rates = sorted(rates[stable])
        for x, s in zip(rates, stable):
            if np.isnan(x):
                continue
            if s:
                units.append((kw, w, d, u, w_in, x, x))
                expect.append(("stays", x, True))
            else:
                for sign in (-1, 1):
                    units.append((kw, w, d, u, w_in, x + sign * 1e-3, x))
                    # it leaves towards the stable point on its side
                    target = stable_rates[0] if sign < 0 else stable_rates[-1]
                    expect.append(("leaves", x, target))
    kinds = [e[0] for e in expect]
    assert kinds.count("stays") >= 12 and kinds.count("leaves") >= 12
    rate = _run(nest, units)
    for k, (kind, x, extra) in enumerate(expect):
        y = rate[:, k]
        if kind == "stays":
            assert abs(y[-1] - x) < 1e-9, (units[k], y[-1], x)
            if extra:  # compensated start: a steady state from the first step
                assert np.max(np.abs(y - x)) < 1e-9, units[k]
        else:
            assert abs(y[-1] - x) > 0.1, (units[k], y[-1], x)
            assert abs(y[-1] - extra) < 1e-6, (units[k], y[-1], extra)


# Settings whose fixed point sits at the sigmoid's midpoint (theta chosen so), steepness beta
# moved around the model's stability boundary: (params, w_self, delay steps).
OSC_BASES = [
    (dict(tau=1.0, g=2.0, mu=0.5, theta=-1.5 * 1.5), -1.5, 10),
    (dict(tau=2.0, g=1.0, mu=0.2, lambda_=0.5, theta=-2.0 * 1.4), -2.0, 5),
    (dict(tau=1.0, g=1.0, mu=1.0, theta=0.5, linear_summation=False), -1.0, 8),
    (dict(tau=0.5, g=1.5, theta=-2.75, mu=0.5, mult_coupling=True, rectify_output=True), -1.0, 4),
]
FACTORS = (0.9, 0.95, 0.98, 1.02, 1.05, 1.1)


def _boundary_beta(kw, w, d):
    """The steepness where the model's regime changes (bisection on the model's classification)."""
    lo, hi = 0.01, 100.0  # stable, oscillating
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        st = _setting(dict(kw, beta=mid), w, d)
        if int(fpm.regime(fpm.fixed_points(st), st.lambda_)) == 0:
            hi = mid
        else:
            lo = mid
    return hi


def test_oscillating_settings_keep_oscillating_in_nest_and_stable_ones_settle(nest):
    units, predicted = [], []
    for kw, w, d in OSC_BASES:
        b = _boundary_beta(kw, w, d)
        assert 0.5 < b < 50, (kw, b)  # the boundary is inside the scanned range
        for f in FACTORS:
            p = dict(kw, beta=b * f)
            st = _setting(p, w, d)
            fp = fpm.fixed_points(st)
            regime = int(fpm.regime(fp, st.lambda_))
            x = float(np.nanmax(np.asarray(fp.rate)))
            units.append((p, w, d, 0.0, 0.0, x + 0.01, 0.0))
            predicted.append(regime)
    assert len(units) >= 20
    assert predicted.count(0) >= 10 and predicted.count(1) >= 10
    rate = _run(nest, units)
    for k, regime in enumerate(predicted):
        y = rate[:, k]
        early = np.ptp(y[2000:4000])
        late = np.ptp(y[8000:])
        if regime == 0:  # oscillating: the amplitude does not decay
            assert late > 1e-3 and late >= 0.9 * early, (units[k], early, late)
        else:  # stable: it does
            assert late < 1e-3 and (late < 0.5 * early or late < 1e-12), (units[k], early, late)
