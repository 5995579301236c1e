"""Each preset's claim (explorer/presets.py) checked on the run the explorer makes for it."""

import numpy as np

from explorer import dynamics
from explorer.frame import FrameMaker
from explorer.presets import NOTES
from explorer.state import PRESETS, ExplorerState
from model import fixed_points as fpm


def _state(name):
    state = ExplorerState()
    state.param.update(**ExplorerState.preset(name))
    return state


def _stable_at(state, u):
    fp = fpm.fixed_points(dynamics.setting(state, u))
    return np.sort(np.asarray(fp.rate)[np.asarray(fp.stable)])


def _switches(y, lo, hi):
    """Crossings from below ``lo`` to above ``hi`` or back (a hysteresis count: noise near one
    threshold is not a switch)."""
    side, n = None, 0
    for v in y:
        s = 0 if v < lo else (1 if v > hi else None)
        if s is not None and side is not None and s != side:
            n += 1
        if s is not None:
            side = s
    return n


def test_every_preset_has_a_note():
    assert set(NOTES) == set(PRESETS)
    assert all(2 <= n.count(". ") + n.count(": ") + 1 for n in NOTES.values())


def test_bistable_preset_has_two_stable_states_at_zero_input_and_its_run_visits_both():
    state = _state("Bistable switch (autapse + sine)")
    low, high = _stable_at(state, 0.0)
    frame = FrameMaker().make(state)
    y = frame.trials[0]
    assert (np.abs(y - low) < 0.3).mean() > 0.2 and (np.abs(y - high) < 0.3).mean() > 0.2
    # the run's loop goes around both folds
    br = dynamics.branches(state)
    u = dynamics.delivered_input(state)
    assert u.min() < br["fold_u"].min() and u.max() > br["fold_u"].max() and len(br["fold_u"]) == 2


def test_switching_preset_switches_several_times_in_every_single_trial():
    state = _state("Noise-driven switching")
    assert state.input_kind == "none" and state.n_trials <= 5  # single trials stay readable
    low, high = _stable_at(state, 0.0)
    frame = FrameMaker().make(state)
    lo, hi = low + 0.25 * (high - low), low + 0.75 * (high - low)
    counts = [_switches(y, lo, hi) for y in frame.trials]
    assert min(counts) >= 4, counts
    hist = dynamics.distribution(state, frame, (0.0, state.t_sim()))
    centres = 0.5 * (hist["left"] + hist["right"])
    middle = np.abs(centres - 0.5 * (low + high)) < 0.25
    assert hist["density"][middle].max() < 0.5 * hist["density"].max()  # bimodal: a dip between


def test_oscillation_preset_oscillates():
    state = _state("Oscillation (delayed inhibitory autapse)")
    st = dynamics.setting(state, 0.0)
    assert int(fpm.regime(fpm.fixed_points(st), st.lambda_)) == 0
    frame = FrameMaker().make(state)
    y = frame.mean
    half = y.size // 2
    assert np.ptp(y[half:]) > 0.5 and np.ptp(y[-half // 2:]) > 0.8 * np.ptp(y[half:-half // 2])
