"""Simulate a population of ``sigmoid_rate_ipn`` units: trials are a batch, time a scan.

``simulate`` validates everything in Python (so a bad value raises ``ValueError`` before any
work), lays the inputs, weights and noise out as arrays, and then calls one jitted program
(``kernels.py``) whose only static arguments are shapes, the noise layout and the integration
method. Parameters, switches, weights, delays, inputs, ``dt`` and the key are all traced:
changing any of them reuses the compiled program. The result type is in ``result.py``, the
shared checks in ``checks.py``.

Names: ``xi`` are the standard-normal draws, ``noise`` is ``sigma * xi`` (what enters the
rate), a ``FrozenNoise`` keeps one realisation of ``xi`` (``noise.py``).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import theory
from .checks import check_int, check_positive_finite
from .compiles import trace_count  # noqa: F401  (public API: model.trace_count)
from .inputs import ExternalInput
from .kernels import run, run_on_response
# Their old import path (tests/test_delayed_parity.py takes them from here).
from .kernels import external_buffers, network_buffers as _network_buffers, per_unit as _per_unit  # noqa: F401
from .network import Network
from .noise import FrozenNoise, as_key, float_dtype
from .noise_response import noise_response
from .params import FIELDS, SWITCH_FIELDS, Params
from .propagators import host_propagators
from .result import SimulationResult
from .sharding import place_trials, trial_mesh
from .state import State, check_state
from .transformer import as_transformers

__all__ = ["METHODS", "SimulationResult", "default_method", "n_steps_for", "simulate", "trace_count"]

METHODS = ("auto", "sequential", "parallel")


def default_method(coupled: bool) -> str:
    """The integration method ``"auto"`` stands for.

    **Arguments:** `coupled`: whether any unit feeds another (or itself), or a state is continued.

    **Returns:** ``"sequential"`` on a CPU or for coupled units, else ``"parallel"``.
    """
    if coupled:
        return "sequential"
    return "sequential" if jax.default_backend() == "cpu" else "parallel"


def n_steps_for(t_sim: float, dt: float) -> int:
    """The number of steps of a run of ``t_sim`` ms at resolution ``dt`` ms.

    **Arguments:** `t_sim`: the run's length in ms, a positive multiple of `dt`; `dt`: the
    resolution in ms, finite and > 0.

    **Returns:** ``t_sim / dt`` as an int. **Raises:** ``ValueError`` naming the argument.
    """
    dt = check_positive_finite("dt", dt)
    t_sim = check_positive_finite("t_sim", t_sim)
    n = int(round(t_sim / dt))
    if n < 1 or abs(n * dt - t_sim) > 1e-9 * max(1.0, t_sim):
        raise ValueError(f"t_sim = {t_sim} ms must be a positive multiple of dt = {dt} ms")
    return n


def simulate(
    net_or_params: Network | Params,
    t_sim: float = 200.0,
    dt: float = 0.1,
    inputs: tuple[ExternalInput, ...] = (),
    n_trials: int = 1,
    *,
    key: Any = None,
    xi: Any = None,
    method: str = "auto",
    record_trials: int | None = None,
    shard_trials: bool | None = None,
    state: State | None = None,
    min_delay_steps: int = 1,
) -> SimulationResult:
    """Run ``n_trials`` independent trials for ``t_sim`` ms at resolution ``dt`` ms.

    ``key`` (a JAX key or an int seed; default 0) draws the noise. ``xi`` replaces it (exact
    replay, frozen noise): standard-normal draws of shape (n_trials, n_steps, n_units), or a
    ``FrozenNoise`` (the same, stored time-major: fastest for repeated runs).
    ``record_trials`` keeps the rates of the first k trials only (big ensembles); the
    per-step mean and variance over all trials are always returned. When JAX sees several
    devices, trials are split across them (``shard_trials=None``: whenever they divide evenly;
    False: never; True: always, or an error).

    ``state``: a previous run's ``result.state``: this run continues it (its rates, delay lines
    and events in flight; ``initial_rate`` is not used), with any parameter, switch or
    connection changed in between, as NEST does between two Simulate calls. Times then count
    on from the previous run. ``min_delay_steps``: NEST's min_delay in steps, which decides
    which of this run's last events the next run handles with its own parameters (see
    state.py); it matters only for ``result.state``. A continued run always takes the
    sequential scan (the frozen-noise shortcut and the parallel scan start from one rate).

    **Arguments:**

    - `net_or_params`: a ``model.Network``, or a ``model.Params`` for one uncoupled unit.
    - `t_sim`: run length in ms, a positive multiple of `dt`.
    - `dt`: the resolution in ms, positive and finite.
    - `inputs`: ``model.ExternalInput``s (or one), each with ``n_steps = t_sim / dt`` rates.
    - `n_trials`: independent trials, 1 or more.
    - `key`: a JAX PRNG key or an int seed for the noise (default 0); ignored with `xi`.
    - `xi`: standard-normal draws (n_trials, n_steps, n_units) or a ``model.FrozenNoise``.
    - `method`: ``"auto"``, ``"sequential"`` or ``"parallel"`` (uncoupled units only).
    - `record_trials`: keep the rates of the first k trials only (None: all).
    - `shard_trials`: split trials over JAX's devices: None where they divide evenly, False
      never, True always (or a ``ValueError``).
    - `state`: a previous result's ``state`` to continue from (None: start afresh).
    - `min_delay_steps`: NEST's min_delay in steps, 1 or more (for ``result.state`` only).

    **Returns:** a ``SimulationResult``: ``times`` (n_steps,) in ms; ``rate`` (n_recorded,
    n_steps, n_units); ``trial_mean`` / ``trial_var`` over all trials; ``xi``, ``noise``,
    ``noise_of_first(k)``; ``noiseless`` where computed (``model.theory.applies``); ``state``.
    Bad input raises ``ValueError`` naming the argument.
    """
    net = net_or_params if isinstance(net_or_params, Network) else Network(net_or_params)
    if not isinstance(net, Network):
        raise ValueError("simulate needs a model.Network or a model.Params")
    dt = check_positive_finite("dt", dt)
    n_steps = n_steps_for(t_sim, dt)
    n_trials = check_int("n_trials", n_trials, 1)
    n_recorded = n_trials if record_trials is None else check_int("record_trials", record_trials, 1)
    if n_recorded > n_trials:
        raise ValueError(f"record_trials = {n_recorded} is more than n_trials = {n_trials}")
    n_units = net.n_units
    min_delay_steps = check_int("min_delay_steps", min_delay_steps, 1)
    if state is not None:
        state = check_state(state, n_trials, n_units, dt)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "auto":
        method = default_method(net.coupled or state is not None)
    if method == "parallel" and net.coupled:
        raise ValueError("method='parallel' needs uncoupled units (no w_inst / w_delayed)")
    if method == "parallel" and state is not None:
        raise ValueError("method='parallel' cannot continue a state; use 'sequential'")
    mesh = None if shard_trials is False else trial_mesh(n_trials)
    if shard_trials and mesh is None:
        raise ValueError(
            f"shard_trials=True needs several devices and n_trials divisible by their number "
            f"({jax.device_count()}), got n_trials = {n_trials}"
        )

    if inputs is None:
        inputs = ()
    elif isinstance(inputs, ExternalInput):
        inputs = (inputs,)
    try:
        inputs = tuple(inputs)
    except TypeError:
        raise ValueError(f"inputs must be a sequence of model.ExternalInput, got {inputs!r}") from None
    for k, inp in enumerate(inputs):
        if not isinstance(inp, ExternalInput):
            raise ValueError(f"inputs[{k}] must be a model.ExternalInput")
    layouts = [inp.lay_out(n_steps, n_units, k) for k, inp in enumerate(inputs)]
    dtype = float_dtype()
    if layouts:
        delivered, events, weights = (np.stack(a) for a in zip(*layouts))
    else:
        delivered, events, weights = np.zeros((0, n_steps)), np.zeros((0, n_steps), bool), np.zeros((0, n_units))
    external = (np.asarray(delivered, dtype), events, np.asarray(weights, dtype))

    expected = (n_trials, n_steps, n_units)
    if xi is None:
        layout, xi_source = "key", as_key(key)
    else:
        if isinstance(xi, FrozenNoise):
            xi_source = xi.time_major if xi.time_major.dtype == dtype else jnp.asarray(xi.time_major, dtype)
            layout, shape = "time_major", xi.shape
        else:
            xi_source = jnp.asarray(xi, dtype)
            layout, shape = "trial_major", xi_source.shape
        if shape != expected:
            raise ValueError(f"xi must have shape (n_trials, n_steps, n_units) = {expected}, got {shape}")
        xi_source = place_trials(xi_source, mesh, 1 if layout == "time_major" else 0)

    p = _as_arrays(net.params, dtype)
    p, prop = as_transformers(p, host_propagators(p.tau, p.lambda_, dt, dtype), net.transformer)
    y0 = np.broadcast_to(np.asarray(net.initial_rate, dtype), (n_units,))
    lay = net.layout
    inst = None if lay.inst is None else tuple(np.asarray(w, dtype) for w in lay.inst)
    dlyd = None if lay.delayed is None else tuple(np.asarray(w, dtype) for w in lay.delayed)
    delays = None if lay.delayed is None else np.asarray(lay.delays, np.int32)
    history_steps = net.history_steps if lay.delayed is not None else 0
    carried = None
    if state is not None:
        # Continuing: the per-trial start (rates, delay line, handled buffers) is data too.
        y0 = np.broadcast_to(np.asarray(state.rate, dtype), (n_trials, n_units))
        history_steps = max(history_steps, 1)
        h = min(state.history.shape[1], history_steps)
        carried = (np.asarray(state.history[:, state.history.shape[1] - h:], dtype),
                   np.asarray(state.in_flight, dtype), np.asarray(state.pending_steps, np.int32))
    # Where the theory holds the update is linear: with frozen noise (in this run's dtype, from
    # a fresh start) y = noiseless run + c * (filtered frozen noise, kept with the noise).
    linear = (layout == "time_major" and theory.applies(net) and xi.time_major.dtype == dtype
              and state is None)
    if linear:
        response = noise_response(xi, p.tau, p.lambda_, dt, n_recorded=n_recorded, method=method, mesh=mesh)
        rate, moments, noiseless = run_on_response(
            p, np.asarray(dt, dtype), y0, external, response.z_recorded, response.z_mean,
            response.z_var, n_steps=n_steps, method=method,
        )
        drawn, last_finite = None, response.finite
    else:
        noiseless = None
        (rate, drawn, moments), last_finite = run(
            p, prop, y0, inst, dlyd, delays, external, xi_source, carried,
            n_trials=n_trials, n_steps=n_steps, method=method, n_recorded=n_recorded, mesh=mesh,
            history_steps=history_steps, xi_layout=layout,
        )
    # A non-finite draw propagates to the end of its trial, so the last step finds it for
    # free; only then is xi itself scanned (the rates may also overflow on their own).
    if xi is not None and not bool(last_finite) and not bool(jnp.all(jnp.isfinite(xi_source))):
        raise ValueError("xi must be finite (no NaN or inf)")
    xi_used = drawn if layout == "key" else xi_source
    # Only references: the state is built when asked for (a slider's run never pays for it).
    continuation = None if n_recorded < n_trials else (
        inputs, external, p, y0, state, lay, n_steps, n_trials, n_units, min_delay_steps, dt)
    start = 0 if state is None else state.steps_run
    return SimulationResult(
        times=dt * np.arange(start + 1, start + n_steps + 1), rate=rate,
        sigma=np.broadcast_to(p.sigma, (n_units,)), _xi=xi_used, _xi_time_major=layout != "trial_major",
        moments=moments, noiseless=noiseless, _continuation=continuation,
    )


def _as_arrays(p: Params, dtype) -> Params:
    # NumPy arrays: jit takes them in one transfer, cheaper than a jnp.asarray per leaf.
    leaves = []
    for name in FIELDS:
        with np.errstate(over="ignore"):
            leaf = np.asarray(getattr(p, name), bool if name in SWITCH_FIELDS else dtype)
        if name not in SWITCH_FIELDS and not np.all(np.isfinite(leaf)):
            raise ValueError(f"{name} = {getattr(p, name)!r} does not fit in {np.dtype(dtype).name} "
                             f"(enable JAX's x64 mode for larger values)")
        leaves.append(leaf)
    return Params.tree_unflatten(None, leaves)


