"""The traced programs ``simulate`` runs: NEST's update over all steps and trials.

``simulate`` (``simulate.py``) validates and lays out everything on the host, then calls one of
two jitted programs here, whose only static arguments are shapes, the layout of ``xi`` and the
integration method (everything else is traced: a new value never recompiles):

* ``run``: every trial stepped through time, drawing ``xi`` from a key or reading given ones;
* ``run_on_response``: the linear case (``theory.applies``) with frozen noise: one noiseless
  trace plus the noise response kept with the ``FrozenNoise`` (see ``noise_response.py``).

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

import functools

import jax
import jax.numpy as jnp

from .compiles import note_trace
from .delayed import initial_history, run_network
from .gain import phi
from .moments import moments_from_sums, shifted_sums
from .noise import draw_time_major
from .params import Params
from .propagators import propagators
from .sharding import split_trials
from .step import event_value, nest_step, split_by_sign, summed_drive

# Stands for "no rectification" in max(A y + B, R): a floor below any reachable rate that
# stays finite under A * R + B (a true -inf would give nan if P1 underflows to 0).
_NO_FLOOR = -1e30


def per_unit(p: Params, n_units: int) -> Params:
    """``p`` with every leaf broadcast to (n_units,) (traced: no copy).

    **Arguments:** `p`: the run's ``Params``; `n_units`: the network's size.
    """
    leaves = [jnp.broadcast_to(leaf, (n_units,)) for leaf in p.tree_flatten()[0]]
    return Params.tree_unflatten(None, leaves)


def external_buffers(external, p: Params):
    """Buffer sums (ex, in), each (n_steps, n_units), of all external inputs.

    **Arguments:** `external`: ``(delivered (K, n_steps), events (K, n_steps), weights (K,
    n_units))`` as ``ExternalInput.lay_out`` gives them, stacked; `p`: per-unit ``Params``.
    """
    delivered, events, weights = external  # (K, T), (K, T), (K, N)
    value = event_value(
        delivered[:, :, None], weights[:, None, :], p.linear_summation, p.g, p.beta, p.theta
    )
    value = jnp.where(events[:, :, None], value, 0.0)
    return split_by_sign(weights[:, None, :], value, axis=0)


def network_buffers(pre_rate, w_ex, w_in, p: Params, uniform_gain: bool):
    """Buffer sums (ex, in) for events carrying ``pre_rate`` over weights [post, pre].

    ``w_ex`` >= 0 and ``w_in`` < 0 are kept apart (a multapse of both signs fills both
    buffers). ``pre_rate`` is (n_pre,) when every connection carries the same value per
    sender, or shaped like the weights, (n_post, n_pre) or (n_layers, n_post, n_pre), when
    delays differ per connection. `p`: per-unit ``Params`` of the receivers; `uniform_gain`:
    whether g, beta and theta are the same for every unit (then one phi per sender).
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
    static_argnames=("n_trials", "n_steps", "method", "history_steps", "n_recorded", "mesh", "xi_layout"),
)
def run(p, prop, y0, inst, dlyd, delays, external, xi_source, carried, *,
        n_trials, n_steps, method, history_steps, n_recorded, mesh, xi_layout):
    """Every trial through every step (the general program).

    **Arguments:**

    - `p`, `prop`: the run's ``Params`` and ``Propagators`` (NumPy leaves, scalars or per unit).
    - `y0`: the start rate, (n_units,), or (n_trials|1, n_units) when continuing a ``State``.
    - `inst`, `dlyd`: (w_ex, w_in) of the instantaneous / delayed layers, or None;
      `delays`: the delayed layers' delays in steps (see ``connections.Layout``).
    - `external`: the stacked inputs, as ``external_buffers`` takes them.
    - `xi_source`: a PRNG key (`xi_layout` ``"key"``) or the draws, ``"time_major"``
      (n_steps, n_trials, n_units) or ``"trial_major"`` (n_trials, n_steps, n_units).
    - `carried`: None, or a ``State``'s (history, in_flight, pending_steps).
    - `n_trials`, `n_steps`, `history_steps`, `n_recorded`: shapes; `method`: ``"sequential"``
      or ``"parallel"``; `mesh`: the trial mesh or None (see ``sharding.py``).

    **Returns:** ``((rate (n_recorded, n_steps, n_units), xi drawn here (time-major) or None,
    (mean, var) or None), whether every trial's last rate is finite)``.
    """
    note_trace()
    out = _simulate_traced(p, prop, y0, inst, dlyd, delays, external, xi_source,
                           n_trials, n_steps, method, history_steps, n_recorded, mesh, xi_layout, carried)
    rate, _, moments = out
    last = moments[0][-1] if moments is not None else rate[:, -1]
    return out, jnp.all(jnp.isfinite(last))


@functools.partial(jax.jit, static_argnames=("n_steps", "method"))
def run_on_response(p, dt, y0, external, z_recorded, z_mean, z_var, *, n_steps, method):
    """Rates and their moments as ``q + c z`` (see ``noise_response.py``): ``q`` is the
    noiseless run, ``c = noise_factor * sigma``, ``z`` the kept response to the noise.

    **Arguments:** `p`: the run's ``Params``; `dt`: the resolution; `y0`: (n_units,);
    `external`: as for ``run``; `z_recorded`, `z_mean`, `z_var`: a ``NoiseResponse``'s;
    `n_steps`, `method`: as for ``run``.

    **Returns:** ``(rate (n_recorded, n_steps, n_units), (mean, var), q (n_steps, n_units))``.
    """
    note_trace()
    n_units = y0.shape[0]
    silent = jnp.zeros((n_steps, 1, n_units), y0.dtype)
    q = _simulate_traced(p, propagators(p.tau, p.lambda_, dt), y0, None, None, None, external, silent,
                         1, n_steps, method, 0, 1, None, "time_major")[0][0]  # (n_steps, n_units)
    p = per_unit(p, n_units)
    c = propagators(p.tau, p.lambda_, dt).noise_factor * p.sigma
    return q + c * z_recorded, (q + c * z_mean, c * c * z_var), q


def _simulate_traced(p, prop, y0, inst, dlyd, delays, external, xi_source,
                     n_trials, n_steps, method, history_steps, n_recorded, mesh, xi_layout, carried=None):
    """``inst``/``dlyd``: (w_ex, w_in) or None (see connections.Layout). ``carried``: None, or
    (history (n_trials|1, h, n_units), in_flight (n_trials|1, n_in, 2, n_units), pending_steps)
    from a ``State``; then ``y0`` is (n_trials|1, n_units)."""
    n_units = y0.shape[-1]
    uniform_gain = all(jnp.ndim(getattr(p, f)) == 0 for f in ("g", "beta", "theta"))
    p = per_unit(p, n_units)
    # NEST's propagators, computed on the host (propagators.host_propagators), per unit.
    prop = type(prop)(*(jnp.broadcast_to(v, (n_units,)) for v in prop))
    if xi_layout == "key":
        xi = draw_time_major(xi_source, n_trials, n_steps, n_units, y0.dtype)
    elif xi_layout == "trial_major":
        xi = jnp.swapaxes(xi_source, 0, 1)
    else:
        xi = xi_source
    xi = split_trials(xi, mesh, 1)  # (n_steps, n_trials, n_units) from here on
    drawn = xi if xi_layout == "key" else None
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
            lambda pre, w_ex, w_in: network_buffers(pre, w_ex, w_in, p, uniform_gain),
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
            e, i = network_buffers(y_pre, *inst, p, uniform_gain)
            ex, inh = ex + e, inh + i
        if dlyd is not None:  # y_pre[n - d]; no event at all while n < d
            slot = (n - delays) % n_hist
            arrived = n - delays >= -pending
            if delays.ndim == 0:
                e, i = network_buffers(history[slot], *dlyd, p, uniform_gain)
                ex, inh = ex + jnp.where(arrived, e, 0.0), inh + jnp.where(arrived, i, 0.0)
            else:
                w_ex, w_in = (jnp.where(arrived, w, 0.0) for w in dlyd)
                e, i = network_buffers(history[slot, senders[None, :]], w_ex, w_in, p, uniform_gain)
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
