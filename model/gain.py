"""The gain function of ``sigmoid_rate_ipn``: the only part of the model that is sigmoid.

The dynamics (``step.py``) know nothing about it beyond calling ``phi``; NEST's
multiplicative-coupling factors ``H_ex``/``H_in`` are 1 for the sigmoid and so do not
appear at all. Given only NumPy values (the theory, the dashboard's curve) it computes in
NumPy: a dispatched JAX operation per call would cost more than the arithmetic.
"""

import jax
import jax.numpy as jnp
import numpy as np


def _xp(*args):
    return jnp if any(isinstance(a, jax.Array) for a in args) else np


def phi(h, g, beta, theta):
    """``phi(h) = g / (1 + exp(-beta (h - theta)))``, elementwise, broadcasting.

    **Arguments:** ``h``: the gain's argument (summed input, or one event's rate);
    ``g``, ``beta``, ``theta``: the ``Params`` fields of the same names.

    **Returns:** NumPy when every argument is NumPy or a Python number, else a JAX array.
    """
    xp = _xp(h, g, beta, theta)
    if xp is np:
        # exp overflows to inf far below threshold, and g / inf is 0: NEST's value (IEEE), so
        # NumPy's overflow warning says nothing wrong.
        with np.errstate(over="ignore"):
            return g / (1.0 + np.exp(-beta * (h - theta)))
    return g / (1.0 + xp.exp(-beta * (h - theta)))


def phi_slope(h, g, beta, theta):
    """``d phi / d h = beta * phi * (1 - phi / g)``, written to stay finite for g == 0.

    **Arguments** and **Returns:** as ``phi``.
    """
    xp = _xp(h, g, beta, theta)
    with np.errstate(over="ignore"):  # as in phi: exp -> inf gives s = 0, the exact limit
        s = 1.0 / (1.0 + xp.exp(-beta * (h - theta)))
    return g * beta * s * (1.0 - s)
