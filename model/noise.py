"""Standard-normal draws ``xi`` for the noise term, and frozen noise to reuse them.

Internally noise is laid out time-major, (n_steps, n_trials, n_units): the scan over time
then reads each step's draws as one contiguous block. Trial-major arrays, the public layout
(n_trials, n_steps, n_units), cost a transpose per run, which dominates big ensembles on a
CPU (10,000 x 10,000: ~0.4 s of a ~0.5 s run). ``FrozenNoise`` keeps the draws time-major, so
repeated runs with moving parameters (the explorer's sliders) never pay it.

A key ``k``, ``FrozenNoise.draw(k, ...)`` and ``draw_xi(k, ...)`` all give the same realisation.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import OrderedDict

import jax
import jax.numpy as jnp

from .deprecation import renamed


def float_dtype():
    """float64 when JAX's x64 mode is on, float32 otherwise."""
    # Read from the config: creating an array to ask costs ~0.1 ms per call.
    return jnp.dtype("float64" if jax.config.read("jax_enable_x64") else "float32")


def as_key(key) -> jax.Array:
    """A JAX PRNG key from an int seed (None means 0) or a key."""
    if key is None:
        key = 0
    if isinstance(key, bool):
        raise ValueError(f"key must be an int seed or a JAX PRNG key, got {key!r}")
    if isinstance(key, int) or (hasattr(key, "dtype") and jnp.ndim(key) == 0 and
                                jnp.issubdtype(key.dtype, jnp.integer)):
        return jax.random.PRNGKey(int(key))
    if hasattr(key, "dtype") and (jnp.issubdtype(key.dtype, jax.dtypes.prng_key) or
                                  (key.dtype == jnp.uint32 and jnp.shape(key) == (2,))):
        return key
    raise ValueError(f"key must be an int seed or a JAX PRNG key, got {key!r}")


def draw_time_major(key, n_trials: int, n_steps: int, n_units: int, dtype) -> jax.Array:
    return jax.random.normal(key, (n_steps, n_trials, n_units), dtype=dtype)


@functools.partial(jax.jit, static_argnames=("n_trials", "n_steps", "n_units", "dtype"))
def _draw(key, *, n_trials, n_steps, n_units, dtype):
    return draw_time_major(key, n_trials, n_steps, n_units, dtype)


@jax.jit
def _mean_over_trials(xi_time_major):
    return jnp.mean(xi_time_major, axis=1)


@dataclasses.dataclass(frozen=True, eq=False)
class FrozenNoise:
    """One noise realisation: its draws ``xi``, stored time-major; pass it as ``simulate(..., xi=noise)``.

    The noise of a run with it is ``sigma * xi``, so moving sigma keeps the same realisation.
    It also keeps what ``simulate`` filtered out of it (see ``noise_response.py``), so runs that
    only move mu, g, beta, theta, sigma, a switch or an input cost a single noiseless trace.
    """

    time_major: jax.Array  # xi, (n_steps, n_trials, n_units)
    responses: OrderedDict = dataclasses.field(default_factory=OrderedDict, init=False, repr=False)

    @classmethod
    def draw(cls, key, *, n_trials: int, n_steps: int, n_units: int = 1) -> "FrozenNoise":
        """Fresh standard-normal draws.

        **Arguments:** ``key``: an int seed or a JAX PRNG key (the same key gives the same
        draws as ``simulate(..., key=key)``); ``n_trials``, ``n_steps``, ``n_units``: the shape.

        **Returns:** a ``FrozenNoise`` in the float dtype of JAX's mode (``float_dtype()``).
        """
        return cls(_draw(as_key(key), n_trials=n_trials, n_steps=n_steps, n_units=n_units,
                         dtype=float_dtype()))

    @classmethod
    def from_xi(cls, xi) -> "FrozenNoise":
        """Given draws, e.g. NEST's recorded ``noise / sigma`` to replay a NEST run exactly.

        **Arguments:** ``xi``: array-like of shape (n_trials, n_steps, n_units).

        **Returns:** a ``FrozenNoise`` holding them time-major.
        """
        xi = jnp.asarray(xi, float_dtype())
        if xi.ndim != 3:
            raise ValueError(f"xi must have shape (n_trials, n_steps, n_units), got {xi.shape}")
        return cls(jnp.swapaxes(xi, 0, 1))

    @functools.cached_property
    def xi_mean(self) -> jax.Array:
        """(n_steps, n_units): xi's mean over trials (computed once, on first use)."""
        return _mean_over_trials(self.time_major)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(n_trials, n_steps, n_units), the public layout."""
        n_steps, n_trials, n_units = self.time_major.shape
        return n_trials, n_steps, n_units

    @property
    def xi(self) -> jax.Array:
        """The draws in the public layout (n_trials, n_steps, n_units) (a transposed copy)."""
        return jnp.swapaxes(self.time_major, 0, 1)

    draws = renamed("draws", "time_major", "use .time_major (or .xi, trial-major)")
    draws_mean = renamed("draws_mean", "xi_mean", "use .xi_mean")


def draw_xi(key, *, n_trials: int, n_steps: int, n_units: int = 1) -> jax.Array:
    """Standard-normal draws of shape (n_trials, n_steps, n_units), the public layout.

    **Arguments:** as ``FrozenNoise.draw``. **Returns:** a JAX array.
    """
    return FrozenNoise.draw(key, n_trials=n_trials, n_steps=n_steps, n_units=n_units).xi
