"""The parrot of NEST's test_rate_neuron_communication.py (``test_ParrotRateNeuron``), ported
to ``rate_transformer_sigmoid`` (the transformer with ``sigmoid_rate_ipn``'s gain; the
original's ``rate_transformer_sigmoid_gg_1998`` has another gain) and ``model``'s
``Network(..., transformer=...)``.

The original drives the transformer from a unit held at 1.5 through a
``rate_connection_instantaneous`` of weight 0.5, sets its g to 0.1, simulates 100 ms and
checks the last rate against the closed form phi(w * drive). Translated: that closed form
with phi(h) = g / (1 + exp(-beta (h - theta))), and more of what a NEST script does with
transformers: per-event gain (linear_summation=False) through a delayed connection, a noisy
driver (a transformer has no dynamics: its sample j + 1 is the input of step j through phi),
transformers feeding a neuron and each other, and SetStatus between two Simulate calls. All
against NEST sample by sample (1e-12).
"""

import numpy as np
import pytest

import model
from tests.test_nest_edges import _params

DT, T = 0.1, 100.0
N_STEPS = int(round(T / DT))
DRIVE, W = 1.5, 0.5
# 0 driver (noisy, mean-held near 1.5), 1 neuron; 2..4 transformers
NEURONS = [{"mu": DRIVE - 0.5, "sigma": 0.3}, {"sigma": 0.1, "tau": 4.0}]
TRANSFORMERS = [{"g": 0.1}, {"g": 2.0, "beta": 3.0, "theta": 0.4, "linear_summation": False},
                {"g": 1.5, "linear_summation": True}]
INST = [(0, 2, W), (2, 1, 1.2), (3, 4, -0.8), (4, 1, 0.6)]
DELAYED = [(0, 3, 0.9, 0.3), (1, 4, 0.7, 0.5), (4, 2, 0.4, 0.2)]


def nest_run(nest, change=None):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.set(resolution=DT, local_num_threads=1, rng_seed=5, use_wfr=True, wfr_tol=0.0, wfr_max_iterations=100)
    nest.set(min_delay=DT, max_delay=5.0)
    neurons = nest.Create("sigmoid_rate_ipn", len(NEURONS))
    transformers = nest.Create("rate_transformer_sigmoid", len(TRANSFORMERS))
    nodes = neurons + transformers
    for node, params in zip(nodes, NEURONS + TRANSFORMERS):
        node.set(params)
    neurons[0].set(rate=DRIVE)
    for pre, post, w in INST:
        nest.Connect(nodes[pre], nodes[post], syn_spec={"synapse_model": "rate_connection_instantaneous", "weight": w})
    for pre, post, w, d in DELAYED:
        nest.Connect(nodes[pre], nodes[post], syn_spec={"synapse_model": "rate_connection_delayed", "weight": w,
                                                        "delay": d})
    mm = nest.Create("multimeter", params={"record_from": ["rate"], "interval": DT})
    nest.Connect(mm, nodes)
    mm_noise = nest.Create("multimeter", params={"record_from": ["noise"], "interval": DT})
    nest.Connect(mm_noise, neurons)
    nest.Simulate(T)
    phases = 1
    if change is not None:
        for unit, params in change.items():
            nodes[unit].set(params)
        nest.Simulate(T)
        phases = 2
    nest.Simulate(1.0)
    n = phases * N_STEPS

    def table(dev, key, who):
        ev = dev.get("events")
        step = np.rint(np.asarray(ev["times"]) / DT).astype(int)
        unit = np.asarray(ev["senders"]) - min(nodes.tolist())
        keep = step <= n
        out = np.full((n, len(nodes)), np.nan)
        out[step[keep] - 1, unit[keep]] = np.asarray(ev[key])[keep]
        assert not np.isnan(out[:, who]).any()
        return out

    return table(mm, "rate", slice(None)), table(mm_noise, "noise", slice(0, 2))[:, :2]


def units(change=None):
    params = [dict(u) for u in NEURONS] + [dict(u) for u in TRANSFORMERS]
    for unit, c in (change or {}).items():
        params[unit].update(c)
    return params


def model_run(noise, change=None):
    conns = [model.Connection(pre, post, w) for pre, post, w in INST]
    conns += [model.Connection.delayed(pre, post, w, d, DT) for pre, post, w, d in DELAYED]
    mask = [False] * len(NEURONS) + [True] * len(TRANSFORMERS)
    xi = np.zeros((1, N_STEPS, 5))
    out, state = [], None
    for k, c in enumerate([None] + ([change] if change is not None else [])):
        net = model.Network(_params(units(c if k else None)), 5, connections=conns, transformer=mask,
                            initial_rate=[DRIVE, 0, 0, 0, 0])
        xi[0, :, :2] = noise[k * N_STEPS:(k + 1) * N_STEPS] / np.array([0.3, 0.1])
        res = model.simulate(net, T, DT, key=None, xi=xi, state=state)
        out.append(np.asarray(res.rate[0]))
        state = res.state
    return np.concatenate(out)


def test_parrot_rate_transformer(nest):
    rate, noise = nest_run(nest)
    ours = model_run(noise)
    gap = np.abs(ours - rate).max()
    assert gap <= 1e-12, f"max |ours - NEST| = {gap:.3g}"
    # No dynamics: transformer 3 (per event, delayed 3 steps from the driver) at sample j is
    # 0.9 phi(driver's pre-update rate of step j - 1 - 3), and 0 before the first event.
    drive_pre = np.concatenate([[DRIVE], rate[:-1, 0]])  # step m transmits y[m]
    expected = np.zeros(N_STEPS)
    expected[3:] = 0.9 * 2.0 / (1 + np.exp(-3.0 * (drive_pre[:-3] - 0.4)))
    np.testing.assert_allclose(rate[:, 3], expected, rtol=1e-15, atol=0)
    assert np.ptp(rate[:, 0]) > 0.1 and np.ptp(rate[:, 2]) > 1e-3


def test_parrot_closed_form_with_a_held_driver(nest):
    """The original's check: a driver held at 1.5, the transformer's last rate is phi(w * 1.5)."""
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = DT
    drive = nest.Create("sigmoid_rate_ipn", params={"mu": DRIVE - 0.5, "sigma": 0.0, "rate": DRIVE})
    parrot = nest.Create("rate_transformer_sigmoid", params={"g": 0.1})
    nest.Connect(drive, parrot, syn_spec={"synapse_model": "rate_connection_instantaneous", "weight": W})
    mm = nest.Create("multimeter", params={"record_from": ["rate"], "interval": DT})
    nest.Connect(mm, parrot)
    nest.Simulate(T)
    ref = np.asarray(mm.events["rate"])[np.argsort(mm.events["times"], kind="stable")]
    net = model.Network(model.Params(mu=[DRIVE - 0.5, 0.0], sigma=0.0, g=[1.0, 0.1]), 2,
                        connections=[model.Connection(0, 1, W)], transformer=[False, True], initial_rate=[DRIVE, 0.0])
    ours = np.asarray(model.simulate(net, T, DT, key=None, xi=np.zeros((1, N_STEPS, 2))).rate[0, :, 1])
    closed = 0.1 / (1 + np.exp(-W * DRIVE))
    assert np.isclose(ref[-1], closed, rtol=1e-12) and np.isclose(ours[-1], closed, rtol=1e-12)
    assert np.abs(ours[:len(ref)] - ref).max() <= 1e-12


def test_transformer_set_between_runs(nest):
    change = {2: {"linear_summation": False, "g": 0.5}, 3: {"linear_summation": True}, 1: {"mu": 0.4}}
    rate, noise = nest_run(nest, change)
    gap = np.abs(model_run(noise, change) - rate).max()
    assert gap <= 1e-12, f"max |ours - NEST| = {gap:.3g}"


def test_transformer_flag_is_checked():
    p = model.Params()
    with pytest.raises(ValueError, match="transformer"):
        model.Network(p, 2, transformer=[True, False, True])
    with pytest.raises(ValueError, match="transformer"):
        model.Network(p, 2, transformer="yes")
    assert model.Network(p, 2, transformer=False).transformer is None


def test_transformer_in_both_scans_and_without_recompiles():
    inp = model.ExternalInput(np.sin(np.arange(200) * 0.1), weight=[1.0, -0.7], target=[0, 1], delay_steps=2)

    def run(mask, g, method):
        net = model.Network(model.Params(g=g, sigma=0.4, mu=0.2), 2, transformer=mask)
        return np.asarray(model.simulate(net, 20.0, DT, (inp,), n_trials=3, key=1, method=method).rate)

    seq, par = run([True, False], 1.3, "sequential"), run([True, False], 1.3, "parallel")
    np.testing.assert_allclose(par, seq, rtol=0, atol=1e-12)
    assert np.ptp(seq[:, :, 0]) > 0.1 and np.all(seq[0, :, 0] == seq[1, :, 0])  # no noise in a transformer
    before = model.trace_count()
    run([False, True], 0.4, "sequential")
    run([True, True], 2.0, "sequential")
    assert model.trace_count() == before
