"""How the explorer is served, so that answers leave at once and without pauses.

Nagle's algorithm off on each session's websocket. Bokeh writes each message in several
websocket frames (header, metadata, content, then two per binary buffer) and Tornado, which
carries them, leaves TCP's Nagle algorithm on. The frames after the first then wait for the
browser to acknowledge it, and the browser delays its acknowledgements. Two servers on loopback,
timed in one run with the benchmark's harness (``explorer.bench``): a one-number round trip took
47 ms at the median with it on and 13 ms with it off. Tornado's documentation
recommends ``set_nodelay(True)`` for exactly this; Bokeh and Panel do not call it.

Long-lived objects frozen out of the garbage collector's full sweeps. After the imports (JAX,
Bokeh, Panel) the process tracks about 200,000 objects, and each session adds about 23,000; a
full (generation 2) collection walks them all, 114 ms for the imports alone (measured
in-process), once every few hundred refreshes, and a slider's answer stalls meanwhile. So once a
session is built, what lives is frozen (``gc.freeze()``, a permanent generation the sweeps skip;
reference counting still frees memory at once). When a session ends, everything is unfrozen,
collected once, and frozen again, so its objects are freed.

One sweep for many ended sessions, not one each. A full sweep walks every live session's
objects: measured before this change, 114 / 265 / 546 ms with 1 / 10 / 30 sessions alive, and
30 sessions ending together (a class leaving) stalled a remaining student 6.1 s. Now a session's
end empties its caches at once (reference counting frees the big arrays), and the sweep for its
remaining objects waits until no session has ended for ``SWEEP_QUIET_S`` and no session has
asked for a run for ``SWEEP_IDLE_S`` (at most ``SWEEP_MAX_WAIT_S`` after the first end): a class
leaving costs one sweep, and it falls where nobody waits for an answer. After the sweep,
``malloc_trim`` (glibc) hands the freed memory back to the system: without it the server's RSS
stayed ~1.5x the one-session level after a class of 30 left.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import signal
import time

import panel as pn

log = logging.getLogger(__name__)


def send_without_delay(doc=None) -> int:
    """Turn Nagle's algorithm off on the websocket of every connection to this session.

    Returns how many connections were set. Reaches into the server session the way Panel's own
    ``hold`` does (``_subscribed_connections``, ``_socket``); if a later Bokeh moves them, the
    page still works, only slower, and a warning says so.
    """
    doc = doc if doc is not None else pn.state.curdoc
    context = getattr(doc, "session_context", None)
    session = getattr(context, "_session", None)
    connections = getattr(session, "_subscribed_connections", None)
    if connections is None:
        log.warning("no websocket connections found for this session: Nagle's algorithm stays on")
        return 0
    count = 0
    for connection in connections:
        socket = getattr(connection, "_socket", None)
        if hasattr(socket, "set_nodelay") and getattr(socket, "ws_connection", None) is not None:
            socket.set_nodelay(True)
            count += 1
    return count


def on_session_loaded() -> None:
    """Register ``send_without_delay`` for when the served page has connected."""
    if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
        pn.state.onload(send_without_delay)


def on_session_ended(callback) -> None:
    """Call ``callback()`` when the served session ends (not in-process).

    **Arguments:** `callback`: no arguments; runs on the server's loop as the session is destroyed.
    """
    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        doc.on_session_destroyed(lambda session_context: callback())


SWEEP_DELAY_S = 1.0  # after a session ends: its document is destroyed by then
SWEEP_QUIET_S = 3.0  # sweep once no session has ended for this long (a class leaves in a few s)
# ... and no session has asked for a run for this long: the sweep holds the loop (0.87-1.35 s on
# the loaded 2-core machine, asyncio debug mode, 30 sessions alive), so it waits for a moment when
# nobody is waiting for an answer. Before, one closed tab stalled every student's next answer.
SWEEP_IDLE_S = 1.0
SWEEP_MAX_WAIT_S = 120.0  # ... but no later than this after the first unswept end
sweeps = 0  # full sweeps run (tests count them)
_pending_since = None  # when the first session ended that no sweep has freed yet
_last_end = 0.0


def freeze_live_objects() -> None:
    """Collect the garbage not yet frozen (after the first call, mostly young objects: cheap),
    then freeze what is left. Call when a session is built; in a served session, also arrange
    the sweep that frees the session's objects when it ends."""
    gc.collect()
    gc.freeze()
    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        doc.on_session_destroyed(_sweep_soon)


def _sweep_soon(session_context) -> None:
    """A session ended: sweep once the ends have stopped coming (see the module's doc)."""
    from tornado.ioloop import IOLoop

    global _pending_since, _last_end
    now = time.monotonic()
    _last_end = now
    if _pending_since is None:
        _pending_since = now
        IOLoop.current().call_later(SWEEP_DELAY_S, _sweep_when_quiet)


def _sweep_when_quiet() -> None:
    from tornado.ioloop import IOLoop

    global _pending_since
    from . import workers

    now = time.monotonic()
    quiet_at = max(_last_end + SWEEP_QUIET_S, workers.last_submit + SWEEP_IDLE_S)
    if now < quiet_at and now < _pending_since + SWEEP_MAX_WAIT_S:
        IOLoop.current().call_later(min(quiet_at, _pending_since + SWEEP_MAX_WAIT_S) - now, _sweep_when_quiet)
        return
    _pending_since = None
    sweep_all()


def sweep_all() -> None:
    """One full collection over everything, frozen or not, then freeze what is left, and
    return the freed memory to the system."""
    global sweeps
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    sweeps += 1
    return_freed_memory()


def return_freed_memory() -> bool:
    """``malloc_trim(0)``: glibc gives the free parts of its heaps back to the system.

    **Returns:** whether it ran (False where the C library has no ``malloc_trim``).
    """
    global _libc
    if _libc is None:
        _libc = False
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc = libc if hasattr(libc, "malloc_trim") else False
        except OSError:
            pass
    if not _libc:
        return False
    _libc.malloc_trim(0)
    return True


_libc = None


def stylesheets_from_this_server(doc=None) -> int:
    """Point every Panel stylesheet of the session's page at this server, not Panel's CDN.

    Panel builds its components' stylesheets with CDN addresses and rewrites them to the
    server's own only when it renders the page's HTML. A session rebuilt because its
    websocket arrived after the first one had expired (a busy server, a slow laptop: 26-30 of
    30 pages in a classroom run; any page with ``--num-procs``) never gets that HTML, so its
    page fetched 8 stylesheets from cdn.holoviz.org: offline, 8 console errors and an alert
    without its style; and its alert, when shown later, came unstyled (Panel renders a
    component's stylesheets again from the document's ``dist_url``, which only that HTML sets).
    Called when the session's document is built, for every session.

    **Arguments:** `doc`: the session's document (default: the current one).

    **Returns:** how many root models were patched (0 in-process or with CDN resources).
    """
    from panel.io.resources import LOCAL_DIST, patch_model_css, use_cdn

    doc = doc if doc is not None else pn.state.curdoc
    if doc is None or doc.session_context is None or use_cdn():
        return 0
    rel = pn.state.rel_path
    dist_url = f"{rel}/{LOCAL_DIST}" if rel else LOCAL_DIST
    # Panel reads this when it renders a component's stylesheets again (an alert shown later).
    doc._template_variables.setdefault("dist_url", dist_url)
    for root in doc.roots:
        patch_model_css(root, dist_url=dist_url)
    return len(doc.roots)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def stop_with_the_server() -> bool:
    """In a worker forked by ``panel serve --num-procs N``: end when the main process ends.

    Tornado's forking parent has no signal handler, so ``kill PID`` (SIGTERM) ended it alone and
    its workers went on serving the port: a restart then failed with "port already in use". A
    worker asks Linux to send it SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``),
    and ends at once if the parent is already gone. Called when this module is first imported
    in a process, i.e. when a worker builds its first session: a worker that never served a
    page holds no session and nothing of the explorer, but still the port (the supported way,
    ``python -m explorer``, refuses ``--num-procs``).

    **Returns:** True in a forked worker now tied to its parent, False elsewhere (one process,
    in-process, not Linux).
    """
    from tornado.process import task_id

    if task_id() is None:
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() == 1:  # the parent ended before the tie was made
        os.kill(os.getpid(), signal.SIGTERM)
    return True


def prepare_page(doc=None) -> None:
    """What every served session's page needs once its document is built: stylesheets from
    this server (``stylesheets_from_this_server``).

    **Arguments:** `doc`: the session's document (default: the current one).
    """
    stylesheets_from_this_server(doc)


TIED_TO_THE_SERVER = stop_with_the_server()
