"""One update of ``rate_neuron_ipn``, in NEST's order, knowing nothing about the gain.

NEST's ``rate_neuron_ipn::update`` does, for each step ``n`` (y is the rate):

1. transmit the pre-update rate ``y[n]`` (the caller reads it before calling ``nest_step``);
2. ``y = P1 * y[n] + P2 * mu + noise_factor * sigma * xi[n]``;
3. add the input read for step ``n``: ``y += P2 * first; y += P2 * second`` where
   ``(first, second) = summed_drive(ex, inh, ...)``;
4. if ``rectify_output`` and ``y < rectify_rate``: ``y = rectify_rate``.

The recorded sample ``n + 1`` is the result. ``ex``/``inh`` are the sums of the events with
weight ``w >= 0`` and ``w < 0`` that arrived for step ``n``; ``event_value`` says what one
event puts in them.
"""

import jax.numpy as jnp

from .gain import phi


def event_value(rate, weight, linear_summation, g, beta, theta):
    """What one event puts into the receiver's buffer.

    With ``linear_summation`` the weighted rate ``w * v`` (phi is applied to the sum later);
    without it the receiver's gain is applied per event, before weighting: ``w * phi(v)``.
    """
    return weight * jnp.where(linear_summation, rate, phi(rate, g, beta, theta))


def split_by_sign(weight, contribution, axis):
    """Sum ``contribution`` over ``axis`` separately for ``w >= 0`` (ex) and ``w < 0`` (in)."""
    ex = jnp.sum(jnp.where(weight >= 0, contribution, 0.0), axis=axis)
    inh = jnp.sum(jnp.where(weight < 0, contribution, 0.0), axis=axis)
    return ex, inh


def summed_drive(ex, inh, p):
    """The two terms NEST adds (times P2) for buffer sums ``ex`` and ``inh``.

    linear_summation, not mult_coupling: phi(ex + in), 0 -- phi(0) even with no input.
    linear_summation and mult_coupling:   phi(ex), phi(in) -- 2 phi(0) with no input.
    not linear_summation:                 ex, in (already sums of w * phi(v)).
    """
    def gain(h):
        return phi(h, p.g, p.beta, p.theta)

    lin, mult = p.linear_summation, p.mult_coupling
    first = jnp.where(lin, jnp.where(mult, gain(ex), gain(ex + inh)), ex)
    second = jnp.where(lin, jnp.where(mult, gain(inh), 0.0), inh)
    return first, second


def rectify(y, p):
    return jnp.where(p.rectify_output & (y < p.rectify_rate), p.rectify_rate, y)


def nest_step(y, xi, first, second, p, prop):
    """Steps 2-4 above for rate(s) ``y``; returns the recorded rate of the next sample."""
    y = prop.P1 * y + prop.P2 * p.mu + prop.noise_factor * (p.sigma * xi)
    y = y + prop.P2 * first
    y = y + prop.P2 * second
    return rectify(y, p)
