"""The per-step scan for networks with delayed connections (an autapse, delayed coupling).

All trials advance together, time-major like the uncoupled scan: the state is
``y`` (n_trials, n_units) and a delay line of the last ``history_steps`` pre-update rates,
kept as a ring (slot ``m % history_steps`` holds ``y_pre[m]``).

What makes it fast is the order inside the step. Step ``n`` first writes ``y_pre[n]`` into
the ring, and only then reads, from the ring just written, what step ``n + 1`` will receive
(``y_pre[n + 1 - d]``); that value travels to the next step in the carry. Read-then-write
(read ``y_pre[n - d]``, then write ``y_pre[n]``, as a straightforward step does) makes XLA
copy the whole ring every step, because the read of the old ring could be scheduled after
the write. Measured with an autapse, 1000 trials x 20,000 steps, ring of 200 steps, float32,
this 2-core CPU under a load of ~8 (other jobs): the former path (one scan per trial under
``vmap``, read-then-write) 3689 ms through ``simulate``; on a stripped-down step (one phi, no
parameters as data), trials together: read-then-write 1794 ms, write-then-read 125 ms, the
same shape uncoupled (no ring) 108 ms. Through ``simulate`` the rates are then returned
trial-major, a transpose of the whole output (scan alone 148 ms; with the transpose 223-366
ms, in other runs); ``python -m model.bench`` prints the end-to-end figure.

Blocks of ``d`` steps (inside one, every delayed input is already known, so its gains could be
computed vectorised) would need a block length fixed at compile time and ``<=`` the
smallest delay, which is one step on the explorer's slider; not tried.

Continuation: the delay line comes in and goes out in chronological order
(``history[j] = y_pre[steps_run - history_steps + j]``), together with ``steps_run``, the
steps already run; rates from before step 0 were never sent (no event, as in NEST).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .gain import phi
from .step import nest_step, summed_drive


def initial_history(history_steps: int, n_trials: int, n_units: int, dtype):
    """An empty delay line (nothing sent yet), (history_steps, n_trials, n_units)."""
    return jnp.zeros((history_steps, n_trials, n_units), dtype)


def run_delayed(y0, history, steps_run, xi, ext_ex, ext_in, inst, dlyd, delays, step_fn, buffers_fn,
                in_loop_sums=None, shared_gain=None):
    """Scan ``xi.shape[0]`` steps of a network with delayed (and maybe instantaneous) connections.

    **Arguments:**

    - `y0`: rates at the start, (n_trials, n_units).
    - `history`: the delay line, (history_steps, n_trials, n_units), oldest first:
      `history[j]` is the pre-update rate of step `steps_run - history_steps + j`.
    - `steps_run`: int32 scalar (traced), the steps run before this call (0 for a new run).
    - `xi`: standard-normal draws, (n_steps, n_trials, n_units).
    - `ext_ex`, `ext_in`: external buffer sums per step, (n_steps, n_units).
    - `inst`: None, or (w_ex, w_in), each (n_units, n_units) [post, pre]: instantaneous weights.
    - `dlyd`: (w_ex, w_in), each (n_units, n_units) [post, pre]: delayed weights.
    - `delays`: int32, a scalar or (n_units, n_units) [post, pre], each in 1..history_steps.
    - `step_fn`: `(y, xi_n, ex, inh) -> y_next` for all trials: NEST's steps 2-4 with
      `summed_drive` (see `step.py`).
    - `buffers_fn`: `(pre_rate, w_ex, w_in) -> (ex, inh)` for one trial, as
      `kernels.network_buffers`; `pre_rate` is (n_units,) or (n_units, n_units).
    - `shared_gain`: None, or `(g, beta, theta, linear_summation)`, the gain's three as scalars
      (every unit has the same gain) and linear_summation per unit, (n_units,), or True for
      all: then the sums over senders of all trials are one matrix product per step instead
      of one per trial.
    - `in_loop_sums`: None to return every step's rates, or `y -> outputs` per step (e.g.
      the recorded trials and the sums for the moments) to return those instead.

    **Returns:**

    `(outputs, y_end, history_end)`: the scan's outputs over steps (the rates after each
    update, (n_steps, n_trials, n_units), unless `in_loop_sums` is given), the last rates,
    and the delay line in the layout of `history`, for `steps_run + n_steps` steps run.
    """
    n_hist = history.shape[0]
    n_units = y0.shape[-1]
    senders = jnp.arange(n_units)
    ring = jnp.roll(history, steps_run % n_hist, axis=0)  # slot m % n_hist holds y_pre[m]
    per_trial = jax.vmap(buffers_fn, in_axes=(0, None, None))  # weights are shared by the trials

    def sums(pre, w_ex, w_in):
        """Buffer sums (ex, in), each (n_trials, n_units), of events carrying ``pre``."""
        if shared_gain is None or pre.ndim != 2:
            return per_trial(pre, w_ex, w_in)
        # One product over all trials rather than a small one per trial under vmap.
        g, beta, theta, linear = shared_gain  # linear: the receivers', (n_units,), or True
        if linear is True:
            return pre @ w_ex.T, pre @ w_in.T
        n_trials = pre.shape[0]
        both = jnp.concatenate([pre, phi(pre, g, beta, theta)])  # (2 n_trials, n_pre)
        ex, inh = both @ w_ex.T, both @ w_in.T
        pick = lambda s: jnp.where(linear, s[:n_trials], s[n_trials:])  # noqa: E731
        return pick(ex), pick(inh)

    def read(ring, n):
        """Delayed buffer sums (ex, in) of step n, from a ring holding y_pre up to step n - 1."""
        slot = (n - delays) % n_hist
        arrived = n >= delays  # no event at all before y_pre[0] was sent
        if delays.ndim == 0:
            e, i = sums(jax.lax.dynamic_index_in_dim(ring, slot, 0, keepdims=False), *dlyd)
            return jnp.where(arrived, e, 0.0), jnp.where(arrived, i, 0.0)
        w_ex, w_in = (jnp.where(arrived, w, 0.0) for w in dlyd)
        pre = jnp.moveaxis(ring[slot, :, senders[None, :]], -1, 0)  # (n_trials, post, pre)
        return sums(pre, w_ex, w_in)

    def body(carry, xs):
        y, ring, delayed, n = carry
        xi_n, ex, inh = xs
        y_pre = y  # 1. what every outgoing connection transmits for step n
        if inst is not None:  # same step, pre-update: no algebraic loop
            e, i = sums(y_pre, *inst)
            ex, inh = ex + e, inh + i
        ex, inh = ex + delayed[0], inh + delayed[1]
        y = step_fn(y, xi_n, ex, inh)  # 2.-4.
        ring = jax.lax.dynamic_update_index_in_dim(ring, y_pre, n % n_hist, 0)
        delayed = read(ring, n + 1)  # from the ring just written: keeps the update in place
        return (y, ring, delayed, n + 1), (y if in_loop_sums is None else in_loop_sums(y))

    steps_run = jnp.asarray(steps_run, jnp.int32)
    carry = (y0, ring, read(ring, steps_run), steps_run)
    (y, ring, _, n_end), out = jax.lax.scan(body, carry, (xi, ext_ex, ext_in))
    return out, y, jnp.roll(ring, -(n_end % n_hist), axis=0)


def run_network(p, prop, uniform_gain, y0, history, steps_run, xi, ext_ex, ext_in, inst, dlyd, delays,
                buffers_fn, in_loop_sums=None):
    """``run_delayed`` with NEST's update (``step.py``) for per-unit parameters ``p``.

    The switches are data, so the general update evaluates the sigmoid for every case
    (phi(ex + in), phi(ex), phi(in) and phi per event) and selects; with linear_summation on
    and mult_coupling off everywhere (the defaults) only phi(ex + in) is used. Both updates
    are compiled, ``lax.cond`` picks one per run: toggling a switch never recompiles.
    Measured (autapse, 1000 x 20,000, float32, 2-core CPU under load): the scan alone
    311 ms with every phi, 98 ms with phi(ex + in) only, 118 ms with the switches known at
    compile time.

    **Arguments:** `p` (per-unit `Params`, arrays of shape (n_units,)), `prop` (its
    `Propagators`), `uniform_gain` (whether g, beta, theta are scalars: one gain for all),
    then as ``run_delayed``: `y0`, `history`, `steps_run`, `xi`, `ext_ex`, `ext_in`, `inst`,
    `dlyd`, `delays`, `buffers_fn`, `in_loop_sums`.

    **Returns:** as ``run_delayed``.
    """
    gain = (p.g[0], p.beta[0], p.theta[0]) if uniform_gain else None
    args = (y0, history, steps_run, xi, ext_ex, ext_in, inst, dlyd, delays)

    def general():
        step = lambda y, xi_n, ex, inh: nest_step(y, xi_n, *summed_drive(ex, inh, p), p, prop)  # noqa: E731
        return run_delayed(*args, step, buffers_fn, in_loop_sums, gain and (*gain, p.linear_summation))

    def plain():  # summed_drive with linear_summation, without mult_coupling: phi(ex + in), 0
        step = lambda y, xi_n, ex, inh: nest_step(  # noqa: E731
            y, xi_n, phi(ex + inh, p.g, p.beta, p.theta), 0.0, p, prop)
        return run_delayed(*args, step, buffers_fn, in_loop_sums, gain and (*gain, True))

    is_plain = jnp.all(p.linear_summation) & ~jnp.any(p.mult_coupling)
    return jax.lax.cond(is_plain, plain, general)
