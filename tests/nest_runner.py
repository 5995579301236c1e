"""Builds and runs a small network in NEST itself, the reference for the parity tests.

Exact-reference settings (see ../shared/nest-semantics.md): waveform relaxation run to the
exact fixed point (wfr_tol = 0), min_delay = one step, one thread, generators created before
the neurons, and a simulation one slice longer than recorded (the multimeter gets the last
slice only on the next Simulate).
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class Generator:
    amplitude_times: list
    amplitude_values: list
    targets: list  # (post index, weight, delay in ms)
    device: dict = dataclasses.field(default_factory=dict)  # start, stop, origin (ms)


@dataclasses.dataclass
class NestSetup:
    units: list  # one NEST parameter dict per unit (NEST key names)
    t_sim: float
    dt: float = 0.1
    initial_rates: list | None = None
    instantaneous: list = dataclasses.field(default_factory=list)  # (pre, post, weight)
    delayed: list = dataclasses.field(default_factory=list)  # (pre, post, weight, delay ms)
    generators: list = dataclasses.field(default_factory=list)
    seed: int = 12345
    max_delay: float = 5.0
    min_delay: float | None = None  # None: one step (the exact-reference setting)
    generators_first: bool = True  # nest.Create order of generators and neurons
    # Further Simulate calls: (t ms, {unit index: NEST parameters set before it}).
    phases: list = dataclasses.field(default_factory=list)


def run_nest(nest, setup: NestSetup):
    """Returns (times (T,), rate (T, N), noise (T, N)) as recorded by a multimeter."""
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.set(resolution=setup.dt, local_num_threads=1, rng_seed=setup.seed,
             use_wfr=True, wfr_tol=0.0, wfr_max_iterations=100)
    nest.set(min_delay=setup.min_delay or setup.dt, max_delay=setup.max_delay)

    def create_generators():
        return [
            nest.Create("step_rate_generator", params={
                "amplitude_times": [float(t) for t in g.amplitude_times],
                "amplitude_values": [float(v) for v in g.amplitude_values],
                **{k: float(v) for k, v in g.device.items()},
            })
            for g in setup.generators
        ]

    gens = create_generators() if setup.generators_first else None
    neurons = nest.Create("sigmoid_rate_ipn", len(setup.units))
    if gens is None:
        gens = create_generators()
    for node, params in zip(neurons, setup.units):
        node.set(params)
    if setup.initial_rates is not None:
        for node, rate in zip(neurons, setup.initial_rates):
            node.set(rate=float(rate))
    for pre, post, w in setup.instantaneous:
        nest.Connect(neurons[pre], neurons[post], "one_to_one",
                     {"synapse_model": "rate_connection_instantaneous", "weight": float(w)})
    for pre, post, w, d in setup.delayed:
        nest.Connect(neurons[pre], neurons[post], "one_to_one",
                     {"synapse_model": "rate_connection_delayed", "weight": float(w), "delay": float(d)})
    for gen, g in zip(gens, setup.generators):
        for post, w, d in g.targets:
            nest.Connect(gen, neurons[post], "one_to_one",
                         {"synapse_model": "rate_connection_delayed", "weight": float(w), "delay": float(d)})
    mm = nest.Create("multimeter", params={"record_from": ["rate", "noise"], "interval": setup.dt})
    nest.Connect(mm, neurons)
    nest.Simulate(setup.t_sim)
    for t, changes in setup.phases:
        for unit, params in changes.items():
            neurons[unit].set(params)
        nest.Simulate(t)
    nest.Simulate(1.0)
    ev = mm.get("events")
    n_units = len(setup.units)
    n_steps = int(round((setup.t_sim + sum(t for t, _ in setup.phases)) / setup.dt))
    step = np.rint(np.asarray(ev["times"]) / setup.dt).astype(int)  # 1 .. n
    unit = np.asarray(ev["senders"]) - min(neurons.tolist())
    keep = step <= n_steps
    rate = np.full((n_steps, n_units), np.nan)
    noise = np.full((n_steps, n_units), np.nan)
    rate[step[keep] - 1, unit[keep]] = np.asarray(ev["rate"])[keep]
    noise[step[keep] - 1, unit[keep]] = np.asarray(ev["noise"])[keep]
    assert not np.isnan(rate).any(), "multimeter missed samples"
    return setup.dt * np.arange(1, n_steps + 1), rate, noise
