"""A session's build (issue 9, joining): the document a student gets first is lean but complete.

The hidden dynamics tabs are made and sent when first opened, renderers send no never-drawn glyph
copies, and Bokeh's document check, skipped when served (``explorer/lean.py``), runs here.
"""

import json

from bokeh.core.validation.check import check_integrity
from bokeh.document import Document
from bokeh.models import GlyphRenderer

from explorer.app import Explorer
from explorer.dynamics_views import TABS

HIDDEN_TAB_SOURCES = {"branch_stable_source", "histogram_source", "map_source"}
# The first document had 557 models before the hidden tabs and the glyph copies were left out.
MAX_FIRST_MODELS = 400


def _names(doc):
    return {m.name for m in doc.models if getattr(m, "name", None)}


def test_document_passes_bokehs_check_before_and_after_every_tab_is_opened():
    app = Explorer()
    doc = Document()
    doc.add_root(app.__panel__().get_root(doc))
    assert not HIDDEN_TAB_SOURCES & _names(doc)  # not made or sent before their tab is opened
    issues = check_integrity(doc.models)
    assert not issues.error and not issues.warning, issues
    shown = ["phase_source", "branch_stable_source", "histogram_source", "map_source"]  # one per tab
    for k, (tab, name) in enumerate(zip(TABS, shown)):
        app.dynamics.tabs.active = k
        assert name in _names(doc), tab  # the tab on screen is in the page
        issues = check_integrity(doc.models)
        assert not issues.error and not issues.warning, (tab, issues)
    for r in (m for m in doc.models if isinstance(m, GlyphRenderer)):
        assert r.nonselection_glyph == "auto" and r.muted_glyph == "auto", r


def test_opened_tab_shows_data_and_opening_again_builds_nothing_new():
    app = Explorer()
    app.apply(w_self=1.0, g=2.0, beta=6.0, theta=1.0, input_kind="none", duration=500.0)
    app.dynamics.tabs.active = TABS.index("Distribution")
    fig = app.dynamics.dist
    assert len(app.dynamics.src["hist"].data["density"]) > 0
    app.dynamics.tabs.active = 0
    app.dynamics.tabs.active = TABS.index("Distribution")
    assert app.dynamics.dist is fig


def test_a_joining_student_gets_the_traces_with_data_in_a_lean_document():
    """Served: the first document carries the traces' data and the phase line, not the hidden
    tabs (a hidden tab arriving with its data when opened, in Chromium:
    ``tests/test_dynamics_browser.py``)."""
    import panel.models  # noqa: F401  (the client's document needs Panel's model types)
    from bokeh.client import pull_session

    from .browser import panel_server

    with panel_server(timeout=300) as url:  # a busy shared machine: slow imports
        session = pull_session(url=url)
        try:
            doc = session.document
            names = _names(doc)
            assert len(doc.get_model_by_name("trials_source").data["rate"]) > 0
            assert len(doc.get_model_by_name("summary_source").data["mean"]) > 0
            assert "phase_source" in names and not HIDDEN_TAB_SOURCES & names
            assert len(doc.models) <= MAX_FIRST_MODELS, len(doc.models)
        finally:
            session.close()


def test_slider_tooltips_carry_their_text_as_text_in_every_document():
    from bokeh.models import Tooltip

    from explorer.state import TOOLTIPS

    app = Explorer()
    view = app.__panel__()
    for _ in range(2):  # a view can be shown in several documents (a notebook and a server)
        doc = Document()
        doc.add_root(view.get_root(doc))
        contents = {m.content for m in doc.models if isinstance(m, Tooltip)}
        assert TOOLTIPS["tau"] in contents and TOOLTIPS["mult_coupling"] in contents


def test_cached_defaults_are_bokehs_own_and_a_theme_still_applies():
    """``lean.cache_stable_defaults`` (installed when served): every unset property of a whole
    document reads as Bokeh computes it, a theme's value still wins over a cached default, and a
    container default is never shared between two models."""
    from bokeh.core.property.descriptors import PropertyDescriptor

    from explorer.lean import cache_stable_defaults

    installed_here = cache_stable_defaults()
    cached = PropertyDescriptor._get_default
    bokehs = cached.bokeh
    try:
        _compare_defaults(cached, bokehs)
    finally:
        if installed_here:  # the rest of the run reads defaults through Bokeh's own code
            PropertyDescriptor._get_default = bokehs


def _compare_defaults(cached, bokehs):
    from bokeh.core.property.descriptors import AliasPropertyDescriptor
    from bokeh.models import Line, Slider
    from bokeh.themes import Theme

    app = Explorer()
    doc = Document()
    doc.add_root(app.__panel__().get_root(doc))
    for _ in range(2):  # the second pass reads from the cache
        compared = 0
        for m in doc.models:
            for name in m.properties():
                descriptor = m.lookup(name)
                if name not in m._property_values and not isinstance(descriptor, AliasPropertyDescriptor):
                    ours, theirs = cached(descriptor, m), bokehs(descriptor, m)
                    assert ours == theirs or (ours != ours and theirs != theirs), (type(m).__name__, name)  # nan
                    compared += 1
    assert compared > 3000, compared

    plain = Slider(start=0, end=1, value=0.5)
    assert plain.bar_color == "#e6e6e6"  # Bokeh's default, now cached
    themed = Slider(start=0, end=1, value=0.5)
    themed_doc = Document()
    themed_doc.theme = Theme(json={"attrs": {"Slider": {"bar_color": "#ff0000"}}})
    themed_doc.add_root(themed)
    assert themed.bar_color == "#ff0000" and plain.bar_color == "#e6e6e6"
    other = Slider(start=0, end=1, value=0.5)
    plain.tags.append("mine")
    assert other.tags == []
    Line().line_dash.append(4)  # a list Bokeh calls a stable default: never shared
    assert Line().line_dash == []


def test_models_indexed_once_are_bokehs_own_and_follow_every_change():
    """``lean.index_models_once`` (installed when served): a message's map of the page's models,
    kept per model set, is Bokeh's own; a change of models makes it anew; models new to the page
    go through Bokeh's code; a message written with it is byte for byte Bokeh's; a serializer's
    additions stay its own; the map of an incoming message is Bokeh's too."""
    from bokeh.core.serialization import Deserializer, Serializer
    from bokeh.document.models import DocumentModelManager
    from bokeh.models import Div, Slider
    from bokeh.protocol import Protocol

    from explorer.lean import SyncedModels, index_models_once

    installed_here = index_models_once()
    ours = (Serializer.__init__, Deserializer.__init__, DocumentModelManager.synced_references,
            Document.apply_json_patch, DocumentModelManager.destroy)
    bokehs = (Serializer.__init__.bokeh, Deserializer.__init__.bokeh, property(ours[2].fget.bokeh),
              Document.apply_json_patch.bokeh, DocumentModelManager.destroy.bokeh)

    def install(inits):
        (Serializer.__init__, Deserializer.__init__, DocumentModelManager.synced_references,
         Document.apply_json_patch, DocumentModelManager.destroy) = inits

    try:
        doc = Document()
        doc.add_root(Explorer().__panel__().get_root(doc))
        # A slider of its own: its changes have no consequences (the explorer's would redraw)
        slider = Slider(start=0, end=10, value=5, title="standalone")
        doc.add_root(slider)
        models = doc.models
        assert not isinstance(models.synced_references, SyncedModels)  # all new to the page yet
        models.flush_synced()
        synced = models.synced_references
        assert isinstance(synced, SyncedModels) and models.synced_references is synced  # kept
        assert set(synced) == bokehs[2].fget(models) and len(synced) > 300
        serializer = Serializer(references=synced)
        bokeh_serializer = Serializer.__new__(Serializer)
        bokehs[0](bokeh_serializer, references=set(synced))
        assert serializer._references == bokeh_serializer._references
        serializer.add_ref(Div(), {"id": "new"})  # its own copy grows, the kept map does not
        assert len(synced.refs) == len(synced) and len(serializer._references) == len(synced) + 1

        def patch(new_value):
            events = []
            doc.callbacks.on_change(events.append)
            slider.value = new_value
            doc.callbacks._change_callbacks.pop(events.append)
            message = Protocol().create("PATCH-DOC", events)
            return message.content_json, [b.to_bytes() for b in message.buffers]

        written = patch(slider.start)
        install(bokehs)
        try:
            slider.value = slider.end  # the same change again, written by Bokeh's own code
            assert patch(slider.start) == written
        finally:
            install(ours)

        doc.add_root(Div(text="added"))  # the models change: Bokeh's path while new, then anew
        assert not isinstance(models.synced_references, SyncedModels)
        models.flush_synced()
        assert models.synced_references is not synced and set(models.synced_references) == bokehs[2].fget(models)

        # An incoming message (a page moving the slider): applied as Bokeh applies it, its
        # deserializer holding Bokeh's map of the models, and nothing of it left for the next one.
        message = patch(slider.end)  # written here, then the slider put back, then applied
        slider.value = slider.start
        seen = []
        deserialize = Deserializer.deserialize

        def watched(self, obj):
            seen.append(dict(self._references))
            return deserialize(self, obj)

        Deserializer.deserialize = watched
        try:
            assert message[1] == []  # a number: no binary buffers
            doc.apply_json_patch(json.loads(message[0]))
        finally:
            Deserializer.deserialize = deserialize
        assert slider.value == slider.end
        assert seen == [{m.id: m for m in models}]
        assert Deserializer(list(models)[:3])._references == {m.id: m for m in list(models)[:3]}

        # A patch bringing a model made on the page: decoded into the deserializer's own copy of
        # the map, not into the document's dict; and without reading each model's id (the ~360
        # reads of Bokeh's own path).
        from bokeh.model import Model

        own, ids, reads, before_decoding = models._models, set(models._models), [], []
        bokeh_id = Model.id
        Model.id = property(lambda m: reads.append(1) or bokeh_id.fget(m))

        def counted(self, obj):
            before_decoding.append(len(reads))  # ids read while the deserializer was made
            return deserialize(self, obj)

        Deserializer.deserialize = counted
        try:
            doc.apply_json_patch({"events": [{
                "kind": "ModelChanged", "model": {"id": slider.id}, "attr": "tags",
                "new": [{"type": "object", "name": "Div", "id": "made-on-the-page", "attributes": {"text": "new"}}]}]})
        finally:
            Model.id, Deserializer.deserialize = bokeh_id, deserialize
        assert slider.tags[0].text == "new" and set(own) == ids
        assert len(before_decoding) == 1 and before_decoding[0] < 10, before_decoding  # Bokeh: every id

        # A session ends: its document may linger until a sweep, the kept map must not hold its
        # models (classroom bench, server RSS after a class left: 1.14x the one-session level
        # with the map kept past this, 1.02x without; one run each).
        assert "_lean_synced" in vars(models)
        models.destroy()
        assert "_lean_synced" not in vars(models)
    finally:
        if installed_here:  # the rest of the run goes through Bokeh's own code
            install(bokehs)


def test_events_unlock_what_panel_unlocks_and_leave_every_flag_as_panel_does():
    """``lean.unlock_only_what_is_locked`` (installed when served): inside the block every
    parameter can be set, as with Panel's ``edit_readonly``; afterwards each flag is what Panel's
    leaves, a flag changed inside the block included; a slider's value from the page arrives."""
    import panel.reactive

    from explorer.lean import unlock_only_what_is_locked
    from explorer.widgets import FloatSlider

    installed_here = unlock_only_what_is_locked()
    ours = panel.reactive.edit_readonly
    try:
        def flags(w):
            return {n: (p.readonly, p.constant) for n, p in w.param.objects("existing").items()}

        def run(edit):
            w = FloatSlider(start=0, end=1, step=0.01, value=0.5)
            w.param["value_throttled"].constant = True
            w.param["start"].readonly = True
            locked = [n for n, (r, c) in flags(w).items() if r or c]
            assert {"value_throttled", "start"} <= set(locked)
            with edit(w):
                inside = flags(w)
                w.param.update(value_throttled=0.25, start=-1.0)  # refused outside the block
                w.param["end"].constant = True  # changed inside: put back at the end
                w.param["value_throttled"].constant = False
            return inside, flags(w), (w.value_throttled, w.start)

        assert run(ours) == run(ours.panel)
        inside, after, values = run(ours)
        assert not any(r or c for r, c in inside.values()) and values == (0.25, -1.0)
        assert after["value_throttled"] == (False, True)  # put back, as Panel puts it back

        w = FloatSlider(start=0, end=1, step=0.01, value=0.5)
        w._process_events({"value": 0.75, "value_throttled": 0.75})
        assert w.value == 0.75 and w.value_throttled == 0.75
    finally:
        if installed_here:
            panel.reactive.edit_readonly = ours.panel
