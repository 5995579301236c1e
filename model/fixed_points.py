"""Fixed points of NEST's discrete scheme for a unit with a delayed autapse, and their stability.

With sigma = 0, a constant input level ``u`` (weight ``w_in``) and an autapse of weight ``w``
and delay ``d`` steps, NEST's update is

    y[n+1] = max(P1 y[n] + P2 (mu + D(y[n-d])), r)       (max only with rectify_output)

with ``D(x) = c0 + c1 phi(s x + o)`` (``model/drive.py``). Its increment per step is
``P2 G(x)`` with ``G(x) = mu + D(x) - lambda x`` (``1 - P1 = lambda P2``, and for lambda = 0
``P1 = 1``), so the fixed points are the zeros of G (those at or above the floor ``r`` when
rectifying), plus the floor itself where ``G(r) < 0``.

Roots, exactly and without a grid: ``G' = c1 s phi'(s x + o) - lambda`` vanishes where the
sigmoid's slope equals ``lambda / (c1 s)``, which has a closed form (``phi' = g beta S (1 - S)``),
so G is monotone between at most two critical points and each piece holds at most one root,
found by bisection to the last bit. Every fixed point therefore lies in one of three slots
(below, between and above the critical points: the branches of a hysteresis curve keep their
slot) plus the floor.

Stability, delay included: linearised, a deviation obeys ``e[n+1] = P1 e[n] + K e[n-d]`` with
``K = P2 D'(x*)``, characteristic polynomial ``z^(d+1) - P1 z^d - K``. On the unit circle
``|z - P1| >= 1 - P1``, so every root stays inside while ``|K| < 1 - P1``; the first root to
leave as K grows is ``z = 1`` at ``K = 1 - P1`` (the slope test ``G' < 0``), and as K falls the
first is a pair ``e^{+-i w1}`` with ``d w1 + arg(e^{i w1} - P1) = pi`` (the phase is increasing in
w, so w1 is unique in ``(0, pi / (d + 1)]``) at ``K = -|e^{i w1} - P1|``. Hence the exact
criterion ``-|e^{i w1} - P1| < K < 1 - P1``: no polynomial roots, one bisection for w1, jittable
and elementwise. A fixed point on the rectifying floor with ``G(r) < 0`` is stable (the map is
constant there).

Everything is elementwise over broadcast arrays, so a whole parameter grid is one jitted call
(``model/regimes.py``); parameters are traced data, so new values never recompile.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .compiles import note_trace
from .drive import autapse_drive
from .propagators import propagators

SLOTS = 4  # below, between and above the critical points, and the rectifying floor


def bisections():
    """Halvings per root: a window of 2e6 (lambda = 0) down to 2e-13 in float64, 2e-6 in float32.

    Traced once per dtype. Measured (200 x 200 map, 2 cores): float64 80 -> 64 halvings,
    ~200 -> ~150 ms; float32 80 -> 40, ~75 -> ~45 ms.
    """
    return 64 if jnp.result_type(float) == jnp.float64 else 40


class Setting(NamedTuple):
    """One unit, its autapse and a constant input: every field broadcasts (a scalar or a grid).

    ``delay`` is in steps (>= 1); switches are booleans. sigma plays no part (sigma = 0).
    """

    tau: jnp.ndarray
    lambda_: jnp.ndarray
    mu: jnp.ndarray
    g: jnp.ndarray
    beta: jnp.ndarray
    theta: jnp.ndarray
    rectify_rate: jnp.ndarray
    linear_summation: jnp.ndarray
    rectify_output: jnp.ndarray
    mult_coupling: jnp.ndarray
    w_self: jnp.ndarray
    delay: jnp.ndarray
    u: jnp.ndarray
    w_in: jnp.ndarray
    dt: jnp.ndarray


def setting(p, w_self=0.0, delay_steps=1, u=0.0, w_in=0.0, dt=0.1) -> Setting:
    """A `Setting` from a `Params` (sigma ignored) and the autapse, input and resolution.

    **Arguments:**

    - `p`: `model.Params`, or anything with its fields (scalars, or arrays that broadcast).
    - `w_self`: autapse weight; `delay_steps`: its delay in steps (>= 1).
    - `u`: the constant input level (the external rate); `w_in`: its weight.
    - `dt`: the resolution in ms.

    **Returns:**

    A `Setting` of NumPy arrays in JAX's float type (float64 with x64 on).
    """
    fields = dict(tau=p.tau, lambda_=p.lambda_, mu=p.mu, g=p.g, beta=p.beta, theta=p.theta,
                  rectify_rate=p.rectify_rate, linear_summation=p.linear_summation,
                  rectify_output=p.rectify_output, mult_coupling=p.mult_coupling,
                  w_self=w_self, delay=delay_steps, u=u, w_in=w_in, dt=dt)
    # NumPy arrays, handed to the jitted programs as they are: 15 jnp.asarray calls cost ~12 ms
    # per setting on the loaded 2-core machine (measured), NumPy a few microseconds.
    real = np.dtype(jnp.result_type(float))
    out = {}
    for name, value in fields.items():
        if name in ("linear_summation", "rectify_output", "mult_coupling"):
            out[name] = np.asarray(value, bool)
        else:
            out[name] = np.asarray(value, real)
    return Setting(**out)


class FixedPoints(NamedTuple):
    """Fixed points in ``SLOTS`` slots along the last axis (below, middle, above, floor)."""

    rate: jnp.ndarray  # (..., SLOTS); nan where the slot holds none
    exists: jnp.ndarray  # (..., SLOTS) bool
    stable: jnp.ndarray  # (..., SLOTS) bool
    loop_gain: jnp.ndarray  # (..., SLOTS) K = P2 D'(x*) (0 on the floor)
    argument: jnp.ndarray  # (..., SLOTS) phi's argument at x* (the operating point)


def _bisect(f, lo, hi, n=None):
    """Zero of an elementwise monotone ``f`` on ``[lo, hi]`` (where it changes sign there)."""
    n = bisections() if n is None else n
    flo = f(lo)

    def body(_, bounds):
        a, b, fa = bounds
        m = 0.5 * (a + b)
        fm = f(m)
        left = jnp.sign(fm) == jnp.sign(fa)
        return jnp.where(left, m, a), jnp.where(left, b, m), jnp.where(left, fm, fa)

    a, b, _ = jax.lax.fori_loop(0, n, body, (lo, hi, flo))
    return 0.5 * (a + b)


def critical_points(st: Setting):
    """Where ``G' = 0`` (the folds of G), as ``(x_lo, x_hi, found)``; ``found`` False: G monotone."""
    dr = autapse_drive(st, st.w_self, st.u, st.w_in)
    k = dr.c1 * dr.s * st.g * st.beta  # G' = k S (1 - S) - lambda, S the logistic of beta (h - theta)
    ratio = jnp.where(k > 0, st.lambda_ / jnp.where(k > 0, k, 1.0), 1.0)
    found = (k > 0) & (ratio < 0.25) & (st.lambda_ > 0)
    root = jnp.sqrt(jnp.clip(1.0 - 4.0 * ratio, 0.0, 1.0))
    s_lo, s_hi = 0.5 * (1.0 - root), 0.5 * (1.0 + root)
    safe_s_lo = jnp.where(found, s_lo, 0.25)
    safe_s_hi = jnp.where(found, s_hi, 0.75)
    beta = jnp.where(st.beta != 0, st.beta, 1.0)
    h1 = st.theta + jnp.log(safe_s_lo / (1.0 - safe_s_lo)) / beta
    h2 = st.theta + jnp.log(safe_s_hi / (1.0 - safe_s_hi)) / beta
    s = jnp.where(dr.s != 0, dr.s, 1.0)
    x1, x2 = (h1 - dr.o) / s, (h2 - dr.o) / s
    return jnp.minimum(x1, x2), jnp.maximum(x1, x2), found


def window(st: Setting):
    """An interval that holds every zero of G: ``|x| <= (|mu| + |c0| + |c1 g|) / lambda``.

    For lambda = 0 G is monotone and its zero can be anywhere: a wide window (bisection still
    ends at 2e-13 in float64: 64 halvings of 2e6).
    """
    dr = autapse_drive(st, st.w_self, st.u, st.w_in)
    lam = jnp.where(st.lambda_ > 0, st.lambda_, 1.0)
    bound = (jnp.abs(st.mu) + jnp.abs(dr.c0) + jnp.abs(dr.c1 * st.g)) / lam + 1.0
    return jnp.where(st.lambda_ > 0, bound, 1e6)


def residual(x, st: Setting):
    """``G(x) = mu + D(x) - lambda x``: the increment per step is ``P2 G(x)``."""
    return st.mu + autapse_drive(st, st.w_self, st.u, st.w_in).value(x, st) - st.lambda_ * x


def oscillation_bound(P1, delay):
    """``|e^{i w1} - P1|``: the loop gain K below ``-bound`` puts a root pair outside the circle.

    w1 in (0, pi / (d + 1)] solves ``d w + arg(e^{i w} - P1) = pi`` (phase increasing in w).
    For d = 0 this is ``1 + P1``; for P1 = 1, ``2 sin(pi / (2 (2 d + 1)))``.
    """
    def phase(w):
        return delay * w + jnp.arctan2(jnp.sin(w), jnp.cos(w) - P1) - jnp.pi

    w1 = _bisect(phase, jnp.zeros_like(P1 * delay), jnp.pi / (delay + 1.0) + 0 * P1)
    return jnp.sqrt(1.0 - 2.0 * P1 * jnp.cos(w1) + P1 * P1)


def stable_for(K, P1, delay):
    """The exact criterion ``-|e^{i w1} - P1| < K < 1 - P1`` (module doc)."""
    return (K < 1.0 - P1) & (K > -oscillation_bound(P1, delay))


@jax.jit
def fixed_points(st: Setting) -> FixedPoints:
    """All fixed points of NEST's scheme for `st`, with their stability, in ``SLOTS`` slots.

    **Arguments:**

    - `st`: a `Setting` (fields broadcast; traced inside `jax.jit`).

    **Returns:**

    A `FixedPoints` with arrays of shape ``broadcast_shape + (SLOTS,)``. Jitted: one compile per
    shape, whatever the values.
    """
    note_trace()
    prop = propagators(st.tau, st.lambda_, st.dt)
    x_lo, x_hi, found = critical_points(st)
    bound = window(st)
    # Without critical points G is monotone: one piece, the other two empty.
    c1 = jnp.where(found, jnp.clip(x_lo, -bound, bound), -bound)
    c2 = jnp.where(found, jnp.clip(x_hi, -bound, bound), -bound)
    lefts = jnp.stack(jnp.broadcast_arrays(-bound, c1, c2), -1)
    rights = jnp.stack(jnp.broadcast_arrays(c1, c2, bound), -1)
    ex = lambda a: a[..., None]
    st3 = Setting(*(ex(f) for f in st))

    def G(x):
        return residual(x, st3)

    g_l, g_r = G(lefts), G(rights)
    has = (jnp.sign(g_l) * jnp.sign(g_r) <= 0) & (rights > lefts)
    root = _bisect(G, lefts, rights)
    # A zero exactly on a shared end (a tangency) is found by both neighbours: keep the first.
    dup = jnp.concatenate([jnp.zeros_like(has[..., :1]),
                           has[..., 1:] & has[..., :-1] & (root[..., 1:] == root[..., :-1])], -1)
    rect = st3.rectify_output
    has = has & ~dup & (~rect | (root >= st3.rectify_rate))
    drive3 = autapse_drive(st3, st3.w_self, st3.u, st3.w_in)
    K = ex(prop.P2) * drive3.slope(root, st3)
    stable = has & stable_for(K, ex(prop.P1), st3.delay)
    # The floor: a fixed point where the update lands below it, G(r) < 0.
    r = st.rectify_rate
    on_floor = st.rectify_output & (residual(r, st) < 0)
    rate = jnp.concatenate([jnp.where(has, root, jnp.nan), jnp.where(on_floor, r, jnp.nan)[..., None]], -1)
    exists = jnp.concatenate([has, on_floor[..., None]], -1)
    stable = jnp.concatenate([stable, on_floor[..., None]], -1)
    K = jnp.concatenate([jnp.where(has, K, 0.0), jnp.zeros_like(K[..., :1])], -1)
    arg = jnp.where(exists, drive3.argument(jnp.nan_to_num(rate)), jnp.nan)
    return FixedPoints(rate, exists, stable, K, arg)


REGIMES = ("no stable state: oscillates", "one stable state", "two stable states (bistable)",
           "no stable state: drifts (lambda = 0)")


def regime(fp: FixedPoints, lambda_):
    """0: no stable state with lambda > 0 (bounded: it oscillates), 1: one stable state,
    2: two (bistable), 3: no stable state with lambda = 0 (the rate drifts away)."""
    n = jnp.sum(fp.stable, -1)
    return jnp.where(n >= 2, 2, jnp.where(n == 1, 1, jnp.where(jnp.asarray(lambda_) > 0, 0, 3)))
