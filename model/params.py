"""NEST's ``sigmoid_rate_ipn`` parameters as a small, frozen, validated pytree.

Every field is a scalar or an array of shape ``(n_units,)``; all of them, the three
switches included, are pytree leaves, so jitted code traces them and never
recompiles when a value changes. Only their shapes are static.

Validation happens when a ``Params`` is built from concrete values (never on the
traced copies JAX rebuilds inside ``jit``), so an invalid set is refused as a whole
before anything runs: parameter setting is all-or-nothing, like NEST's SetStatus.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import jax
import numpy as np

from .checks import check_per_unit_float, check_per_unit_switch

FLOAT_FIELDS = ("tau", "lambda_", "sigma", "mu", "g", "beta", "theta", "rectify_rate")
SWITCH_FIELDS = ("linear_summation", "rectify_output", "mult_coupling")
FIELDS = FLOAT_FIELDS + SWITCH_FIELDS

# Our field name -> NEST's key (only ``lambda`` differs: it is a Python keyword).
NEST_KEYS = {name: ("lambda" if name == "lambda_" else name) for name in FIELDS}
# NEST accepts these legacy aliases (with a deprecation warning).
NEST_ALIASES = {"mean": "mu", "std": "sigma"}

# (check, NEST's message, allowed range) for the constrained parameters.
_RULES = {
    "tau": (lambda v: v > 0, "Time constant must be > 0.", "tau > 0 (ms)"),
    "lambda_": (lambda v: v >= 0, "Passive decay rate must be >= 0.", "lambda >= 0"),
    "sigma": (lambda v: v >= 0, "Noise parameter must not be negative.", "sigma >= 0"),
    "rectify_rate": (
        lambda v: v >= 0,
        "Rectifying rate must not be negative.",
        "rectify_rate >= 0",
    ),
}


def _is_concrete(value: Any) -> bool:
    return not isinstance(value, jax.core.Tracer)


@jax.tree_util.register_pytree_node_class
@dataclasses.dataclass(frozen=True, eq=False)
class Params:
    """Parameters of ``sigmoid_rate_ipn``; the defaults are NEST 3.10's.

    **Arguments** (each a scalar, or an array of shape ``(n_units,)`` for per-unit values):

    - ``tau``: time constant in ms, > 0.
    - ``lambda_``: passive decay rate, >= 0 (NEST's ``lambda``; 0 gives an integrator).
    - ``sigma``: noise amplitude, >= 0 (NEST's default is 1, not 0).
    - ``mu``: constant drive.
    - ``g``, ``beta``, ``theta``: the gain ``phi(h) = g / (1 + exp(-beta (h - theta)))``.
    - ``rectify_rate``: the floor of ``rectify_output``, >= 0.
    - ``linear_summation``: True applies ``phi`` to the summed input, False to each event.
    - ``mult_coupling``: True passes excitatory and inhibitory input through ``phi`` apart.
    - ``rectify_output``: True clamps the rate at ``rectify_rate`` after each update.

    **Raises:** ``ValueError`` naming the field, with NEST's message and the allowed range;
    nothing is built (all-or-nothing, like NEST's SetStatus).
    """

    tau: Any = 10.0
    lambda_: Any = 1.0
    sigma: Any = 1.0
    mu: Any = 0.0
    g: Any = 1.0
    beta: Any = 1.0
    theta: Any = 0.0
    rectify_rate: Any = 0.0
    linear_summation: Any = True
    rectify_output: Any = False
    mult_coupling: Any = False

    fields: ClassVar[tuple[str, ...]] = FIELDS

    def __post_init__(self) -> None:
        values = [getattr(self, name) for name in FIELDS]
        if not all(_is_concrete(v) for v in values):
            return  # traced copies are never validated: they came from a validated one
        lengths = {}
        for name in FIELDS:
            value = getattr(self, name)
            arr = (check_per_unit_switch(name, value) if name in SWITCH_FIELDS
                   else check_per_unit_float(name, value, _RULES.get(name)))
            if arr.ndim == 1:
                lengths[name] = arr.shape[0]
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{k}: {v}" for k, v in lengths.items())
            raise ValueError(f"per-unit parameters must all have the same length, got {detail}")

    def __eq__(self, other) -> bool:
        if not isinstance(other, Params):
            return NotImplemented
        return all(np.array_equal(getattr(self, f), getattr(other, f)) for f in FIELDS)

    __hash__ = None  # fields may be arrays

    # -- pytree -------------------------------------------------------------------
    def tree_flatten(self):
        return tuple(getattr(self, name) for name in FIELDS), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        obj = object.__new__(cls)
        for name, value in zip(FIELDS, children):
            object.__setattr__(obj, name, value)
        return obj

    # -- convenience ----------------------------------------------------------------
    @property
    def n_units(self) -> int | None:
        """The length of the per-unit fields, or None if every field is a scalar."""
        for name in FIELDS:
            shape = np.shape(getattr(self, name))
            if len(shape) == 1:
                return shape[0]
        return None

    def replace(self, **changes: Any) -> "Params":
        """A new, validated ``Params``; this one is untouched whether or not it succeeds.

        **Arguments:** ``**changes``: field names (``lambda_``, not ``lambda``) and new values.

        **Returns:** the new ``Params``. **Raises:** ``ValueError`` for an unknown name or a bad value.
        """
        unknown = set(changes) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)}; known: {list(FIELDS)}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_nest(cls, status: dict) -> "Params":
        """From a NEST status dict (``nest.GetStatus(node)[0]`` or ``node.get()``).

        Uses NEST's key names (``"lambda"``); the legacy aliases ``mean`` and ``std``
        are honoured when the primary key is absent. Other status entries (``rate``,
        ``recordables``, ``global_id`` ...) are not parameters and are ignored.

        **Arguments:** ``status``: a mapping from NEST's keys to values.

        **Returns:** a validated ``Params``; fields missing from ``status`` keep NEST's defaults.
        """
        values = {}
        for name in FIELDS:
            key = NEST_KEYS[name]
            if key in status:
                values[name] = status[key]
        for alias, name in NEST_ALIASES.items():
            if alias in status and name not in values:
                values[name] = status[alias]
        return cls(**values)

    def to_nest(self) -> dict:
        """NEST key names and plain Python values (lists for per-unit fields).

        **Returns:** a dict that ``nest.SetStatus`` / ``node.set`` accepts and ``from_nest``
        reads back to an equal ``Params``.
        """
        out = {}
        for name in FIELDS:
            value = np.asarray(getattr(self, name))
            out[NEST_KEYS[name]] = value.tolist() if value.ndim else value.item()
        return out
