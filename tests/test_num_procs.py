"""``panel serve explorer/app.py --num-procs N`` (not the supported way, which is
``python -m explorer`` and refuses it): stopping the main process stops its workers too.

Before ``explorer.serving.stop_with_the_server``, ``kill PID`` ended only Tornado's forking
parent; its workers kept serving the port (checked with this test on the old code: both workers
alive after the parent ended), so a restart failed with "port already in use"."""

import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from explorer.bench.harness import alive, child_pids
from tests.browser import ROOT, free_port






def test_stopping_the_main_process_stops_its_workers():
    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", "explorer/app.py", "--num-procs", "2", "--port", str(port),
           "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "panel serve did not start"
                time.sleep(0.3)
        workers = child_pids(proc.pid)
        assert len(workers) == 2, workers
        # Pages opened at once: while one worker builds a session, the other accepts the next,
        # so each builds one (the tie is made when a worker first runs the app).
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            pages = list(pool.map(lambda _: urllib.request.urlopen(
                f"http://127.0.0.1:{port}/app", timeout=180).status, range(4)))
        assert pages == [200] * 4
        proc.send_signal(signal.SIGTERM)  # what `kill PID` sends
        proc.wait(30)
        deadline = time.monotonic() + 30
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(w) for w in workers), "workers still serving after the main process ended"
        with socket.socket() as s:  # the port is free for a restart (which, like Tornado, reuses
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the address: connections linger)
            s.bind(("127.0.0.1", port))
            s.listen()
    finally:
        for pid in [proc.pid, *workers]:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        proc.wait(10)

