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
    """NEST's per-step propagators in JAX (traceable: tau, lambda_ and dt may be traced).

    **Arguments:** `tau`: time constant in ms; `lambda_`: decay rate (0 selects
    Euler-Maruyama); `dt`: the resolution in ms. Scalars or broadcastable arrays.

    **Returns:** ``Propagators(P1, P2, noise_factor)``: ``exp(-lambda dt / tau)``,
    ``-expm1(-lambda dt / tau) / lambda`` and ``sqrt(-expm1(-2 lambda dt / tau) / (2 lambda))``
    (``1``, ``dt / tau``, ``sqrt(dt / tau)`` for lambda = 0). ``host_propagators`` gives NEST's
    exact bits for a run.
    """
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


def host_propagators(tau, lambda_, dt, dtype) -> Propagators:
    """The propagators as NEST computes them, on the host, as NumPy arrays of ``dtype``.

    NEST's pre_run_hook evaluates ``exp(-lambda h / tau)``, ``-1 / lambda * expm1(...)`` and
    ``sqrt(-0.5 / lambda * expm1(-2 lambda h / tau))`` with the C library. XLA's exp and expm1
    differ from it by an ulp for some arguments (measured: P2 at tau = 2.7, dt = 0.001), and a
    propagator an ulp off drifts a 100,000-step run by 1e-12. Python's ``math`` is the C
    library, so these are NEST's bits; passed to the jitted run as data, they never recompile.
    One ``math`` call per distinct (tau, lambda) pair: ~1 us for scalars.

    **Arguments:** ``tau``, ``lambda_``: scalars or (n_units,) arrays; ``dt``: ms; ``dtype``.

    **Returns:** ``Propagators`` of NumPy arrays shaped like ``broadcast(tau, lambda_)``.
    """
    import math

    import numpy as np

    tau, lam = np.broadcast_arrays(np.asarray(tau, float), np.asarray(lambda_, float))
    h = float(dt)

    def one(t, la):
        if la == 0.0:  # Euler-Maruyama
            return 1.0, h / t, math.sqrt(h / t)
        return (math.exp(-la * h / t), -1.0 / la * math.expm1(-la * h / t),
                math.sqrt(-0.5 / la * math.expm1(-2.0 * la * h / t)))

    if tau.ndim == 0:
        return Propagators(*(np.asarray(v, dtype) for v in one(float(tau), float(lam))))
    pairs, index = np.unique(np.stack([tau, lam], axis=-1), axis=0, return_inverse=True)
    table = np.array([one(float(t), float(la)) for t, la in pairs]).reshape(-1, 3)
    index = np.asarray(index).reshape(-1)
    return Propagators(*(np.asarray(table[index, k], dtype) for k in range(3)))
