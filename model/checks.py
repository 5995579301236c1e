"""The checks every part of the model validates its input with: one home, one wording each.

Each check takes the value's ``name`` (as the user wrote it: ``n_trials``, ``inputs[0].rate``,
``connections[2].delay_steps``) and returns the value converted, or raises ``ValueError`` naming
it and saying what is allowed. Callers run all their checks before building anything, so a
refusal leaves nothing half set (NEST's SetStatus is all-or-nothing too). Rules that belong to
one concept stay with it and call these: NEST's parameter ranges and messages in
``params.py``, delays in ``network.py`` and ``connections.py``, a ``State`` in ``state.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def check_finite_array(name: str, value: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``value`` as a float array (of ``shape`` if given), every entry finite.

    **Arguments:** `name`: named in the error; `value`: array-like; `shape`: the required shape
    (None: any).

    **Returns:** a float64 NumPy array. **Raises:** ``ValueError`` naming `name`.
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {value!r}") from None
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def check_int(name: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int in [minimum, maximum], or a ValueError naming ``name``.

    **Arguments:** `name`: named in the error; `value`: an integer, or a float with an integer
    value (not a bool or a string); `minimum`, `maximum`: the allowed range (None: no maximum).

    **Returns:** a Python int.
    """
    allowed = f"an integer >= {minimum}" + ("" if maximum is None else f" and <= {maximum}")
    try:
        number = float(value)
        ok = not isinstance(value, (bool, np.bool_, str)) and np.isfinite(number) and number.is_integer()
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok or int(number) < minimum or (maximum is not None and int(number) > maximum):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return int(number)


def check_positive_finite(name: str, value: Any) -> float:
    """``value`` as a float, finite and > 0 (a resolution, a duration).

    **Arguments:** `name`: named in the error; `value`: a number.

    **Returns:** a Python float. **Raises:** ``ValueError`` naming `name`.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} = {value!r} is invalid: it must be finite and > 0")
    return v


def check_per_unit_float(name: str, value: Any, rule=None) -> np.ndarray:
    """A float parameter: a scalar or shape (n_units,), finite, and within ``rule`` if given.

    **Arguments:** `name`: named in the error; `value`: a number or array of numbers (not
    bools or strings, which NumPy would turn into numbers); `rule`: None, or ``(ok, message,
    allowed)``: ``ok(arr)`` true where allowed, NEST's ``message`` and the ``allowed`` range
    put in the error.

    **Returns:** a float64 NumPy array of 0 or 1 dimensions.
    """
    raw = np.asarray(value)
    if raw.dtype.kind not in "iuf":  # not bools or strings, which NumPy would turn into numbers
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or have shape (n_units,), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if rule is not None:
        ok, message, allowed = rule
        if not np.all(ok(arr)):
            raise ValueError(f"{name} = {value!r} is invalid: {message} Allowed: {allowed}.")
    return arr


def check_per_unit_switch(name: str, value: Any) -> np.ndarray:
    """A switch: True/False (or 1/0), a scalar or shape (n_units,).

    **Arguments:** `name`: named in the error; `value`: a bool, 0/1, or an array of them.

    **Returns:** a bool NumPy array of 0 or 1 dimensions.
    """
    arr = np.asarray(value)
    if arr.dtype != bool:
        if arr.dtype.kind in "iu" and np.all((arr == 0) | (arr == 1)):
            arr = arr.astype(bool)
        else:
            raise ValueError(f"{name} must be True or False (or an array of them), got {value!r}")
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or have shape (n_units,), got shape {arr.shape}")
    return arr
