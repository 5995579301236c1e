"""A class on one server, in-process: nobody blocks anybody, one memory budget, one sweep for
many ended sessions (``explorer/workers.py``, ``explorer/budget.py``, ``explorer/serving.py``)."""

import threading
import time

import numpy as np
import pytest

from explorer import serving, workers
from explorer.app import Explorer
from explorer.budget import MemoryBudget
from explorer.frame import FrameMaker
from tests.test_explorer import FakeDoc, assert_plot_shows_model


def served(app, monkeypatch_doc):
    """Make ``app`` act as served by ``monkeypatch_doc`` (its own loop)."""
    app._server_doc = lambda: monkeypatch_doc
    return app


def test_a_slow_session_does_not_block_another(monkeypatch):
    """The heavy session's run is in a worker thread: the light session's change is computed
    and shown while the heavy one still runs (before: both ran on the one event loop, in turn)."""
    heavy_doc, light_doc = FakeDoc(), FakeDoc()
    heavy, light = served(Explorer(), heavy_doc), served(Explorer(), light_doc)
    release = threading.Event()
    real_make = FrameMaker.make

    def make(self, state):
        if state.n_trials == 1000:  # the heavy session: held until the light one is done
            assert release.wait(30)
        return real_make(self, state)

    monkeypatch.setattr(FrameMaker, "make", make)
    heavy.apply(n_trials=1000, duration=500.0)  # 5e6 samples: the heavy lane
    heavy_doc.run_pending()
    assert heavy._runs.in_flight and heavy.busy.value  # the heavy lane, and the page says it is busy
    start = time.monotonic()
    light.state.mu = 0.7
    light_doc.run_until_idle(light)
    assert time.monotonic() - start < 10
    assert heavy._runs.in_flight  # still running: the light one did not wait for it
    assert_plot_shows_model(light)
    release.set()
    heavy_doc.run_until_idle(heavy)
    assert not heavy.busy.value
    assert_plot_shows_model(heavy)


def test_changes_during_a_run_are_coalesced_latest_wins(monkeypatch):
    """While one run is in flight, 25 more values arrive: one more run, with the last value."""
    doc = FakeDoc()
    app = served(Explorer(), doc)
    gate = threading.Event()
    calls = []
    real_make = FrameMaker.make

    def make(self, state):
        calls.append(state.mu)
        assert gate.wait(30)
        return real_make(self, state)

    monkeypatch.setattr(FrameMaker, "make", make)
    app.state.mu = 0.01
    doc.run_pending()
    for k in range(25):
        app.state.mu = 0.04 * (k + 1)
        doc.run_pending()
    gate.set()
    doc.run_until_idle(app)
    assert calls == [0.01, pytest.approx(1.0)]
    assert_plot_shows_model(app)


def test_lanes_keep_light_work_apart_from_heavy():
    assert workers.lane("heavy")._max_workers == 1
    assert workers.lane("quick")._max_workers >= 1
    assert workers.lane("quick") is not workers.lane("heavy")
    with pytest.raises(ValueError, match="lane must be"):
        workers.lane("slow")


@pytest.fixture
def small_budget(monkeypatch):
    from explorer import frame

    # Room for 200 x 10,000 alone, not beside a default session (20 x 10,000).
    budget = MemoryBudget(FrameMaker.cache_bytes(200, 10_000) + FrameMaker.cache_bytes(20, 10_000) // 2)
    monkeypatch.setattr(frame, "BUDGET", budget)
    return budget


def test_memory_budget_refuses_visibly_and_frees_when_a_session_ends(small_budget):
    first, second = Explorer(), Explorer()
    assert small_budget.held() == 2 * FrameMaker.cache_bytes(20, 10_000)
    second.state.n_trials = 200
    assert second.message.visible and "memory budget" in second.message.object
    assert second.state.n_trials == 20  # put back: the picture still shows 20 trials
    assert_plot_shows_model(second)
    first.frames.release()  # first's session ended
    second.state.n_trials = 200
    assert not second.message.visible and second.state.n_trials == 200
    assert_plot_shows_model(second)
    second.frames.release()


def test_budget_is_configurable_and_validated(monkeypatch):
    from explorer import budget

    monkeypatch.setenv(budget.ENV, "512")
    assert budget.limit_from_env() == 512e6
    for bad in ("0", "-1", "lots", "inf"):
        monkeypatch.setenv(budget.ENV, bad)
        with pytest.raises(ValueError, match=budget.ENV):
            budget.limit_from_env()
    b = MemoryBudget(100)
    a, c = FrameMaker(), FrameMaker()  # owners: any object that can be weakly referenced
    assert b.reserve(a, 60) == (True, 100)
    assert b.reserve(c, 60) == (False, 40)
    assert b.reserve(a, 10) == (True, 100) and b.reserve(c, 60)[0]
    b.release(a)
    assert b.held() == 60
    del c  # dropped without release: its share comes back
    assert b.held() == 0


def test_a_class_leaving_costs_one_sweep_not_one_each(monkeypatch):
    """30 sessions ending within a second: one full garbage-collector sweep (before: 30, each
    walking every live session's objects on the loop that serves the others)."""
    from tornado.ioloop import IOLoop

    monkeypatch.setattr(serving, "SWEEP_DELAY_S", 0.05)
    monkeypatch.setattr(serving, "SWEEP_QUIET_S", 0.3)
    loop = IOLoop(make_current=False)
    before = serving.sweeps

    async def class_leaves():
        import asyncio

        for _ in range(30):
            serving._sweep_soon(None)
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.0)

    try:
        loop.run_sync(class_leaves)
    finally:
        loop.close()
    assert serving.sweeps == before + 1


def test_the_sweep_waits_until_nobody_waits_for_an_answer(monkeypatch):
    """A tab closed while others move sliders: the sweep (which holds the loop ~1 s with a class
    alive) waits until no run has been asked for ``SWEEP_IDLE_S`` (before: it ran 3 s after the
    tab closed, in the middle of the others' answers)."""
    import asyncio

    from tornado.ioloop import IOLoop

    monkeypatch.setattr(serving, "SWEEP_DELAY_S", 0.05)
    monkeypatch.setattr(serving, "SWEEP_QUIET_S", 0.1)
    monkeypatch.setattr(serving, "SWEEP_IDLE_S", 0.3)
    loop = IOLoop(make_current=False)
    before = serving.sweeps
    swept_while_busy = []

    async def others_move_then_stop():
        serving._sweep_soon(None)
        for _ in range(40):  # 1.2 s of others' runs, one every 30 ms
            workers.submit("quick", lambda: None, lambda f: None, lambda f: None)
            await asyncio.sleep(0.03)
            swept_while_busy.append(serving.sweeps - before)
        await asyncio.sleep(0.8)

    try:
        loop.run_sync(others_move_then_stop)
    finally:
        loop.close()
    assert swept_while_busy[-1] == 0  # not while runs kept coming
    assert serving.sweeps == before + 1  # once they stopped


def _rss_bytes():
    with open("/proc/self/statm") as f:
        import os

        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_freed_memory_goes_back_to_the_system():
    """Objects freed between survivors (a session's, among the others') leave holes that glibc
    keeps; ``malloc_trim`` gives their pages back. 200 MB freed, every 50th block kept."""
    import os

    if not os.path.exists("/proc/self/statm"):
        pytest.skip("RSS is read from /proc")
    blocks = [bytes(2000) + bytes([k % 256]) for k in range(100_000)]  # malloc'd, not pymalloc
    survivors = blocks[::50]
    del blocks
    before = _rss_bytes()
    assert serving.return_freed_memory()  # glibc: CI runs on Debian
    after = _rss_bytes()
    assert before - after > 100e6, (before, after)
    del survivors


def test_more_than_one_process_is_refused_with_the_reason():
    import subprocess
    import sys

    from explorer.__main__ import num_procs

    assert num_procs(["--port", "5006"]) is None
    assert num_procs(["--num-procs", "2"]) == 2 and num_procs(["--num-procs=1"]) == 1
    with pytest.raises(ValueError, match="--num-procs must be a whole number"):
        num_procs(["--num-procs", "two"])
    done = subprocess.run([sys.executable, "-m", "explorer", "--num-procs", "2"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "--num-procs must be 1" in done.stderr
