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

from .params import Params


def check_finite_array(name: str, value: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {value!r}") from None
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not float(value).is_integer():
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@dataclasses.dataclass(frozen=True, eq=False)
class Network:
    """Units sharing ``params`` (scalars, or per-unit arrays of length ``n_units``).

    ``history_steps`` is the length of the delay line kept for delayed connections. It
    defaults to the longest delay; set it larger to move delays up to that value without
    recompiling (array shapes are what JAX compiles for, delays themselves are data).
    """

    params: Params
    n_units: int = 1
    initial_rate: Any = 0.0
    w_inst: Any = None
    w_delayed: Any = None
    delay_steps: Any = None
    history_steps: int | None = None

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
        for name in ("w_inst", "w_delayed"):
            w = getattr(self, name)
            if w is not None:
                object.__setattr__(self, name, check_finite_array(name, w, (n, n)))
        self._check_delays()

    def _check_delays(self) -> None:
        d = self.delay_steps
        if self.w_delayed is None:
            if d is not None:
                raise ValueError("delay_steps given without w_delayed")
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
            h = check_int("history_steps", self.history_steps, 1)
            if h < longest:
                raise ValueError(f"history_steps = {h} is shorter than the longest delay {longest}")
            object.__setattr__(self, "history_steps", h)

    @property
    def coupled(self) -> bool:
        return self.w_inst is not None or self.w_delayed is not None
