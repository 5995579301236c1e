"""What a run leaves behind for the next one: NEST's Simulate, change something, Simulate again.

Measured in NEST 3.10 (tests/test_continuation.py): a rate event is *handled* by its
receiver -- put into its ring buffer as ``w v`` under ``linear_summation``, as ``w phi(v)``
without, with the receiver's g, beta, theta -- at the start of the min_delay slice after the
one that sent it (neuron -> neuron), or at once (generators, which are devices). A parameter
set between two Simulate calls therefore applies to the events of the last ``min_delay``
steps, but not to the older ones already in the buffer. So a ``State`` keeps both:

* ``in_flight`` (n_trials, n_in, 2, n_units): buffer sums (ex, in) already handled, arriving
  at steps ``steps_run + k`` -- NEST's ring buffers, read by the next run as they are;
* ``history`` (n_trials, history_steps, n_units): the pre-update rates of steps
  ``steps_run - history_steps .. steps_run - 1``, oldest first (0 for steps before the first
  run), of which the last ``pending_steps`` are events still to be handled: the next run
  handles them with its own parameters and connections.

A kernel that takes a ``State`` starts its step counter at 0, delivers a delayed event sent
at step ``m`` iff ``m >= -pending_steps`` (``m < 0`` read from ``history``), and adds
``in_flight[k]`` to its buffers at step ``k``. ``rate`` (n_trials, n_units) is the rate to
continue from. Changing connections between runs is allowed; the pending events follow the
new ones (NEST gathers them before, but delivers them along the connections that exist then).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .gain import phi


@dataclasses.dataclass(frozen=True, eq=False)
class State:
    rate: np.ndarray  # (n_trials, n_units)
    history: np.ndarray  # (n_trials, history_steps, n_units), oldest first
    in_flight: np.ndarray  # (n_trials, n_in, 2, n_units)
    steps_run: int
    pending_steps: int
    dt: float | None = None  # the resolution of the runs (NEST cannot change it after a Simulate)

    @property
    def n_trials(self) -> int:
        return self.rate.shape[0]


def _event_values(v, w, p):
    """``w v`` or ``w phi(v)`` by the receiver's (axis -2) switch, NumPy; v broadcasts with w."""
    col = lambda a: np.asarray(a)[:, None]  # noqa: E731
    return w * np.where(col(p.linear_summation), v, phi(v, col(p.g), col(p.beta), col(p.theta)))


def end_state(*, rate, y0, prev: State | None, n_steps: int, layout, external, params, pending_steps: int,
              dt: float | None = None):
    """The ``State`` after a run (NumPy, float64 arithmetic on the run's values).

    **Arguments:**

    - ``rate``: (n_trials, n_steps, n_units), every trial's rates after each step.
    - ``y0``: (n_trials, n_units), the rates the run started from.
    - ``prev``: the ``State`` the run continued, or None.
    - ``n_steps``: the run's steps; ``layout``: its ``connections.Layout``.
    - ``external``: (delivered (K, T), events (K, T), weights (K, N), rates (K, T), delays (K,),
      emits (K, T)) of its inputs; ``params``: per-unit ``Params`` (NumPy).
    - ``pending_steps``: NEST's min_delay in steps (the events of the last slice are not handled).
    - ``dt``: the run's resolution (ms), kept to refuse a continuation at another one.

    **Returns:** the ``State``.
    """
    rate = np.asarray(rate, float)
    n_trials, _, n_units = rate.shape
    prev_hist = np.zeros((n_trials, 0, n_units)) if prev is None else np.broadcast_to(
        prev.history, (n_trials,) + prev.history.shape[1:])
    # pre-update rates of local steps -len(prev_hist) .. n_steps - 1
    pre = np.concatenate([prev_hist, np.asarray(y0, float)[:, None, :], rate[:, :-1]], axis=1)
    base = -prev_hist.shape[1]
    pending_in = 0 if prev is None else prev.pending_steps
    longest_net = 0 if layout.delayed is None else int(np.max(layout.delays))
    delivered, events, weights, src_rates, src_delays, src_emits = external
    longest_ext = int(np.max(src_delays)) if len(src_delays) else 0
    n_prev_in = 0 if prev is None else prev.in_flight.shape[1]
    n_in = max(longest_net, longest_ext, n_prev_in - n_steps, 0)
    in_flight = np.zeros((n_trials, n_in, 2, n_units))
    if prev is not None and n_prev_in > n_steps:
        in_flight[:, : n_prev_in - n_steps] += prev.in_flight[:, n_steps:]
    if layout.delayed is not None:
        w_ex, w_in = layout.delayed
        delays = np.broadcast_to(np.asarray(layout.delays), w_ex.shape)
        senders = np.broadcast_to(np.arange(n_units), w_ex.shape)
        for k in range(n_in):
            m = n_steps + k - delays  # the sender's step of an event arriving at step n_steps + k
            handled = (m >= -pending_in) & (m < n_steps - pending_steps) & (m >= base)
            idx = np.clip(m - base, 0, pre.shape[1] - 1)
            v = pre[:, idx, senders]  # (n_trials, *w.shape)
            for j, w in enumerate((w_ex, w_in)):
                val = np.where(handled, _event_values(v, np.where(handled, w, 0.0), params), 0.0)
                in_flight[:, k, j] += val.reshape(n_trials, -1, n_units, n_units).sum(axis=(1, 3))
    # Generator events are handled when emitted: those emitted here and arriving later.
    for i in range(len(src_delays)):
        d, w = int(src_delays[i]), np.asarray(weights[i], float)
        for k in range(min(d, n_in)):
            m = n_steps + k - d
            if m < 0 or not src_emits[i][m]:
                continue
            v = float(src_rates[i][m])
            val = w * np.where(params.linear_summation, v, phi(v, params.g, params.beta, params.theta))
            in_flight[:, k, 0] += np.where(w >= 0, val, 0.0)
            in_flight[:, k, 1] += np.where(w < 0, val, 0.0)
    h = max(longest_net, pending_steps, 1)
    history = pre[:, -h:] if pre.shape[1] >= h else np.concatenate(
        [np.zeros((n_trials, h - pre.shape[1], n_units)), pre], axis=1)
    steps_run = n_steps + (0 if prev is None else prev.steps_run)
    return State(rate=rate[:, -1].copy(), history=history, in_flight=in_flight,
                 steps_run=steps_run, pending_steps=pending_steps, dt=dt)


def check_state(state: Any, n_trials: int, n_units: int, dt: float | None = None) -> State:
    if not isinstance(state, State):
        raise ValueError(f"state must be a model.State (a run's result.state), got {type(state).__name__}")
    if dt is not None and state.dt is not None and abs(state.dt - dt) > 1e-12 * dt:
        raise ValueError(f"dt = {dt} ms: the state was run at dt = {state.dt} ms (the resolution cannot change)")
    if state.rate.shape[1] != n_units:
        raise ValueError(f"state has {state.rate.shape[1]} units, the network {n_units}")
    if state.n_trials not in (1, n_trials):
        raise ValueError(f"state has {state.n_trials} trials, the run n_trials = {n_trials}")
    return state
