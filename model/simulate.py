"""Simulate a population of ``sigmoid_rate_ipn`` units: trials are a ``vmap``, time a scan.

``simulate`` validates everything in Python (so a bad value raises ``ValueError`` before any
work) and then calls one jitted program whose only static arguments are shapes and the
integration method. Parameters, switches, weights, delays, inputs, ``dt`` and the key are
all traced: changing any of them reuses the compiled program.

Two ways through time:

* ``"sequential"``: a ``lax.scan`` of ``step.nest_step`` in NEST's order; any network.
* ``"parallel"``: uncoupled units only. Each step is ``y -> max(A y + B, R)`` with
  ``A = P1 > 0``; such maps are closed under composition, so ``lax.associative_scan``
  computes all steps in O(log n) depth. It pays on a GPU; on a small CPU the sequential
  scan is as fast and compiles faster, so ``"auto"`` picks by backend.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .gain import phi
from .inputs import ExternalInput
from .network import Network, check_int
from .params import FIELDS, SWITCH_FIELDS, Params
from .propagators import propagators
from .step import event_value, nest_step, split_by_sign, summed_drive

METHODS = ("auto", "sequential", "parallel")
# Stands for "no rectification" in max(A y + B, R): a floor below any reachable rate that
# stays finite under A * R + B (a true -inf would give nan if P1 underflows to 0).
_NO_FLOOR = -1e30

_trace_counter = [0]


def trace_count() -> int:
    """How many times the simulation program has been traced (= compiled) in this process."""
    return _trace_counter[0]


def float_dtype():
    """float64 when JAX's x64 mode is on, float32 otherwise."""
    return jnp.zeros(()).dtype


class SimulationResult(NamedTuple):
    times: np.ndarray  # (n_steps,) = dt * (1 .. n_steps): NEST's multimeter stamps (ms)
    rate: jax.Array  # (n_recorded, n_steps, n_units): rate after each step's update
    xi: jax.Array  # (n_trials, n_steps, n_units): the standard-normal draws used
    sigma: jax.Array  # (n_units,)
    trial_mean: jax.Array  # (n_steps, n_units): mean over all trials, recorded or not
    trial_var: jax.Array  # (n_steps, n_units): variance over all trials (ddof = 1; 0 for one trial)

    @property
    def noise(self) -> jax.Array:
        """``sigma * xi`` of the recorded trials: NEST's recordable ``noise``."""
        return self.sigma * self.xi[: self.rate.shape[0]]


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


@functools.partial(jax.jit, static_argnames=("n_trials", "n_units", "n_steps"))
def draw_xi(key, *, n_trials: int, n_steps: int, n_units: int) -> jax.Array:
    """Standard-normal draws of shape (n_trials, n_steps, n_units): a frozen noise realisation."""
    return jax.random.normal(key, (n_trials, n_steps, n_units), dtype=float_dtype())


def as_key(key: Any) -> jax.Array:
    if key is None:
        key = 0
    if isinstance(key, (int, np.integer)):
        return jax.random.PRNGKey(int(key))
    return key


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
) -> SimulationResult:
    """Run ``n_trials`` independent trials for ``t_sim`` ms at resolution ``dt`` ms.

    ``key`` (a JAX key or an int seed; default 0) draws the noise; ``xi``, standard-normal
    draws of shape (n_trials, n_steps, n_units), replaces it (exact replay, frozen noise).
    ``record_trials`` keeps the rates of the first k trials only (big ensembles); the
    per-step mean and variance over all trials are always returned. When JAX sees several
    devices, trials are split across them (``shard_trials=None``: whenever they divide evenly;
    False: never; True: always, or an error).
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
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "auto":
        method = default_method(net.coupled)
    if method == "parallel" and net.coupled:
        raise ValueError("method='parallel' needs uncoupled units (no w_inst / w_delayed)")

    mesh = None if shard_trials is False else trial_mesh(n_trials)
    if shard_trials and mesh is None:
        raise ValueError(
            f"shard_trials=True needs several devices and n_trials divisible by their number "
            f"({jax.device_count()}), got n_trials = {n_trials}"
        )

    inputs = tuple(inputs)
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

    if xi is not None:
        xi = jnp.asarray(xi, dtype)
        expected = (n_trials, n_steps, n_units)
        if xi.shape != expected:
            raise ValueError(f"xi must have shape (n_trials, n_steps, n_units) = {expected}, got {xi.shape}")
        if mesh is not None:
            xi = jax.device_put(xi, NamedSharding(mesh, PartitionSpec("trials")))
        noise_source = xi
    else:
        noise_source = as_key(key)

    p = _as_arrays(net.params, dtype)
    y0 = np.broadcast_to(np.asarray(net.initial_rate, dtype), (n_units,))
    w_inst = None if net.w_inst is None else np.asarray(net.w_inst, dtype)
    w_delayed = None if net.w_delayed is None else np.asarray(net.w_delayed, dtype)
    delays = None if net.w_delayed is None else np.asarray(net.delay_steps, np.int32)
    rate, used_xi, mean, var = _run(
        p, np.asarray(dt, dtype), y0, w_inst, w_delayed, delays, external, noise_source,
        n_trials=n_trials, n_steps=n_steps, method=method, n_recorded=n_recorded, mesh=mesh,
        history_steps=net.history_steps if net.w_delayed is not None else 0,
    )
    # A non-finite draw propagates to the end of its trial, so the last step's mean finds it
    # for free; only then is xi itself scanned (the rates may also overflow on their own).
    if xi is not None and not np.all(np.isfinite(np.asarray(mean[-1]))):
        if not bool(jnp.all(jnp.isfinite(xi))):
            raise ValueError("xi must be finite (no NaN or inf)")
    times = dt * np.arange(1, n_steps + 1)
    sigma = np.broadcast_to(p.sigma, (n_units,))
    return SimulationResult(times, rate, xi if xi is not None else used_xi, sigma, mean, var)


def _as_arrays(p: Params, dtype) -> Params:
    # NumPy arrays: jit takes them in one transfer, cheaper than a jnp.asarray per leaf.
    leaves = [
        np.asarray(getattr(p, name), bool if name in SWITCH_FIELDS else dtype) for name in FIELDS
    ]
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

    ``pre_rate`` is (n_pre,) when every connection carries the same value per sender, or
    (n_post, n_pre) when delays differ per connection.
    """
    if uniform_gain and pre_rate.ndim == 1:
        # One phi per sender, then matrix products: O(n^2) multiply-adds, O(n) exp.
        both = jnp.stack([pre_rate, phi(pre_rate, p.g[0], p.beta[0], p.theta[0])], axis=-1)
        ex, inh = w_ex @ both, w_in @ both
        lin = p.linear_summation
        return jnp.where(lin, ex[:, 0], ex[:, 1]), jnp.where(lin, inh[:, 0], inh[:, 1])
    col = lambda a: a[:, None]  # noqa: E731  (receiver's parameters broadcast over senders)
    w = w_ex + w_in
    value = event_value(pre_rate, w, col(p.linear_summation), col(p.g), col(p.beta), col(p.theta))
    return split_by_sign(w, value, axis=1)


def _trial_moments(rate, axis=0):
    """Mean and variance (ddof = 1) over the trial axis."""
    mean = jnp.mean(rate, axis=axis, keepdims=True)
    ss = jnp.sum((rate - mean) ** 2, axis=axis)
    return jnp.squeeze(mean, axis), ss / max(rate.shape[axis] - 1, 1)


@functools.lru_cache(maxsize=None)
def _mesh(n_devices: int) -> Mesh:
    return Mesh(np.array(jax.devices()[:n_devices]), ("trials",))


def trial_mesh(n_trials: int) -> Mesh | None:
    """A 1-D mesh over all devices when trials split evenly across them, else None."""
    n = jax.device_count()
    if n < 2 or n_trials % n:
        return None
    return _mesh(n)


def _split_trials(x, mesh, axis):
    """Ask the compiler to keep ``x``'s trial axis split across the mesh."""
    if mesh is None:
        return x
    spec = [None] * x.ndim
    spec[axis] = "trials"
    return jax.lax.with_sharding_constraint(x, NamedSharding(mesh, PartitionSpec(*spec)))


@functools.partial(
    jax.jit, static_argnames=("n_trials", "n_steps", "method", "history_steps", "n_recorded", "mesh")
)
def _run(p, dt, y0, w_inst, w_delayed, delays, external, noise_source, *,
         n_trials, n_steps, method, history_steps, n_recorded, mesh):
    _trace_counter[0] += 1
    n_units = y0.shape[0]
    uniform_gain = all(jnp.ndim(getattr(p, f)) == 0 for f in ("g", "beta", "theta"))
    p = _per_unit(p, n_units)
    prop = propagators(p.tau, p.lambda_, dt)
    if noise_source.ndim == 3:
        xi = noise_source
    else:
        xi = jax.random.normal(noise_source, (n_trials, n_steps, n_units), dtype=y0.dtype)
    xi = _split_trials(xi, mesh, 0)
    ext_ex, ext_in = external_buffers(external, p)

    if w_inst is None and w_delayed is None:
        first, second = summed_drive(ext_ex, ext_in, p)
        if method == "parallel":
            rate = _parallel_uncoupled(y0, xi, first, second, p, prop)
            return (rate[:n_recorded], xi, *_trial_moments(rate))

        # All trials advance together: y is (n_trials, n_units), time is the scan axis.
        # Per-step moments inside the loop only when not every trial is kept.
        in_loop_moments = n_recorded < n_trials

        def body(y, xs):
            xi_n, first_n, second_n = xs
            y = nest_step(y, xi_n, first_n, second_n, p, prop)
            return y, ((y[:n_recorded], *_trial_moments(y)) if in_loop_moments else y)

        y_start = _split_trials(jnp.broadcast_to(y0, (n_trials, n_units)), mesh, 0)
        xs = (_split_trials(jnp.swapaxes(xi, 0, 1), mesh, 1), first, second)
        out = jax.lax.scan(body, y_start, xs)[1]
        if in_loop_moments:
            recorded, mean, var = out
        else:  # reduce in the scan's (time, trial, unit) layout: measured 2x faster on CPU
            recorded = out
            mean, var = _trial_moments(out, axis=1)
        return jnp.swapaxes(recorded, 0, 1), xi, mean, var

    split = lambda w: (jnp.where(w >= 0, w, 0.0), jnp.where(w < 0, w, 0.0))  # noqa: E731
    inst = None if w_inst is None else split(w_inst)
    dlyd = None if w_delayed is None else split(w_delayed)
    n_hist = max(history_steps, 1)
    senders = jnp.arange(n_units)

    def body(carry, xs):
        y, history, n = carry
        xi_n, ex, inh = xs
        y_pre = y  # 1. what every outgoing connection transmits for step n
        if inst is not None:  # same step, pre-update: no algebraic loop
            e, i = _network_buffers(y_pre, *inst, p, uniform_gain)
            ex, inh = ex + e, inh + i
        if dlyd is not None:  # y_pre[n - d]; no event at all while n < d
            slot = (n - delays) % n_hist
            arrived = n >= delays
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
        return (y, history, n + 1), y

    def trial(xi_trial):
        history = jnp.zeros((n_hist, n_units), y0.dtype)
        carry = (y0, history, jnp.asarray(0, jnp.int32))
        return jax.lax.scan(body, carry, (xi_trial, ext_ex, ext_in))[1]

    rate = jax.vmap(trial)(xi)
    return (rate[:n_recorded], xi, *_trial_moments(rate))


def _compose(earlier, later):
    """``later . earlier`` for maps ``y -> max(A y + B, R)`` with ``A > 0``."""
    a1, b1, r1 = earlier
    a2, b2, r2 = later
    return a2 * a1, a2 * b1 + b2, jnp.maximum(a2 * r1 + b2, r2)


def _parallel_uncoupled(y0, xi, first, second, p, prop):
    b = (prop.P2 * p.mu + prop.noise_factor * (p.sigma * xi)) + prop.P2 * first + prop.P2 * second
    a = jnp.broadcast_to(prop.P1, b.shape)
    floor = jnp.where(p.rectify_output, p.rectify_rate, _NO_FLOOR)
    r = jnp.broadcast_to(floor, b.shape)
    a, b, r = jax.lax.associative_scan(_compose, (a, b, r), axis=1)
    return jnp.maximum(a * y0 + b, r)
