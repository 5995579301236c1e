"""``python -m explorer --procs N``: N explorer servers on one machine, each page kept on one.

Why not ``panel serve --num-procs N``: its workers share one port and the kernel hands each
connection to any of them, so a page's websocket often lands on another worker than the page,
which then builds the session a second time. Here each server has a port of its own (the front's
port + 1 ... + N) and the front, on the port the students are given, only redirects: a student's
``/app?...`` goes to one server, round-robin, and everything of that page (its scripts, its
websocket, its reloads) then talks to that server alone. The front holds no session and imports
neither Panel nor JAX.

Why more than one process at all: one server answers every page on one event loop, with one
interpreter lock. With 29 students dragging sliders on the 2-core machine, one process used 1.1
of the 2 cores; two processes use both (``python -m explorer.bench --part classroom`` prints both
figures; see the README's "Running a class").

Stopping the front (Ctrl-C, ``kill PID``) stops every server; on Linux a server also stops if
the front is killed outright (``kill -9``), as the kernel sends it SIGTERM then (``PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from pathlib import Path

APP = Path(__file__).with_name("app.py")
DEFAULT_PORT = 5006
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def allowed_procs() -> range:
    """The values ``--procs`` accepts: 1 up to this machine's number of cores (more processes
    than cores only add interpreters competing for the same cores)."""
    return range(1, max(os.cpu_count() or 1, 1) + 1)


def take_option(argv: list[str], name: str) -> tuple[str | None, list[str]]:
    """Remove ``name VALUE`` or ``name=VALUE`` from ``argv``.

    **Arguments:** `argv`: command-line options; `name`: the option, e.g. ``"--procs"``.

    **Returns:** (the value, or None when absent; the other options). Raises ``ValueError`` when
    the option has no value.
    """
    rest, value, k = [], None, 0
    while k < len(argv):
        arg = argv[k]
        if arg == name:
            if k + 1 >= len(argv):
                raise ValueError(f"{name} needs a value")
            value, k = argv[k + 1], k + 2
            continue
        if arg.startswith(name + "="):
            value = arg.partition("=")[2]
        else:
            rest.append(arg)
        k += 1
    return value, rest


def parse_procs(text: str | None) -> int:
    """The number of servers ``--procs`` asks for (1 when absent).

    **Arguments:** `text`: the option's value as typed, or None.

    **Returns:** the number. Raises ``ValueError`` naming ``--procs`` and the allowed range.
    """
    allowed = allowed_procs()
    if text is None:
        return 1
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value not in allowed:
        raise ValueError(f"--procs must be a whole number from {allowed.start} to {allowed.stop - 1} "
                         f"(this machine's cores), got {text!r}")
    return value


def parse_port(text: str | None, procs: int) -> int:
    """The front's port from ``--port`` (default 5006); the servers take the ``procs`` after it.

    Raises ``ValueError`` naming ``--port`` and its allowed range.
    """
    if text is None:
        return DEFAULT_PORT
    top = 65535 - procs
    try:
        port = int(text)
    except ValueError:
        port = None
    if port is None or not 1 <= port <= top:
        raise ValueError(f"--port must be a whole number from 1 to {top} with --procs {procs} (the servers "
                         f"take the {procs} ports after it), got {text!r}")
    return port


def _origins_for(origins: list[str], port: int, child_port: int) -> list[str]:
    """The websocket origins a server on ``child_port`` accepts, from those given for ``port``:
    a page loaded from that server has ``host:child_port`` as its origin."""
    if not origins:  # Bokeh's own default, for the server's own port
        return [f"localhost:{child_port}"]
    out = []
    for origin in origins:
        host, _, given = origin.rpartition(":") if ":" in origin else (origin, "", "")
        out.append(origin if origin == "*" else f"{host}:{child_port}" if given in ("", str(port)) else origin)
    return out


def _check_free(address: str | None, port: int) -> None:
    """Raise ``ValueError`` unless ``port`` can be listened on at ``address`` (every address
    family it names; all interfaces when None)."""
    try:
        places = socket.getaddrinfo(address or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise ValueError(f"--address {address!r} cannot be listened on here ({err.strerror})") from None
    for family, kind, proto, _, where in places:
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                s.bind(where)
            except OSError:
                raise ValueError(f"port {port} is in use: with --procs N the explorer needs --port P and the N "
                                 f"ports after it free (P+1 ... P+N)") from None


def _tied_to(parent: int):
    """What a server runs between fork and exec: end with ``parent`` (Linux ``PDEATHSIG``), and
    at once if it already ended (the front died between the fork and this call)."""
    def tie() -> None:
        try:
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):  # not Linux: Ctrl-C and kill PID still stop every server
            return
        if os.getppid() != parent:
            os._exit(1)
    return tie


def start_servers(procs: int, port: int, options: list[str]) -> list[subprocess.Popen]:
    """Start ``procs`` explorer servers on ports ``port + 1`` ... ``port + procs``.

    **Arguments:** `procs`: how many; `port`: the front's port; `options`: other ``panel serve``
    options (``--address``, ``--allow-websocket-origin`` ...), passed to each.

    **Returns:** the servers' processes. Each gets 1/``procs`` of the memory budget
    (``EXPLORER_CACHE_BUDGET_MB``), so that together they keep to it.
    """
    from explorer.budget import ENV, limit_from_env  # a bad value: ValueError naming it

    origins, rest = [], list(options)
    while True:
        value, rest = take_option(rest, "--allow-websocket-origin")
        if value is None:
            break
        origins.append(value)
    env = os.environ | {ENV: repr(limit_from_env() / 1e6 / procs)}
    tie = _tied_to(os.getpid())
    servers = []
    try:
        for k in range(1, procs + 1):
            child = port + k
            allowed = [a for origin in _origins_for(origins, port, child) for a in ("--allow-websocket-origin", origin)]
            # the given options last: a trailing --args takes the rest of the line
            cmd = [sys.executable, "-m", "panel", "serve", str(APP), "--port", str(child), *allowed, *rest]
            servers.append(subprocess.Popen(cmd, env=env, preexec_fn=tie))
    except BaseException:
        stop_servers(servers)
        raise
    return servers


def stop_servers(servers: list[subprocess.Popen], grace_s: float = 15.0) -> None:
    """Ask each server to stop (SIGTERM), then kill those still running after ``grace_s`` in all.
    Ctrl-C and SIGTERM are ignored meanwhile, so that a second one cannot leave servers behind."""
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, signal.SIG_IGN)
        except ValueError:  # not the main thread: no handlers to change
            pass
    try:
        for proc in servers:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + grace_s
        for proc in servers:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def wait_until_serving(servers: list[subprocess.Popen], ports: list[int], address: str | None = None,
                       timeout: float = 300.0) -> None:
    """Wait until every server accepts connections on its port (a server listens once its
    application is set up). Raises ``RuntimeError`` if one exits first or ``timeout`` passes.

    **Arguments:** `servers`, `ports`: the servers and their ports, in the same order;
    `address`: the address they listen on (default: all, reached here at 127.0.0.1).
    """
    host = "127.0.0.1" if address in (None, "", "0.0.0.0") else "::1" if address == "::" else address
    deadline = time.monotonic() + timeout
    pending = dict(zip(ports, servers))
    while pending:
        for port, proc in list(pending.items()):
            if proc.poll() is not None:
                raise RuntimeError(f"the explorer server for port {port} exited (code {proc.returncode})")
            try:
                socket.create_connection((host, port), timeout=2).close()
                del pending[port]
            except OSError:
                pass
        if pending:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the explorer servers on ports {sorted(pending)} did not start")
            time.sleep(0.2)


def make_front(ports: list[int]):
    """The front's Tornado application: every request is redirected to one server, in turn.

    **Arguments:** `ports`: the servers' ports.

    **Returns:** a ``tornado.web.Application``.
    """
    import itertools

    import tornado.web

    turns = itertools.cycle(ports)

    class ToOneServer(tornado.web.RequestHandler):
        def get(self, *_):
            host = self.request.host_name  # the name the student typed, without its port
            if ":" in host and not host.startswith("["):  # an IPv6 literal needs its brackets back
                host = f"[{host}]"
            query = f"?{self.request.query}" if self.request.query else ""
            # 307, not 302: a reload of the front's address asks the front again (not cached).
            self.redirect(f"{self.request.protocol}://{host}:{next(turns)}{self.request.path}{query}", status=307)

        head = get

    return tornado.web.Application([(r"/(.*)", ToOneServer)])


def serve(procs: int, options: list[str]) -> int:
    """Run the front and ``procs`` servers until stopped.

    **Arguments:** `procs`: servers to start (2 or more); `options`: ``panel serve`` options as
    given to ``python -m explorer`` (``--port``, ``--address``, ``--show`` ...).

    **Returns:** the exit status.
    """
    import tornado.ioloop

    port_text, options = take_option(options, "--port")
    port = parse_port(port_text, procs)
    show = "--show" in options
    options = [o for o in options if o != "--show"]
    from bokeh.settings import settings

    address, _ = take_option(options, "--address")
    prefix, _ = take_option(options, "--prefix")  # the servers get it too
    # The servers read a certificate from these options or from BOKEH_SSL_* (as bokeh serve does):
    # the front must speak what they speak.
    certfile = settings.ssl_certfile(take_option(options, "--ssl-certfile")[0])
    keyfile = settings.ssl_keyfile(take_option(options, "--ssl-keyfile")[0])
    ports = [port + k for k in range(1, procs + 1)]
    for p in [port, *ports]:
        _check_free(address, p)
    servers: list[subprocess.Popen] = []

    def interrupt(*_):  # kill PID as Ctrl-C: leave the loop, then stop the servers
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        servers = start_servers(procs, port, options)
        wait_until_serving(servers, ports, address)
        ssl_options = None
        if certfile:  # the servers speak HTTPS: so does the front, and it redirects to https
            import ssl

            ssl_options = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_options.load_cert_chain(certfile, keyfile, password=settings.ssl_password())
        make_front(ports).listen(port, address=address or "", ssl_options=ssl_options)
        host = "localhost" if address in (None, "", "0.0.0.0", "::") else address
        path = "/" + "/".join(part for part in ((prefix or "").strip("/"), "app") if part)
        where = f"{'https' if certfile else 'http'}://{host}:{port}{path}"
        print(f"Explorer front at {where}: {procs} servers on ports {ports[0]}-{ports[-1]}, "
              "each page stays on one", flush=True)
        if show:
            webbrowser.open(where)
        loop = tornado.ioloop.IOLoop.current()

        def watch():  # a server that stopped on its own: stop all, say which
            for p, proc in zip(ports, servers):
                if proc.poll() is not None:
                    print(f"the explorer server for port {p} stopped (code {proc.returncode}); stopping all",
                          file=sys.stderr, flush=True)
                    loop.stop()

        tornado.ioloop.PeriodicCallback(watch, 1000).start()
        loop.start()
        return 1
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, OSError, ValueError) as err:  # a server that did not start, a certificate
        print(err, file=sys.stderr)  # unreadable, a bad memory budget
        return 1
    finally:
        stop_servers(servers)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
