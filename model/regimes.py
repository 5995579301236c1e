"""Regime maps and branches: fixed points over grids of one or two parameters, in one jitted call.

The axes are chosen by index into ``AXES`` and passed as traced data, like the values, so
changing an axis, a value or any other parameter never recompiles; only a new grid shape does.
The self delay axis is in ms and goes onto NEST's grid as ``model.delay_steps_for`` does
(halves up, one step at least).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .compiles import note_trace
from .fixed_points import (FixedPoints, Setting, _bisect, critical_points, fixed_points,
                           regime, residual)

# axis name -> Setting field it sets (self_delay is in ms, converted to steps).
AXES = ("tau", "lambda_", "mu", "g", "beta", "theta", "w_self", "self_delay", "input")
_FIELD = {"input": "u", "self_delay": "delay"}
MAX_CELLS = 250_000  # 500 x 500: ~1 s of CPU, more than a page should wait for


def check_axes(x_axis: str, y_axis: str | None = None, shape=()):
    """Refuses unknown axes, an axis equal to the other and grids over ``MAX_CELLS``.

    **Arguments:**

    - `x_axis`, `y_axis`: names from `AXES` (`y_axis` None for one axis).
    - `shape`: the grid's shape.

    **Returns:**

    The axes' indices into `AXES`. Raises `ValueError` naming the refused value.
    """
    for name in (x_axis, y_axis):
        if name is not None and name not in AXES:
            raise ValueError(f"unknown axis {name!r}; allowed: {', '.join(AXES)}")
    if y_axis is not None and x_axis == y_axis:
        raise ValueError(f"the two axes must differ, got {x_axis!r} twice")
    cells = int(np.prod(shape)) if len(shape) else 1
    if cells > MAX_CELLS or any(n < 2 for n in shape):
        raise ValueError(f"grid {'x'.join(map(str, shape))} = {cells:,} cells is outside the allowed "
                         f"range: 2 to {MAX_CELLS:,} cells, at least 2 per axis")
    return tuple(AXES.index(a) for a in (x_axis, y_axis) if a is not None)


def _with_axes(base: Setting, indices, grids) -> Setting:
    """``base`` with the fields of the traced axis ``indices`` set to ``grids`` (broadcast)."""
    fields = base._asdict()
    for k, name in enumerate(AXES):
        field = _FIELD.get(name, name)
        value = fields[field]
        for index, grid in zip(indices, grids):
            if name == "self_delay":
                grid = jnp.maximum(1.0, jnp.floor(grid / base.dt + 0.5 + 1e-9))
            value = jnp.where(index == k, grid, value)
        fields[field] = value
    shape = jnp.broadcast_shapes(*(jnp.shape(g) for g in grids))
    return Setting(**{k: jnp.broadcast_to(v, shape) for k, v in fields.items()})


class RegimeMap(NamedTuple):
    regime: jnp.ndarray  # (ny, nx) int: index into fixed_points.REGIMES
    fixed: FixedPoints  # (ny, nx, SLOTS)


@jax.jit
def _regime_map(base, ix, iy, xs, ys):
    note_trace()
    st = _with_axes(base, (ix, iy), (xs[None, :], ys[:, None]))
    fp = fixed_points(st)
    return RegimeMap(regime(fp, st.lambda_), fp)


def regime_map(base: Setting, x_axis: str, xs, y_axis: str, ys) -> RegimeMap:
    """The regime of every cell of a grid over two parameters, and the fixed points there.

    **Arguments:**

    - `base`: a scalar `Setting` (`model.fixed_points.setting`): the values off the axes.
    - `x_axis`, `y_axis`: two different names from `AXES`.
    - `xs` (nx,), `ys` (ny,): the axis values (self_delay in ms, input: the input level).

    **Returns:**

    A `RegimeMap` of shape (ny, nx) (rows follow `ys`). Raises `ValueError` for unknown or equal
    axes or a grid over `MAX_CELLS`, before computing anything.
    """
    xs, ys = jnp.asarray(xs, jnp.result_type(float)), jnp.asarray(ys, jnp.result_type(float))
    ix, iy = check_axes(x_axis, y_axis, (ys.shape[0], xs.shape[0]))
    return _regime_map(base, jnp.asarray(ix), jnp.asarray(iy), xs, ys)


class Branches(NamedTuple):
    values: jnp.ndarray  # (n,) the axis values
    fixed: FixedPoints  # (n, SLOTS): slots 0 and 2 the outer branches, 1 the middle one
    fold_value: jnp.ndarray  # (n - 1, 2) axis value of a fold inside each grid interval (nan: none)
    fold_rate: jnp.ndarray  # (n - 1, 2) the rate there


@jax.jit
def _branches(base, index, values):
    note_trace()
    st = _with_axes(base, (index,), (values,))
    fp = fixed_points(st)

    def fold_residual(v):
        """G at each critical point, as a function of the axis value: zero at a fold."""
        s = _with_axes(base, (index,), (v,))
        lo, hi, found = critical_points(s)
        s2 = Setting(*(f[..., None] for f in s))
        crit = jnp.stack([lo, hi], -1)
        return jnp.where(found[..., None], residual(crit, s2), jnp.nan), crit

    r, _ = fold_residual(values)
    a, b = values[:-1], values[1:]
    change = jnp.sign(r[:-1]) * jnp.sign(r[1:]) <= 0  # nan compares False: no fold
    a2, b2 = jnp.broadcast_to(a[:, None], change.shape), jnp.broadcast_to(b[:, None], change.shape)

    def one_side(side):
        def f(v):
            return fold_residual(v)[0][..., side]
        return _bisect(f, a2[:, side], b2[:, side])

    v = jnp.stack([one_side(0), one_side(1)], -1)
    crit = fold_residual(v.reshape(-1))[1].reshape(v.shape + (2,))
    rate = jnp.stack([crit[:, 0, 0], crit[:, 1, 1]], -1)
    return Branches(values, fp, jnp.where(change, v, jnp.nan), jnp.where(change, rate, jnp.nan))


def branches(base: Setting, axis: str, values) -> Branches:
    """Fixed points along one parameter (the hysteresis curve), with the folds located.

    **Arguments:**

    - `base`: a scalar `Setting`: the values of everything else.
    - `axis`: a name from `AXES` (usually "input": the input level).
    - `values` (n,): increasing axis values.

    **Returns:**

    `Branches`: the fixed points at each value (a branch keeps its slot: 0 lower, 1 middle, 2
    upper, 3 the rectifying floor) and, per grid interval, the folds inside it (axis value and
    rate, where G and G' vanish together), found by bisection (to ~1e-13 of the window in float64).
    """
    values = jnp.asarray(values, jnp.result_type(float))
    (index,) = check_axes(axis, None, (values.shape[0],))
    return _branches(base, jnp.asarray(index), values)
