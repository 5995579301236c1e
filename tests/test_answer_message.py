"""A slider move is answered in one message (served, with a ``bokeh.client`` session).

Each PATCH-DOC message costs the server an index of the document's ~360 models and its writing,
whatever it carries; an answer used to go out in three (the traces and readouts; the phase line
on the next tick; the link in the address bar), so under a class moving sliders a third of the
server's time went to message overhead (``README.md``, "Running a class")."""

import time

import pytest

from tests.browser import panel_server


class Client:
    """A server-side client that records each PATCH-DOC message's changed model names."""

    def __init__(self, url):
        import panel.models  # noqa: F401  (the document needs Panel's model types)
        from bokeh.client.session import ClientSession
        from bokeh.client.util import websocket_url_for_server_url
        from bokeh.events import DocumentReady

        self.session = ClientSession(websocket_url=websocket_url_for_server_url(url))
        self.session.connect()
        self.session.pull()
        self.doc = self.session.document
        self.doc.callbacks.send_event(DocumentReady())  # as a browser does once the page is drawn
        self.messages = []
        handle = self.session._handle_patch

        def record(message):
            names = {m.id: m.name for m in self.doc.models}
            self.messages.append([names.get(e.get("model", {}).get("id")) for e in message.content["events"]])
            handle(message)

        self.session._handle_patch = record

    def wait_for(self, predicate, timeout=120.0):
        """Take in the server's messages until ``predicate()`` holds (a message must come)."""
        deadline = time.monotonic() + timeout
        self.session._connection._loop_until(lambda: predicate() or time.monotonic() > deadline)
        assert predicate(), "no answer"

    def answered(self):
        return any("trials_source" in m for m in self.messages)

    def data(self, name):
        return self.doc.get_model_by_name(name).data


@pytest.fixture(scope="module")
def client():
    with panel_server() as url:
        c = Client(url)
        # a fresh server compiles the dynamics views before it first feeds the phase line
        c.wait_for(lambda: len(c.data("phase_source")["x"]) > 0, timeout=300)
        yield c
        c.session.close()


def test_a_slider_move_is_answered_in_one_message(client):
    """Each move's answer is one message with every change it makes. A message the server sent
    for a move after its answer (as the phase line and the link were) arrives before the next
    move's answer: the server's messages keep their order."""
    from bokeh.models import Slider

    slider = next(m for m in client.doc.models if isinstance(m, Slider) and m.title == "mu")
    for value in (0.3, 0.6, 0.9):
        client.messages.clear()
        before = client.data("trials_source")["rate"].copy()
        slider.value = value
        client.wait_for(client.answered)
        if value == 0.3:
            continue  # what came before this move's answer is the page's start
        assert len(client.messages) == 1, client.messages
        assert {"trials_source", "summary_source", "readouts", "phase_source", "phase_trials_source",
                "address_link"} <= set(client.messages[0])
        assert (client.data("trials_source")["rate"] != before).any()
        assert f"mu={value}" in client.doc.get_model_by_name("address_link").text
