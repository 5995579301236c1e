"""How the explorer is served, so that answers leave at once and without pauses.

Nagle's algorithm off on each session's websocket. Bokeh writes each message in several websocket frames (header, metadata, content, then two per
binary buffer) and Tornado, which carries them, leaves TCP's Nagle algorithm on. The frames
after the first then wait for the browser to acknowledge it, and the browser delays its
acknowledgements: measured on loopback with ``python -m explorer.bench``, a one-number round
trip took 47 ms at the median with it on and 13 ms with it off. Tornado's documentation
recommends ``set_nodelay(True)`` for exactly this; Bokeh and Panel do not call it.

The start-up heap frozen out of the garbage collector's full sweeps. After the imports (JAX,
Bokeh, Panel) the process tracks about 200,000 objects, and a full (generation 2) collection
walks them all: 114 ms, measured in-process, once every few hundred refreshes, each time a
slider's answer stalls. ``gc.freeze()`` moves what exists at start-up to a permanent
generation; memory freed by reference counting is still freed at once.
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


_frozen = False


def freeze_startup_heap() -> bool:
    """Once per process, before the first session builds its objects: collect, then freeze
    what is left. Returns whether this call froze it."""
    global _frozen
    if _frozen:
        return False
    gc.collect()
    gc.freeze()
    _frozen = True
    return True
