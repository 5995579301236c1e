"""Port of NEST's testsuite/pytests/test_rate_neuron_communication.py to ``sigmoid_rate_ipn``.

The original drives ``lin_rate_ipn`` / ``tanh_rate_ipn`` / ``threshold_lin_rate_ipn`` units
(tau = 5, sigma = 0) from a driver held at rate 1.5 (and one at -1.5), weight 0.5, dt = 0.1,
100 ms, and checks: the delay (the delayed unit first moves at delay + dt; the instantaneous
one at the first sample), the weight (final rate = drive * weight), the nonlinearity with
``g`` and ``linear_summation`` set by SetStatus between two Simulate calls (final rate
phi(w * drive) summed, w * phi(drive) per event; with ``mult_coupling`` the lin model's
closed form), ``rectify_output`` (final rate 0 under negative drive) and a
``rate_transformer_sigmoid_gg_1998`` parrot.

Translated, every unit ``sigmoid_rate_ipn`` (phi(h) = g / (1 + exp(-h)), so phi(0) = g / 2):
the drivers hold 1.5 and -1.5 with mu = +-1.5 - phi(0); "moves" means "leaves the trajectory
of an undriven twin" (phi(0) drives every unit); the closed-form final rates are
phi(w * drive) (linear summation), w * phi(drive) (per event) and, with mult_coupling,
phi(w * drive) + phi(0) (the empty inhibitory channel still adds phi(0)); the rectified unit
has mu = -1 so that its unrectified fixed point is negative. Each is checked on NEST's run
and on the model's, and the model is NEST's run sample by sample (1e-12), the two-phase
run continued through ``result.state``. Not ported: the parrot (``rate_transformer_*`` has
no counterpart in ``model``).
"""

import numpy as np
import pytest

from tests.nest_runner import NestSetup, run_nest
from tests.test_nest_edges import run_model

DT, T, DRIVE, WEIGHT, DELAY = 0.1, 100.0, 1.5, 0.5, 2.0
UNIT = {"tau": 5.0, "sigma": 0.0}
# 0 driver, 1 negative driver, 2 delayed, 3 instantaneous, 4 mult_coupling, 5 rectified,
# 6 undriven twin of 2..4.
UNITS = [{"mu": DRIVE - 0.5, "sigma": 0.0}, {"mu": -DRIVE - 0.5, "sigma": 0.0},
         dict(UNIT), dict(UNIT), dict(UNIT, mult_coupling=True),
         dict(UNIT, rectify_output=True, mu=-1.0), dict(UNIT)]
RATES = [DRIVE, -DRIVE, 0.0, 0.0, 0.0, 1.0, 0.0]
INST = [(0, 3, WEIGHT), (0, 4, WEIGHT), (1, 5, WEIGHT)]
DELAYED = [(0, 2, WEIGHT, DELAY)]
RECEIVERS = (2, 3, 4, 5, 6)


def phi(h, g=1.0):
    return g / (1.0 + np.exp(-h))


def runs(nest, phases=()):
    s = NestSetup(units=UNITS, t_sim=T, dt=DT, initial_rates=RATES, instantaneous=INST,
                  delayed=DELAYED, phases=list(phases))
    times, rate, noise = run_nest(nest, s)
    ours = run_model(s, noise)
    gap = np.abs(ours - rate).max()
    assert gap <= 1e-12, f"max |ours - NEST| = {gap:.3g}"
    return times, rate, ours


def test_rate_neuron_delay(nest):
    times, rate, ours = runs(nest)
    for r in (rate, ours):
        np.testing.assert_allclose(r[:, 0], DRIVE, atol=1e-12)  # the driver holds
        moved = np.abs(r[:, 2] - r[:, 6]) > 0
        assert np.isclose(times[np.argmax(moved)], DELAY + DT)
        assert not moved[: int(round(DELAY / DT))].any()
        assert r[0, 3] > r[0, 6]  # instantaneous: the first sample already carries the drive


def test_rate_neuron_weight(nest):
    _, rate, ours = runs(nest)
    for r in (rate, ours):
        assert np.isclose(r[-1, 2], phi(DRIVE * WEIGHT))


def test_rate_neuron_nonlinearity_set_between_runs(nest):
    # As the original: SetStatus(g, linear_summation) on every receiver, Simulate, twice.
    change = lambda g, ls: {u: {"g": g, "linear_summation": ls} for u in RECEIVERS}  # noqa: E731
    phases = [(T, change(2.0, False))]
    # The first run's setting (g = 1, linear summation) is NEST's default.
    n = int(round(T / DT))
    _, rate, ours = runs(nest, phases)
    for r in (rate, ours):
        first, second = r[n - 1], r[-1]
        np.testing.assert_allclose(first[[2, 3, 4]],
                                   [phi(DRIVE * WEIGHT)] * 2 + [phi(DRIVE * WEIGHT) + phi(0.0)], rtol=1e-7)
        np.testing.assert_allclose(second[[2, 3, 4]], [WEIGHT * phi(DRIVE, 2.0)] * 3, rtol=1e-7)
        # the undriven twin: per event, no events, so only mu (0) and decay: it goes to 0
        assert np.isclose(first[6], phi(0.0)) and abs(second[6]) < 1e-7


def test_rectify_output(nest):
    _, rate, ours = runs(nest)
    for r in (rate, ours):
        assert r[-1, 5] == 0.0 and r.min(axis=0)[5] == 0.0
        assert r[0, 5] > 0  # started at 1.0, reaches the floor later
    # Without rectification the same unit settles at mu + phi(w * -drive) < 0.
    assert -1.0 + phi(-DRIVE * WEIGHT) < 0
