"""Per-step propagators of ``rate_neuron_ipn``, computed once per run from the parameters.

For ``lambda > 0`` NEST integrates the linear part exactly (exponential Euler, exact
Ornstein-Uhlenbeck noise); for ``lambda == 0`` it falls back to Euler-Maruyama. The
branch is chosen with ``jnp.where`` inside the traced program, so toggling lambda to 0
and back reuses the compiled code.
"""

from typing import NamedTuple

import jax.numpy as jnp


class Propagators(NamedTuple):
    P1: jnp.ndarray  # decay of the rate over one step
    P2: jnp.ndarray  # weight of a constant drive held over one step
    noise_factor: jnp.ndarray  # scale of sigma * xi in one step


def propagators(tau, lambda_, dt) -> Propagators:
    euler_maruyama = lambda_ == 0
    # A dummy decay rate keeps the unused branch finite (no 0/0 in jnp.where).
    lam = jnp.where(euler_maruyama, 1.0, lambda_)
    x = lam * dt / tau
    P1 = jnp.where(euler_maruyama, 1.0, jnp.exp(-x))
    P2 = jnp.where(euler_maruyama, dt / tau, -jnp.expm1(-x) / lam)
    noise_factor = jnp.where(
        euler_maruyama, jnp.sqrt(dt / tau), jnp.sqrt(-0.5 * jnp.expm1(-2.0 * x) / lam)
    )
    return Propagators(P1, P2, noise_factor)
