"""One picture's worth of numbers: run the model for the current state, derive what is drawn.

``FrameMaker`` owns the session's frozen-noise cache: the standard-normal draws depend only on
(seed, trials, steps), so moving a parameter replays the same noise and shows only that
parameter's effect. Statistics use every trial; only a few trials are kept for drawing.
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict

import jax
import numpy as np

import model
from model import theory
from model.drive import gain_arguments

from .budget import BUDGET
from .state import ExplorerState

MAX_SAMPLES = 50_000_000  # trials x steps: 200 MB of float32 noise
KEEP_ALL_SAMPLES = 2_000_000
SHOWN_TRIALS = 40
NOISE_TRIALS = 3


@dataclasses.dataclass
class Frame:
    times: np.ndarray  # (n_steps,)
    trials: np.ndarray  # (shown, n_steps) rates of the first trials
    mean: np.ndarray  # (n_steps,) over all trials
    sd: np.ndarray
    noise: np.ndarray  # (NOISE_TRIALS, n_steps) sigma * xi
    noise_key: tuple  # what the noise depends on: frozen, it changes only with these
    theory_mean: np.ndarray | None  # exact mean trajectory, when theory applies
    theory_sd: np.ndarray | None
    theory_note: str
    h_visited: tuple[float, float]  # range of the gain's argument during the run
    operating_points: list[tuple[float, float]]  # (h, phi(h)) of each argument in the last step
    n_trials: int
    compute_ms: float
    device: str
    # The trace plots' decimated columns (``views.frame_columns``), made with the frame in the
    # worker thread when served, so the session's loop only sends them.
    columns: dict | None = None


def device_name() -> str:
    dev = jax.devices()[0]
    return "CPU" if dev.platform == "cpu" else f"{dev.platform.upper()}: {dev.device_kind}"


class FrameMaker:
    def __init__(self, cache_size: int = 2):
        self._noise: OrderedDict = OrderedDict()
        self._cache_size = cache_size
        self._sd_key, self._sd = None, None
        self._shown_noise_key, self._shown_noise = None, None
        self._closed = False  # the session ended: a run still in flight must not reserve again

    @staticmethod
    def cache_bytes(n_trials: int, n_steps: int) -> int:
        """What one frozen noise holds: its draws and up to two filtered responses
        (``model.noise_response``: the recorded trials, all of them for small runs)."""
        recorded = n_trials if n_trials * n_steps <= KEEP_ALL_SAMPLES else min(n_trials, SHOWN_TRIALS)
        return np.dtype(model.float_dtype()).itemsize * n_steps * (n_trials + 2 * recorded)

    def release(self) -> None:
        """Empty the caches and give their share of the server's memory budget back."""
        self._closed = True
        self._noise.clear()
        BUDGET.release(self)

    def frozen_noise(self, seed: int, n_trials: int, n_steps: int):
        key = (seed, n_trials, n_steps, str(model.float_dtype()))
        if key in self._noise:
            self._noise.move_to_end(key)
            return self._noise[key]
        self._reserve(n_trials, n_steps)
        xi = model.FrozenNoise.draw(seed, n_trials=n_trials, n_steps=n_steps)
        self._noise[key] = xi
        while len(self._noise) > self._cache_size:
            self._noise.popitem(last=False)
        return xi

    def _reserve(self, n_trials: int, n_steps: int) -> None:
        """Reserve the new noise in the server's budget, keeping as many older entries as fit
        (the newest first); refused, raise ``ValueError`` and change nothing."""
        if self._closed:
            raise ValueError("the session has ended")
        new = self.cache_bytes(n_trials, n_steps)
        kept = list(self._noise)[-(self._cache_size - 1):] if self._cache_size > 1 else []
        while True:
            held = sum(self.cache_bytes(k[1], k[2]) for k in kept)
            granted, free = BUDGET.reserve(self, new + held)
            if granted or not kept:
                break
            kept = kept[1:]
        if not granted:
            raise ValueError(
                f"this run's frozen noise needs {new / 1e6:,.0f} MB and the server's memory budget for "
                f"all sessions ({BUDGET.limit / 1e6:,.0f} MB) has {max(free, 0) / 1e6:,.0f} MB free: use "
                f"fewer trials, a shorter duration or a larger dt, or try again when others have left")
        for k in [k for k in self._noise if k not in kept]:
            del self._noise[k]

    def _theory_sd(self, params, dt, n_steps):
        """sd of y[n] for n = 1..n_steps; depends on tau, lambda, sigma only (cached)."""
        key = (float(params.tau), float(params.lambda_), float(params.sigma), dt, n_steps)
        if self._sd_key != key:
            n = np.arange(1, n_steps + 1)
            self._sd = np.sqrt(np.asarray(theory.variance_at(params, dt, n)))
            self._sd_key = key
        return self._sd

    def _noise_shown(self, res, state: ExplorerState) -> np.ndarray:
        """sigma * xi of the first trials; the same arrays while the frozen noise and sigma stay
        (most slider moves): slicing and scaling it anew was ~12% of a run's work in the worker
        thread with 29 clients moving sliders (py-spy)."""
        key = (state.seed, state.sigma, state.n_trials, state.n_steps, str(model.float_dtype()))
        if self._shown_noise_key != key:
            self._shown_noise = np.asarray(res.noise_of_first(min(NOISE_TRIALS, state.n_trials)))[:, :, 0]
            self._shown_noise_key = key
        return self._shown_noise

    def make(self, state: ExplorerState) -> Frame:
        n_steps, n_trials = state.n_steps, state.n_trials
        if n_steps * n_trials > MAX_SAMPLES:
            raise ValueError(
                f"trials x steps = {n_trials} x {n_steps} = {n_steps * n_trials:,} is more than "
                f"{MAX_SAMPLES:,}: use fewer trials, a shorter duration or a larger dt"
            )
        t0 = time.perf_counter()
        net, inputs = state.to_network(), state.to_inputs()
        xi = self.frozen_noise(state.seed, n_trials, n_steps)
        shown = min(n_trials, SHOWN_TRIALS)
        # Keeping every trial lets the model reduce them after the scan, faster for small runs;
        # for big ones writing the whole output costs more (measured: 200 x 50k, 68 vs 37 ms).
        record = None if n_steps * n_trials <= KEEP_ALL_SAMPLES else shown
        res = model.simulate(net, state.t_sim(), state.dt, inputs, n_trials, xi=xi, record_trials=record)
        # NumPy views of the results (no copies on a CPU), sliced in NumPy: each slice of a
        # JAX array would be a dispatched operation of its own.
        trials = np.asarray(res.rate)[:shown, :, 0]
        mean = np.asarray(res.trial_mean)[:, 0]
        sd = np.sqrt(np.asarray(res.trial_var)[:, 0])
        noise = self._noise_shown(res, state)

        theory_mean = theory_sd = None
        # Whether theory applies is the model's call (theory.applies), and the mean comes only
        # from a run that computed its noiseless trace; the notes only word it for this page.
        if not theory.applies(net) or res.noiseless is None:
            if state.w_self != 0.0:
                note = "Theory band hidden: the autapse feeds the rate back through the sigmoid (not Gaussian)."
            elif state.rectify_output:
                note = "Theory band hidden: rectification clips the rate (not Gaussian)."
            else:
                note = "Theory band hidden: the model's closed-form theory does not cover this run."
        else:
            # The mean obeys the noiseless recursion exactly, whatever the input (the model
            # computed that run on the way); the variance does not depend on the input at all.
            theory_mean = np.asarray(res.noiseless)[:, 0]
            theory_sd = self._theory_sd(net.params, state.dt, n_steps)
            note = "Dashed: exact mean ± sd of NEST's discrete scheme (model.theory)."
        h_lo, h_hi, h_last = self._gain_arguments(state, inputs, trials)
        p = net.params
        compute_ms = 1e3 * (time.perf_counter() - t0)
        return Frame(
            times=res.times, trials=trials, mean=mean, sd=sd, noise=noise,
            noise_key=(state.seed, state.sigma, n_trials, n_steps, state.dt),
            theory_mean=theory_mean, theory_sd=theory_sd, theory_note=note,
            h_visited=(h_lo, h_hi),
            operating_points=[(h, float(theory.phi(h, p))) for h in h_last],
            n_trials=n_trials, compute_ms=compute_ms, device=device_name(),
        )

    @staticmethod
    def _gain_arguments(state: ExplorerState, inputs, trials: np.ndarray):
        """What phi was applied to during the run: its range, and its values in the last step.

        Follows the model's semantics (``step.summed_drive``) for the events of each step: the
        external input delivered with its delay, and the autapse carrying the pre-update rate
        ``d`` steps back; no event before either arrives. Linear summation: phi sees the
        weighted sum (with mult_coupling, the ex and in sums separately, an empty side being
        0). Otherwise phi sees each arrived event's rate, before weighting. The autapse's
        values come from the shown trials. Returns (lo, hi, [argument in the last step, trial
        mean, one per argument]).
        """
        n_steps = trials.shape[1]
        steps = np.arange(n_steps)
        events = []  # (value (shown or 1, n_steps), weight, arrived (n_steps,))
        for inp in inputs:  # delivered exactly as the model delivers it
            delivered, arrived, weights = inp.lay_out(n_steps, 1)
            events.append((delivered[None, :], float(weights[0]), arrived))
        if state.w_self != 0.0:
            d = state.delay_steps(state.self_delay)
            carried = np.zeros_like(trials)
            # y_pre[m] = y[m] is sample m - 1 (y[0] = 0); the event at step n >= d carries y_pre[n - d]
            if d + 1 < n_steps:
                carried[:, d + 1:] = trials[:, : n_steps - d - 1]
            events.append((carried, state.w_self, steps >= d))
        arguments = gain_arguments(events, state.linear_summation, state.mult_coupling)
        seen = [a[np.broadcast_to(arrived, a.shape)] for a, arrived in arguments]
        seen = [v for v in seen if v.size]
        if not seen:
            return 0.0, 0.0, []
        lo = min(v.min() for v in seen)
        hi = max(v.max() for v in seen)
        last = [float(np.mean(np.atleast_1d(a)[..., -1])) for a, arrived in arguments
                if np.atleast_1d(arrived)[..., -1].all()]
        return float(lo), float(hi), last
