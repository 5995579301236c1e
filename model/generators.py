"""NEST's ``step_rate_generator`` connected with ``rate_connection_delayed``, as ``ExternalInput``s.

Measured in NEST 3.10 (tests/test_generators.py, and ../shared/nest-semantics.md):

* emission: an amplitude set for time T (step k = T/dt, absolute, not shifted by ``origin``)
  is emitted from step k - 1 on, 0.0 before the first change. The device is active at step
  m iff ``origin + start <= (m + 1) dt < origin + stop``; a min_delay slice with any active
  step sends an event for each of its steps (0.0 at the inactive ones), a slice with none
  sends nothing.
* delivery: a device's event goes straight into the target's ring buffer at
  ``(step in slice) + d - min_delay``. Created before its target, the target reads it
  ``d - min_delay`` steps after emission. Created after it, the target has already read this
  slice: a position inside the current slice (``m % min_delay + d - min_delay < min_delay``)
  is read only when the ring buffer (min_delay + max_delay steps) comes round again,
  ``d + max_delay`` steps after emission; later positions keep ``d - min_delay``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .checks import check_finite_array, check_int
from .inputs import ExternalInput
from .network import delay_steps_for


def step_rate_generator_inputs(
    amplitude_times: Sequence[float],
    amplitude_values: Sequence[float],
    *,
    dt: float,
    n_steps: int,
    weight: Any = 1.0,
    delay: float = 1.0,
    target: Any = None,
    min_delay_steps: int = 1,
    max_delay_steps: int | None = None,
    created_before_target: bool = True,
    start: float = 0.0,
    stop: float = np.inf,
    origin: float = 0.0,
    first_step: int = 0,
) -> tuple[ExternalInput, ...]:
    """The inputs one generator -> target connection delivers, one per distinct lag.

    **Arguments:**

    - ``amplitude_times``, ``amplitude_values``: NEST's (ms, > 0, on the grid, increasing).
    - ``dt``: resolution (ms); ``n_steps``: steps of this run.
    - ``weight``, ``delay`` (ms), ``target`` (unit index or indices; None: all): the connection.
    - ``min_delay_steps``, ``max_delay_steps``: the kernel's min_delay and max_delay in steps
      (``max_delay_steps`` is needed only for ``created_before_target=False``).
    - ``created_before_target``: whether ``nest.Create`` made the generator before the target.
    - ``start``, ``stop``, ``origin``: the device's activity window (ms), as in NEST.
    - ``first_step``: the absolute step this run starts at (a continuation: ``state.steps_run``);
      the inputs then hold only what is emitted from there on, earlier events being in the state.

    **Returns:** a tuple of ``ExternalInput`` (one, or two when the lag depends on the step's
    place in its slice), for ``simulate(..., inputs=...)``.
    """
    dt = float(check_finite_array("dt", dt))
    if dt <= 0:
        raise ValueError(f"dt must be > 0, got {dt!r}")
    n_steps = check_int("n_steps", n_steps, 1)
    first_step = check_int("first_step", first_step, 0)
    md = check_int("min_delay_steps", min_delay_steps, 1)
    if not created_before_target:
        if max_delay_steps is None:
            raise ValueError("max_delay_steps is needed for a generator created after its target")
        check_int("max_delay_steps", max_delay_steps, md)
    for name, v in (("start", start), ("origin", origin)):
        if not np.isfinite(float(v)):
            raise ValueError(f"{name} must be finite, got {v!r}")
    if float(start) < 0 or not float(stop) >= float(start):
        raise ValueError(f"start = {start}, stop = {stop}: need 0 <= start <= stop (ms)")
    times = np.asarray(amplitude_times, dtype=float)
    values = check_finite_array("amplitude_values", amplitude_values)
    if times.shape != values.shape or times.ndim != 1:
        raise ValueError("amplitude_times and amplitude_values must be 1-D and of equal length")
    change_steps = np.rint(times / dt).astype(int)
    if np.any(change_steps < 1) or np.any(np.abs(change_steps * dt - times) > 1e-9 * max(1.0, times.max(initial=1.0))):
        raise ValueError("amplitude_times must be > 0 and multiples of dt")
    if np.any(np.diff(change_steps) <= 0):
        raise ValueError("amplitude_times must be strictly increasing")
    d = delay_steps_for(float(check_finite_array("delay", delay)), dt)
    if d < md:
        raise ValueError(f"delay = {delay} ms: Delay must be greater than or equal to min_delay "
                         f"({md} steps)")
    steps = first_step + np.arange(n_steps)  # absolute emission steps
    amp = np.zeros(n_steps)
    for k, v in zip(change_steps, values):
        amp[steps >= k - 1] = v
    lo = np.rint((float(origin) + float(start)) / dt)
    hi = np.inf if not np.isfinite(float(stop)) else np.rint((float(origin) + float(stop)) / dt)
    active = (steps + 1 >= lo) & (steps + 1 < hi)
    rate = np.where(active, amp, 0.0)
    # A slice sends when any of its steps is active, 0.0 for the others.
    slice_of = steps // md
    sending = np.isin(slice_of, slice_of[active])
    if created_before_target:
        lags = np.full(n_steps, d - md)
    else:
        inside = (steps % md) + d - md < md
        lags = np.where(inside, d + max_delay_steps, d - md)
    out = []
    for lag in np.unique(lags):
        emits = sending & (lags == lag)
        if emits.any():
            out.append(ExternalInput(rate=rate, weight=weight, delay_steps=int(lag), target=target, emits=emits))
    if not out:  # never active: an input that never emits keeps the run's shapes honest
        out.append(ExternalInput(rate=rate, weight=weight, delay_steps=int(lags[0]), target=target,
                                 emits=np.zeros(n_steps, bool)))
    return tuple(out)
