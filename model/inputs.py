"""Rates that arrive from outside the network (generators, recorded traces, designed stimuli).

An ``ExternalInput`` is one source: the value it emits at each step, the weight of its
connection(s) and a delay. A receiver's update at step ``n`` reads ``rate[n - delay_steps]``;
while ``n < delay_steps`` (or where ``emits`` is False) there is no event at all, which
matters because an event of value 0 still adds ``w * phi(0)`` without linear summation.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np

from .checks import check_finite_array, check_int
from .network import delay_steps_for


@dataclasses.dataclass(frozen=True, eq=False)
class ExternalInput:
    """One source outside the network and its connection(s) to the units.

    **Arguments:**

    - `rate`: (n_steps,) the value emitted at each step, finite; ``n_steps = t_sim / dt`` of the run.
    - `weight`: the connection's weight, a scalar or one per target.
    - `delay_steps`: steps from emission to delivery, 0 or more (a receiver's step ``n``
      reads ``rate[n - delay_steps]``).
    - `target`: unit indices that receive it (None: every unit), each once.
    - `emits`: (n_steps,) bool, where an event is sent at all (None: every step).

    Bad input raises ``ValueError`` naming ``ExternalInput.<field>``.
    """

    rate: Any
    weight: Any = 1.0
    delay_steps: int = 0
    target: Any = None
    emits: Any = None

    def __post_init__(self) -> None:
        rate = check_finite_array("ExternalInput.rate", self.rate)
        if rate.ndim != 1:
            raise ValueError(f"ExternalInput.rate must have shape (n_steps,), got {rate.shape}")
        object.__setattr__(self, "rate", rate)
        object.__setattr__(self, "weight", check_finite_array("ExternalInput.weight", self.weight))
        if self.weight.ndim > 1:
            raise ValueError("ExternalInput.weight must be a scalar or one weight per target")
        object.__setattr__(
            self, "delay_steps", check_int("ExternalInput.delay_steps", self.delay_steps, 0)
        )
        if self.emits is not None:
            emits = np.asarray(self.emits)
            if emits.dtype != bool or emits.shape != rate.shape:
                raise ValueError(
                    f"ExternalInput.emits must be a bool array of shape {rate.shape}, "
                    f"got {emits.dtype} {emits.shape}"
                )
            object.__setattr__(self, "emits", emits)

    @classmethod
    def step_rate_generator(
        cls,
        amplitude_times: Sequence[float],
        amplitude_values: Sequence[float],
        *,
        dt: float,
        n_steps: int,
        weight: Any = 1.0,
        delay: float = 1.0,
        min_delay_steps: int = 1,
        target: Any = None,
        max_delay_steps: int | None = None,
        created_before_target: bool = True,
        start: float = 0.0,
        stop: float = np.inf,
        origin: float = 0.0,
        first_step: int = 0,
    ) -> "ExternalInput":
        """What a NEST ``step_rate_generator`` connected with ``rate_connection_delayed`` delivers.

        NEST emits an amplitude set for time ``T`` from step ``T/dt - 1`` on, emits 0.0 before
        the first change, and (generators being devices) delivers ``min_delay_steps`` steps
        earlier than the connection's ``delay`` when the generator was created before its
        target; created after it (``created_before_target=False``), an event that falls in the
        slice the target has already read arrives ``delay + max_delay_steps`` steps after
        emission. ``start``/``stop``/``origin`` (ms) are the device's; ``first_step`` is where
        a continued run starts. See ``model/generators.py`` (which also returns the two inputs
        needed when the lag depends on the step's place in its slice, min_delay > 1 step).
        ``delay`` and ``amplitude_times`` are in ms.

        **Returns:** one ``ExternalInput``; a ``ValueError`` where one cannot say it.
        """
        from .generators import step_rate_generator_inputs  # (it imports this module)

        dt_ = float(check_finite_array("dt", dt))
        if dt_ > 0 and delay_steps_for(float(check_finite_array("delay", delay)), dt_) < 1:
            raise ValueError(f"delay = {delay} ms: Delay must be greater than or equal to resolution")
        inputs = step_rate_generator_inputs(
            amplitude_times, amplitude_values, dt=dt, n_steps=n_steps, weight=weight, delay=delay,
            target=target, min_delay_steps=min_delay_steps, max_delay_steps=max_delay_steps,
            created_before_target=created_before_target, start=start, stop=stop, origin=origin,
            first_step=first_step,
        )
        if len(inputs) != 1:
            raise ValueError("this generator's lag depends on the step's place in its min_delay slice: "
                             "use model.generators.step_rate_generator_inputs (several inputs)")
        only = inputs[0]
        # Always emitting: leave ``emits`` unset, as before (the same arrays as a plain input).
        return only if not np.all(only.emits) else cls(rate=only.rate, weight=only.weight,
                                                      delay_steps=only.delay_steps, target=only.target)

    def lay_out(self, n_steps: int, n_units: int, index: int = 0):
        """As dense arrays: the delivered rate (n_steps,), event mask (n_steps,), weight per unit.

        **Arguments:** `n_steps`, `n_units`: the run's; `index`: this input's place in
        ``inputs`` (named in errors).

        **Returns:** ``(delivered, events, weights)``.
        """
        name = f"inputs[{index}]"
        if self.rate.shape[0] != n_steps:
            raise ValueError(
                f"{name}.rate has {self.rate.shape[0]} steps but the simulation has {n_steps} (t_sim / dt)"
            )
        d = self.delay_steps
        delivered = np.zeros(n_steps)
        events = np.zeros(n_steps, dtype=bool)
        if d < n_steps:
            delivered[d:] = self.rate[: n_steps - d]
            events[d:] = True if self.emits is None else self.emits[: n_steps - d]
        weights = np.zeros(n_units)
        if self.target is None:
            targets = np.arange(n_units)
        else:
            targets = np.atleast_1d(np.asarray(self.target))
            if targets.dtype.kind not in "iu" or np.any(targets < 0) or np.any(targets >= n_units):
                raise ValueError(f"{name}.target must be unit indices in [0, {n_units - 1}], got {self.target!r}")
            if np.unique(targets).size != targets.size:
                raise ValueError(f"{name}.target lists a unit twice; use two inputs for two connections")
        if self.weight.ndim == 1 and self.weight.shape[0] != targets.shape[0]:
            raise ValueError(
                f"{name}.weight has {self.weight.shape[0]} entries for {targets.shape[0]} target(s)"
            )
        weights[targets] += self.weight
        return delivered, events, weights
