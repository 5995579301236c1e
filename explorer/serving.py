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
collected once, and frozen again, so its objects are freed: one full sweep per closed session,
as Panel already runs one then.
"""

from __future__ import annotations

import gc
import logging

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


SWEEP_DELAY_S = 1.0  # after a session ends: its document is destroyed by then


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
    from tornado.ioloop import IOLoop

    IOLoop.current().call_later(SWEEP_DELAY_S, sweep_all)


def sweep_all() -> None:
    """One full collection over everything, frozen or not, then freeze what is left."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
