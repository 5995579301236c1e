"""Per-step mean and variance over trials, in one pass that stays accurate in float32."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def shifted_sums(y, axis):
    """Sums for the moments over the trial ``axis``, shifted by the first trial's value.

    The shift keeps ``sum(d^2) - sum(d)^2 / n`` accurate in float32 (d is of the order of the
    spread, not of the mean); one pass is several times faster than mean-then-deviations.
    Returns (reference, sum of d, sum of d^2).
    """
    ref = jax.lax.index_in_dim(y, 0, axis, keepdims=True)
    d = y - ref
    return jnp.squeeze(ref, axis), jnp.sum(d, axis=axis), jnp.sum(d * d, axis=axis)


def moments_from_sums(ref, s1, s2, n: int):
    """(mean, variance with ddof = 1; 0 for one trial) from ``shifted_sums`` over n trials."""
    return ref + s1 / n, jnp.maximum(s2 - s1 * s1 / n, 0.0) / max(n - 1, 1)


@jax.jit
def moments_over_trials(rate):
    """Per-step mean and variance of ``rate`` (n_trials, n_steps, n_units) over its trials."""
    return moments_from_sums(*shifted_sums(rate, 0), rate.shape[0])
