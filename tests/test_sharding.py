"""Big ensembles split their trials across devices; checked on 4 virtual CPU devices."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import json, jax, numpy as np
    jax.config.update("jax_enable_x64", True)
    import model
    assert jax.device_count() == 4
    out = {}
    for name, net in [("uncoupled", model.Network(model.Params(mu=0.3, sigma=0.7, rectify_output=True,
                                                               rectify_rate=0.2))),
                      ("coupled", model.Network(model.Params(sigma=0.5), n_units=3,
                                                w_inst=np.full((3, 3), 0.2), w_delayed=np.eye(3),
                                                delay_steps=2))]:
        split = model.simulate(net, 50.0, 0.1, n_trials=8, key=3)
        whole = model.simulate(net, 50.0, 0.1, n_trials=8, key=3, shard_trials=False)
        out[name] = {
            "devices": len(split.rate.sharding.device_set),
            "max_diff": float(np.abs(np.asarray(split.rate) - np.asarray(whole.rate)).max()),
            "mean_diff": float(np.abs(np.asarray(split.trial_mean) - np.asarray(whole.trial_mean)).max()),
        }
    # Frozen noise: the filtered response is computed on all four, and the result is the same.
    noise = model.FrozenNoise.draw(3, n_trials=8, n_steps=500)
    p = model.Params(mu=0.3, sigma=0.7)
    split = model.simulate(p, 50.0, 0.1, n_trials=8, xi=noise, record_trials=4)
    whole = model.simulate(p, 50.0, 0.1, n_trials=8, xi=noise.xi, record_trials=4, shard_trials=False)
    (response,) = noise.responses.values()
    out["frozen"] = {
        "devices": len(split.rate.sharding.device_set),
        "max_diff": float(np.abs(np.asarray(split.rate) - np.asarray(whole.rate)).max()),
        "mean_diff": float(np.abs(np.asarray(split.trial_var) - np.asarray(whole.trial_var)).max()),
    }
    # Not divisible: runs on one device; forcing it is an error.
    odd = model.simulate(model.Params(), 5.0, n_trials=6, key=0)
    out["odd_devices"] = len(odd.rate.sharding.device_set)
    try:
        model.simulate(model.Params(), 5.0, n_trials=6, shard_trials=True)
        out["forced"] = "no error"
    except ValueError as err:
        out["forced"] = str(err)
    print(json.dumps(out))
""")


def test_trials_split_across_four_devices():
    env = os.environ | {"XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for name in ("uncoupled", "coupled", "frozen"):
        assert out[name]["devices"] == 4, out
        assert out[name]["max_diff"] <= 1e-12 and out[name]["mean_diff"] <= 1e-12, out
    assert out["odd_devices"] == 1
    assert "shard_trials=True needs" in out["forced"]
