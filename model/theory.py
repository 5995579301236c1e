"""Closed-form results for ``sigmoid_rate_ipn``, exact for NEST's discrete scheme.

For an uncoupled, unrectified unit the update is linear in the rate,

    y[n+1] = P1 y[n] + P2 (mu + D[n]) + noise_factor sigma xi[n],

with ``D[n]`` the summed drive of step ``n`` (``phi(0)`` with no input under linear
summation). Its mean follows the same recursion with sigma = 0, whatever the input; its
variance and autocovariance do not depend on the input at all. Because NEST's scheme is the
exact solution of the Ornstein-Uhlenbeck process, ``v_inf = sigma^2 / (2 lambda)``.
"""

from __future__ import annotations

from typing import NamedTuple

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from . import gain
from .drive import autapse_drive
from .params import Params
from .propagators import propagators
from .step import event_value, split_by_sign, summed_drive

__all__ = [
    "applies", "phi", "phi_slope", "drive", "stationary_mean", "stationary_variance",
    "mean_at", "variance_at", "autocovariance", "FixedPoint", "fixed_points",
]


def applies(net) -> bool:
    """Whether this module's mean and variance are exact for ``net``'s rates.

    True for uncoupled ``sigmoid_rate_ipn`` units without rectification (no ``w_inst`` /
    ``w_delayed``, no ``rectify_output``, no rate transformer): there the update is linear, the
    rate is Gaussian and its mean is the noiseless run. ``simulate`` computes that noiseless
    run on the way (``SimulationResult.noiseless``) where this holds and the noise is frozen.

    **Arguments:** `net`: a ``model.Network``.

    **Returns:** a Python bool.
    """
    return (not net.coupled and not np.any(np.asarray(net.params.rectify_output))
            and net.transformer is None)


def _as_input(h):
    return h if isinstance(h, jax.Array) else np.asarray(h, float)


def phi(h, p: Params):
    """The gain ``phi(h)`` with ``p``'s g, beta, theta: ``model.phi`` taking a ``Params``.

    **Arguments:** `h`: the gain's argument (scalar or array); `p`: the ``Params`` (g, beta,
    theta used).

    **Returns:** ``phi(h)``, NumPy float64 for NumPy or Python input, a JAX array for JAX input.
    """
    return gain.phi(_as_input(h), p.g, p.beta, p.theta)


def phi_slope(h, p: Params):
    """``dphi/dh`` at ``h`` with ``p``'s g, beta, theta.

    **Arguments:** `h`: the gain's argument (scalar or array); `p`: the ``Params``.

    **Returns:** the slope, typed as ``phi``'s value.
    """
    return gain.phi_slope(_as_input(h), p.g, p.beta, p.theta)


def _no_dt(name, args, kwargs):
    """Accept the ``dt`` these functions used to take and never used, with a DeprecationWarning."""
    if len(args) > 1 or set(kwargs) - {"dt"}:
        raise TypeError(f"{name}(p, *, d=None): unexpected arguments {args[1:]} {sorted(set(kwargs) - {'dt'})}")
    if args or kwargs:
        warnings.warn(f"theory.{name}: dt is not used and will be removed; call {name}(p)",
                      DeprecationWarning, stacklevel=3)


def drive(p: Params, rates=(), weights=()):
    """The drive ``D`` added (times P2) per step when events ``(rates[k], weights[k])`` arrive.

    With no events: phi(0) under linear summation, 2 phi(0) with mult_coupling as well, and 0
    without linear summation.

    **Arguments:** `p`: the ``Params`` (g, beta, theta, linear_summation, mult_coupling used);
    `rates`, `weights`: the arriving events' rates and connection weights (same length).

    **Returns:** ``D``, a JAX scalar.
    """
    rates = jnp.atleast_1d(jnp.asarray(rates, dtype=float))
    weights = jnp.atleast_1d(jnp.asarray(weights, dtype=float))
    value = event_value(rates, weights, p.linear_summation, p.g, p.beta, p.theta)
    ex, inh = split_by_sign(weights, value, axis=-1)
    first, second = summed_drive(ex, inh, p)
    return first + second


def _decay(p: Params, dt, n):
    """(lambda, x = lambda dt / tau, n): the exponent of ``P1^n = exp(-n x)``."""
    lam = jnp.asarray(p.lambda_, float)
    return lam, lam * dt / jnp.asarray(p.tau, float), jnp.asarray(n, float)


def _n_step_gain(p: Params, dt, n):
    """``P2 (1 + P1 + ... + P1^(n-1)) = -expm1(-n x) / lambda`` (n dt / tau for lambda = 0).

    The expm1 form stays exact as lambda -> 0, where ``(1 - P1^n) / lambda`` cancels.
    """
    lam, x, n = _decay(p, dt, n)
    safe = jnp.where(lam > 0, lam, 1.0)
    return jnp.where(lam > 0, -jnp.expm1(-n * x) / safe, n * dt / jnp.asarray(p.tau, float))


def stationary_mean(p: Params, *_dt, d=None, **_dt_kw):
    """``P2 (mu + D) / (1 - P1) = (mu + D) / lambda``; ``nan`` for lambda == 0 (no stationary state).

    Independent of dt: NEST's scheme has the continuous process's stationary state.

    **Arguments:** `p`: the ``Params``; `d`: the drive ``D`` (default: ``drive(p)``, no events).
    A ``dt`` in second place (the old signature) is accepted with a DeprecationWarning.

    **Returns:** the stationary mean rate (a JAX scalar, or an array for array parameters).
    """
    _no_dt("stationary_mean", _dt, _dt_kw)
    d = drive(p) if d is None else d
    lam = jnp.asarray(p.lambda_, float)
    return jnp.where(lam > 0, (p.mu + d) / jnp.where(lam > 0, lam, 1.0), jnp.nan)


def stationary_variance(p: Params, *_dt, **_dt_kw):
    """``noise_factor^2 sigma^2 / (1 - P1^2) = sigma^2 / (2 lambda)``; ``nan`` for lambda == 0.

    Independent of dt, as the mean. **Arguments:** `p`: the ``Params``; a ``dt`` in second place
    (the old signature) is accepted with a DeprecationWarning.

    **Returns:** the stationary variance (a JAX scalar, or an array for array parameters).
    """
    _no_dt("stationary_variance", _dt, _dt_kw)
    lam = jnp.asarray(p.lambda_, float)
    return jnp.where(lam > 0, jnp.asarray(p.sigma, float) ** 2 / (2.0 * jnp.where(lam > 0, lam, 1.0)),
                     jnp.nan)


def mean_at(p: Params, dt: float, n, y0=0.0, d=None):
    """Mean of ``y[n]`` from ``y[0] = y0`` under a constant drive: ``P1^n y0 + G_n (mu + D)``.

    **Arguments:** `p`: the ``Params``; `dt`: the resolution in ms; `n`: step count(s), a
    scalar or array; `y0`: the start rate; `d`: the drive ``D`` (default: ``drive(p)``).

    **Returns:** the mean, shaped like `n` (a JAX array).
    """
    d = drive(p) if d is None else d
    _, x, n = _decay(p, dt, n)
    return jnp.exp(-n * x) * y0 + _n_step_gain(p, dt, n) * (p.mu + d)


def variance_at(p: Params, dt: float, n):
    """Variance of ``y[n]`` from a fixed ``y[0]``: ``sigma^2 (-expm1(-2 n x)) / (2 lambda)``
    (= v_inf (1 - P1^(2n))), or ``n (dt / tau) sigma^2`` for lambda = 0.

    **Arguments:** `p`: the ``Params``; `dt`: the resolution in ms; `n`: step count(s).

    **Returns:** the variance, shaped like `n` (a JAX array); it does not depend on the input.
    """
    lam, x, n = _decay(p, dt, n)
    sigma2 = jnp.asarray(p.sigma, float) ** 2
    safe = jnp.where(lam > 0, lam, 1.0)
    relaxing = sigma2 * -jnp.expm1(-2.0 * n * x) / (2.0 * safe)
    return jnp.where(lam > 0, relaxing, n * dt / jnp.asarray(p.tau, float) * sigma2)


def autocovariance(p: Params, dt: float, lags):
    """Stationary ``Cov(y[n], y[n+k]) = v_inf P1^|k|``.

    **Arguments:** `p`: the ``Params``; `dt`: the resolution in ms; `lags`: ``k`` in steps.

    **Returns:** the autocovariance, shaped like `lags` (a JAX array; ``nan`` for lambda = 0).
    """
    _, x, k = _decay(p, dt, jnp.abs(jnp.asarray(lags, float)))
    return stationary_variance(p) * jnp.exp(-k * x)


class FixedPoint(NamedTuple):
    """A fixed point of ``fixed_points``: its rate and whether it is stable."""

    rate: float
    stable: bool


def fixed_points(p: Params, w_self: float, input_rate: float = 0.0, input_weight: float = 0.0,
                 window: tuple[float, float] | None = None, resolution: int = 20001):
    """Fixed points of a unit with an autapse of weight ``w_self`` and a constant input.

    Solves ``lambda x = mu + D(x)`` with ``D`` the drive of the events ``(x, w_self)`` and
    ``(input_rate, input_weight)``. A point is stable when ``F(x) = mu + D(x) - lambda x`` falls
    through zero (``F' < 0``): the continuous-time criterion, which also holds for the discrete
    scheme and for a delayed autapse with positive feedback (``w_self * phi' >= 0``). Scalar
    parameters only. Roots are bracketed on a grid over ``window`` (default: the interval that
    must contain every fixed point when lambda > 0) and refined by bisection.

    **Arguments:** `p`: scalar ``Params``; `w_self`: the autapse's weight; `input_rate`,
    `input_weight`: a constant external event; `window`: the (lo, hi) rates searched;
    `resolution`: grid points over it.

    **Returns:** a list of ``FixedPoint(rate, stable)``, by increasing rate.
    """
    scalars = {f: np.asarray(getattr(p, f)) for f in ("mu", "g", "beta", "theta", "lambda_",
                                                       "linear_summation", "mult_coupling")}
    if any(v.ndim for v in scalars.values()):
        raise ValueError("fixed_points needs scalar parameters (one unit)")
    lam, mu, g, beta, theta = (float(scalars[f]) for f in ("lambda_", "mu", "g", "beta", "theta"))
    drive_params = Params(g=g, beta=beta, theta=theta)

    # The drive as every caller computes it (model/drive.py), in NumPy float64 whatever JAX's
    # mode: roots and slopes need the digits.
    drive_x = autapse_drive(Params(**{f: scalars[f] for f in ("g", "beta", "theta", "linear_summation",
                                                                "mult_coupling")}),
                            float(w_self), float(input_rate), float(input_weight))

    def residual(x):
        """mu + D(x) - lambda x."""
        with np.errstate(over="ignore"):
            return mu + drive_x.value(np.asarray(x, float), drive_params) - lam * x

    if window is None:
        if lam > 0:
            bound = (abs(mu) + 2 * abs(g) * (1 + abs(w_self) + abs(input_weight))) / lam
            window = (-bound - 1.0, bound + 1.0)
        else:
            window = (-100.0, 100.0)
    x = np.linspace(window[0], window[1], resolution)
    f = residual(x)
    points = []
    for i in np.nonzero(np.sign(f[:-1]) * np.sign(f[1:]) <= 0)[0]:
        if f[i] == 0 and i > 0 and f[i - 1] == 0:
            continue  # a zero run (e.g. lambda = 0 with nothing to balance): not isolated
        lo, hi = x[i], x[i + 1]
        flo = f[i]
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            fm = residual(mid)
            if np.sign(fm) == np.sign(flo) and fm != 0:
                lo, flo = mid, fm
            else:
                hi = mid
        root = 0.5 * (lo + hi)
        h = 1e-6 * max(1.0, abs(root))
        slope = (residual(root + h) - residual(root - h)) / (2 * h)
        if not points or abs(root - points[-1].rate) > 1e-9:
            points.append(FixedPoint(float(root), bool(slope < 0)))
    return points
