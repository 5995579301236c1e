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

from .state import ExplorerState

MAX_SAMPLES = 50_000_000  # trials x steps: 200 MB of float32 noise
KEEP_ALL_SAMPLES = 20_000_000
SHOWN_TRIALS = 40
NOISE_TRIALS = 3


@dataclasses.dataclass
class Frame:
    times: np.ndarray  # (n_steps,)
    trials: np.ndarray  # (shown, n_steps) rates of the first trials
    mean: np.ndarray  # (n_steps,) over all trials
    sd: np.ndarray
    noise: np.ndarray  # (NOISE_TRIALS, n_steps) sigma * xi
    theory_mean: np.ndarray | None  # exact mean trajectory, when theory applies
    theory_sd: np.ndarray | None
    theory_note: str
    h_visited: tuple[float, float]  # range of the gain's argument during the run
    operating_point: tuple[float, float]  # (h, phi(h)) at the end, averaged over trials
    n_trials: int
    compute_ms: float
    device: str


def device_name() -> str:
    dev = jax.devices()[0]
    return "CPU" if dev.platform == "cpu" else f"{dev.platform.upper()}: {dev.device_kind}"


class FrameMaker:
    def __init__(self, cache_size: int = 2):
        self._noise: OrderedDict = OrderedDict()
        self._cache_size = cache_size

    def frozen_noise(self, seed: int, n_trials: int, n_steps: int):
        key = (seed, n_trials, n_steps, str(model.float_dtype()))
        if key in self._noise:
            self._noise.move_to_end(key)
            return self._noise[key]
        xi = model.FrozenNoise.draw(seed, n_trials=n_trials, n_steps=n_steps)
        self._noise[key] = xi
        while len(self._noise) > self._cache_size:
            self._noise.popitem(last=False)
        return xi

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
        # Keeping every trial lets the model reduce them after the scan (faster up to a few
        # 10^7 samples); beyond that only the shown ones are kept.
        record = None if n_steps * n_trials <= KEEP_ALL_SAMPLES else shown
        res = model.simulate(net, state.t_sim(), state.dt, inputs, n_trials, xi=xi, record_trials=record)
        trials = np.asarray(res.rate[:shown, :, 0])
        mean = np.asarray(res.trial_mean[:, 0])
        sd = np.sqrt(np.asarray(res.trial_var[:, 0]))
        noise = np.asarray(res.noise[:NOISE_TRIALS, :, 0])

        theory_mean = theory_sd = None
        if state.w_self != 0.0:
            note = "Theory band hidden: the autapse feeds the rate back through the sigmoid (not Gaussian)."
        elif state.rectify_output:
            note = "Theory band hidden: rectification clips the rate (not Gaussian)."
        else:
            # The mean obeys the noiseless recursion exactly, whatever the input; the
            # variance does not depend on the input at all.
            quiet = model.Network(net.params.replace(sigma=0.0))
            theory_mean = np.asarray(model.simulate(quiet, state.t_sim(), state.dt, inputs).rate[0, :, 0])
            n = np.arange(1, n_steps + 1)
            theory_sd = np.sqrt(np.asarray(theory.variance_at(net.params, state.dt, n)))
            note = "Dashed: exact mean ± sd of NEST's discrete scheme (model.theory)."
        h_lo, h_hi, h_end = self._gain_arguments(state, trials)
        p = net.params
        compute_ms = 1e3 * (time.perf_counter() - t0)
        return Frame(
            times=res.times, trials=trials, mean=mean, sd=sd, noise=noise,
            theory_mean=theory_mean, theory_sd=theory_sd, theory_note=note,
            h_visited=(h_lo, h_hi),
            operating_point=(h_end, float(theory.transfer(h_end, p))),
            n_trials=n_trials, compute_ms=compute_ms, device=device_name(),
        )

    @staticmethod
    def _gain_arguments(state: ExplorerState, trials: np.ndarray):
        """Range of what phi was applied to, and its trial mean in the last step.

        Linear summation: phi sees the weighted sum of the step's events. Otherwise it sees
        each event's rate before weighting. Events follow the model's connection semantics:
        the input delivered with its delay, the autapse's pre-update rate ``d`` steps back.
        """
        n_steps = state.n_steps
        shown = trials.shape[0]
        pre = np.concatenate([np.zeros((shown, 1)), trials[:, :-1]], axis=1)  # y[n] for step n
        parts = []  # (value per event (shown, n_steps), weight, arrived (n_steps,))
        if state.input_kind != "none":
            d = state.input_delay_steps()
            delivered = np.zeros(n_steps)
            delivered[d:] = state.input_rate()[: n_steps - d]
            arrived = np.arange(n_steps) >= d
            parts.append((np.broadcast_to(delivered, (shown, n_steps)), state.input_weight, arrived))
        if state.w_self != 0.0:
            d = state.delay_steps(state.self_delay)
            delayed = np.zeros_like(pre)
            delayed[:, d:] = pre[:, : n_steps - d]
            parts.append((delayed, state.w_self, np.arange(n_steps) >= d))
        if state.linear_summation:
            h = np.zeros((shown, n_steps))
            for value, weight, arrived in parts:
                h = h + np.where(arrived, weight * value, 0.0)
            return float(h.min()), float(h.max()), float(h[:, -1].mean())
        seen = [value[:, arrived] for value, _, arrived in parts if arrived.any()]
        if not seen:
            return 0.0, 0.0, 0.0
        values = np.concatenate([s.ravel() for s in seen])
        last = parts[0][0][:, -1].mean()
        return float(values.min()), float(values.max()), float(last)
