"""``python -m explorer --procs N`` (``explorer/front.py``): N servers behind one address, each
page kept on one of them, and stopping the front stops them all.

Before: the only multi-process way was ``panel serve --num-procs N``, whose workers share a port,
so a page's websocket could land on another worker than its page and the session was built
twice; ``python -m explorer`` refused more than one process."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from explorer import front
from explorer.bench.harness import alive, child_pids, free_port_run, port_free
from tests.browser import ARTIFACTS, READY, ROOT, slider_handle, source
from tests.test_browser import browser  # noqa: F401  (the module's Chromium, skipped or failed alike)
from tests.test_browser_class import linked_elsewhere, offline_page


def _start(procs: int = 2):
    port = free_port_run(procs)
    log = open(ARTIFACTS.mkdir(exist_ok=True) or ARTIFACTS / f"front-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "explorer", "--procs", str(procs), "--port", str(port), "--address", "127.0.0.1",
         "--allow-websocket-origin", f"127.0.0.1:{port}"],
        cwd=ROOT, env=os.environ | {"BROWSER": "true", "JAX_ENABLE_X64": "1"},  # --show opens nothing
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"the front did not start; see {log.name}")
            time.sleep(0.3)
    return proc, port, log






def _redirect(port: int, path_and_query: str) -> str:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path_and_query)
        reply = conn.getresponse()
        assert reply.status == 307, reply.status
        return reply.getheader("Location")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def two_servers():
    proc, port, log = _start(2)
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(30)
        log.close()


# -- options --------------------------------------------------------------------------------
def test_procs_and_port_values_are_checked_with_the_allowed_range():
    cores = os.cpu_count()
    assert front.parse_procs(None) == 1 and front.parse_procs(str(cores)) == cores
    for bad in ("0", str(cores + 1), "2.5", "two", ""):
        with pytest.raises(ValueError, match=f"--procs must be a whole number from 1 to {cores}"):
            front.parse_procs(bad)
    assert front.parse_port(None, 2) == 5006 and front.parse_port("8000", 2) == 8000
    for bad in ("0", "65534", "-1", "http"):
        with pytest.raises(ValueError, match="--port must be a whole number from 1 to 65533 with --procs 2"):
            front.parse_port(bad, 2)
    assert front.take_option(["--procs", "2", "--port=7"], "--procs") == ("2", ["--port=7"])
    assert front.take_option(["--port=7"], "--port") == ("7", [])
    with pytest.raises(ValueError, match="--procs needs a value"):
        front.take_option(["--procs"], "--procs")


def test_each_server_accepts_the_websocket_origins_given_for_the_front():
    # A page loaded from the server on port 5008 has the origin host:5008.
    assert front._origins_for([], 5006, 5008) == ["localhost:5008"]
    assert front._origins_for(["*"], 5006, 5008) == ["*"]
    assert front._origins_for(["lab.school:5006", "10.0.0.2", "proxy:443"], 5006, 5008) == [
        "lab.school:5008", "10.0.0.2:5008", "proxy:443"]


def test_bad_procs_on_the_command_line_stop_with_the_reason_before_anything_starts():
    for args, said in ((["--procs", "0"], "--procs must be a whole number from 1 to"),
                       (["--procs", "2", "--port", "65535"], "--port must be a whole number from 1 to 65533"),
                       (["--procs", "2", "--address", "no.such.host.invalid"], "--address 'no.such.host.invalid' "
                                                                                "cannot be listened on")):
        done = subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, text=True,
                              timeout=120, cwd=ROOT, env=os.environ | {"BROWSER": "true"})
        assert done.returncode == 1 and said in done.stderr, done.stderr
    # A bad memory budget: said before any server starts, nothing left running.
    port = free_port_run(2)
    done = subprocess.run([sys.executable, "-m", "explorer", "--procs", "2", "--port", str(port), "--address",
                           "127.0.0.1"], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=os.environ | {"BROWSER": "true", "EXPLORER_CACHE_BUDGET_MB": "lots"})
    assert done.returncode == 1 and "EXPLORER_CACHE_BUDGET_MB must be a number of megabytes > 0" in done.stderr
    assert all(port_free(p) for p in (port, port + 1, port + 2))
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        taken = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "explorer", "--procs", "2", "--port", str(taken - 1),
                               "--address", "127.0.0.1"], capture_output=True, text=True, timeout=120, cwd=ROOT,
                              env=os.environ | {"BROWSER": "true"})
        assert done.returncode == 1 and f"port {taken} is in use" in done.stderr, done.stderr
    finally:
        busy.close()


# -- served ---------------------------------------------------------------------------------
def test_the_front_sends_pages_to_each_server_in_turn_with_their_link(two_servers):
    _, port = two_servers
    query = "/app?mu=0.5&utm_source=course"
    places = [urllib.parse.urlsplit(_redirect(port, query)) for _ in range(4)]
    assert [p.port for p in places] == [port + 1, port + 2, port + 1, port + 2]
    assert {p.hostname for p in places} == {"127.0.0.1"}
    assert {p.path + "?" + p.query for p in places} == {query}
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}{query}", timeout=120).read().decode()
    assert "<title>Sigmoid-rate explorer</title>" in page


def test_pages_behind_the_front_work_stay_on_their_server_and_stay_offline(two_servers, browser):  # noqa: F811
    """Two pages opened at the front's address land on the two servers; each one's slider moves
    its own plots (its websocket goes to the server that built its page), and nothing comes
    from another host."""
    _, port = two_servers
    pages = []
    for _ in range(2):
        page, outside, errors = offline_page(browser)
        sockets = []
        page.on("websocket", lambda ws, sockets=sockets: sockets.append(ws.url))
        page.goto(f"http://127.0.0.1:{port}/app?mu=0.3")
        page.wait_for_function(READY, timeout=120_000)
        pages.append((page, outside, errors, sockets))
    ports = [urllib.parse.urlsplit(p.url).port for p, *_ in pages]
    assert sorted(ports) == [port + 1, port + 2]
    for (page, outside, errors, sockets), own in zip(pages, ports):
        assert {urllib.parse.urlsplit(u).port for u in sockets} == {own}  # a reconnect goes there too
        handle = slider_handle(page, "mu")
        assert handle.is_visible()
        assert "0.3" in page.locator(".bk-slider-title").filter(has_text="mu").first.inner_text()
        before = source(page, "trials_source")["rate"]
        handle.focus()
        handle.press("ArrowRight")
        page.wait_for_function(
            """(old) => { const r = Bokeh.documents[0].get_model_by_name('trials_source').data.rate;
                 return r.length === old.length && r.some((v, i) => v !== old[i]); }""",
            arg=before, timeout=30_000)
        assert outside == [] and linked_elsewhere(page) == [], outside
        assert not [e for e in errors if "favicon" not in e], errors
        page.close()


@pytest.mark.parametrize("how", ["kill PID", "kill -9"])
def test_stopping_the_front_stops_every_server_and_frees_the_ports(how):
    """``kill PID`` (SIGTERM: the front stops its servers) and ``kill -9`` (no handler runs: the
    kernel stops them, PDEATHSIG) both leave no server running and the ports free."""
    proc, port, log = _start(2)
    try:
        servers = child_pids(proc.pid, running="panel")
        assert len(servers) == 2 and all(alive(s) for s in servers)
        if how == "kill PID":
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
        else:
            proc.kill()
            proc.wait(10)
        deadline = time.monotonic() + 30
        while any(alive(s) for s in servers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(s) for s in servers)
        assert all(port_free(p) for p in (port, port + 1, port + 2))
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()


def test_with_a_certificate_the_front_and_its_servers_speak_https(tmp_path):
    """``--ssl-certfile``/``--ssl-keyfile`` (a school's certificate): the front answers on HTTPS
    and sends each page to an HTTPS server, which serves it."""
    import http.client
    import shutil
    import ssl

    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make a test certificate (Debian: apt-get install openssl)"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    port = free_port_run(2)
    proc = subprocess.Popen(
        [sys.executable, "-m", "explorer", "--procs", "2", "--port", str(port), "--address", "127.0.0.1",
         "--allow-websocket-origin", f"127.0.0.1:{port}", "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)],
        cwd=ROOT, env=os.environ | {"BROWSER": "true"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    unverified = ssl._create_unverified_context()  # our own self-signed certificate
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=unverified)
                conn.request("GET", "/app?mu=0.5")
                reply = conn.getresponse()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the front did not start"
                time.sleep(0.3)
        assert reply.status == 307
        where = urllib.parse.urlsplit(reply.getheader("Location"))
        assert (where.scheme, where.port, where.query) == ("https", port + 1, "mu=0.5")
        page = urllib.request.urlopen(reply.getheader("Location"), timeout=120, context=unverified).read().decode()
        assert "<title>Sigmoid-rate explorer</title>" in page
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
