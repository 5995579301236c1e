"""Simulations off the server's event loop, so that no session's computation blocks another's.

Bokeh serves every session's callbacks on one event loop. A refresh that runs there stalls
every other page for as long as it takes: measured on the 2-core machine before this module,
the "Bistable switch" preset with 1000 trials took 2.4 s per refresh, and five students doing
that stalled a sixth 31-56 s. Here a refresh's computation (``FrameMaker.make``: JAX, which
releases the GIL while it runs, and NumPy) goes to a thread, and only the cheap part (feeding
the plots) comes back to the session's loop, under its document lock
(``Document.add_next_tick_callback``, the one document method Bokeh allows from other threads).

Two lanes, so that a light request never queues behind a heavy one: a session whose last run
of the same shape took more than ``HEAVY_MS`` (or, never run, would simulate more than
``HEAVY_SAMPLES``) goes to the heavy lane, which has one thread; everything else to the quick
lane, one thread per core. Each session has at most one computation in flight
(``LatestOnly``): changes arriving meanwhile are not queued, they mark the session dirty, and
one more run reads the latest state when the first is done. So superseded values are dropped
and no backlog builds, however fast a slider moves or however slow a run is.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

HEAVY_MS = 150.0
HEAVY_SAMPLES = 4_000_000  # trials x steps; an uncoupled run of this size takes ~40 ms cached

_lanes: dict[str, ThreadPoolExecutor] = {}
_lanes_lock = threading.Lock()


def lane(name: str) -> ThreadPoolExecutor:
    """The thread pool of a lane ("quick" or "heavy"), made on first use.

    **Arguments:**

    - `name`: "quick" (one thread per core) or "heavy" (one thread).

    **Returns:** the lane's `ThreadPoolExecutor`.
    """
    if name not in ("quick", "heavy"):
        raise ValueError(f"lane must be 'quick' or 'heavy', got {name!r}")
    with _lanes_lock:
        if name not in _lanes:
            workers = max(1, os.cpu_count() or 1) if name == "quick" else 1
            _lanes[name] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"explorer-{name}")
        return _lanes[name]


class LatestOnly:
    """At most one computation in flight for one session; the latest request wins.

    Used on the session's loop only (no lock needed): ``request`` when a change wants a run,
    ``finished`` when a run's result has been delivered.
    """

    def __init__(self):
        self.in_flight = False
        self.dirty = False

    def request(self, start: Callable[[], Future | None]) -> bool:
        """Start now when nothing is in flight (``start()`` submits and returns its future),
        else remember that one more run is wanted. Returns whether a run started."""
        if self.in_flight:
            self.dirty = True
            return False
        self.dirty = False
        self.in_flight = start() is not None
        return self.in_flight

    def finished(self) -> bool:
        """Call when the in-flight run's result was delivered. Returns whether another run is
        wanted (a change arrived meanwhile): the caller then requests it."""
        self.in_flight = False
        wanted, self.dirty = self.dirty, False
        return wanted


last_submit = 0.0  # time.monotonic() of the latest run handed to a lane, any session's


def submit(lane_name: str, compute: Callable[[], object], post: Callable[[Callable[[], None]], object],
           deliver: Callable[[Future], None]) -> Future:
    """Run ``compute`` in a lane's thread; hand its future to ``deliver`` through ``post``.

    **Arguments:**

    - `lane_name`: "quick" or "heavy" (see `lane`).
    - `compute`: the work, run in the lane's thread.
    - `post`: puts a callable on the session's loop (thread-safe).
    - `deliver`: receives the finished future on the session's loop.

    **Returns:** the future of `compute`.
    """
    global last_submit
    last_submit = time.monotonic()
    future = lane(lane_name).submit(compute)
    future.add_done_callback(lambda f: post(lambda: deliver(f)))
    return future
