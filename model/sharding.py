"""Splitting trials across devices: when JAX sees several, big ensembles run on all of them."""

from __future__ import annotations

import functools

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


@functools.lru_cache(maxsize=None)
def _mesh(n_devices: int) -> Mesh:
    return Mesh(np.array(jax.devices()[:n_devices]), ("trials",))


def trial_mesh(n_trials: int) -> Mesh | None:
    """A 1-D mesh over all devices when trials split evenly across them, else None."""
    n = jax.device_count()
    if n < 2 or n_trials % n:
        return None
    return _mesh(n)


def place_trials(x, mesh: Mesh | None, axis: int):
    """Put ``x`` (outside jit) on the mesh with its trial axis split."""
    if mesh is None:
        return x
    return jax.device_put(x, NamedSharding(mesh, _spec(x.ndim, axis)))


def split_trials(x, mesh: Mesh | None, axis: int):
    """Ask the compiler (inside jit) to keep ``x``'s trial axis split across the mesh."""
    if mesh is None:
        return x
    return jax.lax.with_sharding_constraint(x, NamedSharding(mesh, _spec(x.ndim, axis)))


def _spec(ndim: int, axis: int) -> PartitionSpec:
    spec = [None] * ndim
    spec[axis] = "trials"
    return PartitionSpec(*spec)
