"""Why it behaves so: the data of the four dynamics views, from the model (no plotting here).

Phase line, hysteresis branches, stationary distribution and regime map, each a pure function
of the explorer's state (and the frame, for what the run did). The fixed points, their
stability (delay included) and the regimes come from ``model.fixed_points`` / ``model.regimes``;
the drift from the same drive function (``model.drive``). Every array returned is finite.
"""

from __future__ import annotations

import functools

import numpy as np

import model
from model import fixed_points as fpm
from model import regimes
from model.drive import autapse_drive

from .frame import Frame
from .state import ExplorerState

PHASE_POINTS = 400
BRANCH_POINTS = 201
MAP_CELLS = 100  # per axis: 100 x 100 in ~15 ms after the compile (200 x 200: model.bench)
HIST_BINS = 60
# map axis -> (ExplorerState field, label)
MAP_AXES = {"tau": ("tau", "tau (ms)"), "lambda_": ("lambda_", "lambda"), "mu": ("mu", "mu"),
            "g": ("g", "g"), "beta": ("beta", "beta"), "theta": ("theta", "theta"),
            "w_self": ("w_self", "self weight"), "self_delay": ("self_delay", "self delay (ms)"),
            "input": ("amplitude", "input level")}


def input_weight(state: ExplorerState) -> float:
    return 0.0 if state.input_kind == "none" else float(state.input_weight)


# Asked on every move of the time cursor, but the samples change only with the input's settings:
# a 1,000,000-step sine costs ~30 ms to sample again (explorer/input_checks.py measured 32 ms).
@functools.lru_cache(maxsize=4)
def _input_rate(kind, amplitude, onset, period, width, dt, n_steps) -> np.ndarray:
    rate = model.DesignedInput(kind, amplitude, onset, period, width).rate(dt, n_steps)
    rate.setflags(write=False)
    return rate


def input_level_at(state: ExplorerState, t_ms: float) -> float:
    """The input rate the unit receives at time ``t_ms`` (emitted one delay earlier)."""
    if state.input_kind == "none":
        return 0.0
    rate = _input_rate(state.input_kind, state.amplitude, state.onset, state.period, state.width,
                       state.dt, state.n_steps)
    n = int(np.clip(round(t_ms / state.dt) - 1 - state.input_delay_steps(), 0, rate.size - 1))
    return float(rate[n])


def delivered_input(state: ExplorerState) -> np.ndarray:
    """The input level each step's update receives (n_steps,), 0 before it arrives."""
    if state.input_kind == "none":
        return np.zeros(state.n_steps)
    delivered, _, _ = state.to_inputs()[0].lay_out(state.n_steps, 1)
    return delivered


def setting(state: ExplorerState, u: float) -> fpm.Setting:
    # the state has Params' fields and was validated by its widgets' bounds: no Params to build
    return fpm.setting(state, state.w_self, state.delay_steps(state.self_delay), u,
                       input_weight(state), state.dt)


def _points(fp) -> tuple[np.ndarray, np.ndarray]:
    rate, exists, stable = (np.asarray(a) for a in (fp.rate, fp.exists, fp.stable))
    return rate[exists].astype(float), stable[exists]


@functools.lru_cache(maxsize=16)
def _propagators(tau, lambda_, dt) -> tuple[float, float]:
    prop = model.propagators(tau, lambda_, dt)
    return float(prop.P1), float(prop.P2)


def drift(state: ExplorerState, u: float, x) -> np.ndarray:
    """The noiseless change per ms of NEST's update at rate x (held for the delay), input level u:
    ``(max(P1 x + P2 (mu + D(x)), floor) - x) / dt`` (the floor only when rectifying)."""
    x = np.asarray(x, float)
    P1, P2 = _propagators(state.tau, state.lambda_, state.dt)
    # the state has Params' fields as plain numbers: the drive is computed in NumPy (with a Params,
    # in JAX: ~2 ms of dispatch per call, most of a cursor move's ~5 ms, measured in-process)
    D = autapse_drive(state, state.w_self, u, input_weight(state)).value(x, state)
    after = P1 * x + P2 * (state.mu + D)
    if state.rectify_output:
        after = np.maximum(after, state.rectify_rate)
    return (after - x) / state.dt


def trial_extent(frame: Frame) -> tuple[float, float]:
    """The range of the shown trials' rates over the whole run, widened outwards to a coarse grid.

    The phase curve covers it, so the trials at any cursor time lie on the curve (before, with
    ``?mu=0.5&w_self=2`` the curve stopped at rate 2.5 and the trials sat near 3.2, off its end).
    Over the whole run, not at the cursor: dragging the cursor then never re-sends the curve. The
    grid (half a power of ten of the span) keeps small changes (sigma, the seed) from moving it.

    **Arguments:** `frame`: the run shown. **Returns:** (lo, hi); (0, 0) if no rate is finite.
    """
    rates = frame.trials[np.isfinite(frame.trials)]
    if rates.size == 0:
        return 0.0, 0.0
    lo, hi = float(rates.min()), float(rates.max())
    q = 10.0 ** np.floor(np.log10(max(hi - lo, 1.0))) / 2
    return float(np.floor(lo / q) * q), float(np.ceil(hi / q) * q)


def fixed_points_at(state: ExplorerState, u: float) -> tuple[np.ndarray, np.ndarray]:
    """The fixed points at one input level.

    **Arguments:** `state`: the explorer's state; `u`: the input level.

    **Returns:** (rates, stable): those that exist only.
    """
    return _points(fpm.fixed_points(setting(state, u)))


def phase_range(fixed: np.ndarray, cover: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float]:
    """The phase curve's rate range: the fixed points, 0 and ``cover``, with a margin of a quarter of
    the fixed points' span (1 at least) beyond each end.

    **Arguments:** `fixed`: the fixed points' rates; `cover`: (lo, hi) rates to span too.

    **Returns:** (first, last) rate of the curve.
    """
    span = np.concatenate([fixed, [0.0]])
    lo, hi = span.min(), span.max()
    pad = max(1.0, 0.25 * (hi - lo))
    return float(min(lo, cover[0]) - pad), float(max(hi, cover[1]) + pad)


def phase_line(state: ExplorerState, u: float, cover: tuple[float, float] = (0.0, 0.0),
               points: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """The drift per ms (``drift``) against the rate x, over ``phase_range``.

    Independent of sigma, the seed and the run (but for ``cover``): the trials at the cursor are
    drawn on it with ``drift`` at their own rates.

    **Arguments:**

    - `state`: the explorer's state; `u`: the input level.
    - `cover`: (lo, hi) rates the curve must span too (the shown trials: ``trial_extent``).
    - `points`: ``fixed_points_at(state, u)`` if the caller has it already.

    **Returns:**

    dict with `x`, `drift` (PHASE_POINTS,), fixed points `fixed` / `fixed_stable`, and arrows
    (`arrow_x`, `arrow_dir`: +1 rightwards, -1 leftwards).
    """
    fixed, stable = points if points is not None else fixed_points_at(state, u)
    x = np.linspace(*phase_range(fixed, cover), PHASE_POINTS)
    dx = drift(state, u, x)
    ax = np.linspace(x[0], x[-1], 16)[1:-1]
    ad = np.sign(np.interp(ax, x, dx))
    keep = ad != 0
    return dict(x=x, drift=dx, fixed=fixed, fixed_stable=stable,
                fixed_drift=np.zeros_like(fixed), arrow_x=ax[keep], arrow_dir=ad[keep])


def trials_at(frame: Frame, t_ms: float) -> np.ndarray:
    """The shown trials' rates at the sample nearest ``t_ms``."""
    n = int(np.clip(np.searchsorted(frame.times, t_ms), 0, frame.times.size - 1))
    return frame.trials[:, n]


def input_span(state: ExplorerState) -> tuple[float, float]:
    """The input levels the branches are drawn over: what the run delivers, widened."""
    u = delivered_input(state)
    lo, hi = float(min(u.min(), 0.0)), float(max(u.max(), 0.0))
    pad = max(0.5, 0.2 * (hi - lo))
    return lo - pad, hi + pad


def branches(state: ExplorerState, axis: str = "input", u: float = 0.0) -> dict:
    """Fixed points against one parameter: stable and unstable parts, folds, the current value.

    **Arguments:**

    - `state`: the explorer's state (the values off the axis).
    - `axis`: a name of `MAP_AXES` ("input": the input level, over what the run delivers,
      widened; any other over its widget's range).
    - `u`: the input level held while another parameter is swept (the one at the time cursor).

    **Returns:**

    dict with `axis`, `label`, `u` (the axis values, BRANCH_POINTS), `stable` and `unstable` (rates
    with NaN breaks, one row per slot: (SLOTS, BRANCH_POINTS)), `fold_u`, `fold_rate`, and
    `current` (the setting's own value on the axis; for the input, `u`). Raises `ValueError`
    naming an unknown axis, before computing anything.
    """
    regimes.check_axes(axis, None, (BRANCH_POINTS,))
    if axis == "input":
        values, base, current = np.linspace(*input_span(state), BRANCH_POINTS), setting(state, 0.0), float(u)
    else:
        values, base = np.linspace(*map_range(state, axis), BRANCH_POINTS), setting(state, u)
        current = float(getattr(state, MAP_AXES[axis][0]))
    br = regimes.branches(base, axis, values)
    rate = np.asarray(br.fixed.rate, float).T  # (SLOTS, n)
    stable = np.asarray(br.fixed.stable).T
    fv, fr = np.asarray(br.fold_value, float), np.asarray(br.fold_rate, float)
    ok = np.isfinite(fv) & np.isfinite(fr)
    return dict(axis=axis, label=MAP_AXES[axis][1], u=values, stable=np.where(stable, rate, np.nan),
                unstable=np.where(~stable, rate, np.nan), fold_u=fv[ok], fold_rate=fr[ok], current=current)


def trajectory(state: ExplorerState, frame: Frame, max_points: int = 2000) -> dict:
    """(input level received, rate) of the first trial over the run, for the hysteresis view."""
    u = delivered_input(state)
    step = max(1, u.size // max_points)
    return dict(u=u[::step], rate=frame.trials[0, ::step])


def distribution(state: ExplorerState, frame: Frame, window: tuple[float, float]) -> dict:
    """Histogram of the shown trials' rates over a time window, and the exact density if it applies.

    Where the theory applies (no autapse, no rectification) each step's rate is Gaussian with
    the exact mean and sd (``model.theory``), so the pooled samples follow the average of those
    Gaussians over the window's steps: drawn as `pdf` (NaN where it does not apply).
    """
    t = frame.times
    sel = (t >= window[0]) & (t <= window[1])
    if not sel.any():
        sel = np.ones(t.size, bool)
    samples = frame.trials[:, sel].ravel()
    lo, hi = float(samples.min()), float(samples.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    density, edges = np.histogram(samples, HIST_BINS, range=(lo, hi), density=True)
    x = np.linspace(lo, hi, 200)
    pdf = np.full(x.shape, np.nan)
    if frame.theory_mean is not None:
        m, s = frame.theory_mean[sel], frame.theory_sd[sel]
        idx = np.linspace(0, m.size - 1, min(m.size, 400)).astype(int)
        m, s = m[idx], np.maximum(s[idx], 1e-12)
        z = (x[:, None] - m[None, :]) / s[None, :]
        pdf = np.mean(np.exp(-0.5 * z * z) / (np.sqrt(2 * np.pi) * s[None, :]), axis=1)
        pdf = np.where(np.isfinite(pdf), pdf, np.nan)
    return dict(left=edges[:-1], right=edges[1:], density=density, x=x, pdf=pdf)


def map_range(state: ExplorerState, axis: str) -> tuple[float, float]:
    field = MAP_AXES[axis][0]
    lo, hi = state.param[field].bounds
    if axis == "self_delay":
        lo = state.dt  # one step at least
    return float(lo), float(hi)


def regime_map(state: ExplorerState, x_axis: str, y_axis: str, u: float) -> dict:
    """The regime of each cell of a MAP_CELLS x MAP_CELLS grid over two axes (the widgets' ranges).

    Raises `ValueError` (naming the value) for unknown or equal axes.
    """
    regimes.check_axes(x_axis, y_axis, (MAP_CELLS, MAP_CELLS))
    xs = np.linspace(*map_range(state, x_axis), MAP_CELLS)
    ys = np.linspace(*map_range(state, y_axis), MAP_CELLS)
    rm = regimes.regime_map(setting(state, u), x_axis, xs, y_axis, ys)
    here = tuple(float(getattr(state, MAP_AXES[a][0])) for a in (x_axis, y_axis))
    return dict(xs=xs, ys=ys, regime=np.asarray(rm.regime).astype(float), here=here)
