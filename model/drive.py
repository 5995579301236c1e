"""The drive: what the gain ``phi`` is applied to, and what is added (times P2) per step.

One place for NEST's input rules (``step.summed_drive``), shared by the theory, the fixed-point
and regime code and the explorer:

* ``gain_arguments``: for events ``(value, weight, arrived)`` (arrays over time or trials, any
  shape that broadcasts), the argument(s) phi sees. linear_summation: the weighted sum (with
  mult_coupling, the ex (w >= 0) and in (w < 0) sums separately, an empty side being 0);
  otherwise each arrived event's own rate, before weighting.
* ``autapse_drive``: for a unit with an autapse of weight ``w_self`` at rate ``x`` and a constant
  input of level ``u`` and weight ``w_in``, the per-step drive as ``D(x) = c0 + c1 phi(s x + o)``
  (every switch gives this form: one sigmoid of an affine function of x), which is what makes
  fixed points and folds exact and cheap (``model/fixed_points.py``).

Both work on NumPy or JAX arrays; switches may be traced (``where``, no Python branches).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .gain import phi, phi_slope


def _xp(*args):
    return jnp if any(isinstance(a, jax.Array) for a in args) else np


def gain_arguments(events, linear_summation: bool, mult_coupling: bool):
    """What phi is applied to, for events that arrive over time.

    **Arguments:**

    - `events`: a list of `(value, weight, arrived)`; `value` an array (e.g. (trials, steps)),
      `weight` a Python float, `arrived` a boolean array broadcasting against `value` (False
      where no event came yet, e.g. before a delay has passed).
    - `linear_summation`, `mult_coupling`: NEST's switches (Python bools).

    **Returns:**

    A list of `(argument, arrived)` pairs. Under linear_summation one pair (two with
    mult_coupling: ex then in), arrived everywhere (phi(0) is applied even with no event).
    Otherwise one pair per event: its rate, and where it arrived.
    """
    if linear_summation:
        def weighted_sum(keep):
            total = 0.0
            for value, weight, arrived in events:
                if keep(weight):
                    total = total + np.where(arrived, weight * value, 0.0)
            return np.asarray(total, float)
        if mult_coupling:
            sums = [weighted_sum(lambda w: w >= 0), weighted_sum(lambda w: w < 0)]
        else:
            sums = [weighted_sum(lambda w: True)]
        return [(s, np.ones(np.shape(s), bool)) for s in sums]
    return [(value, arrived) for value, _, arrived in events]


class AutapseDrive(NamedTuple):
    """``D(x) = c0 + c1 phi(s x + o)``: the drive of a unit at rate ``x`` (see module doc)."""

    c0: jnp.ndarray  # the part that does not depend on x
    c1: jnp.ndarray  # weight of the x-dependent gain term
    s: jnp.ndarray  # slope of phi's argument in x
    o: jnp.ndarray  # offset of phi's argument

    def value(self, x, p):
        return self.c0 + self.c1 * phi(self.s * x + self.o, p.g, p.beta, p.theta)

    def slope(self, x, p):
        """``dD/dx``: what the linearised loop multiplies a deviation by (times P2)."""
        return self.c1 * self.s * phi_slope(self.s * x + self.o, p.g, p.beta, p.theta)

    def argument(self, x):
        """The argument of phi that depends on x (the operating point on the gain curve)."""
        return self.s * x + self.o


def autapse_drive(p, w_self, u, w_in) -> AutapseDrive:
    """The drive of a unit with an autapse and a constant input, in the form ``c0 + c1 phi(s x + o)``.

    In steady state every event has arrived: the autapse carries the rate ``x`` with weight
    ``w_self``, the input the level ``u`` with weight ``w_in`` (``w_in = 0`` is the same as no
    input under every switch). Follows ``step.summed_drive``:

    - linear_summation, not mult_coupling: ``phi(w_self x + w_in u)``;
    - linear_summation and mult_coupling: ``phi(ex) + phi(in)``; the autapse's side gets ``w_self
      x`` (plus ``w_in u`` when the input is on the same side), the other side ``phi`` of what is
      left (``phi(0)`` when empty);
    - not linear_summation: ``w_self phi(x) + w_in phi(u)``.

    **Arguments:**

    - `p`: a `Params` (or any object with the same fields; arrays broadcast, switches may be traced).
    - `w_self`: the autapse's weight.
    - `u`: the input level (the external rate), `w_in`: its weight.

    **Returns:**

    An `AutapseDrive` whose fields broadcast over the arguments.
    """
    xp = _xp(p.g, p.beta, p.theta, p.linear_summation, p.mult_coupling, w_self, u, w_in)
    w = xp.asarray(w_self, float)
    wi_u = xp.asarray(w_in, float) * xp.asarray(u, float)
    lin, mult = xp.asarray(p.linear_summation), xp.asarray(p.mult_coupling)
    same_side = (w >= 0) == (xp.asarray(w_in) >= 0)
    # mult_coupling: the autapse's side, and phi of the other side (w = 0 counts as ex).
    mult_o = xp.where(same_side, wi_u, 0.0)
    mult_c0 = phi(xp.where(same_side, 0.0, wi_u), p.g, p.beta, p.theta)
    c0 = xp.where(lin, xp.where(mult, mult_c0, 0.0),
                  xp.asarray(w_in, float) * phi(xp.asarray(u, float), p.g, p.beta, p.theta))
    c1 = xp.where(lin, 1.0, w)
    s = xp.where(lin, w, 1.0)
    o = xp.where(lin, xp.where(mult, mult_o, wi_u), 0.0)
    return AutapseDrive(*xp.broadcast_arrays(c0, c1, s, o))
