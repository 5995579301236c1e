"""Simulate a population of ``sigmoid_rate_ipn`` units: trials are a batch, time a scan.

``simulate`` validates everything in Python (so a bad value raises ``ValueError`` before any
work) and then calls one jitted program whose only static arguments are shapes, the noise
layout and the integration method. Parameters, switches, weights, delays, inputs, ``dt`` and
the key are all traced: changing any of them reuses the compiled program.

Two ways through time:

* ``"sequential"``: a ``lax.scan`` of ``step.nest_step`` in NEST's order; any network.
* ``"parallel"``: uncoupled units only. Each step is ``y -> max(A y + B, R)`` with
  ``A = P1 > 0``; such maps are closed under composition, so ``lax.associative_scan``
  computes all steps in O(log n) depth. It pays on a GPU; on a small CPU the sequential
  scan is as fast and compiles faster, so ``"auto"`` picks by backend.

Inside, arrays are time-major (n_steps, n_trials, n_units), the layout a scan over time reads
contiguously (see ``noise.py``).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .compiles import note_trace, trace_count  # noqa: F401  (trace_count is public API)
from .delayed import initial_history, run_network
from .gain import phi
from .inputs import ExternalInput
from .moments import moments_from_sums, moments_over_trials, shifted_sums
from .network import Network, check_int
from .noise import FrozenNoise, as_key, draw_time_major, float_dtype
from .noise_response import noise_response
from .params import FIELDS, SWITCH_FIELDS, Params
from .propagators import host_propagators, propagators
from .sharding import place_trials, split_trials, trial_mesh
from .state import State, check_state, end_state
from .step import event_value, nest_step, split_by_sign, summed_drive
from .transformer import as_transformers

METHODS = ("auto", "sequential", "parallel")
# Stands for "no rectification" in max(A y + B, R): a floor below any reachable rate that
# stays finite under A * R + B (a true -inf would give nan if P1 underflows to 0).
_NO_FLOOR = -1e30

@dataclasses.dataclass(frozen=True, eq=False)
class SimulationResult:
    times: np.ndarray  # (n_steps,) = dt * (1 .. n_steps): NEST's multimeter stamps (ms)
    rate: jax.Array  # (n_recorded, n_steps, n_units): rate after each step's update
    sigma: np.ndarray  # (n_units,)
    draws: Any  # the standard-normal draws used, time-major or not (see ``draws_time_major``)
    draws_time_major: bool
    # (mean, var) over all trials, computed during the run when not every trial was kept or
    # when they came with the noise response; otherwise computed from ``rate`` on first use
    # (a run that never asks pays nothing).
    moments: tuple[jax.Array, jax.Array] | None = None
    # (n_steps, n_units): the same run without noise, where the run computed it on the way
    # (frozen noise, no rectification, no coupling; see noise_response.py). There the rate is
    # Gaussian and this is its exact mean trajectory.
    noiseless: jax.Array | None = None
    # What ``state`` needs (see state.py); None where the run cannot give it.
    _continuation: Any = dataclasses.field(default=None, repr=False)

    @functools.cached_property
    def state(self) -> State:
        """The ``State`` to continue from: ``simulate(..., state=res.state)`` (see state.py).

        Computed on first use from every trial's rates, so the run must record all trials.
        """
        if self._continuation is None:
            raise ValueError("state needs every trial recorded (record_trials=None)")
        inputs, external, p, y0, prev, lay, n_steps, n_trials, n_units, min_delay_steps, dt = self._continuation
        return end_state(
            rate=self.rate, y0=np.broadcast_to(y0, (n_trials, n_units)), prev=prev, n_steps=n_steps,
            layout=lay, external=(*external, *_sources(inputs, n_steps)),
            params=_per_unit_np(p, n_units), pending_steps=min_delay_steps, dt=dt,
        )

    @functools.cached_property
    def _trial_moments(self) -> tuple[jax.Array, jax.Array]:
        return self.moments if self.moments is not None else moments_over_trials(self.rate)

    @property
    def trial_mean(self) -> jax.Array:
        """(n_steps, n_units): mean over all trials, recorded or not."""
        return self._trial_moments[0]

    @property
    def trial_var(self) -> jax.Array:
        """(n_steps, n_units): variance over all trials (ddof = 1; 0 for one trial)."""
        return self._trial_moments[1]

    @property
    def xi(self) -> jax.Array:
        """The standard-normal draws used, (n_trials, n_steps, n_units)."""
        return jnp.swapaxes(self.draws, 0, 1) if self.draws_time_major else self.draws

    @property
    def noise(self) -> jax.Array:
        """``sigma * xi`` of the recorded trials: NEST's recordable ``noise``."""
        return self.noise_of_first(self.rate.shape[0])

    def noise_of_first(self, k: int) -> jax.Array:
        """``sigma * xi`` of the first ``k`` trials, (k, n_steps, n_units)."""
        xi = jnp.swapaxes(self.draws[:, :k], 0, 1) if self.draws_time_major else self.draws[:k]
        return self.sigma * xi


def default_method(coupled: bool) -> str:
    if coupled:
        return "sequential"
    return "sequential" if jax.default_backend() == "cpu" else "parallel"


def n_steps_for(t_sim: float, dt: float) -> int:
    dt = _positive_finite("dt", dt)
    t_sim = _positive_finite("t_sim", t_sim)
    n = int(round(t_sim / dt))
    if n < 1 or abs(n * dt - t_sim) > 1e-9 * max(1.0, t_sim):
        raise ValueError(f"t_sim = {t_sim} ms must be a positive multiple of dt = {dt} ms")
    return n


def _positive_finite(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} = {value!r} is invalid: it must be finite and > 0")
    return v


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
    dt = _positive_finite("dt", dt)
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
        layout, noise_source = "key", as_key(key)
    else:
        if isinstance(xi, FrozenNoise):
            noise_source = xi.draws if xi.draws.dtype == dtype else jnp.asarray(xi.draws, dtype)
            layout, shape = "time_major", xi.shape
        else:
            noise_source = jnp.asarray(xi, dtype)
            layout, shape = "trial_major", noise_source.shape
        if shape != expected:
            raise ValueError(f"xi must have shape (n_trials, n_steps, n_units) = {expected}, got {shape}")
        noise_source = place_trials(noise_source, mesh, 1 if layout == "time_major" else 0)

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
    linear = (layout == "time_major" and not net.coupled and not np.any(p.rectify_output)
              and xi.draws.dtype == dtype and state is None and net.transformer is None)
    if linear:  # y = noiseless run + c * (filtered frozen noise, kept with the noise)
        response = noise_response(xi, p.tau, p.lambda_, dt, n_recorded=n_recorded, method=method, mesh=mesh)
        rate, moments, noiseless = _run_on_response(
            p, np.asarray(dt, dtype), y0, external, response.z_recorded, response.z_mean,
            response.z_var, n_steps=n_steps, method=method,
        )
        drawn, last_finite = None, response.finite
    else:
        noiseless = None
        (rate, drawn, moments), last_finite = _run(
            p, prop, y0, inst, dlyd, delays, external, noise_source, carried,
            n_trials=n_trials, n_steps=n_steps, method=method, n_recorded=n_recorded, mesh=mesh,
            history_steps=history_steps, noise_layout=layout,
        )
    # A non-finite draw propagates to the end of its trial, so the last step finds it for
    # free; only then is xi itself scanned (the rates may also overflow on their own).
    if xi is not None and not bool(last_finite) and not bool(jnp.all(jnp.isfinite(noise_source))):
        raise ValueError("xi must be finite (no NaN or inf)")
    draws = drawn if layout == "key" else noise_source
    # Only references: the state is built when asked for (a slider's run never pays for it).
    continuation = None if n_recorded < n_trials else (
        inputs, external, p, y0, state, lay, n_steps, n_trials, n_units, min_delay_steps, dt)
    start = 0 if state is None else state.steps_run
    return SimulationResult(
        times=dt * np.arange(start + 1, start + n_steps + 1), rate=rate,
        sigma=np.broadcast_to(p.sigma, (n_units,)), draws=draws, draws_time_major=layout != "trial_major",
        moments=moments, noiseless=noiseless, _continuation=continuation,
    )


def _sources(inputs, n_steps):
    """(rates (K, T), delays (K,), emits (K, T)) of the inputs, for the events still in flight."""
    rates = [inp.rate for inp in inputs]
    delays = np.array([inp.delay_steps for inp in inputs], int)
    emits = [np.ones(n_steps, bool) if inp.emits is None else inp.emits for inp in inputs]
    return rates, delays, emits


def _per_unit_np(p: Params, n_units: int) -> Params:
    return Params.tree_unflatten(None, [np.broadcast_to(np.asarray(leaf), (n_units,)) for leaf in p.tree_flatten()[0]])


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


def _per_unit(p: Params, n_units: int) -> Params:
    leaves = [jnp.broadcast_to(leaf, (n_units,)) for leaf in p.tree_flatten()[0]]
    return Params.tree_unflatten(None, leaves)


def external_buffers(external, p: Params):
    """Buffer sums (ex, in), each (n_steps, n_units), of all external inputs."""
    delivered, events, weights = external  # (K, T), (K, T), (K, N)
    value = event_value(
        delivered[:, :, None], weights[:, None, :], p.linear_summation, p.g, p.beta, p.theta
    )
    value = jnp.where(events[:, :, None], value, 0.0)
    return split_by_sign(weights[:, None, :], value, axis=0)


def _network_buffers(pre_rate, w_ex, w_in, p: Params, uniform_gain: bool):
    """Buffer sums (ex, in) for events carrying ``pre_rate`` over weights [post, pre].

    ``w_ex`` >= 0 and ``w_in`` < 0 are kept apart (a multapse of both signs fills both
    buffers). ``pre_rate`` is (n_pre,) when every connection carries the same value per
    sender, or shaped like the weights, (n_post, n_pre) or (n_layers, n_post, n_pre), when
    delays differ per connection.
    """
    if uniform_gain and pre_rate.ndim == 1:
        # One phi per sender, then matrix products: O(n^2) multiply-adds, O(n) exp.
        both = jnp.stack([pre_rate, phi(pre_rate, p.g[0], p.beta[0], p.theta[0])], axis=-1)
        ex, inh = w_ex @ both, w_in @ both
        lin = p.linear_summation
        return jnp.where(lin, ex[:, 0], ex[:, 1]), jnp.where(lin, inh[:, 0], inh[:, 1])
    col = lambda a: a[:, None]  # noqa: E731  (receiver's parameters broadcast over senders)
    carried = event_value(pre_rate, 1.0, col(p.linear_summation), col(p.g), col(p.beta), col(p.theta))
    sum_but_post = lambda a: jnp.sum(a, axis=-1) if a.ndim == 2 else jnp.sum(a, axis=(0, 2))  # noqa: E731
    return sum_but_post(w_ex * carried), sum_but_post(w_in * carried)


@functools.partial(
    jax.jit,
    static_argnames=("n_trials", "n_steps", "method", "history_steps", "n_recorded", "mesh", "noise_layout"),
)
def _run(p, prop, y0, inst, dlyd, delays, external, noise_source, carried, *,
         n_trials, n_steps, method, history_steps, n_recorded, mesh, noise_layout):
    """Returns ((rate (n_recorded, n_steps, n_units), drawn noise or None, (mean, var) or None),
    whether every trial's last rate is finite)."""
    note_trace()
    out = _simulate_traced(p, prop, y0, inst, dlyd, delays, external, noise_source,
                           n_trials, n_steps, method, history_steps, n_recorded, mesh, noise_layout, carried)
    rate, _, moments = out
    last = moments[0][-1] if moments is not None else rate[:, -1]
    return out, jnp.all(jnp.isfinite(last))


@functools.partial(jax.jit, static_argnames=("n_steps", "method"))
def _run_on_response(p, dt, y0, external, z_recorded, z_mean, z_var, *, n_steps, method):
    """Rates and their moments as ``q + c z`` (see ``noise_response.py``): ``q`` is the
    noiseless run, ``c = noise_factor * sigma``, ``z`` the kept response to the noise."""
    note_trace()
    n_units = y0.shape[0]
    silent = jnp.zeros((n_steps, 1, n_units), y0.dtype)
    q = _simulate_traced(p, propagators(p.tau, p.lambda_, dt), y0, None, None, None, external, silent,
                         1, n_steps, method, 0, 1, None, "time_major")[0][0]  # (n_steps, n_units)
    p = _per_unit(p, n_units)
    c = propagators(p.tau, p.lambda_, dt).noise_factor * p.sigma
    return q + c * z_recorded, (q + c * z_mean, c * c * z_var), q


def _simulate_traced(p, prop, y0, inst, dlyd, delays, external, noise_source,
                     n_trials, n_steps, method, history_steps, n_recorded, mesh, noise_layout, carried=None):
    """``inst``/``dlyd``: (w_ex, w_in) or None (see connections.Layout). ``carried``: None, or
    (history (n_trials|1, h, n_units), in_flight (n_trials|1, n_in, 2, n_units), pending_steps)
    from a ``State``; then ``y0`` is (n_trials|1, n_units)."""
    n_units = y0.shape[-1]
    uniform_gain = all(jnp.ndim(getattr(p, f)) == 0 for f in ("g", "beta", "theta"))
    p = _per_unit(p, n_units)
    # NEST's propagators, computed on the host (propagators.host_propagators), per unit.
    prop = type(prop)(*(jnp.broadcast_to(v, (n_units,)) for v in prop))
    if noise_layout == "key":
        xi = draw_time_major(noise_source, n_trials, n_steps, n_units, y0.dtype)
    elif noise_layout == "trial_major":
        xi = jnp.swapaxes(noise_source, 0, 1)
    else:
        xi = noise_source
    xi = split_trials(xi, mesh, 1)  # (n_steps, n_trials, n_units) from here on
    drawn = xi if noise_layout == "key" else None
    ext_ex, ext_in = external_buffers(external, p)

    if inst is None and dlyd is None and carried is None:
        first, second = summed_drive(ext_ex, ext_in, p)
        if method == "parallel":
            rate = _parallel_uncoupled(y0, xi, first[:, None], second[:, None], p, prop)
            moments = moments_from_sums(*shifted_sums(rate, 1), n_trials) if n_recorded < n_trials else None
            return jnp.swapaxes(rate[:, :n_recorded], 0, 1), drawn, moments

        # All trials advance together: y is (n_trials, n_units), time is the scan axis.
        # When not every trial is kept, the moments are summed inside the loop (the only
        # place all trials exist); otherwise the result computes them from ``rate`` if asked.
        in_loop = n_recorded < n_trials

        def body(y, xs):
            xi_n, first_n, second_n = xs
            y = nest_step(y, xi_n, first_n, second_n, p, prop)
            return y, ((y[:n_recorded], *shifted_sums(y, 0)) if in_loop else y)

        y_start = split_trials(jnp.broadcast_to(y0, (n_trials, n_units)), mesh, 0)
        out = jax.lax.scan(body, y_start, (xi, first, second))[1]
        if in_loop:
            recorded, *sums = out
            return jnp.swapaxes(recorded, 0, 1), drawn, moments_from_sums(*sums, n_trials)
        return jnp.swapaxes(out, 0, 1), drawn, None

    if dlyd is not None and carried is None and dlyd[0].ndim == 2:
        # Fresh runs with one delay layer: the delay line updated in place, all trials together
        # (delayed.py). Continued runs and multapse layers keep the per-trial scan below.
        in_loop = n_recorded < n_trials
        y_start = split_trials(jnp.broadcast_to(y0, (n_trials, n_units)), mesh, 0)
        history = split_trials(initial_history(history_steps, n_trials, n_units, y0.dtype), mesh, 1)
        out = run_network(
            p, prop, uniform_gain, y_start, history, 0, xi, ext_ex, ext_in, inst, dlyd, delays,
            lambda pre, w_ex, w_in: _network_buffers(pre, w_ex, w_in, p, uniform_gain),
            (lambda y: (y[:n_recorded], *shifted_sums(y, 0))) if in_loop else None)[0]
        if in_loop:
            recorded, *sums = out
            return jnp.swapaxes(recorded, 0, 1), drawn, moments_from_sums(*sums, n_trials)
        return jnp.swapaxes(out, 0, 1), drawn, None
    n_hist = max(history_steps, 1)
    senders = jnp.arange(n_units)
    # Continuing a State: events sent at steps -pending .. -1 are still to be handled (read
    # from the delay line, filled from the state); older ones arrive as handled buffer sums.
    pending = 0 if carried is None else carried[2]

    def body(carry, xs):
        y, history, n, in_flight = carry
        xi_n, ex, inh = xs
        if in_flight is not None and in_flight.shape[0]:
            got = in_flight[jnp.minimum(n, in_flight.shape[0] - 1)]
            early = n < in_flight.shape[0]
            ex, inh = ex + jnp.where(early, got[0], 0.0), inh + jnp.where(early, got[1], 0.0)
        y_pre = y  # 1. what every outgoing connection transmits for step n
        if inst is not None:  # same step, pre-update: no algebraic loop
            e, i = _network_buffers(y_pre, *inst, p, uniform_gain)
            ex, inh = ex + e, inh + i
        if dlyd is not None:  # y_pre[n - d]; no event at all while n < d
            slot = (n - delays) % n_hist
            arrived = n - delays >= -pending
            if delays.ndim == 0:
                e, i = _network_buffers(history[slot], *dlyd, p, uniform_gain)
                ex, inh = ex + jnp.where(arrived, e, 0.0), inh + jnp.where(arrived, i, 0.0)
            else:
                w_ex, w_in = (jnp.where(arrived, w, 0.0) for w in dlyd)
                e, i = _network_buffers(history[slot, senders[None, :]], w_ex, w_in, p, uniform_gain)
                ex, inh = ex + e, inh + i
            history = history.at[n % n_hist].set(y_pre)
        first, second = summed_drive(ex, inh, p)
        y = nest_step(y, xi_n, first, second, p, prop)  # 2.-4.
        return (y, history, n + 1, in_flight), y

    def trial(xi_trial, y0_trial, history, in_flight):  # (n_steps, n_units), ...
        carry = (y0_trial, history, jnp.asarray(0, jnp.int32), in_flight)
        return jax.lax.scan(body, carry, (xi_trial, ext_ex, ext_in))[1]

    if carried is None:
        history = jnp.zeros((n_hist, n_units), y0.dtype)
        rate = jax.vmap(trial, in_axes=(1, None, None, None), out_axes=1)(xi, y0, history, None)
    else:
        past, in_flight, _ = carried
        h = past.shape[1]  # steps -h .. -1 go to their slots of the delay line
        history = jnp.zeros((past.shape[0], n_hist, n_units), y0.dtype)
        history = history.at[:, jnp.arange(-h, 0) % n_hist].set(past)
        axes = tuple(0 if a.shape[0] == n_trials and n_trials > 1 else None for a in (y0, history, in_flight))
        y0, history, in_flight = (a if ax == 0 else a[0] for a, ax in zip((y0, history, in_flight), axes))
        rate = jax.vmap(trial, in_axes=(1, *axes), out_axes=1)(xi, y0, history, in_flight)
    moments = moments_from_sums(*shifted_sums(rate, 1), n_trials) if n_recorded < n_trials else None
    return jnp.swapaxes(rate[:, :n_recorded], 0, 1), drawn, moments


def _compose(earlier, later):
    """``later . earlier`` for maps ``y -> max(A y + B, R)`` with ``A > 0``."""
    a1, b1, r1 = earlier
    a2, b2, r2 = later
    return a2 * a1, a2 * b1 + b2, jnp.maximum(a2 * r1 + b2, r2)


def _parallel_uncoupled(y0, xi, first, second, p, prop):
    """All steps at once; xi is (n_steps, n_trials, n_units), the drives (n_steps, 1, n_units)."""
    b = (prop.P2 * p.mu + prop.noise_factor * (p.sigma * xi)) + prop.P2 * first + prop.P2 * second
    a = jnp.broadcast_to(prop.P1, b.shape)
    floor = jnp.where(p.rectify_output, p.rectify_rate, _NO_FLOOR)
    r = jnp.broadcast_to(floor, b.shape)
    a, b, r = jax.lax.associative_scan(_compose, (a, b, r), axis=0)
    return jnp.maximum(a * y0 + b, r)
