"""Every recorded sample of our model against NEST 3.10 itself, at 1e-12 absolute (float64).

Each case is described once as a ``NestSetup``; NEST runs it, and ``to_model`` turns the same
description into our public API. Noise is replayed from NEST's recorded ``noise``
(= sigma * xi), so runs with sigma > 0 are compared sample by sample too.
"""

import numpy as np
import pytest

import model
from tests.nest_runner import Generator, NestSetup, run_nest

TOL = 1e-12


def to_model(setup: NestSetup):
    per_unit = [model.Params.from_nest(u) for u in setup.units]
    params = model.Params(**{f: np.array([getattr(p, f) for p in per_unit]) for f in model.Params.fields})
    n = len(setup.units)
    dt = setup.dt
    n_steps = model.n_steps_for(setup.t_sim, dt)
    w_inst = np.zeros((n, n))
    for pre, post, w in setup.instantaneous:
        w_inst[post, pre] += w
    w_delayed, delays = np.zeros((n, n)), np.ones((n, n), int)
    for pre, post, w, d in setup.delayed:
        w_delayed[post, pre] += w
        delays[post, pre] = model.delay_steps_for(d, dt)
    net = model.Network(
        params, n_units=n,
        initial_rate=0.0 if setup.initial_rates is None else np.asarray(setup.initial_rates),
        w_inst=w_inst if setup.instantaneous else None,
        w_delayed=w_delayed if setup.delayed else None,
        delay_steps=delays if setup.delayed else None,
    )
    inputs = tuple(
        model.ExternalInput.step_rate_generator(
            g.amplitude_times, g.amplitude_values, dt=dt, n_steps=n_steps,
            weight=w, delay=d, min_delay_steps=1, target=post,
        )
        for g in setup.generators
        for post, w, d in g.targets
    )
    return net, inputs


def compare(nest, setup: NestSetup, way="auto"):
    """``way``: a ``simulate`` method, or FROZEN: the noise as ``FrozenNoise``, which takes the
    kept-noise-response path (``noise_response.py``) wherever the dynamics are linear."""
    times, rate, noise = run_nest(nest, setup)
    net, inputs = to_model(setup)
    sigma = np.broadcast_to(np.asarray(net.params.sigma, float), (net.n_units,))
    xi = np.where(sigma > 0, noise / np.where(sigma > 0, sigma, 1.0), 0.0)[None]
    if way == FROZEN:
        xi = model.FrozenNoise.from_xi(xi)
    res = model.simulate(net, setup.t_sim, setup.dt, inputs, key=None, xi=xi,
                         method="auto" if way == FROZEN else way)
    if way == FROZEN:  # the case must take the path it is meant to test
        linear = not net.coupled and not np.any(net.params.rectify_output)
        assert bool(xi.responses) == linear
    np.testing.assert_allclose(res.times, times, rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.asarray(res.noise[0]), noise, rtol=0, atol=TOL)
    ours = np.asarray(res.rate[0])
    worst = np.abs(ours - rate).max()
    assert worst <= TOL, f"max |ours - NEST| = {worst:.3g} at step {np.unravel_index(np.abs(ours - rate).argmax(), rate.shape)}"
    # The case must exercise something: a trace that never moves would compare trivially.
    assert np.ptp(rate) > 1e-3
    return rate


FROZEN = "frozen noise"
WAYS = ["sequential", "parallel", FROZEN]


@pytest.mark.parametrize("way", WAYS)
def test_defaults_with_mu(nest, way):
    # sigma = 1 by default in NEST; phi(0) is added every step with no input at all.
    compare(nest, NestSetup(units=[{"mu": 0.7}], t_sim=50.0), way)


@pytest.mark.parametrize("way", WAYS)
def test_noiseless_relaxes_to_mu_plus_phi0(nest, way):
    rate = compare(nest, NestSetup(units=[{"mu": 1.0, "sigma": 0.0}], t_sim=100.0), way)
    assert rate[-1, 0] == pytest.approx(1.5, abs=1e-4)  # (mu + phi(0)) / lambda


@pytest.mark.parametrize("way", WAYS)
def test_lambda_zero_euler_maruyama(nest, way):
    compare(nest, NestSetup(units=[{"lambda": 0.0, "mu": 0.3, "sigma": 0.5}], t_sim=50.0), way)


@pytest.mark.parametrize("way", WAYS)
def test_rectification_not_applied_to_initial_rate(nest, way):
    setup = NestSetup(
        units=[{"mu": -0.6, "sigma": 0.8, "rectify_output": True, "rectify_rate": 0.1}],
        t_sim=100.0, initial_rates=[-0.3],
    )
    rate = compare(nest, setup, way)
    assert (rate == 0.1).sum() > 10  # the floor is actually hit


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("linear_summation", [True, False])
def test_step_rate_generator_through_delayed_connection(nest, way, linear_summation):
    unit = {"sigma": 0.0, "g": 2.0, "beta": 3.0, "theta": 0.5, "linear_summation": linear_summation}
    gens = [
        Generator([5.0, 20.0, 30.0], [1.0, -0.5, 2.0], [(0, 1.5, 2.0)]),
        Generator([12.0, 14.0], [0.8, 0.0], [(0, -2.0, 0.1)]),  # nominal delay of one step
    ]
    compare(nest, NestSetup(units=[unit], t_sim=50.0, generators=gens), way)


@pytest.mark.parametrize("way", ["auto", FROZEN])
def test_per_unit_parameters_with_inputs_to_some_units(nest, way):
    units = [{"mu": 0.2, "sigma": 0.3, "beta": 2.0, "lambda": 0.0},
             {"mu": -0.1, "sigma": 0.4, "g": 1.5, "mult_coupling": True, "tau": 3.0},
             {"linear_summation": False, "sigma": 0.6, "theta": 0.4}]
    gens = [Generator([4.0, 9.0], [1.0, -2.0], [(0, 1.2, 1.0), (2, -0.8, 0.3)]),
            Generator([2.0], [0.7], [(1, -1.5, 0.25)])]
    compare(nest, NestSetup(units=units, t_sim=40.0, generators=gens), way)


def test_instantaneous_pair(nest):
    units = [{"mu": 0.2, "sigma": 0.3, "beta": 2.0}, {"mu": -0.1, "sigma": 0.4, "g": 1.5}]
    setup = NestSetup(units=units, t_sim=50.0, instantaneous=[(0, 1, 0.8), (1, 0, -1.2)],
                      initial_rates=[0.5, -0.2])
    compare(nest, setup)


def test_delayed_autapse_is_bistable(nest):
    # x = phi(x) has stable fixed points near 0.005 and 1.995 and an unstable one at 1.
    unit = {"sigma": 0.05, "g": 2.0, "beta": 6.0, "theta": 1.0, "lambda": 1.0, "tau": 5.0}
    pulse = Generator([20.0, 30.0, 60.0, 70.0], [2.0, 0.0, -3.0, 0.0], [(0, 1.0, 1.0)])
    setup = NestSetup(units=[unit], t_sim=120.0, delayed=[(0, 0, 1.0, 3.0)], generators=[pulse])
    rate = compare(nest, setup)
    t = np.arange(1, rate.shape[0] + 1) * 0.1
    assert rate[(t > 15) & (t < 20), 0].max() < 0.2  # low state
    assert rate[(t > 45) & (t < 60), 0].min() > 1.5  # switched on by the pulse, stays on
    assert rate[(t > 100), 0].max() < 0.2  # switched off again


def test_mult_coupling_with_mixed_sign_input(nest):
    units = [
        {"mult_coupling": True, "sigma": 0.2, "beta": 2.0},
        {"mult_coupling": True, "linear_summation": False, "sigma": 0.2},  # no effect there
        {"mu": 0.5, "sigma": 0.1},
    ]
    gens = [Generator([5.0], [1.2], [(0, 1.0, 1.0), (1, 1.0, 1.0)]),
            Generator([10.0], [0.9], [(0, -0.7, 2.0), (1, -0.7, 2.0)])]
    setup = NestSetup(units=units, t_sim=50.0, generators=gens,
                      instantaneous=[(2, 0, -0.5), (2, 1, 0.4)])
    compare(nest, setup)


def test_small_resolution(nest):
    units = [{"mu": 0.2, "sigma": 0.3}, {"sigma": 0.2, "tau": 5.0}]
    setup = NestSetup(units=units, t_sim=30.0, dt=0.05,
                      instantaneous=[(0, 1, 0.6)], delayed=[(1, 0, -0.9, 0.35)],
                      generators=[Generator([2.0, 9.0], [1.0, 0.0], [(0, 1.0, 0.5)])])
    compare(nest, setup)


def test_heterogeneous_network_mixing_everything(nest):
    units = [
        {"mu": 0.3, "sigma": 0.5},
        {"lambda": 0.0, "sigma": 0.2, "mu": -0.05},
        {"rectify_output": True, "rectify_rate": 0.05, "mu": -0.4, "sigma": 0.6},
        {"linear_summation": False, "g": 3.0, "beta": 0.5, "theta": -1.0, "sigma": 0.3},
        {"mult_coupling": True, "tau": 4.0, "lambda": 2.0, "sigma": 0.4},
        {"linear_summation": False, "mult_coupling": True, "sigma": 0.0, "mu": 0.2},
    ]
    inst = [(0, 1, 0.5), (1, 2, -0.8), (2, 3, 1.1), (3, 4, -0.6), (4, 0, 0.7), (5, 3, 0.9), (2, 5, -1.3)]
    delayed = [(0, 3, 1.0, 0.3), (3, 0, -0.5, 1.2), (4, 4, 0.9, 0.7), (1, 5, 0.6, 2.5), (5, 1, -0.4, 0.1)]
    gens = [Generator([3.0, 15.0], [1.0, -1.0], [(0, 1.0, 1.0), (3, -0.5, 2.0), (5, 2.0, 0.4)])]
    setup = NestSetup(units=units, t_sim=60.0, instantaneous=inst, delayed=delayed,
                      generators=gens, initial_rates=[0.1, -0.2, 0.0, 0.4, 1.0, 0.3])
    compare(nest, setup)


@pytest.mark.parametrize("way", WAYS)
def test_noise_replay_many_units(nest, way):
    units = [{"mu": m, "sigma": s, "tau": t} for m, s, t in
             zip(np.linspace(-1, 1, 12), np.linspace(0.1, 2.0, 12), np.linspace(2.0, 30.0, 12))]
    compare(nest, NestSetup(units=units, t_sim=100.0), way)


def test_half_step_delays_round_like_nest(nest):
    """0.15 ms and 0.25 ms at dt = 0.1 are 2 and 3 steps in NEST (halves round up)."""
    units = [{"mu": 0.3, "sigma": 0.2}, {"sigma": 0.3, "linear_summation": False}]
    setup = NestSetup(units=units, t_sim=30.0, delayed=[(0, 1, 0.9, 0.15), (1, 0, -0.7, 0.25)],
                      generators=[Generator([1.0, 4.0], [1.5, -1.0], [(0, 1.0, 0.25), (1, 2.0, 0.35)])])
    compare(nest, setup)
