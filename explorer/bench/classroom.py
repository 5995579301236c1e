"""Classroom scenarios for ``python -m explorer.bench``: a class on one ``panel serve``.

Students are server-side clients (``bokeh.client`` sessions pulled as ``pull_session`` does, one
thread and event loop each, no rendering): they open a session, move the mu slider in their copy of the document,
and wait until the server's answer (the patch with the new data and readouts) has arrived. So the figures are the server's side
(plus the clients' own decoding, in this same process on the same cores), not a browser's.
Each scenario prints its figures:

* joining: 30 students arriving over 10 s; seconds from the first arrival until the last has
  its document, and each student's wait; meanwhile one student already working moves a slider;
* an observer's slider round trip (p50 / p95) alone, with 5 and with 29 others moving sliders,
  and with 5 others running the heavy "Bistable switch" setting with 1000 trials;
* a class leaving: 30 sessions closed together; the observer's longest round trip meanwhile;
* memory: the server's RSS with one session, with 30, and after the 30 left;
* the same class on ``python -m explorer --procs 2`` (``explorer/front.py``): each student asks
  the front, is redirected to one of two servers and stays there; joining, and the observer alone,
  with 5 and with 29 others moving sliders.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DISCARD_S = 40.0  # Bokeh discards a closed session after 15 s unused, checked every 17 s; sweep 4 s later

# "Bistable switch (autapse + sine)" with 1000 trials: 1000 x 20,000 steps, the full scan.
HEAVY_ARGS = dict(g="2", beta="6", theta="1", sigma="0.2", w_self="1", self_delay="1", input_kind="sine",
                  amplitude="2.5", input_weight="1", period="500", onset="100", duration="2000",
                  n_trials="1000")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Student:
    """One server-side client with its own thread and event loop.

    ``joined_s``: seconds from opening the connection until the server's document (the whole
    pull reply, its binary buffers included) was at the client. ``decode_after``: an event to
    wait for before decoding that document into Bokeh models; the joining scenario sets it once
    every student has hers, because in a class each browser decodes its own document on its own
    machine, while here all clients share the server's 2 cores and one interpreter (decoding
    cost ~0.36 s of CPU per document after the cuts of ``explorer/lean.py``, 0.58 s before).
    """

    def __init__(self, url: str, arguments: dict | None = None, decode_after: threading.Event | None = None,
                 front: bool = False):
        self.url, self.arguments, self.front = url, arguments or {}, front
        self.decode_after = decode_after
        self.joined_s = None
        self.arrived = threading.Event()
        self.latencies: list[float] = []
        self.moving = threading.Event()
        self.stop = threading.Event()
        self.closed = threading.Event()
        self.ready = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _run(self):
        import panel.models  # noqa: F401  (the client's document needs Panel's model types)
        from bokeh.events import DocumentReady
        from bokeh.models import Slider

        try:
            session = self._pull()
            doc = session.document
            # What BokehJS sends once the page is drawn. Without it Panel counts the session as
            # not yet connected: its onload callbacks (Nagle off, ``serving.py``) never ran, and
            # every property change went out as a message of its own on a later tick.
            doc.callbacks.send_event(DocumentReady())
            # Browsers send without Nagle's wait; Tornado's client does not. With it, a move's
            # second and third frames waited for the server's delayed acknowledgement: answers
            # came 99-114 ms after a move instead of 4-24 ms (measured, one-message answers).
            ws = session._connection._socket._socket
            (getattr(ws, "stream", None) or ws.protocol.stream).set_nodelay(True)
            slider = next(m for m in doc.models if isinstance(m, Slider) and m.title == "mu")
            traces = doc.get_model_by_name("trials_source").id
            seen = []

            # The answer to a move: the server's message with the new traces (one message holds
            # the traces, readouts, phase line and link). Not any message: a connected session
            # (document-ready above) gets the busy spinner at once when a heavy run starts. The
            # message is received whole (every frame, its buffers) and its JSON parsed, but not
            # applied to this client's document: a browser does that on its own machine, while
            # here 30 clients would share the server's 2 cores and this one interpreter (applying
            # cost the clients ~11 ms of CPU per move, as much as half the server's).
            def take(message):
                if any(e.get("model", {}).get("id") == traces for e in message.content.get("events", ())):
                    seen.append(1)

            session._handle_patch = take
            self.ready.set()
            k = 0
            while not self.stop.is_set():
                if not self.moving.wait(0.05):
                    continue
                n = len(seen)
                k += 1
                start = time.perf_counter()
                slider.value = round(0.01 * (k % 50), 2)
                session._connection._loop_until(lambda: len(seen) > n or self.stop.is_set())
                self.latencies.append(time.perf_counter() - start)
                time.sleep(0.05)  # a student's next key press
            session.close()
        except Exception as err:  # noqa: BLE001  (reported with the figures)
            self.error = err
            self.arrived.set()
            self.ready.set()
        finally:
            self.closed.set()

    def _pull(self):
        """``bokeh.client.pull_session``, step by step, timing the reply's arrival."""
        from bokeh.client.session import ClientSession
        from bokeh.client.util import websocket_url_for_server_url
        from bokeh.document import Document
        from bokeh.util.token import generate_session_id

        t0 = time.perf_counter()
        if self.front:  # as a browser: ask the front, then talk to the server it names
            self.url = redirected(self.url)
        session = ClientSession(session_id=generate_session_id(), websocket_url=websocket_url_for_server_url(self.url),
                                arguments=self.arguments)
        session.connect()
        session.check_connection_errors()
        connection = session._connection
        reply = connection._send_message_wait_for_reply(connection._protocol.create("PULL-DOC-REQ"))
        if reply is None or reply.header["msgtype"] == "ERROR":
            raise RuntimeError(f"failed to pull the document: {reply and reply.content}")
        self.joined_s = time.perf_counter() - t0
        self.arrived.set()
        if self.decode_after is not None:
            self.decode_after.wait(300)
        doc = Document()
        reply.push_to_document(doc)
        session._attach_document(doc)
        return session


def redirected(url: str) -> str:
    """Where ``explorer/front.py`` sends a page: the ``Location`` of its redirect."""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("HEAD", parts.path)
        reply = conn.getresponse()
        if reply.status != 307:
            raise RuntimeError(f"the front answered {reply.status}, not a redirect")
        return reply.getheader("Location")
    finally:
        conn.close()


def measure(label: str, observer: Student, others: list[Student], seconds: float, servers=()) -> float:
    """The observer's round trips while ``others`` move their sliders; prints p50 / p95, and with
    ``servers`` (process ids) their CPU per move answered (everyone's moves) and moves per second.

    **Returns:** the p95 in ms.
    """
    for s in others:
        s.moving.set()
    time.sleep(1.0)
    everyone = [observer, *others]
    for s in everyone:
        s.latencies.clear()
    cpu0, t0 = sum(cpu_s(pid) for pid in servers), time.perf_counter()
    observer.moving.set()
    time.sleep(seconds)
    moves = sum(len(s.latencies) for s in everyone)
    cpu, wall = sum(cpu_s(pid) for pid in servers) - cpu0, time.perf_counter() - t0
    observer.moving.clear()
    for s in others:
        s.moving.clear()
    lat = list(observer.latencies)
    load = (f"; server CPU {1e3 * cpu / moves:.1f} ms per move, {moves / wall:.0f} moves/s answered"
            if servers and moves else "")
    print(f"  {label}: observer p50 {_p(lat, 50):.0f} ms, p95 {_p(lat, 95):.0f} ms ({len(lat)} round trips){load}")
    return _p(lat, 95)


def _p(values, q):
    return float(np.percentile(np.asarray(values) * 1e3, q)) if values else float("nan")


def join(url: str, students: int = 30, over_s: float = 10.0, arrived=None, front: bool = False) -> list[Student]:
    """Students arriving evenly over ``over_s`` seconds; prints when the last had its document.

    **Arguments:** `url`: the app's address; `students`: how many; `over_s`: the arrivals' spread;
    `arrived`: called once every student has her document, before the clients decode them;
    `front`: ``url`` is ``explorer/front.py``'s: each student follows its redirect first.

    **Returns:** the students (open sessions, ready to move their sliders).
    """
    t_first = time.perf_counter()
    all_arrived = threading.Event()
    joined = []
    for k in range(students):
        joined.append(Student(url, decode_after=all_arrived, front=front).start())
        time.sleep(over_s / students)
    for s in joined:
        s.arrived.wait(300)
    done_at = time.perf_counter() - t_first
    if arrived is not None:
        arrived()
    all_arrived.set()  # now the clients decode their documents (see ``Student``)
    for s in joined:
        s.ready.wait(300)
    decoded_at = time.perf_counter() - t_first
    waits = [s.joined_s for s in joined if s.joined_s is not None]
    errors = [s.error for s in joined if s.error]
    print(f"joining: {students} students over {over_s:.0f} s: all had their documents {done_at:.1f} s after "
          f"the first arrived; each waited median {statistics.median(waits):.2f} s, max {max(waits):.2f} s"
          f" (load average {os.getloadavg()[0]:.1f}; the clients then decoded them by {decoded_at:.1f} s)"
          + (f"; {len(errors)} failed: {errors[0]!r}" if errors else ""))
    return joined


def serve():
    """Start ``panel serve`` with the explorer on a free port; its first session (compiling) is
    opened and not counted.

    **Returns:** (the server's process, the app's URL).
    """
    from explorer.bench.harness import free_port, wait_http

    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", "explorer/app.py", "--port", str(port),
           "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=os.environ.copy())
    url = f"http://127.0.0.1:{port}/app"
    try:
        wait_http(f"http://127.0.0.1:{port}/", proc)
        urllib.request.urlopen(url, timeout=60)
    except BaseException:
        proc.terminate()
        raise
    return proc, url


def serve_front(procs: int = 2):
    """Start ``python -m explorer --procs N`` on free ports; each server's first session
    (compiling) is opened and not counted.

    **Returns:** (the front's process, its URL, the servers' process ids).
    """
    from explorer.bench.harness import child_pids, free_port_run, wait_http

    port = free_port_run(procs)  # the front's port and the N after it
    cmd = [sys.executable, "-m", "explorer", "--procs", str(procs), "--port", str(port), "--address", "127.0.0.1",
           "--allow-websocket-origin", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=os.environ | {"BROWSER": "true"})  # --show opens nothing
    url = f"http://127.0.0.1:{port}/app"
    try:
        wait_http(url, proc, timeout=300)
        for k in range(1, procs + 1):
            urllib.request.urlopen(f"http://127.0.0.1:{port + k}/app", timeout=120)
    except BaseException:
        proc.terminate()
        raise
    return proc, url, child_pids(proc.pid, running="panel")




def run_procs(procs: int = 2, seconds_per_phase: float = 8.0) -> None:
    """The class on ``python -m explorer --procs N``: joining, then the observer alone, with 5
    and with 29 others moving sliders.

    **Arguments:** `procs`: servers behind the front; `seconds_per_phase`: as in ``run``.
    """
    proc, url, servers = serve_front(procs)
    try:
        for pid in servers:
            wait_until_idle(pid)
        print(f"the same class on python -m explorer --procs {procs} (explorer/front.py: each student is "
              f"redirected to one of {procs} servers and stays there); load average before starting "
              f"{os.getloadavg()[0]:.1f}")
        observer = Student(url, front=True).start()
        observer.ready.wait(120)
        time.sleep(3)
        solo = measure("observer alone", observer, [], seconds_per_phase, servers)
        students = join(url, front=True)
        p5 = measure("5 others moving sliders", observer, students[:5], seconds_per_phase, servers)
        p29 = measure("29 others moving sliders", observer, students[:29], seconds_per_phase, servers)
        print(f"  ratios to alone: 5 moving {p5 / solo:.2f}x (target <= 1.5x), 29 moving {p29 / solo:.2f}x "
              "(target <= 3x)")
        for s in [observer, *students]:
            s.stop.set()
        for s in [observer, *students]:
            s.closed.wait(30)
    finally:
        proc.terminate()
        proc.wait(30)


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, timeout: float = 180.0) -> float:
    """Wait until the server has compiled its programs: a freshly started server compiles the
    dynamics views' programs in the background after its first session (``dynamics_views.warm_up``,
    ~25 s of CPU on this machine), a one-off a class arriving later does not meet.

    **Arguments:** `pid`: the server's process; `timeout`: give up after this many seconds.

    **Returns:** the seconds waited.
    """
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        before = cpu_s(pid)
        time.sleep(2.0)
        if cpu_s(pid) - before < 0.2:  # under 10% of one core
            break
    return time.monotonic() - t0


def run_joining() -> None:
    """Only the joining scenario, on a fresh server once it is idle."""
    proc, url = serve()
    try:
        waited = wait_until_idle(proc.pid)
        print(f"joining only: server idle after {waited:.0f} s; load average before starting "
              f"{os.getloadavg()[0]:.1f}")
        server0, client0 = cpu_s(proc.pid), time.process_time()
        students = join(url)
        print(f"  CPU meanwhile: server {cpu_s(proc.pid) - server0:.1f} s (one interpreter: its sessions are "
              f"built one at a time), clients {time.process_time() - client0:.1f} s (receiving, then decoding)")
        for s in students:
            s.stop.set()
        for s in students:
            s.closed.wait(30)
    finally:
        proc.terminate()
        proc.wait(20)


def run(seconds_per_phase: float = 8.0) -> None:
    """Start a server, run every scenario, print the figures.

    **Arguments:** `seconds_per_phase`: how long the observer measures in each load phase.
    """
    proc, url = serve()
    try:
        wait_until_idle(proc.pid)  # as a class meets it: the server started before the lesson
        print("classroom scenarios: server-side clients (bokeh.client sessions), one panel serve "
              f"process, {os.cpu_count()} CPU cores shared by server and clients; load average before "
              f"starting {os.getloadavg()[0]:.1f} (other work on the machine counts too)")

        observer = Student(url).start()
        observer.ready.wait(120)
        time.sleep(3)
        one_session_mb = rss_mb(proc.pid)

        def phase(label, others):
            return measure(label, observer, others, seconds_per_phase, [proc.pid])

        solo = phase("observer alone", [])

        observer.latencies.clear()
        during_join = []

        def class_arrived():  # not while the clients then decode (a browser does it on its machine)
            observer.moving.clear()
            during_join.extend(observer.latencies)

        observer.moving.set()  # a student already working while the class joins
        students = join(url, arrived=class_arrived)
        lat = during_join
        print(f"  meanwhile the observer, moving mu: p50 {_p(lat, 50):.0f} ms, p95 {_p(lat, 95):.0f} ms, longest "
              f"{max(lat) * 1e3:.0f} ms ({len(lat)} round trips until the last document arrived)"
              if lat else "  meanwhile the observer got no answer")
        thirty_mb = rss_mb(proc.pid)

        p5 = phase("5 others moving sliders", students[:5])
        p29 = phase("29 others moving sliders", students[:29])
        print(f"  ratios to alone: 5 moving {p5 / solo:.2f}x (target <= 1.5x), 29 moving {p29 / solo:.2f}x "
              "(target <= 3x)")

        # A class leaving, the observer moving meanwhile.
        observer.latencies.clear()
        observer.moving.set()
        time.sleep(1.0)
        for s in students:
            s.stop.set()
        for s in students:
            s.closed.wait(30)
        time.sleep(8.0)  # the ended sessions are discarded, then swept once
        observer.moving.clear()
        lat = list(observer.latencies)
        print(f"a class of 30 leaving: observer's longest round trip {max(lat) * 1e3:.0f} ms, p95 "
              f"{_p(lat, 95):.0f} ms over the next 9 s ({len(lat)} round trips)")
        time.sleep(DISCARD_S)  # Bokeh discards a closed session ~15-32 s after it closed; then one sweep
        left_mb = rss_mb(proc.pid)

        # Heavy work: 5 students on the bistable switch with 1000 trials.
        heavy = [Student(url, HEAVY_ARGS).start() for _ in range(5)]
        for s in heavy:
            s.ready.wait(300)
        ph = phase("5 others running the bistable switch with 1000 trials", heavy)
        heavy_ms = [_p(s.latencies, 50) for s in heavy if s.latencies]
        print(f"  ratio to alone: {ph / solo:.2f}x; the heavy students' own median round trip "
              f"{statistics.median(heavy_ms):.0f} ms" if heavy_ms else "")
        for s in heavy:
            s.stop.set()
        for s in heavy:
            s.closed.wait(60)
        time.sleep(DISCARD_S)
        after_mb = rss_mb(proc.pid)
        print(f"memory (server RSS, the observer's session still open): one session {one_session_mb:.0f} MB, "
              f"30 sessions {thirty_mb:.0f} MB, after the 30 left {left_mb:.0f} MB = "
              f"{left_mb / one_session_mb:.2f}x the one-session level (target <= 1.2x); after the 5 heavy "
              f"sessions left too {after_mb:.0f} MB = {after_mb / one_session_mb:.2f}x (their programs, "
              "compiled for new shapes, stay)")
        observer.stop.set()
        observer.closed.wait(10)
    finally:
        proc.terminate()
        proc.wait(20)
