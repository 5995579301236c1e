"""A session's build (issue 9, joining): the document a student gets first is lean but complete.

The hidden dynamics tabs are made and sent when first opened, renderers send no never-drawn glyph
copies, and Bokeh's document check, skipped when served (``explorer/lean.py``), runs here.
"""

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
