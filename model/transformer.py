"""NEST's ``rate_transformer_sigmoid`` as units of a ``Network`` (``Network(..., transformer=...)``).

A rate transformer (NEST's rate_transformer_node, read from models/rate_transformer_node_impl.h,
v3.10) has no dynamics of its own: each step it transmits its pre-update rate, as a neuron
does, and its new rate is ``phi(delayed + instantaneous input)`` (linear_summation) or the sum
of the events' ``w * phi(v)`` (not): no decay, no mu, no noise, no rectification, and no
excitatory/inhibitory split. That is ``step.nest_step`` with P1 = 0, P2 = 1, noise_factor = 0
and mu = sigma = 0, rectify_output = mult_coupling = False, so a transformer is a unit whose
propagators and those four fields are replaced here, per unit, before the run; only g, beta,
theta and linear_summation of its ``Params`` are used. Its inputs are summed as ex + in
rather than NEST's delayed + instantaneous, which moves a sum by at most an ulp.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .params import Params
from .propagators import Propagators


def check_transformer(value: Any, n_units: int) -> np.ndarray | None:
    """``value`` (None, a bool, or one bool per unit) as a (n_units,) bool mask, or None if no
    unit is a transformer; a ``ValueError`` naming ``transformer`` otherwise."""
    if value is None:
        return None
    arr = np.asarray(value)
    if arr.dtype != bool and not (arr.dtype.kind in "iu" and np.all((arr == 0) | (arr == 1))):
        raise ValueError(f"transformer must be True or False, or one of them per unit, got {value!r}")
    if arr.shape not in ((), (n_units,)):
        raise ValueError(f"transformer must be a bool or have shape ({n_units},), got shape {arr.shape}")
    mask = np.broadcast_to(arr.astype(bool), (n_units,)).copy()
    return mask if mask.any() else None


def as_transformers(p: Params, prop: Propagators, mask: np.ndarray | None) -> tuple[Params, Propagators]:
    """``p`` and ``prop`` (NumPy leaves) with the transformer units' update put in.

    **Arguments:** ``p``: the run's parameters; ``prop``: its propagators; ``mask``: from
    ``check_transformer``.

    **Returns:** ``(p, prop)``, per-unit arrays where ``mask`` is not None, else unchanged.
    """
    if mask is None:
        return p, prop
    n = mask.shape[0]

    def put(leaf, value):
        leaf = np.broadcast_to(np.asarray(leaf), (n,))
        return np.where(mask, np.asarray(value, leaf.dtype), leaf)

    fixed = {"mu": 0.0, "sigma": 0.0, "rectify_output": False, "mult_coupling": False}
    leaves = [put(getattr(p, f), fixed[f]) if f in fixed else getattr(p, f) for f in Params.fields]
    prop = Propagators(put(prop.P1, 0.0), put(prop.P2, 1.0), put(prop.noise_factor, 0.0))
    return Params.tree_unflatten(None, leaves), prop
