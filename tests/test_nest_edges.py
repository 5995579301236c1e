"""The NEST edges a NEST user hits, each against NEST 3.10 run in the test (float64, 1e-12):
multapses with mult_coupling, runs continued after a parameter change (events in flight,
linear_summation switched), step_rate_generator in both creation orders with start/stop/origin
and min_delay > 1 step. The model is driven only through its public API (connection list,
``result.state``, ``model.generators``)."""

import numpy as np
import pytest

import model
from model.generators import step_rate_generator_inputs
from tests.nest_runner import Generator, NestSetup, run_nest

TOL = 1e-12


def _params(units):
    per_unit = [model.Params.from_nest(u) for u in units]
    return model.Params(**{f: np.array([getattr(p, f) for p in per_unit]) for f in model.Params.fields})


def _connections(setup):
    conns = [model.Connection(pre, post, w) for pre, post, w in setup.instantaneous]
    conns += [model.Connection.delayed(pre, post, w, d, setup.dt) for pre, post, w, d in setup.delayed]
    return conns


def run_model(setup: NestSetup, noise):
    """Every phase of ``setup`` through ``simulate``, each continuing the last one's state."""
    dt = setup.dt
    md = model.n_steps_for(setup.min_delay or dt, dt)
    max_d = model.n_steps_for(setup.max_delay, dt)
    units = [dict(u) for u in setup.units]
    phases = [(setup.t_sim, {})] + list(setup.phases)
    state, out, start = None, [], 0
    n = len(units)
    for t, changes in phases:
        for unit, params in changes.items():
            units[unit].update(params)
        n_steps = model.n_steps_for(t, dt)
        params = _params(units)
        net = model.Network(params, n_units=n, connections=_connections(setup),
                            initial_rate=0.0 if setup.initial_rates is None else np.asarray(setup.initial_rates))
        inputs = tuple(
            inp
            for g in setup.generators for post, w, d in g.targets
            for inp in step_rate_generator_inputs(
                g.amplitude_times, g.amplitude_values, dt=dt, n_steps=n_steps, weight=w, delay=d,
                target=post, min_delay_steps=md, max_delay_steps=max_d,
                created_before_target=setup.generators_first, first_step=start, **g.device)
        )
        sigma = np.broadcast_to(np.asarray(params.sigma, float), (n,))
        xi = np.where(sigma > 0, noise[start:start + n_steps] / np.where(sigma > 0, sigma, 1.0), 0.0)[None]
        res = model.simulate(net, t, dt, inputs, key=None, xi=xi, state=state, min_delay_steps=md)
        np.testing.assert_allclose(res.times, dt * np.arange(start + 1, start + n_steps + 1), rtol=0, atol=1e-9)
        out.append(np.asarray(res.rate[0]))
        state, start = res.state, start + n_steps
    return np.concatenate(out)


def compare(nest, setup):
    _, rate, noise = run_nest(nest, setup)
    ours = run_model(setup, noise)
    gap = np.abs(ours - rate)
    assert gap.max() <= TOL, f"max |ours - NEST| = {gap.max():.3g} at {np.unravel_index(gap.argmax(), gap.shape)}"
    assert np.ptp(rate) > 1e-3
    return rate


# --- 1. multapses -------------------------------------------------------------------------

def test_multapse_of_both_signs_with_mult_coupling(nest):
    """+0.5 and -0.3 from one sender are phi(0.5 r) + phi(-0.3 r) in NEST, not phi(0.2 r) + phi(0)."""
    units = [{"mu": 1.0, "sigma": 0.0}, {"mult_coupling": True, "sigma": 0.0, "beta": 3.0}]
    setup = NestSetup(units=units, t_sim=30.0, instantaneous=[(0, 1, 0.5), (0, 1, -0.3)],
                      initial_rates=[1.5, 0.0])
    rate = compare(nest, setup)
    # The dense shortcut sums the pair into one connection of +0.2: visibly not NEST.
    net = model.Network(_params(units), n_units=2, w_inst=[[0, 0], [0.2, 0]], initial_rate=[1.5, 0.0])
    merged = np.asarray(model.simulate(net, 30.0, 0.1, key=None, xi=np.zeros((1, 300, 2))).rate[0])
    assert np.abs(merged - rate).max() > 1e-3


def test_multapses_and_autapses_every_kind(nest):
    units = [
        {"mu": 0.4, "sigma": 0.3, "mult_coupling": True, "beta": 2.0},
        {"sigma": 0.2, "linear_summation": False, "g": 1.5},
        {"sigma": 0.25, "mult_coupling": True, "theta": 0.3, "tau": 4.0},
    ]
    inst = [(0, 1, 0.8), (0, 1, -0.5), (1, 2, 0.6), (1, 2, -0.9), (2, 0, 0.7), (2, 0, 0.7)]
    delayed = [(0, 2, 1.2, 0.3), (0, 2, -0.8, 0.3), (0, 2, 0.5, 1.1),  # same pair: two delays, both signs
               (2, 2, 0.9, 0.5), (2, 2, -0.4, 0.2),  # autapses
               (1, 0, -1.1, 0.4), (1, 0, 0.6, 0.7)]
    gens = [Generator([2.0, 12.0], [1.0, -0.5], [(0, 1.0, 0.2), (1, -1.3, 0.5)])]
    compare(nest, NestSetup(units=units, t_sim=40.0, instantaneous=inst, delayed=delayed,
                            generators=gens, initial_rates=[0.2, -0.1, 0.3]))


def test_connection_list_refuses_what_nest_refuses():
    p = model.Params()
    with pytest.raises(ValueError, match="Delay must be greater than or equal to resolution"):
        model.Network(p, 2, connections=[model.Connection(0, 1, 1.0, delay_steps=0)])
    with pytest.raises(ValueError, match=r"connections\[1\].post"):
        model.Network(p, 2, connections=[model.Connection(0, 1, 1.0), model.Connection(0, 2, 1.0)])
    with pytest.raises(ValueError, match=r"connections\[0\].weight must be finite"):
        model.Network(p, 2, connections=[model.Connection(0, 1, np.nan)])
    with pytest.raises(ValueError, match="one or the other"):
        model.Network(p, 2, w_inst=np.zeros((2, 2)), connections=[model.Connection(0, 1, 1.0)])


def test_connection_layers_do_not_recompile_when_values_move():
    def run(w, d):
        conns = [model.Connection(0, 1, w, delay_steps=d), model.Connection(0, 1, -w, delay_steps=d + 2),
                 model.Connection(1, 1, 0.5)]
        net = model.Network(model.Params(mu=w), 2, connections=conns, history_steps=10)
        model.simulate(net, 5.0, 0.1, key=1)

    run(0.3, 1)
    before = model.trace_count()
    run(0.9, 4)
    run(-0.2, 7)
    assert model.trace_count() == before


# --- 2. continuation ----------------------------------------------------------------------

@pytest.mark.parametrize("min_delay", [0.1, 0.2])
def test_continuation_with_linear_summation_switched_and_events_in_flight(nest, min_delay):
    units = [{"mu": 0.8, "sigma": 0.3, "tau": 2.0},
             {"sigma": 0.2, "g": 2.0, "beta": 3.0, "theta": 0.5},
             {"sigma": 0.1, "mult_coupling": True}]
    delayed = [(0, 1, 1.5, 0.6), (1, 2, -0.7, 0.4), (2, 0, 0.9, 0.2), (0, 1, -0.4, 0.3)]
    gens = [Generator([3.0, 21.0], [1.0, -1.0], [(1, 0.8, 0.5), (2, 1.1, 0.2)])]
    phases = [(15.0, {1: {"linear_summation": False, "g": 1.2}, 2: {"linear_summation": False}}),
              (12.0, {1: {"linear_summation": True, "mu": 0.3}, 0: {"tau": 5.0}})]
    compare(nest, NestSetup(units=units, t_sim=20.0, delayed=delayed, instantaneous=[(0, 2, 0.5)],
                            generators=gens, phases=phases, min_delay=min_delay))


def test_continuation_shorter_than_the_delay(nest):
    # Phase two ends before every event of phase one has arrived: they travel on in the state.
    units = [{"mu": 1.0, "sigma": 0.2}, {"sigma": 0.1, "linear_summation": False}]
    phases = [(0.3, {1: {"linear_summation": True}}), (0.2, {1: {"beta": 4.0}}), (8.0, {})]
    compare(nest, NestSetup(units=units, t_sim=5.0, delayed=[(0, 1, 1.2, 1.0), (1, 1, 0.5, 0.7)],
                            generators=[Generator([1.0], [2.0], [(1, 1.0, 0.8)])], phases=phases))


def test_state_layout():
    net = model.Network(model.Params(sigma=0.0, mu=1.0), 1, w_delayed=[[0.5]], delay_steps=4)
    res = model.simulate(net, 1.0, 0.1, n_trials=3)
    s = res.state
    assert s.steps_run == 10 and s.pending_steps == 1
    assert s.history.shape == (3, 4, 1) and s.in_flight.shape == (3, 4, 2, 1)
    rate = np.asarray(res.rate)
    np.testing.assert_array_equal(s.history[:, :, 0], rate[:, 5:9, 0])  # pre-update rates of steps 6..9
    np.testing.assert_array_equal(s.rate, rate[:, -1])
    with pytest.raises(ValueError, match="record_trials"):
        model.simulate(net, 1.0, 0.1, n_trials=3, record_trials=1).state
    with pytest.raises(ValueError, match="n_trials"):
        model.simulate(net, 1.0, 0.1, n_trials=2, state=s)
    with pytest.raises(ValueError, match="resolution cannot change"):
        model.simulate(net, 1.0, 0.05, n_trials=3, state=s)


# --- 3. step_rate_generator ---------------------------------------------------------------

@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("min_delay,max_delay", [(0.1, 1.0), (0.1, 3.0), (0.2, 1.0), (0.3, 2.0)])
def test_step_rate_generator_in_both_creation_orders(nest, first, min_delay, max_delay):
    unit = {"sigma": 0.0, "g": 2.0, "beta": 3.0, "theta": 0.5}
    # delay = min_delay: created after its target, every event of it wraps round the ring buffer
    gens = [Generator([1.0, 3.0], [1.0, -0.5], [(0, 1.5, 0.3), (1, 0.9, 0.5), (0, -0.7, 1.0)]),
            Generator([2.0], [0.8], [(1, 1.0, 0.4), (0, 1.2, min_delay)])]
    compare(nest, NestSetup(units=[unit, dict(unit, linear_summation=False)], t_sim=8.0,
                            generators=gens, generators_first=first, min_delay=min_delay, max_delay=max_delay))


@pytest.mark.parametrize("first", [True, False])
def test_step_rate_generator_start_stop_origin(nest, first):
    unit = {"sigma": 0.1, "linear_summation": False}
    gens = [Generator([1.0, 4.0], [1.0, 2.0], [(0, 1.0, 0.1), (1, -1.0, 0.6)],
                      device={"start": 2.0, "stop": 5.0}),
            Generator([0.5], [1.5], [(0, 0.5, 0.2)], device={"origin": 1.0, "start": 0.5, "stop": 6.3}),
            Generator([3.0], [1.0], [(1, 0.7, 0.3)], device={"origin": 2.5})]
    compare(nest, NestSetup(units=[unit, unit], t_sim=10.0, generators=gens, generators_first=first,
                            max_delay=1.0))


def test_step_rate_generator_helper_takes_the_order():
    before = model.ExternalInput.step_rate_generator([1.0], [1.0], dt=0.1, n_steps=30, delay=0.1)
    after = model.ExternalInput.step_rate_generator([1.0], [1.0], dt=0.1, n_steps=30, delay=0.1,
                                                    created_before_target=False, max_delay_steps=20)
    assert (before.delay_steps, after.delay_steps) == (0, 21)
    with pytest.raises(ValueError, match="max_delay_steps"):
        model.ExternalInput.step_rate_generator([1.0], [1.0], dt=0.1, n_steps=30, created_before_target=False)
    with pytest.raises(ValueError, match="several inputs"):
        model.ExternalInput.step_rate_generator([1.0], [1.0], dt=0.1, n_steps=30, delay=0.3, min_delay_steps=2,
                                                created_before_target=False, max_delay_steps=10)


def test_continuation_does_not_recompile_when_values_move():
    conns = [model.Connection(0, 1, 0.7, delay_steps=3), model.Connection(1, 0, -0.4)]

    def two_phases(mu, lin):
        first = model.simulate(model.Network(model.Params(mu=mu), 2, connections=conns), 2.0, 0.1, n_trials=4, key=0)
        p = model.Params(mu=-mu, linear_summation=lin)
        return model.simulate(model.Network(p, 2, connections=conns), 2.0, 0.1, n_trials=4, key=1, state=first.state)

    two_phases(0.2, True)
    before = model.trace_count()
    two_phases(0.5, False)
    two_phases(-1.0, True)
    assert model.trace_count() == before
