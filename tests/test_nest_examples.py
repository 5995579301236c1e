"""Two of NEST's own examples, run with ``sigmoid_rate_ipn``, translated line by line to ``model``
and compared with NEST sample by sample (float64, 1e-12).

* pynest/examples/rate_neuron_dm.py: two units in mutual instantaneous inhibition, rectified,
  Simulate(100), evidence set as mu, Simulate(100) -- a continued run. Scaled for CI: dt = 0.01
  instead of 0.001 and three of the nine (sigma, dE) panels.
* pynest/examples/lin_rate_ipn_network.py: 200 excitatory units with delayed (5 ms) and 50
  inhibitory ones with instantaneous connections, ``fixed_outdegree`` (multapses and autapses
  allowed), as in the example; its connections are read back from NEST into a connection list.

Both examples set ``use_wfr=False``; all rates start at 0, so the step-0 instantaneous input
NEST lacks there (see ../shared/nest-semantics.md) would carry 0 anyway. NEST's recorded noise
is replayed (the examples record only the rate; recording the noise too changes nothing).
"""

import numpy as np
import pytest

import model

TOL = 1e-12


def _recorded(mm, nodes, n_steps, dt):
    ev = mm.get("events")
    step = np.rint(np.asarray(ev["times"]) / dt).astype(int)
    unit = np.asarray(ev["senders"]) - min(nodes.tolist())
    keep = step <= n_steps
    rate, noise = np.full((n_steps, len(nodes)), np.nan), np.full((n_steps, len(nodes)), np.nan)
    rate[step[keep] - 1, unit[keep]] = np.asarray(ev["rate"])[keep]
    noise[step[keep] - 1, unit[keep]] = np.asarray(ev["noise"])[keep]
    assert not np.isnan(rate).any()
    return rate, noise


def _xi(noise, sigma):
    return (noise / sigma)[None] if sigma > 0 else np.zeros((1,) + noise.shape)


# --- rate_neuron_dm.py ---------------------------------------------------------------------

def nest_dm(nest, sigma, dE, dt):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": dt, "use_wfr": False, "rng_seed": 7})
    params = {"lambda": 0.1, "sigma": sigma, "tau": 1.0, "rectify_output": True}
    D1 = nest.Create("sigmoid_rate_ipn", params=params)
    D2 = nest.Create("sigmoid_rate_ipn", params=params)
    nest.Connect(D1, D2, "all_to_all", {"synapse_model": "rate_connection_instantaneous", "weight": -0.2})
    nest.Connect(D2, D1, "all_to_all", {"synapse_model": "rate_connection_instantaneous", "weight": -0.2})
    mm = nest.Create("multimeter")
    mm.set({"interval": dt, "record_from": ["rate", "noise"]})
    nest.Connect(mm, D1 + D2, syn_spec={"delay": dt})
    nest.Simulate(100.0)
    D1.set({"mu": 1.0 + dE})
    D2.set({"mu": 1.0 - dE})
    nest.Simulate(100.0)
    nest.Simulate(1.0)  # the multimeter gets the last slice on the next Simulate
    return _recorded(mm, D1 + D2, int(round(200.0 / dt)), dt)


def model_dm(sigma, dE, dt, noise):
    params = dict(lambda_=0.1, sigma=sigma, tau=1.0, rectify_output=True)
    conns = [model.Connection(0, 1, -0.2), model.Connection(1, 0, -0.2)]
    n = int(round(100.0 / dt))
    first = model.simulate(model.Network(model.Params(**params), 2, connections=conns), 100.0, dt,
                           key=None, xi=_xi(noise[:n], sigma))
    evidence = model.Params(**params, mu=[1.0 + dE, 1.0 - dE])
    second = model.simulate(model.Network(evidence, 2, connections=conns), 100.0, dt,
                            key=None, xi=_xi(noise[n:], sigma), state=first.state)
    return np.concatenate([np.asarray(first.rate[0]), np.asarray(second.rate[0])])


@pytest.mark.parametrize("sigma,dE", [(0.0, 0.0), (0.1, 0.004), (0.2, 0.008)])
def test_rate_neuron_dm(nest, sigma, dE):
    dt = 0.01
    rate, noise = nest_dm(nest, sigma, dE, dt)
    ours = model_dm(sigma, dE, dt, noise)
    gap = np.abs(ours - rate).max()
    assert gap <= TOL, f"max |ours - NEST| = {gap:.3g}"
    assert np.ptp(rate) > 0.5


# --- lin_rate_ipn_network.py ---------------------------------------------------------------

def nest_network(nest):
    dt, T = 0.1, 100.0
    order = 50
    NE, NI = 4 * order, 1 * order
    N = NE + NI
    d_e, g, epsilon = 5.0, 5.0, 0.1
    w = 0.1 / np.sqrt(N)
    KE, KI = int(epsilon * NE), int(epsilon * NI)
    neuron_params = {"linear_summation": True, "tau": 10.0, "mu": 2.0, "sigma": 5.0}
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": dt, "use_wfr": False, "rng_seed": 11})
    nest.SetDefaults("sigmoid_rate_ipn", neuron_params)
    n_e = nest.Create("sigmoid_rate_ipn", NE)
    n_i = nest.Create("sigmoid_rate_ipn", NI)
    mm = nest.Create("multimeter", params={"record_from": ["rate", "noise"], "interval": dt})
    syn_e = {"weight": w, "delay": d_e, "synapse_model": "rate_connection_delayed"}
    syn_i = {"weight": -g * w, "synapse_model": "rate_connection_instantaneous"}
    conn_e = {"rule": "fixed_outdegree", "outdegree": KE}
    conn_i = {"rule": "fixed_outdegree", "outdegree": KI}
    nest.Connect(n_e, n_e, conn_e, syn_e)
    nest.Connect(n_i, n_i, conn_i, syn_i)
    nest.Connect(n_e, n_i, conn_i, syn_e)
    nest.Connect(n_i, n_e, conn_e, syn_i)
    nest.Connect(mm, n_e + n_i)
    nest.Simulate(T)
    nest.Simulate(1.0)
    nodes = n_e + n_i
    first = min(nodes.tolist())
    conns = nest.GetConnections(source=nodes, target=nodes)
    table = [(s - first, t - first, wt, dl, str(sm)) for s, t, wt, dl, sm in zip(
        conns.get("source"), conns.get("target"), conns.get("weight"), conns.get("delay"),
        conns.get("synapse_model"))]
    rate, noise = _recorded(mm, nodes, int(round(T / dt)), dt)
    return dict(dt=dt, T=T, N=N, params=neuron_params, table=table), rate, noise


def test_lin_rate_ipn_network(nest):
    ref, rate, noise = nest_network(nest)
    dt = ref["dt"]
    conns = [model.Connection(pre, post, wt) if sm == "rate_connection_instantaneous"
             else model.Connection.delayed(pre, post, wt, dl, dt)
             for pre, post, wt, dl, sm in ref["table"]]
    pairs = [(c.pre, c.post, c.delay_steps) for c in conns]
    assert len(set(pairs)) < len(pairs), "fixed_outdegree drew no multapse: the case tests less"
    net = model.Network(model.Params.from_nest(ref["params"]), ref["N"], connections=conns)
    res = model.simulate(net, ref["T"], dt, key=None, xi=_xi(noise, 5.0))
    gap = np.abs(np.asarray(res.rate[0]) - rate).max()
    assert gap <= TOL, f"max |ours - NEST| = {gap:.3g}"
    assert np.ptp(rate) > 1.0
