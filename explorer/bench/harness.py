"""What the benchmark and the browser tests share: Debian's Chromium, a free port, a live server.

Neither the app nor the model imports this; it needs no Playwright itself (``slider_handle``
takes a Playwright page the caller made).
"""

from __future__ import annotations

import os
import socket
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    """A loopback TCP port free now.

    **Returns:** the port number.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_pids(pid: int, running: str = "") -> list[int]:
    """The processes whose parent is ``pid`` (Linux ``/proc``).

    **Arguments:** `pid`: the parent's process id; `running`: keep only those whose command line
    contains this (e.g. ``"panel"``: not a browser the parent opened).

    **Returns:** the children's ids.
    """
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) != pid:
                        continue
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if running.encode() in f.read().replace(b"\0", b" "):
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def port_free(port: int) -> bool:
    """Whether a server could listen on ``port`` at 127.0.0.1 now (reusing closed connections'
    ports, as Tornado does)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port_run(n: int) -> int:
    """A loopback port P with P ... P+n all free now (``python -m explorer --procs n`` takes them).

    **Returns:** P.
    """
    for _ in range(200):
        port = free_port()
        if port + n < 65536 and all(port_free(port + k) for k in range(1, n + 1)):
            return port
    raise RuntimeError("no run of free ports")


def wait_http(url, proc, timeout=120.0):
    """Wait until ``url`` answers.

    **Arguments:** `url`: the address to poll; `proc`: the server's ``subprocess.Popen`` (its exit
    ends the wait with ``RuntimeError``); `timeout`: seconds before ``TimeoutError``.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("panel serve exited")
            time.sleep(0.05)
    raise TimeoutError(url)


def slider_handle(page, title_prefix):
    """The handle of the Bokeh slider whose title (before ``:``) is ``title_prefix``.

    **Arguments:** `page`: a Playwright page; `title_prefix`: the slider's title up to its colon.

    **Returns:** a Playwright locator.
    """
    titles = page.locator(".bk-slider-title").all_inner_texts()
    index = next(i for i, t in enumerate(titles) if t.split(":")[0] == title_prefix)
    return page.locator(".noUi-handle").nth(index)
