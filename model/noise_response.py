"""The noise's share of the rate, filtered once per (frozen noise, tau, lambda, dt) and reused.

Without rectification and without connections between units the update is linear in the
rate, and the noise enters additively:

    y[n+1] = P1 y[n] + P2 drive[n] + c xi[n],    c = noise_factor * sigma.

So ``y = q + c z``: ``q`` is the noiseless run (a single trace, whatever the inputs and
switches) and ``z[n+1] = P1 z[n] + xi[n]``, ``z[0] = 0``, depends only on the draws and on
``P1``, that is on tau, lambda and dt. Mean and variance over trials follow as
``q + c mean(z)`` and ``c^2 var(z)``. With frozen noise ``z`` and its moments are kept: moving
mu, g, beta, theta, sigma, a switch or an input then costs one noiseless trace and a
multiply-add over the kept trials, however many trials there are. Only tau, lambda and dt
(or new noise) pass over every trial again.

The result equals the step-by-step recursion up to rounding (the terms are summed in another
order): the tests hold it to NEST's numbers at 1e-12 in float64.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from .compiles import note_trace
from .moments import moments_from_sums, shifted_sums
from .noise import FrozenNoise
from .propagators import propagators
from .sharding import split_trials

KEPT_PER_NOISE = 2  # responses kept per frozen noise: the current tau/lambda/dt and the one before


@dataclasses.dataclass(frozen=True, eq=False)
class NoiseResponse:
    z_recorded: jax.Array  # (n_recorded, n_steps, n_units): z of the first trials, trial-major
    z_mean: jax.Array  # (n_steps, n_units): mean of z over all trials
    z_var: jax.Array  # (n_steps, n_units): variance of z over all trials (ddof = 1)
    finite: bool  # whether z stayed finite (it does unless a draw is not)


def noise_response(noise: FrozenNoise, tau, lambda_, dt, *, n_recorded: int, method: str,
                   mesh) -> NoiseResponse:
    """``z`` for these draws and propagators: from ``noise``'s cache, or computed and kept."""
    n_units = noise.shape[2]
    xi = noise.time_major
    tau, lambda_ = (np.broadcast_to(np.asarray(v, xi.dtype), (n_units,)) for v in (tau, lambda_))
    dt = np.asarray(dt, xi.dtype)
    key = (tau.tobytes(), lambda_.tobytes(), dt.tobytes(), n_recorded, method, mesh)
    kept = noise.responses
    if key in kept:
        kept.move_to_end(key)
        return kept[key]
    # With trials left out, the loop sums squares only; the mean comes from xi's mean
    # (z is linear in xi, so mean(z) is xi's mean passed through the same recursion).
    xi_mean = noise.xi_mean if n_recorded < noise.shape[0] and method != "parallel" else None
    z_recorded, z_mean, z_var, finite = _filter(xi, xi_mean, tau, lambda_, dt,
                                                n_recorded=n_recorded, method=method, mesh=mesh)
    response = NoiseResponse(z_recorded, z_mean, z_var, bool(finite))
    kept[key] = response
    while len(kept) > KEPT_PER_NOISE:
        kept.popitem(last=False)
    return response


@functools.partial(jax.jit, static_argnames=("n_recorded", "method", "mesh"))
def _filter(xi, xi_mean, tau, lambda_, dt, *, n_recorded, method, mesh):
    """z (recorded trials), its moments over all trials, and whether it stayed finite."""
    note_trace()
    n_trials = xi.shape[1]
    P1 = propagators(tau, lambda_, dt).P1  # (n_units,)
    xi = split_trials(xi, mesh, 1)  # (n_steps, n_trials, n_units)
    if method == "parallel":
        combine = lambda e, l: (l[0] * e[0], l[0] * e[1] + l[1])  # noqa: E731  (l . e, affine maps)
        z = jax.lax.associative_scan(combine, (jnp.broadcast_to(P1, xi.shape), xi), axis=0)[1]
        recorded = z[:, :n_recorded]
        z_mean, z_var = moments_from_sums(*shifted_sums(z, 1), n_trials)
    elif xi_mean is None:  # every trial is kept: moments after the loop
        z_start = split_trials(jnp.zeros(xi.shape[1:], xi.dtype), mesh, 0)
        recorded = jax.lax.scan(lambda z, xi_n: (P1 * z + xi_n,) * 2, z_start, xi)[1]
        z_mean, z_var = moments_from_sums(*shifted_sums(recorded, 1), n_trials)
    else:
        # Trials left out exist only inside the loop, so their sums are taken there; one sum
        # (of squares) per step is what that costs least. z has no drive: its trial mean is
        # that of xi (about 0 for standard-normal draws, |mean| ~ sd / sqrt(n_trials)),
        # so sum(z^2) - n mean^2 loses no digits.
        def body(z, xi_n):
            z = P1 * z + xi_n
            return z, (z[:n_recorded], jnp.sum(z * z, axis=0))

        z_start = split_trials(jnp.zeros(xi.shape[1:], xi.dtype), mesh, 0)
        recorded, squares = jax.lax.scan(body, z_start, xi)[1]
        z_mean = jax.lax.scan(lambda m, x: (P1 * m + x,) * 2, jnp.zeros_like(P1), xi_mean)[1]
        z_var = jnp.maximum(squares - n_trials * z_mean * z_mean, 0.0) / max(n_trials - 1, 1)
    finite = jnp.all(jnp.isfinite(z_mean[-1]) & jnp.isfinite(z_var[-1]))
    return jnp.swapaxes(recorded, 0, 1), z_mean, z_var, finite
