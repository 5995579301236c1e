"""Connections as a NEST user writes them, and the weight layout the simulation runs on.

A ``Connection`` is one ``rate_connection_instantaneous`` (``delay_steps=None``) or one
``rate_connection_delayed`` (``delay_steps >= 1``) from unit ``pre`` to unit ``post``.
Multapses (several connections between one pair) and autapses (``pre == post``) are allowed.

NEST sorts every event into the receiver's excitatory (``w >= 0``) or inhibitory (``w < 0``)
buffer; with ``mult_coupling`` the two buffers pass through the gain separately, so +0.5 and
-0.3 from one sender are ``phi(0.5 r) + phi(-0.3 r)``, not ``phi(0.2 r) + phi(0)``. The layout
keeps the two signs apart: ``w_ex`` holds the sum of the non-negative weights of a pair,
``w_in`` the sum of the negative ones. Connections of one pair that share a delay carry the
same value in the same step, so summing their weights loses nothing (only the order of the
additions, a few ulps). Delayed connections of one pair with different delays go to
different layers, one per distinct delay.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, NamedTuple

import numpy as np

from .checks import check_int
from .network import MAX_DELAY_STEPS, delay_steps_for


@dataclasses.dataclass(frozen=True)
class Connection:
    """One rate connection: ``pre -> post`` with ``weight``; ``delay_steps=None`` is NEST's
    ``rate_connection_instantaneous``, an int >= 1 its ``rate_connection_delayed``."""

    pre: int
    post: int
    weight: float
    delay_steps: int | None = None

    @classmethod
    def delayed(cls, pre: int, post: int, weight: float, delay: float, dt: float) -> "Connection":
        """A ``rate_connection_delayed`` with ``delay`` in ms, rounded to NEST's grid.

        **Arguments:** ``pre``, ``post``: unit indices; ``weight``; ``delay``: ms; ``dt``: ms.

        **Returns:** a ``Connection`` with ``delay_steps = delay_steps_for(delay, dt)``.
        """
        return cls(pre, post, weight, delay_steps_for(delay, dt))


class Layout(NamedTuple):
    """What the simulation runs on (NumPy, float64; ``None`` where there is nothing).

    ``inst``: (w_ex, w_in), each (n_units, n_units) ``[post, pre]``.
    ``delayed``: (w_ex, w_in), each (n_units, n_units) or (n_layers, n_units, n_units).
    ``delays``: an int (every delayed connection has it) or an int array shaped like one of
    ``delayed``'s weights.
    """

    inst: tuple[np.ndarray, np.ndarray] | None
    delayed: tuple[np.ndarray, np.ndarray] | None
    delays: Any


def by_sign(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A dense weight matrix as (non-negative part, negative part)."""
    w = np.asarray(w, float)
    return np.where(w >= 0, w, 0.0), np.where(w < 0, w, 0.0)


def check_connections(connections: Iterable[Connection], n_units: int) -> list[Connection]:
    """Every connection checked (all-or-nothing), as a list; ``ValueError`` naming the first bad one."""
    try:
        conns = list(connections)
    except TypeError:
        raise ValueError(f"connections must be a list of model.Connection, got {connections!r}") from None
    for k, c in enumerate(conns):
        name = f"connections[{k}]"
        if not isinstance(c, Connection):
            raise ValueError(f"{name} must be a model.Connection, got {c!r}")
        check_int(f"{name}.pre", c.pre, 0, n_units - 1)
        check_int(f"{name}.post", c.post, 0, n_units - 1)
        try:
            w = float(c.weight)
        except (TypeError, ValueError):
            raise ValueError(f"{name}.weight must be a number, got {c.weight!r}") from None
        if not np.isfinite(w):
            raise ValueError(f"{name}.weight must be finite, got {c.weight!r}")
        if c.delay_steps is not None:
            if isinstance(c.delay_steps, float) and not float(c.delay_steps).is_integer():
                raise ValueError(f"{name}.delay_steps must be an integer number of steps, got {c.delay_steps!r}")
            d = float(c.delay_steps) if not isinstance(c.delay_steps, (bool, str)) else -1
            if d < 1:
                raise ValueError(
                    f"{name}.delay_steps: Delay must be greater than or equal to resolution "
                    f"(an integer >= 1 step), got {c.delay_steps!r}"
                )
            check_int(f"{name}.delay_steps", c.delay_steps, 1, MAX_DELAY_STEPS)
    return conns


def lay_out(connections: list[Connection], n_units: int) -> Layout:
    """The ``Layout`` of checked ``connections`` (see the module's docstring)."""
    n = n_units
    inst = [c for c in connections if c.delay_steps is None]
    dlyd = [c for c in connections if c.delay_steps is not None]
    inst_layout = None
    if inst:
        w_ex, w_in = np.zeros((n, n)), np.zeros((n, n))
        for c in inst:
            (w_ex if c.weight >= 0 else w_in)[c.post, c.pre] += c.weight
        inst_layout = (w_ex, w_in)
    if not dlyd:
        return Layout(inst_layout, None, None)
    distinct = sorted({int(c.delay_steps) for c in dlyd})
    if len(distinct) == 1:  # one delay for all: the kernel's fastest case (one gather per step)
        w_ex, w_in = np.zeros((n, n)), np.zeros((n, n))
        for c in dlyd:
            (w_ex if c.weight >= 0 else w_in)[c.post, c.pre] += c.weight
        return Layout(inst_layout, (w_ex, w_in), distinct[0])
    # Layer k of a pair holds its k-th distinct delay; the number of layers is the most
    # distinct delays any pair has (1 without multapses of different delays).
    per_pair: dict[tuple[int, int], list[int]] = {}
    for c in dlyd:
        ds = per_pair.setdefault((c.post, c.pre), [])
        if int(c.delay_steps) not in ds:
            ds.append(int(c.delay_steps))
    n_layers = max(len(ds) for ds in per_pair.values())
    w_ex, w_in = np.zeros((n_layers, n, n)), np.zeros((n_layers, n, n))
    delays = np.ones((n_layers, n, n), np.int64)  # unused entries: weight 0, a harmless delay of 1
    for (post, pre), ds in per_pair.items():
        for k, d in enumerate(sorted(ds)):
            delays[k, post, pre] = d
    for c in dlyd:
        k = sorted(per_pair[(c.post, c.pre)]).index(int(c.delay_steps))
        (w_ex if c.weight >= 0 else w_in)[k, c.post, c.pre] += c.weight
    if n_layers == 1:
        return Layout(inst_layout, (w_ex[0], w_in[0]), delays[0])
    return Layout(inst_layout, (w_ex, w_in), delays)


def dense_layout(w_inst, w_delayed, delay_steps) -> Layout:
    """The ``Layout`` of the dense shortcut (one connection per nonzero entry)."""
    inst = None if w_inst is None else by_sign(w_inst)
    if w_delayed is None:
        return Layout(inst, None, None)
    d = np.asarray(delay_steps)
    return Layout(inst, by_sign(w_delayed), int(d) if d.ndim == 0 else d)
