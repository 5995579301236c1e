"""What ``simulate`` returns: the rates, the noise that drove them, and what follows from both.

Names: ``xi`` are the standard-normal numbers a run used, ``noise`` is ``sigma * xi``, what
entered the rate (NEST's recordable ``noise``). Mean and variance over trials, and the ``State``
to continue from, are computed on first use where the run did not compute them on the way, so a
slider's run that never asks pays nothing for them.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .deprecation import renamed
from .moments import moments_over_trials
from .params import Params
from .state import State, end_state


@dataclasses.dataclass(frozen=True, eq=False)
class SimulationResult:
    """What ``model.simulate`` returns (built by it, not by hand).

    **Fields:** ``times`` (n_steps,) in ms; ``rate`` (n_recorded, n_steps, n_units); ``sigma``
    (n_units,); ``moments`` and ``noiseless`` where the run computed them (below). **Also:**
    ``trial_mean`` / ``trial_var`` over all trials, ``xi`` (the draws), ``noise`` and
    ``noise_of_first(k)`` (``sigma * xi``), ``state`` (to continue the run).
    """

    times: np.ndarray  # (n_steps,) = dt * (1 .. n_steps): NEST's multimeter stamps (ms)
    rate: jax.Array  # (n_recorded, n_steps, n_units): rate after each step's update
    sigma: np.ndarray  # (n_units,)
    # The standard-normal xi used, as the run held them: time-major (n_steps, n_trials, n_units)
    # when drawn from a key or given as a FrozenNoise, else as given; read them through ``xi``.
    _xi: Any
    _xi_time_major: bool
    # (mean, var) over all trials, computed during the run when not every trial was kept or
    # when they came with the noise response; otherwise computed from ``rate`` on first use
    # (a run that never asks pays nothing).
    moments: tuple[jax.Array, jax.Array] | None = None
    # (n_steps, n_units): the same run without noise, where the run computed it on the way
    # (frozen noise where ``theory.applies``; see noise_response.py). There the rate is
    # Gaussian and this is its exact mean trajectory.
    noiseless: jax.Array | None = None
    # What ``state`` needs (see state.py); None where the run cannot give it.
    _continuation: Any = dataclasses.field(default=None, repr=False)

    @functools.cached_property
    def state(self) -> State:
        """The ``State`` to continue from: ``simulate(..., state=res.state)`` (see state.py).

        Computed on first use from every trial's rates, so the run must record all trials.
        """
        if self._continuation is None:
            raise ValueError("state needs every trial recorded (record_trials=None)")
        inputs, external, p, y0, prev, lay, n_steps, n_trials, n_units, min_delay_steps, dt = self._continuation
        return end_state(
            rate=self.rate, y0=np.broadcast_to(y0, (n_trials, n_units)), prev=prev, n_steps=n_steps,
            layout=lay, external=(*external, *_sources(inputs, n_steps)),
            params=_per_unit_np(p, n_units), pending_steps=min_delay_steps, dt=dt,
        )

    @functools.cached_property
    def _trial_moments(self) -> tuple[jax.Array, jax.Array]:
        return self.moments if self.moments is not None else moments_over_trials(self.rate)

    @property
    def trial_mean(self) -> jax.Array:
        """(n_steps, n_units): mean over all trials, recorded or not."""
        return self._trial_moments[0]

    @property
    def trial_var(self) -> jax.Array:
        """(n_steps, n_units): variance over all trials (ddof = 1; 0 for one trial)."""
        return self._trial_moments[1]

    @property
    def xi(self) -> jax.Array:
        """The standard-normal draws used, (n_trials, n_steps, n_units)."""
        return jnp.swapaxes(self._xi, 0, 1) if self._xi_time_major else self._xi

    @property
    def noise(self) -> jax.Array:
        """``sigma * xi`` of the recorded trials: NEST's recordable ``noise``."""
        return self.noise_of_first(self.rate.shape[0])

    def noise_of_first(self, k: int) -> jax.Array:
        """``sigma * xi`` of the first ``k`` trials, (k, n_steps, n_units)."""
        xi = jnp.swapaxes(self._xi[:, :k], 0, 1) if self._xi_time_major else self._xi[:k]
        return self.sigma * xi

    # The stored xi (time-major or not) under their old public names.
    draws = renamed("draws", "_xi", "use .xi, (n_trials, n_steps, n_units)")
    draws_time_major = renamed("draws_time_major", "_xi_time_major", "use .xi (always trial-major)")


def _sources(inputs, n_steps):
    """(rates (K, T), delays (K,), emits (K, T)) of the inputs, for the events still in flight."""
    rates = [inp.rate for inp in inputs]
    delays = np.array([inp.delay_steps for inp in inputs], int)
    emits = [np.ones(n_steps, bool) if inp.emits is None else inp.emits for inp in inputs]
    return rates, delays, emits


def _per_unit_np(p: Params, n_units: int) -> Params:
    return Params.tree_unflatten(None, [np.broadcast_to(np.asarray(leaf), (n_units,)) for leaf in p.tree_flatten()[0]])
