"""The exported PyNEST script (``model.to_pynest``), run in NEST itself.

Every script of a test runs in one subprocess (NEST imported once; each script resets the
kernel), so the 30-odd settings cost one NEST start-up. Noiseless scripts must reproduce
``model.simulate`` in float64 to 1e-12, sample by sample; a noisy one, the exact discrete
theory's mean and variance within 4 standard errors.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import model
from explorer.state import PRESETS, ExplorerState
from model import theory

RUNNER = textwrap.dedent("""
    import os, runpy, sys
    for path in sys.argv[1:]:
        os.chdir(os.path.dirname(path))
        runpy.run_path(path, run_name="__main__")
""")


def run_scripts(nest, tmp_path, scripts: dict) -> dict:
    """name -> script text; runs them all in one NEST process, returns name -> (times, rates)."""
    paths = []
    for name, text in scripts.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "run.py").write_text(text)
        paths.append(str(folder / "run.py"))
    done = subprocess.run([sys.executable, "-c", RUNNER, *paths], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = {}
    for name in scripts:
        data = np.loadtxt(tmp_path / name / "sigmoid_rate_ipn.csv", delimiter=",", skiprows=1, ndmin=2)
        out[name] = data[:, 0], data[:, 1:]
    return out


def random_state(rng) -> ExplorerState:
    """Any page setting within the widgets' ranges, noiseless and short (switches included)."""
    s = ExplorerState()
    dt = float(rng.choice([0.05, 0.1, 0.2, 0.5, 1.0]))
    duration = float(rng.uniform(10.0, 150.0))
    s.param.update(
        tau=rng.uniform(0.5, 30.0), lambda_=float(rng.choice([0.0, rng.uniform(0.1, 3.0)])), sigma=0.0,
        mu=rng.uniform(-2, 2), g=rng.uniform(-3, 3), beta=rng.uniform(-8, 8), theta=rng.uniform(-2, 2),
        rectify_rate=rng.uniform(0, 1), linear_summation=bool(rng.integers(2)),
        rectify_output=bool(rng.integers(2)), mult_coupling=bool(rng.integers(2)),
        input_kind=str(rng.choice(["none", "step", "pulse train", "sine", "ramp"])),
        amplitude=rng.uniform(-5, 5), input_weight=rng.uniform(-3, 3), onset=rng.uniform(0, duration),
        period=rng.uniform(5 * dt, 60.0), width=rng.uniform(dt, 30.0),
        connection=str(rng.choice(["instantaneous", "delayed"])), input_delay=rng.uniform(0.01, 20.0),
        w_self=float(rng.choice([0.0, rng.uniform(-3, 3)])), self_delay=rng.uniform(0.01, 20.0),
        duration=duration, dt=dt, n_trials=int(rng.integers(1, 4)), seed=int(rng.integers(0, 1000)),
    )
    return s


def script_for(s: ExplorerState) -> str:
    inputs = () if s.input_kind == "none" else (s.designed_input(),)
    return model.to_pynest(s.to_network(), inputs, s.t_sim(), s.dt, s.n_trials, seed=s.seed)


def model_rates(s: ExplorerState) -> np.ndarray:
    res = model.simulate(s.to_network(), s.t_sim(), s.dt, s.to_inputs(), s.n_trials, key=0)
    return np.asarray(res.rate[:, :, 0]).T  # (n_steps, n_trials), the CSV's layout


def test_exported_scripts_reproduce_the_model_in_nest(nest, tmp_path):
    states = {}
    for name in PRESETS:
        s = ExplorerState()
        s.param.update(**ExplorerState.preset(name))
        s.param.update(sigma=0.0, n_trials=2)
        states[f"preset{len(states)}"] = s
    rng = np.random.default_rng(11)
    for k in range(24):
        states[f"random{k}"] = random_state(rng)
    kinds = {s.input_kind for s in states.values()}
    assert kinds == {"none", "step", "pulse train", "sine", "ramp"}
    assert any(s.w_self != 0 for s in states.values()) and any(s.lambda_ == 0 for s in states.values())
    results = run_scripts(nest, tmp_path, {name: script_for(s) for name, s in states.items()})
    for name, s in states.items():
        times, rates = results[name]
        np.testing.assert_allclose(times, s.dt * np.arange(1, s.n_steps + 1), rtol=0, atol=1e-9)
        expected = model_rates(s)
        assert rates.shape == expected.shape, name
        worst = np.max(np.abs(rates - expected))
        assert worst <= 1e-12, f"{name}: {worst:.3g} ({s.settings()})"


def test_a_general_network_and_sampled_inputs(nest, tmp_path):
    """Two units with instantaneous and delayed coupling, per-unit parameters, an input given as
    samples to one unit: the generic path of ``to_pynest``, not only the page's."""
    p = model.Params(tau=[5.0, 12.0], sigma=0.0, mu=[0.2, -0.1], beta=[2.0, -1.0], linear_summation=[True, False])
    net = model.Network(p, n_units=2, initial_rate=[0.3, -0.2], w_inst=[[0, 0.8], [0, 0]],
                        w_delayed=[[0.5, 0], [-1.2, 0]], delay_steps=[[3, 1], [7, 1]])
    n_steps = 400
    rate = np.where(np.arange(n_steps) % 37 < 11, 1.5, -0.25)
    inp = model.ExternalInput(rate, weight=[2.0], delay_steps=2, target=[1])
    results = run_scripts(nest, tmp_path, {"net": model.to_pynest(net, (inp,), 40.0, 0.1, 2)})
    _, rates = results["net"]
    res = model.simulate(net, 40.0, 0.1, (inp,), 2, key=0)
    expected = np.asarray(res.rate).transpose(1, 0, 2).reshape(n_steps, 4)  # trial-major columns
    assert np.max(np.abs(rates - expected)) <= 1e-12


def test_a_connection_list_with_multapses(nest, tmp_path):
    C = model.Connection
    p = model.Params(sigma=0.0, mu=[0.4, -0.2], beta=3.0, theta=0.5)
    net = model.Network(p, n_units=2, connections=[C(0, 1, 0.7), C(0, 1, -0.4, 3), C(0, 1, 0.9, 5),
                                                   C(1, 0, 1.1, 2), C(1, 1, -0.6, 4), C(1, 0, 0.3)])
    results = run_scripts(nest, tmp_path, {"conns": model.to_pynest(net, (), 30.0, 0.1, 2)})
    _, rates = results["conns"]
    res = model.simulate(net, 30.0, 0.1, (), 2, key=0)
    assert np.max(np.abs(rates - np.asarray(res.rate).transpose(1, 0, 2).reshape(300, 4))) <= 1e-12


def test_noisy_script_matches_theory_in_distribution(nest, tmp_path):
    s = ExplorerState()
    s.param.update(sigma=0.7, mu=0.3, tau=5.0, duration=40.0, n_trials=600, input_kind="step", onset=10.0)
    _, rates = run_scripts(nest, tmp_path, {"noisy": script_for(s)})["noisy"]
    quiet = ExplorerState(**{k: v for k, v in s.settings().items() if k != "sigma"}, sigma=0.0)
    mean = model_rates(quiet)[:, 0]  # without feedback the mean obeys the noiseless recursion
    n = np.arange(1, s.n_steps + 1)
    var = np.asarray(theory.variance_at(s.to_params(), s.dt, n))
    for j in (49, 149, 399):
        m, v = rates[j].mean(), rates[j].var(ddof=1)
        assert abs(m - mean[j]) <= 4 * np.sqrt(var[j] / s.n_trials), (j, m, mean[j])
        assert abs(v - var[j]) <= 4 * var[j] * np.sqrt(2 / (s.n_trials - 1)), (j, v, var[j])


def test_refuses_what_a_generator_cannot_do():
    net = model.Network(model.Params())
    gaps = model.ExternalInput(np.ones(10), emits=np.arange(10) % 2 == 0)
    with pytest.raises(ValueError, match="emits"):
        model.to_pynest(net, (gaps,), 1.0, 0.1)
    with pytest.raises(ValueError, match="n_trials"):
        model.to_pynest(net, (), 1.0, 0.1, n_trials=0)
    with pytest.raises(ValueError, match="kind"):
        model.DesignedInput("square", 1.0, 0.0, 10.0, 1.0)
