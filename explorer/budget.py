"""One memory budget for the per-session caches of the whole server.

Each session keeps its frozen noise (trials x steps draws) and the noise filtered through the
dynamics (``model.noise_response``), so that moving a slider replays the same noise. Measured
before this module on the 2-core machine: one session at the largest allowed run
(``?n_trials=50&duration=10000&dt=0.01``, tau moved, "New noise") took the server up by
1.15 GB, five such sessions 5.6 GB, and nothing bounded the sum. Here every session reserves
what its cache will hold before it draws; a request that would take the server's total over
the budget is refused with a message on the page, and the session keeps its last picture.

The budget is ``EXPLORER_CACHE_BUDGET_MB`` (megabytes, default 2048), read when the server
starts; ``set_limit`` changes it in-process (tests, benchmarks).
"""

from __future__ import annotations

import os
import threading
import weakref

DEFAULT_MB = 2048.0
ENV = "EXPLORER_CACHE_BUDGET_MB"


def limit_from_env() -> float:
    """The budget in bytes from ``EXPLORER_CACHE_BUDGET_MB`` (default 2048 MB); a bad value raises
    ``ValueError`` naming the variable and the allowed values."""
    text = os.environ.get(ENV, "")
    if not text:
        return DEFAULT_MB * 1e6
    try:
        mb = float(text)
    except ValueError:
        raise ValueError(f"{ENV} must be a number of megabytes > 0, got {text!r}") from None
    if not mb > 0 or mb == float("inf"):
        raise ValueError(f"{ENV} must be a number of megabytes > 0, got {text!r}")
    return mb * 1e6


class MemoryBudget:
    """Bytes reserved by each owner (a session's cache), against one server-wide limit.

    **Arguments:**

    - `limit_bytes`: the most all owners together may hold, > 0.
    """

    def __init__(self, limit_bytes: float):
        self.set_limit(limit_bytes)
        self._held: dict[int, int] = {}
        self._lock = threading.Lock()

    def set_limit(self, limit_bytes: float) -> None:
        """**Arguments:** `limit_bytes`: the new limit, > 0 (what is held stays held)."""
        if not float(limit_bytes) > 0:
            raise ValueError(f"limit_bytes must be > 0, got {limit_bytes!r}")
        self.limit = float(limit_bytes)

    def reserve(self, owner: object, nbytes: int) -> tuple[bool, int]:
        """Hold `nbytes` for `owner` (replacing what it held), if the total stays in the limit.

        **Arguments:**

        - `owner`: whose reservation this is (one per session cache).
        - `nbytes`: what the owner will hold in all, >= 0.

        **Returns:** (granted, bytes free for this owner: the limit minus what the others hold).
        Refused, the owner keeps its previous reservation.
        """
        with self._lock:
            others = sum(v for k, v in self._held.items() if k != id(owner))
            free = int(self.limit - others)
            if nbytes > free:
                return False, free
            if id(owner) not in self._held:  # an owner dropped without release still gives it back
                weakref.finalize(owner, self._forget, id(owner))
            self._held[id(owner)] = int(nbytes)
            return True, free

    def _forget(self, key: int) -> None:
        with self._lock:
            self._held.pop(key, None)

    def release(self, owner: object) -> None:
        """**Arguments:** `owner`: whose reservation ends (its cache was emptied)."""
        with self._lock:
            self._held.pop(id(owner), None)

    def held(self) -> int:
        """**Returns:** the bytes held by all owners together."""
        with self._lock:
            return sum(self._held.values())


BUDGET = MemoryBudget(limit_from_env())
