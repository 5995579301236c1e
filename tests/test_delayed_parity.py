"""The delay-line scan (``model/delayed.py``) against NEST 3.10 itself, at 1e-12 (float64).

Every network with a delayed connection takes that path: an autapse under every switch,
several units with different delays, delays of one step and longer than the run, external
inputs on top, many trials at once (NEST: one copy of the network per trial, fed the same
noise), only some trials recorded, and a run continued from its delay line.
"""

import dataclasses

import numpy as np
import pytest

import model
from model.delayed import run_delayed
from tests.nest_runner import Generator, NestSetup, run_nest
from tests.test_nest_parity import TOL, to_model

BISTABLE = {"sigma": 0.3, "g": 2.0, "beta": 6.0, "theta": 1.0, "tau": 5.0}
PULSES = [Generator([10.0, 15.0, 40.0, 45.0], [2.0, 0.0, -3.0, 0.0], [(0, 1.0, 1.0)])]

def shared_where_equal(params: model.Params) -> model.Params:
    """Per-unit fields that are equal for every unit as scalars: how a user writes them, and
    what sends the sums over senders through one matrix product when the gain is shared."""
    return model.Params(**{f: (v[0] if np.ndim(v) and np.all(v == v[0]) else v)
                           for f in model.Params.fields for v in [np.asarray(getattr(params, f))]})


def as_scalars(net: model.Network) -> model.Network:
    """Equal parameters as scalars, one delay for all connections as a scalar (read from the
    delay line as one row per step)."""
    net = dataclasses.replace(net, params=shared_where_equal(net.params))
    delays = np.unique(net.delay_steps[net.w_delayed != 0])
    return dataclasses.replace(net, delay_steps=int(delays[0])) if delays.size == 1 else net


def compare(nest, setup: NestSetup, shared=True):
    """NEST's run against ours, the noise replayed. ``shared``: parameters equal for all units
    as scalars, one delay for all connections as a scalar; else per unit and per connection."""
    _, rate, noise = run_nest(nest, setup)
    net, inputs = to_model(setup)
    if shared:
        net = as_scalars(net)
    sigma = np.array([u.get("sigma", 1.0) for u in setup.units])
    xi = np.where(sigma > 0, noise / np.where(sigma > 0, sigma, 1.0), 0.0)[None]
    res = model.simulate(net, setup.t_sim, setup.dt, inputs, xi=xi)
    ours = np.asarray(res.rate[0])
    worst = np.abs(ours - rate).max()
    assert worst <= TOL, f"max |ours - NEST| = {worst:.3g} at {np.unravel_index(np.abs(ours - rate).argmax(), rate.shape)}"
    assert np.ptp(rate) > 1e-3  # the case moves
    return rate


SWITCHES = [
    {},
    {"linear_summation": False},
    {"mult_coupling": True},
    {"linear_summation": False, "mult_coupling": True},
    {"rectify_output": True, "rectify_rate": 0.3},
    {"rectify_output": True, "rectify_rate": 0.1, "linear_summation": False},
    {"lambda": 0.0, "mu": -0.2},
]


@pytest.mark.parametrize("switches", SWITCHES, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "defaults")
@pytest.mark.parametrize("weight", [1.0, -1.5])  # excitatory and inhibitory (matters for mult_coupling)
@pytest.mark.parametrize("shared", [True, False], ids=["scalars", "per-unit arrays"])
def test_autapse_with_every_switch(nest, switches, weight, shared):
    setup = NestSetup(units=[BISTABLE | switches], t_sim=60.0, delayed=[(0, 0, weight, 0.7)],
                      generators=PULSES)
    rate = compare(nest, setup, shared)
    if switches.get("rectify_output"):
        assert (rate == switches["rectify_rate"]).sum() > 5  # the floor is hit


@pytest.mark.parametrize("delay", [0.1, 0.3, 2.0])
def test_autapse_delays_from_one_step(nest, delay):
    compare(nest, NestSetup(units=[BISTABLE], t_sim=60.0, delayed=[(0, 0, 1.0, delay)],
                            generators=PULSES, initial_rates=[1.5]))


def test_delays_longer_than_the_run(nest):
    # No event ever arrives: with linear_summation off the connections add nothing at all.
    units = [BISTABLE, BISTABLE | {"linear_summation": False}]
    setup = NestSetup(units=units, t_sim=3.0, delayed=[(0, 0, 1.0, 4.0), (0, 1, 2.0, 4.5), (1, 0, -1.0, 3.1)],
                      generators=[Generator([1.0], [2.0], [(0, 1.0, 0.5), (1, 1.0, 0.5)])],
                      initial_rates=[1.0, 0.5])
    compare(nest, setup)


@pytest.mark.parametrize("uniform_gain", [True, False])
def test_several_units_with_different_delays(nest, uniform_gain):
    base = [{"mu": 0.3, "sigma": 0.5}, {"sigma": 0.2, "linear_summation": False},
            {"mult_coupling": True, "sigma": 0.4, "tau": 4.0},
            {"rectify_output": True, "rectify_rate": 0.05, "mu": -0.3, "sigma": 0.6}]
    if uniform_gain:  # one gain: the sums over senders are matrix products over all trials
        units = [u | {"g": 1.5, "beta": 2.0, "theta": 0.2} for u in base]
    else:
        units = [u | {"g": g, "beta": b, "theta": t} for u, g, b, t in
                 zip(base, [1.0, 3.0, 2.0, 1.5], [1.0, 0.5, 2.0, 4.0], [0.0, -1.0, 0.5, 0.3])]
    delayed = [(0, 1, 1.0, 0.1), (1, 0, -0.8, 1.3), (2, 2, 0.9, 0.5), (3, 1, 0.6, 2.2),
               (1, 3, -1.2, 0.2), (0, 2, 0.7, 3.0), (2, 0, -0.4, 0.1), (3, 3, 1.1, 1.0)]
    gens = [Generator([3.0, 15.0], [1.0, -1.0], [(0, 1.0, 1.0), (3, -0.5, 2.0)])]
    compare(nest, NestSetup(units=units, t_sim=50.0, delayed=delayed, generators=gens,
                            initial_rates=[0.1, -0.2, 0.4, 0.0]))


def test_several_units_with_one_delay_and_instantaneous_connections(nest):
    units = [{"mu": 0.2, "sigma": 0.4}, {"sigma": 0.3, "beta": 3.0}, {"sigma": 0.5, "mu": -0.1}]
    delayed = [(0, 1, 1.2, 0.5), (1, 2, -0.7, 0.5), (2, 0, 0.9, 0.5), (1, 1, 0.5, 0.5)]
    inst = [(0, 2, 0.6), (2, 1, -0.9)]
    gens = [Generator([2.0, 20.0], [1.5, 0.0], [(0, 1.0, 0.3), (2, -1.0, 0.1)])]
    compare(nest, NestSetup(units=units, t_sim=40.0, delayed=delayed, instantaneous=inst, generators=gens))


def _trials_as_copies(nest, unit, n_trials, delay, t_sim, weight=1.0):
    """NEST runs ``n_trials`` copies of one autapse neuron with a pulse input; each copy is one
    trial of ours. Returns the setup, NEST's rates and noise (n_steps, n_trials)."""
    targets = [(k, 1.0, 1.0) for k in range(n_trials)]
    gens = [Generator([10.0, 15.0, 40.0, 45.0], [2.0, 0.0, -3.0, 0.0], targets)]
    setup = NestSetup(units=[unit] * n_trials, t_sim=t_sim, generators=gens,
                      delayed=[(k, k, weight, delay) for k in range(n_trials)])
    _, rate, noise = run_nest(nest, setup)
    return setup, rate, noise


def _one_unit(setup, n_trials):
    net, inputs = to_model(NestSetup(units=setup.units[:1], t_sim=setup.t_sim, dt=setup.dt,
                                     delayed=setup.delayed[:1], generators=[
                                         Generator(g.amplitude_times, g.amplitude_values, g.targets[:1])
                                         for g in setup.generators]))
    return as_scalars(net), inputs


def test_many_trials_at_once(nest):
    n_trials = 12
    unit = BISTABLE | {"sigma": 0.6}
    setup, rate, noise = _trials_as_copies(nest, unit, n_trials, 0.5, 60.0)
    net, inputs = _one_unit(setup, n_trials)
    xi = (noise / unit["sigma"]).T[:, :, None]
    res = model.simulate(net, setup.t_sim, setup.dt, inputs, n_trials=n_trials, xi=xi)
    worst = np.abs(np.asarray(res.rate)[:, :, 0].T - rate).max()
    assert worst <= TOL, f"max |ours - NEST| = {worst:.3g}"
    # The trials differ (noise drives some of them across the switch): a mix-up would show.
    assert np.ptp(rate[-1]) > 0.5

    # Only some recorded: the mean and variance over all trials come from inside the loop.
    part = model.simulate(net, setup.t_sim, setup.dt, inputs, n_trials=n_trials, xi=xi, record_trials=3)
    assert np.abs(np.asarray(part.rate)[:, :, 0].T - rate[:, :3]).max() <= TOL
    np.testing.assert_allclose(np.asarray(part.trial_mean)[:, 0], rate.mean(axis=1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(part.trial_var)[:, 0], rate.var(axis=1, ddof=1), rtol=0, atol=1e-12)


def test_run_continued_from_its_delay_line(nest):
    """Two calls of ``run_delayed`` handing over the rates and the delay line give NEST's run."""
    import jax.numpy as jnp

    from model.simulate import _as_arrays, _network_buffers, _per_unit, external_buffers
    from model.propagators import propagators
    from model.step import nest_step, summed_drive

    n_trials, history_steps, split_at = 4, 9, 237
    unit = BISTABLE | {"sigma": 0.6}
    setup, rate, noise = _trials_as_copies(nest, unit, n_trials, 0.7, 60.0, weight=1.2)
    net, inputs = _one_unit(setup, n_trials)
    n_steps = rate.shape[0]
    p = _per_unit(_as_arrays(net.params, np.float64), 1)
    prop = propagators(p.tau, p.lambda_, setup.dt)
    external = tuple(np.stack(a) for a in zip(*[i.lay_out(n_steps, 1) for i in inputs]))
    ext_ex, ext_in = external_buffers(external, p)
    xi = jnp.asarray((noise / unit["sigma"])[:, :, None])
    split = lambda w: (jnp.where(w >= 0, w, 0.0), jnp.where(w < 0, w, 0.0))  # noqa: E731
    dlyd = split(jnp.asarray(net.w_delayed, float))
    delays = jnp.asarray(net.delay_steps, jnp.int32)
    step_fn = lambda y, x, ex, inh: nest_step(y, x, *summed_drive(ex, inh, p), p, prop)  # noqa: E731
    buffers_fn = lambda pre, w_ex, w_in: _network_buffers(pre, w_ex, w_in, p, True)  # noqa: E731
    shared_gain = (p.g[0], p.beta[0], p.theta[0], p.linear_summation)

    y = jnp.zeros((n_trials, 1))
    history = jnp.zeros((history_steps, n_trials, 1))
    first, y, history = run_delayed(y, history, 0, xi[:split_at], ext_ex[:split_at], ext_in[:split_at],
                                    None, dlyd, delays, step_fn, buffers_fn, shared_gain=shared_gain)
    # The delay line handed over holds the pre-update rates of the last steps, oldest first.
    np.testing.assert_allclose(np.asarray(history)[-1, :, 0], rate[split_at - 2], rtol=0, atol=TOL)
    second, y, _ = run_delayed(y, history, split_at, xi[split_at:], ext_ex[split_at:], ext_in[split_at:],
                               None, dlyd, delays, step_fn, buffers_fn, shared_gain=shared_gain)
    ours = np.concatenate([np.asarray(first), np.asarray(second)])[:, :, 0]
    worst = np.abs(ours - rate).max()
    assert worst <= TOL, f"max |ours - NEST| = {worst:.3g}"
    assert np.ptp(rate) > 1.0


def test_weight_and_delay_moves_do_not_recompile():
    p = model.Params(**BISTABLE)
    xi = model.FrozenNoise.draw(0, n_trials=8, n_steps=500)
    n = 3
    rng = np.random.default_rng(1)

    def run(w, d):
        net = model.Network(p, w_delayed=[[w]], delay_steps=d, history_steps=200)
        return np.asarray(model.simulate(net, 50.0, 0.1, n_trials=8, xi=xi).rate)

    def run_net(w, d):
        net = model.Network(p, n_units=n, w_delayed=w, delay_steps=d, history_steps=200)
        return np.asarray(model.simulate(net, 50.0, 0.1, n_trials=8, key=0).rate)

    first = run(1.0, 1)
    run_net(rng.normal(size=(n, n)), rng.integers(1, 200, size=(n, n)))
    before = model.trace_count()
    outs = [run(w, d) for w, d in [(1.0, 200), (-2.0, 37), (0.5, 1), (1.0, 1)]]
    nets = [run_net(rng.normal(size=(n, n)), rng.integers(1, 200, size=(n, n))) for _ in range(3)]
    assert model.trace_count() == before
    # The moves took effect (same weight and delay again: the same trace).
    assert np.abs(outs[0] - first).max() > 1e-3 and np.abs(outs[1] - first).max() > 1e-3
    np.testing.assert_array_equal(outs[3], first)
    assert np.abs(nets[0] - nets[1]).max() > 1e-3
