"""The README's round-off claim against NEST: a 100,000-step run at dt = 0.001 ms after a
parameter change, with noise and a generator through the gain (see model/roundoff.py)."""

import os
import subprocess
import sys

import numpy as np

from model.roundoff import drift_bound
from tests.nest_runner import Generator, NestSetup, run_nest
from tests.test_nest_edges import run_model

UNIT = {"mu": 10.0, "sigma": 0.5, "tau": 3.0, "lambda": 1.0}
CHANGE = {"mu": 10.7, "g": 1.3, "tau": 2.7}
SETUP = NestSetup(units=[UNIT], t_sim=20.0, dt=0.001, phases=[(80.0, {0: CHANGE})], max_delay=2.0,
                  generators=[Generator([5.0, 30.0, 60.0], [2.0, -1.3, 0.7], [(0, 1.1, 1.0)])])

NO_FMA = """
import sys, numpy as np, jax
jax.config.update("jax_enable_x64", True)
from tests.test_nest_edges import run_model
from tests.test_long_run import SETUP
ref = np.load(sys.argv[1])
print(np.abs(run_model(SETUP, ref["noise"]) - ref["rate"]).max())
"""


def test_100k_steps_within_the_stated_bound_and_exact_without_fma(nest, tmp_path):
    _, rate, noise = run_nest(nest, SETUP)
    assert rate.shape == (100_000, 1) and np.ptp(rate) > 10
    bound = max(float(drift_bound(u["tau"], 1.0, 0.001, 100_000, np.abs(rate).max(), g=u.get("g", 1.0)))
                for u in (UNIT, dict(UNIT, **CHANGE)))
    assert bound < 1e-10  # a bound that says something
    gap = np.abs(run_model(SETUP, noise) - rate).max()
    print(f"in-process: max |ours - NEST| = {gap:.3g}, bound {bound:.3g}")
    assert gap <= bound
    # Without FMA instructions XLA cannot contract: NEST's bits, up to replaying the noise
    # (sigma * (noise / sigma) is within an ulp of noise).
    np.savez(tmp_path / "ref.npz", rate=rate, noise=noise)
    env = dict(os.environ, XLA_FLAGS="--xla_cpu_max_isa=AVX", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", NO_FMA, str(tmp_path / "ref.npz")], env=env,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    exact_gap = float(out.stdout.strip().splitlines()[-1])
    print(f"XLA_FLAGS=--xla_cpu_max_isa=AVX: max |ours - NEST| = {exact_gap:.3g}")
    assert exact_gap <= 1e-14
