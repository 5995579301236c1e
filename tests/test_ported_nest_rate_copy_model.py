"""Port of NEST's testsuite/pytests/test_rate_copy_model.py to ``sigmoid_rate_ipn``.

The original copies ``rate_connection_instantaneous`` with ``CopyModel`` and checks that a
unit driven through the copy traces the same rates as one driven through the original
(sum of |differences| < 1e-12); units ``lin_rate_ipn`` (tau = 5, sigma = 0), driver mu = 1.5,
weight 0.5, dt = 0.001 ms, 100 ms.

Translated (dt = 0.01 ms, 20 ms, ``sigmoid_rate_ipn``), and extended to what a NEST script
does with copies: a copied ``rate_connection_delayed`` whose default delay is set in the copy,
and a copied neuron model with new defaults. NEST must give identical traces through original
and copy; the model, built from what NEST reports (``GetDefaults`` of the copies), must give
NEST's traces sample by sample (1e-12).
"""

import numpy as np

import model

DT, T, DRIVE, WEIGHT = 0.01, 20.0, 1.5, 0.5
N_STEPS = int(round(T / DT))


def nest_copies(nest):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.set(resolution=DT, local_num_threads=1, use_wfr=True, wfr_tol=0.0, wfr_max_iterations=100)
    nest.set(min_delay=DT, max_delay=5.0)
    nest.CopyModel("rate_connection_instantaneous", "rate_connection_new")
    nest.CopyModel("rate_connection_delayed", "rate_connection_slow", {"delay": 1.5})
    nest.CopyModel("sigmoid_rate_ipn", "my_sigmoid", {"tau": 5.0, "sigma": 0.0, "beta": 2.0, "theta": 0.4})
    drive = nest.Create("sigmoid_rate_ipn", params={"mu": DRIVE, "sigma": 0.0})
    plain = nest.Create("sigmoid_rate_ipn", 4, params={"tau": 5.0, "sigma": 0.0, "beta": 2.0, "theta": 0.4})
    copied = nest.Create("my_sigmoid", 2)
    nodes = drive + plain + copied
    syn = {"weight": WEIGHT}
    nest.Connect(drive, plain[0], syn_spec=dict(syn, synapse_model="rate_connection_instantaneous"))
    nest.Connect(drive, plain[1], syn_spec=dict(syn, synapse_model="rate_connection_new"))
    nest.Connect(drive, plain[2], syn_spec=dict(syn, synapse_model="rate_connection_delayed", delay=1.5))
    nest.Connect(drive, plain[3], syn_spec=dict(syn, synapse_model="rate_connection_slow"))
    nest.Connect(drive, copied[0], syn_spec=dict(syn, synapse_model="rate_connection_instantaneous"))
    nest.Connect(drive, copied[1], syn_spec=dict(syn, synapse_model="rate_connection_slow"))
    mm = nest.Create("multimeter", params={"record_from": ["rate"], "interval": DT})
    nest.Connect(mm, nodes)
    nest.Simulate(T + 1.0)  # the multimeter gets the last slice on the next Simulate
    ev = mm.get("events")
    step = np.rint(np.asarray(ev["times"]) / DT).astype(int)
    unit = np.asarray(ev["senders"]) - min(nodes.tolist())
    keep = step <= N_STEPS
    rate = np.full((N_STEPS, len(nodes)), np.nan)
    rate[step[keep] - 1, unit[keep]] = np.asarray(ev["rate"])[keep]
    assert not np.isnan(rate).any()
    return rate, nest.GetDefaults("my_sigmoid"), nest.GetDefaults("rate_connection_slow")["delay"]


def test_rate_copy_model(nest):
    rate, copied_defaults, slow_delay = nest_copies(nest)
    # NEST: a copy behaves as its original.
    assert np.abs(rate[:, 2] - rate[:, 1]).sum() < 1e-12
    assert np.abs(rate[:, 4] - rate[:, 3]).sum() < 1e-12
    assert np.abs(rate[:, 5] - rate[:, 1]).sum() < 1e-12
    assert np.abs(rate[:, 6] - rate[:, 3]).sum() < 1e-12
    assert np.abs(rate[:, 3] - rate[:, 1]).max() > 1e-3  # the delay shows
    # The model, from what NEST reports of the copies.
    unit = model.Params.from_nest(copied_defaults)
    driver = model.Params(mu=DRIVE, sigma=0.0)
    params = model.Params(**{f: np.array([getattr(driver, f)] + [getattr(unit, f)] * 6)
                             for f in model.Params.fields})
    slow = lambda post: model.Connection.delayed(0, post, WEIGHT, slow_delay, DT)  # noqa: E731
    conns = [model.Connection(0, 1, WEIGHT), model.Connection(0, 2, WEIGHT), slow(3), slow(4),
             model.Connection(0, 5, WEIGHT), slow(6)]
    res = model.simulate(model.Network(params, 7, connections=conns), T, DT, key=None,
                         xi=np.zeros((1, N_STEPS, 7)))
    gap = np.abs(np.asarray(res.rate[0]) - rate).max()
    assert gap <= 1e-12, f"max |ours - NEST| = {gap:.3g}"
