"""How far a plotted line is from the samples it stands for, decimated or not (tests' helper)."""

from __future__ import annotations

import numpy as np


def split_traces(t, y) -> list[tuple[np.ndarray, np.ndarray]]:
    """Undo the NaN-joined layout of a multi-trace line: one (t, y) per trace."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    breaks = np.flatnonzero(np.isnan(y))
    starts = np.concatenate([[0], breaks[:-1] + 1])
    return [(t[a:b], y[a:b]) for a, b in zip(starts, breaks)]


def largest_error(t: np.ndarray, y: np.ndarray, samples: np.ndarray, dt: float) -> float | None:
    """Largest |plotted - expected| for a line ``(t, y)`` that draws ``samples`` (sample j at
    time (j + 1) dt): either every sample, or each bin's first and last time carrying the
    bin's extremes in the order they occur. None where ``t`` does not fit ``samples``."""
    idx = np.rint(np.asarray(t) / dt).astype(int) - 1
    y = np.asarray(y, float)
    if idx.size == 0 or idx.min() < 0 or idx.max() >= len(samples):
        return None
    if len(idx) == len(samples):
        if not np.array_equal(idx, np.arange(len(samples))):
            return None
        return float(np.abs(y - samples).max())
    if idx.size % 2 or idx[0] != 0 or idx[-1] != len(samples) - 1:
        return None
    pairs = idx.reshape(-1, 2)
    if np.any(pairs[1:, 0] != pairs[:-1, 1] + 1) or np.any(pairs[:, 1] < pairs[:, 0]):
        return None  # bins must tile the samples
    worst = 0.0
    for (a, b), pair in zip(pairs, y.reshape(-1, 2)):
        chunk = samples[a:b + 1]
        first, second = sorted([int(chunk.argmin()), int(chunk.argmax())])
        worst = max(worst, abs(pair[0] - chunk[first]), abs(pair[1] - chunk[second]))
    return float(worst)
