"""The simulation API: shapes, recompilation, the two integration methods, input semantics."""

import numpy as np
import pytest

import model


def test_shapes_and_stamps():
    res = model.simulate(model.Network(model.Params(), n_units=3), t_sim=5.0, dt=0.1, n_trials=4, key=7)
    assert res.rate.shape == res.noise.shape == res.xi.shape == (4, 50, 3)
    np.testing.assert_allclose(res.times, 0.1 * np.arange(1, 51))


def test_key_reproducible_and_xi_replays_it():
    a = model.simulate(model.Params(), 5.0, key=3, n_trials=2)
    b = model.simulate(model.Params(), 5.0, key=3, n_trials=2)
    c = model.simulate(model.Params(), 5.0, xi=a.xi, n_trials=2)
    d = model.simulate(model.Params(), 5.0, key=4, n_trials=2)
    np.testing.assert_array_equal(a.rate, b.rate)
    np.testing.assert_array_equal(a.rate, c.rate)
    assert not np.allclose(a.rate, d.rate)


def test_fifty_random_changes_compile_once():
    rng = np.random.default_rng(0)
    net_inputs = (model.ExternalInput(np.sin(np.arange(200) / 20.0), weight=0.5, delay_steps=3),)

    def random_params():
        return model.Params(
            tau=rng.uniform(1, 20), lambda_=rng.choice([0.0, rng.uniform(0.1, 3)]),
            sigma=rng.uniform(0, 2), mu=rng.normal(), g=rng.normal(), beta=rng.normal(),
            theta=rng.normal(), rectify_rate=rng.uniform(0, 1),
            linear_summation=bool(rng.integers(2)), rectify_output=bool(rng.integers(2)),
            mult_coupling=bool(rng.integers(2)),
        )

    model.simulate(random_params(), 20.0, 0.1, net_inputs, n_trials=3, key=0)
    before = model.trace_count()
    outs = [model.simulate(random_params(), 20.0, 0.1, net_inputs, n_trials=3, key=int(k)).rate
            for k in rng.integers(0, 1000, 50)]
    assert model.trace_count() == before
    assert len({float(np.asarray(o).sum()) for o in outs}) == 50  # every change took effect

    # The same holds for a coupled network, where weights and delays are data too.
    def coupled(k):
        n = 3
        return model.Network(random_params(), n_units=n, w_inst=rng.normal(size=(n, n)),
                             w_delayed=rng.normal(size=(n, n)),
                             delay_steps=rng.integers(1, 6, size=(n, n)), history_steps=5)

    model.simulate(coupled(0), 20.0, 0.1, n_trials=2, key=0)
    before = model.trace_count()
    for k in range(10):
        model.simulate(coupled(k), 20.0, 0.1, n_trials=2, key=k)
    assert model.trace_count() == before

    # And with frozen noise, where unrectified runs reuse the filtered noise (noise_response.py)
    # and rectified ones take the full scan: both programs are compiled once.
    noise = model.FrozenNoise.draw(1, n_trials=3, n_steps=200)
    for rectify in (False, True):
        model.simulate(model.Params(rectify_output=rectify), 20.0, 0.1, net_inputs, n_trials=3, xi=noise)
    before = model.trace_count()
    outs = [model.simulate(random_params(), 20.0, 0.1, net_inputs, n_trials=3, xi=noise).rate for _ in range(30)]
    assert model.trace_count() == before
    assert len({float(np.asarray(o).sum()) for o in outs}) == 30


@pytest.mark.parametrize("switches", [
    {}, {"rectify_output": True, "rectify_rate": 0.3}, {"linear_summation": False},
    {"mult_coupling": True, "rectify_output": True, "rectify_rate": 0.05}, {"lambda_": 0.0},
])
def test_parallel_and_sequential_agree(switches):
    p = model.Params(mu=[-0.4, 0.1, 0.3], sigma=[0.5, 1.0, 0.2], tau=[3.0, 10.0, 20.0], **switches)
    net = model.Network(p, n_units=3, initial_rate=[0.5, -1.0, 0.0])
    n = 3000
    inputs = (model.ExternalInput(np.where(np.arange(n) % 700 < 300, 1.5, -0.5), weight=[1.0, -2.0],
                                  delay_steps=4, target=[0, 2]),)
    seq = model.simulate(net, n * 0.1, 0.1, inputs, n_trials=5, key=1, method="sequential")
    par = model.simulate(net, n * 0.1, 0.1, inputs, n_trials=5, key=1, method="parallel")
    assert np.abs(np.asarray(seq.rate) - np.asarray(par.rate)).max() <= 1e-12
    if switches.get("rectify_output"):
        assert (np.asarray(seq.rate) == switches["rectify_rate"]).any()


def test_uniform_and_per_unit_gain_paths_agree():
    n = 4
    rng = np.random.default_rng(1)
    w, wd = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    kw = dict(n_units=n, w_inst=w, w_delayed=wd, delay_steps=2, initial_rate=rng.normal(size=n))
    sw = dict(linear_summation=[True, False, True, False], mult_coupling=[False, False, True, True])
    uniform = model.Network(model.Params(g=1.5, beta=2.0, theta=0.3, **sw), **kw)
    per_unit = model.Network(model.Params(g=[1.5] * n, beta=[2.0] * n, theta=[0.3] * n, **sw), **kw)
    matrix_delay = model.Network(model.Params(g=1.5, beta=2.0, theta=0.3, **sw),
                                 **(kw | {"delay_steps": np.full((n, n), 2)}))
    runs = [model.simulate(net, 30.0, n_trials=2, key=5).rate for net in (uniform, per_unit, matrix_delay)]
    np.testing.assert_allclose(runs[1], runs[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(runs[2], runs[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("record_trials", [None, 2])
def test_frozen_noise_response_matches_the_step_by_step_run(record_trials):
    """Frozen noise without rectification or coupling takes y = noiseless run + c * z; it must
    equal the step-by-step scan (plain-array xi) to rounding, rates and moments, whatever the
    switches, per-unit parameters and inputs."""
    rng = np.random.default_rng(4)
    n_steps, n_trials, n_units = 400, 6, 2
    noise = model.FrozenNoise.draw(2, n_trials=n_trials, n_steps=n_steps, n_units=n_units)
    inputs = (model.ExternalInput(np.where(np.arange(n_steps) % 150 < 60, 1.2, -0.4), weight=[0.7, -1.5],
                                  delay_steps=3),)
    for k in range(12):
        p = model.Params(
            tau=rng.uniform(1, 20, n_units), lambda_=[0.0, rng.uniform(0.1, 3)][k % 2],
            sigma=rng.uniform(0, 2, n_units), mu=rng.normal(), g=rng.normal(), beta=rng.normal(),
            theta=rng.normal(), linear_summation=bool(k % 3), mult_coupling=bool(k % 4 == 1),
        )
        net = model.Network(p, n_units=n_units, initial_rate=rng.normal(size=n_units))
        kept = model.simulate(net, n_steps * 0.1, 0.1, inputs, n_trials, xi=noise, record_trials=record_trials)
        scanned = model.simulate(net, n_steps * 0.1, 0.1, inputs, n_trials, xi=noise.xi,
                                 record_trials=record_trials)
        assert noise.responses, "the frozen-noise run must take the kept-response path"
        quiet = model.simulate(model.Network(p.replace(sigma=0.0), n_units=n_units,
                                             initial_rate=net.initial_rate), n_steps * 0.1, 0.1, inputs)
        np.testing.assert_allclose(kept.noiseless, quiet.rate[0], rtol=0, atol=1e-12)
        for name in ("rate", "trial_mean", "trial_var", "noise"):
            a, b = np.asarray(getattr(kept, name)), np.asarray(getattr(scanned, name))
            assert a.shape == b.shape
            scale = max(1.0, float(np.abs(b).max()))
            assert np.abs(a - b).max() <= 1e-13 * scale * n_steps, (k, name, np.abs(a - b).max())


def test_frozen_noise_keeps_its_response_across_drive_changes_only():
    noise = model.FrozenNoise.draw(0, n_trials=4, n_steps=100)
    model.simulate(model.Params(mu=0.1), 10.0, 0.1, n_trials=4, xi=noise)
    (first,) = noise.responses.values()
    for change in ({"mu": 0.7}, {"g": 3.0}, {"beta": 0.2}, {"theta": 1.0}, {"sigma": 2.0},
                   {"linear_summation": False}, {"mult_coupling": True}):
        model.simulate(model.Params(**change), 10.0, 0.1, n_trials=4, xi=noise)
        assert len(noise.responses) == 1 and next(iter(noise.responses.values())) is first, change  # reused, nothing new
    for change in ({"tau": 3.0}, {"lambda_": 0.0}, {"tau": 5.0}):
        model.simulate(model.Params(**change), 10.0, 0.1, n_trials=4, xi=noise)
    assert len(noise.responses) == 2  # refiltered for each, only the latest two kept
    assert all(r is not first for r in noise.responses.values())
    # Rectification or coupling make the update nonlinear: the full scan runs, nothing is kept.
    fresh = model.FrozenNoise.draw(0, n_trials=4, n_steps=100)
    model.simulate(model.Params(rectify_output=True), 10.0, 0.1, n_trials=4, xi=fresh)
    model.simulate(model.Network(model.Params(), w_delayed=[[0.5]]), 10.0, 0.1, n_trials=4, xi=fresh)
    assert not fresh.responses


def test_frozen_noise_with_a_bad_draw_is_refused():
    xi = np.zeros((2, 50, 1))
    xi[1, 20, 0] = np.nan
    with pytest.raises(ValueError, match="xi must be finite"):
        model.simulate(model.Params(), 5.0, 0.1, n_trials=2, xi=model.FrozenNoise.from_xi(xi))


def noiseless(**kw):
    return model.Params(sigma=0.0, **kw)


def test_no_event_before_the_delay_and_where_the_source_is_silent():
    """Without linear summation an event of value 0 adds w*phi(0); no event adds nothing."""
    p = noiseless(linear_summation=False, mu=0.0)
    n = 40
    emits = np.arange(n) >= 30
    inp = model.ExternalInput(np.zeros(n), weight=2.0, delay_steps=10, emits=emits)
    rate = np.asarray(model.simulate(p, n * 0.1, 0.1, (inp,)).rate[0, :, 0])
    assert np.all(rate[:40] == 0.0)  # events start at 30 + 10 = 40 > n - 1
    inp = model.ExternalInput(np.zeros(n), weight=2.0, delay_steps=10)
    rate = np.asarray(model.simulate(p, n * 0.1, 0.1, (inp,)).rate[0, :, 0])
    assert np.all(rate[:10] == 0.0) and np.all(rate[10:] > 0.0)
    prop = model.propagators(10.0, 1.0, 0.1)
    assert rate[10] == pytest.approx(float(prop.P2) * 2.0 * 0.5, rel=1e-12)  # w * phi(0)


def test_step_rate_generator_timing():
    inp = model.ExternalInput.step_rate_generator([1.0, 2.0], [3.0, 4.0], dt=0.1, n_steps=30,
                                                  delay=0.5, min_delay_steps=1)
    assert inp.delay_steps == 4
    assert inp.rate[8] == 0.0 and inp.rate[9] == 3.0 and inp.rate[19] == 4.0
    with pytest.raises(ValueError, match="min_delay"):
        model.ExternalInput.step_rate_generator([1.0], [1.0], dt=0.1, n_steps=30, delay=0.1,
                                                min_delay_steps=2)
    # NEST's rounding: 0.05 ms is one step at dt = 0.1, delivered min_delay (1) early: lag 0
    assert model.ExternalInput.step_rate_generator([1.0], [1.0], dt=0.1, n_steps=30, delay=0.05).delay_steps == 0
