"""A population of ``sigmoid_rate_ipn`` units and the rate connections between them.

Weights are indexed ``[post, pre]``. Instantaneous connections deliver the sender's
pre-update rate of the same step (``rate_connection_instantaneous``); delayed ones the
pre-update rate ``delay_steps`` steps back, with no event at all before that
(``rate_connection_delayed``). A zero weight means "no connection".
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .checks import check_finite_array, check_int
from .params import Params


# A delay line this long already costs n_units x 10^7 floats; beyond it is surely a mistake.
MAX_DELAY_STEPS = 10_000_000


def delay_steps_for(delay_ms: float, dt: float) -> int:
    """A delay in ms on NEST's grid: rounded to the nearest step, halves up (0.15 ms -> 2 steps at
    dt = 0.1), like NEST's conversion of a delay to steps."""
    try:
        steps = delay_ms / dt
    except (TypeError, ZeroDivisionError):
        raise ValueError(f"delay must be a number of ms and dt > 0, got {delay_ms!r}, {dt!r}") from None
    if not np.isfinite(steps) or dt <= 0:
        raise ValueError(f"delay = {delay_ms!r} ms on dt = {dt!r} ms is not a finite number of steps")
    # The tiny margin absorbs float error: 0.15 / 0.1 = 1.4999999999999998 is a half.
    return int(np.floor(steps + 0.5 + 1e-9))


@dataclasses.dataclass(frozen=True, eq=False)
class Network:
    """Units sharing ``params`` (scalars, or per-unit arrays of length ``n_units``).

    ``history_steps`` is the length of the delay line kept for delayed connections. It
    defaults to the longest delay; set it larger to move delays up to that value without
    recompiling (array shapes are what JAX compiles for, delays themselves are data).

    **Arguments:**

    - `params`: a ``model.Params`` (scalars, or per-unit arrays of length `n_units`).
    - `n_units`: the number of units, 1 or more.
    - `initial_rate`: the rate at time 0, a scalar or (n_units,), finite.
    - `w_inst`: (n_units, n_units) weights ``[post, pre]`` of instantaneous connections, or None.
    - `w_delayed`: (n_units, n_units) weights ``[post, pre]`` of delayed connections, or None.
    - `delay_steps`: their delay in steps (1 or more), a scalar or (n_units, n_units).
    - `history_steps`: the delay line's length in steps (default: the longest delay).
    - `connections`: a list of ``model.Connection`` instead of `w_inst` / `w_delayed` /
      `delay_steps` (multapses and autapses allowed).
    - `transformer`: which units are ``rate_transformer_sigmoid`` (a bool or one per unit).

    Bad input raises ``ValueError`` naming the field. ``coupled`` says whether any unit
    feeds another (or itself).
    """

    params: Params
    n_units: int = 1
    initial_rate: Any = 0.0
    w_inst: Any = None
    w_delayed: Any = None
    delay_steps: Any = None
    history_steps: int | None = None
    # A list of ``model.Connection`` (multapses and autapses allowed), instead of the dense
    # w_inst / w_delayed shortcut; see connections.py.
    connections: Any = None
    # Which units are NEST's rate_transformer_sigmoid instead of sigmoid_rate_ipn (a bool,
    # or one per unit); see transformer.py.
    transformer: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.params, Params):
            raise ValueError(f"params must be a model.Params, got {type(self.params).__name__}")
        n = check_int("n_units", self.n_units, 1)
        object.__setattr__(self, "n_units", n)
        if self.params.n_units not in (None, n):
            raise ValueError(
                f"params have per-unit arrays of length {self.params.n_units}, but n_units = {n}"
            )
        y0 = check_finite_array("initial_rate", self.initial_rate)
        if y0.shape not in ((), (n,)):
            raise ValueError(f"initial_rate must be a scalar or have shape ({n},), got {y0.shape}")
        object.__setattr__(self, "initial_rate", y0)
        from .transformer import check_transformer

        object.__setattr__(self, "transformer", check_transformer(self.transformer, n))
        for name in ("w_inst", "w_delayed"):
            w = getattr(self, name)
            if w is not None:
                object.__setattr__(self, name, check_finite_array(name, w, (n, n)))
        from .connections import check_connections, dense_layout, lay_out  # (they import this module)

        if self.connections is not None:
            if self.w_inst is not None or self.w_delayed is not None or self.delay_steps is not None:
                raise ValueError("connections replaces w_inst / w_delayed / delay_steps: give one or the other")
            conns = tuple(check_connections(self.connections, n))
            object.__setattr__(self, "connections", conns)
            layout = lay_out(list(conns), n)
            object.__setattr__(self, "layout", layout)
            longest = int(np.max(layout.delays)) if layout.delayed is not None else 1
            if self.history_steps is None:
                object.__setattr__(self, "history_steps", longest if layout.delayed is not None else None)
            else:
                h = check_int("history_steps", self.history_steps, 1, MAX_DELAY_STEPS)
                if h < longest:
                    raise ValueError(f"history_steps = {h} is shorter than the longest delay {longest}")
                object.__setattr__(self, "history_steps", h)
            return
        self._check_delays()
        object.__setattr__(self, "layout", dense_layout(self.w_inst, self.w_delayed, self.delay_steps))

    def _check_delays(self) -> None:
        d = self.delay_steps
        if self.w_delayed is None:
            if d is not None:
                raise ValueError("delay_steps given without w_delayed")
            if self.history_steps is not None:
                check_int("history_steps", self.history_steps, 1, MAX_DELAY_STEPS)
            return
        if d is None:
            d = 1
        arr = np.asarray(d)
        n = self.n_units
        if arr.shape not in ((), (n, n)):
            raise ValueError(f"delay_steps must be an int or have shape ({n}, {n}), got {arr.shape}")
        if arr.dtype.kind not in "iu" and not (
            arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))
        ):
            raise ValueError(f"delay_steps must be integers, got {d!r}")
        if np.any(np.abs(arr) > MAX_DELAY_STEPS):
            raise ValueError(f"delay_steps must be <= {MAX_DELAY_STEPS:,}, got {arr.max()!r}")
        arr = arr.astype(np.int64)
        connected = self.w_delayed != 0
        used = arr if arr.ndim == 0 else arr[connected]
        if np.any(used < 1):
            raise ValueError(
                "delay_steps: Delay must be greater than or equal to resolution "
                f"(>= 1 step for every delayed connection), got minimum {used.min()}"
            )
        # Unconnected entries may hold anything; give them a harmless delay of 1.
        if arr.ndim:
            arr = np.where(connected, arr, 1)
        object.__setattr__(self, "delay_steps", arr)
        longest = int(arr.max()) if arr.size else 1
        if self.history_steps is None:
            object.__setattr__(self, "history_steps", longest)
        else:
            h = check_int("history_steps", self.history_steps, 1, MAX_DELAY_STEPS)
            if h < longest:
                raise ValueError(f"history_steps = {h} is shorter than the longest delay {longest}")
            object.__setattr__(self, "history_steps", h)

    @property
    def coupled(self) -> bool:
        return self.layout.inst is not None or self.layout.delayed is not None
