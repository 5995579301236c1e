"""Min-max decimation on fixed times: far fewer points, the same envelope on screen.

A trace of ``n`` samples is cut into bins of equal length. Each bin becomes two points, at
its first and its last sample time, carrying the bin's minimum and maximum in the order they
occur. Every extreme survives (a spike, the band of a noisy trace), displaced in time by less
than one bin: a pixel or two for the 800-bin summary lines, up to several pixels for the trial
traces of a heavy view, which share a point budget. The output times depend only on the time axis and the
number of bins, never on the data: while a parameter moves they stay the same, so the page
is sent only the values.
"""

from __future__ import annotations

import numpy as np


def bin_size(n: int, columns: int) -> int:
    """Samples per bin for at most ``columns`` bins; 1 (no decimation) for short traces."""
    if n <= 2 * columns:
        return 1
    return -(-n // columns)


def _binned(y: np.ndarray, size: int) -> np.ndarray:
    """``y`` (..., n) as (..., bins, size); the last bin is padded with its own last sample,
    which changes neither its minimum nor its maximum."""
    n = y.shape[-1]
    pad = -n % size
    if pad:
        y = np.concatenate([y, np.repeat(y[..., -1:], pad, axis=-1)], axis=-1)
    return y.reshape(*y.shape[:-1], -1, size)


def bin_edges(t: np.ndarray, columns: int) -> np.ndarray:
    """The output times: each bin's first and last sample time, (2 * bins,)."""
    size = bin_size(t.shape[0], columns)
    if size == 1:
        return t
    starts = t[::size]
    ends = t[np.minimum(np.arange(size - 1, t.shape[0] + size - 1, size), t.shape[0] - 1)]
    return np.stack([starts, ends], axis=-1).ravel()


def minmax(y: np.ndarray, columns: int) -> np.ndarray:
    """Each bin's minimum and maximum in time order, (..., 2 * bins), at ``bin_edges``."""
    size = bin_size(y.shape[-1], columns)
    if size == 1:
        return y
    chunks = _binned(y, size)
    i_min = chunks.argmin(axis=-1)[..., None]
    i_max = chunks.argmax(axis=-1)[..., None]
    first = np.take_along_axis(chunks, np.minimum(i_min, i_max), axis=-1)
    second = np.take_along_axis(chunks, np.maximum(i_min, i_max), axis=-1)
    return np.concatenate([first, second], axis=-1).reshape(*y.shape[:-1], -1)


def envelope(lower: np.ndarray, upper: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """A band no thinner than it is: per bin, the least of ``lower`` and the greatest of
    ``upper``, held over the bin (both points), at ``bin_edges``."""
    size = bin_size(lower.shape[-1], columns)
    if size == 1:
        return lower, upper
    lo = _binned(lower, size).min(axis=-1, keepdims=True)
    hi = _binned(upper, size).max(axis=-1, keepdims=True)

    def held(a):
        return np.repeat(a, 2, axis=-1).reshape(*a.shape[:-2], -1)

    return held(lo), held(hi)
