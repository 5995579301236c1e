"""Designed inputs that the time grid cannot show as designed, said on the page.

Sampled every dt, a sine whose period is at most 2 dt is zero (period = 2 dt, or dt) or an alias
of a slower wave, and a pulse train whose period is a multiple of dt shorter than two steps, or
whose width covers the period, emits one constant value. The page still runs them (NEST would
too) but says so next to the plot, instead of showing a flat line without comment.
"""

from __future__ import annotations

import functools

import numpy as np

import model

from .state import ExplorerState


def input_warning(state: ExplorerState) -> str:
    """Why the designed input does not look as designed on the dt grid, or "" when it does.

    **Arguments:**

    - `state`: the session's ``ExplorerState``.

    **Returns:** one sentence naming the input's settings and dt, or an empty string.
    """
    if state.input_kind not in ("sine", "pulse train"):
        return ""
    return _warning(state.input_kind, state.dt, state.n_steps, state.amplitude, state.onset,
                    state.period, state.width)


# Asked after every refresh, but the answer changes only with the input's settings: sampling a
# 1,000,000-step sine again cost 32 ms on the session's event loop per slider move (measured).
@functools.lru_cache(maxsize=16)
def _warning(kind, dt, n_steps, amplitude, onset, period, width) -> str:
    if kind == "sine" and period <= 2 * dt:
        return (f"The sine's period ({period} ms) is at most 2 dt (dt = {dt} ms): sampled every dt "
                "it is zero or an alias of a slower wave. Use a period above 2 dt.")
    rate = model.DesignedInput(kind, amplitude, onset, period, width).rate(dt, n_steps)
    on = rate[np.arange(rate.size) * dt >= onset]
    if on.size >= 2 and np.ptp(on) == 0.0:
        what = "pulse train" if kind == "pulse train" else "sine"
        return (f"The {what} (period {period} ms, width {width} ms) is one constant value "
                f"({on[0]:g}) on the dt = {dt} ms grid: every pulse covers whole periods or falls on the "
                "same step. Use a period of at least 2 dt and a width shorter than the period.")
    return ""
