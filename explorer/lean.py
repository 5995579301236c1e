"""A session's document with fewer Bokeh models and less work per join.

Profiled on the 2-core machine (py-spy on ``panel serve``, 8 sessions pulled in turn, and
``python -m explorer.bench --part build``): a join cost ~1.0 s of server CPU and ~0.4-0.6 s of
the client's for decoding, for a document of 551 Bokeh models. Nearly all of it is Bokeh's and
Panel's per-model work (property defaults, references, serialization: averaged over the
document, ~2 ms of server and 0.7 ms of client CPU per model), in these shares of the server's time: Panel's ``get_root`` 30%
(the sidebar's 26 widget rows most of it), the explorer's widgets and figures 23%, serializing
the document for the pull 23%, Bokeh's check of the new document (``Document.validate``) 7%,
pointing the stylesheets at this server 4%, the garbage-collector freeze 2%. So a join gets
cheaper by sending fewer models (the hidden dynamics tabs are sent when first opened:
``dynamics_views.py``; the two never-drawn glyph copies of each renderer are left to BokehJS
here; the slider tooltips' text goes in as text) and by skipping the document check, which only
logs warnings and runs in the tests instead (``tests/test_build.py``). After: 357 models in the
first document; the 30 joins of the classroom bench took 17.5-23.8 s of server CPU (27.0-36.1 s
before, same sitting) and a client decodes a document in 0.22-0.26 s (0.35 s before).
"""

from __future__ import annotations

import panel as pn
from bokeh.models import GlyphRenderer


def lean_renderers(*figures) -> int:
    """Let BokehJS make each renderer's non-selection and muted glyphs (``"auto"``) instead of
    sending two copies of every glyph.

    Nothing here is selected or muted (no selection tool, no muting legend), so these glyphs are
    never drawn; ``bokeh.plotting`` makes them anyway, two models per renderer.

    **Arguments:** `figures`: Bokeh figures.

    **Returns:** how many renderers were changed.
    """
    count = 0
    for fig in figures:
        for r in fig.renderers:
            if isinstance(r, GlyphRenderer):
                r.nonselection_glyph = "auto"
                r.muted_glyph = "auto"
                count += 1
    return count


def skip_document_check() -> None:
    """Do not run Bokeh's consistency check on each new session's document (7% of a join).

    Bokeh runs ``Document.validate`` after the app built the document and only logs what it
    finds; the same check runs on the explorer's document in ``tests/test_build.py``, where a
    finding fails.
    """
    from bokeh.settings import settings

    settings.perform_document_validation.set_value(False)


class TextTooltipIcon(pn.widgets.TooltipIcon):
    """A "?" icon showing a plain-text ``value`` on hover, as ``pn.widgets.TooltipIcon`` shows
    it, without rendering the text as Markdown into one more Bokeh model per icon.

    Panel parses a string tooltip as Markdown and wraps the result in an HTML model; the
    explorer's 20 tooltips beside its sliders and switches are plain sentences, so their text
    goes in as it is (20 fewer models and Markdown renders per session). A new ``Tooltip`` is
    made for each rendering, as Panel does, so the icon can be shown in several documents.
    """

    def _process_param_change(self, params):
        text = params.pop("value") if isinstance(params.get("value"), str) else None
        params = super()._process_param_change(params)
        if text is not None:
            from bokeh.models import Tooltip

            # position, width and syncable as Panel gives a string tooltip (panel/widgets/base.py)
            params["description"] = Tooltip(content=text, position="right", syncable=False,
                                            stylesheets=[":host { white-space: initial; max-width: 300px; }"])
        return params


def tooltip_icon(text: str) -> TextTooltipIcon:
    """The "?" icon beside a control, with ``text`` shown as text (``TextTooltipIcon``).

    **Arguments:** `text`: the tooltip's plain text (shown as text, never as markup).

    **Returns:** a ``TextTooltipIcon``.
    """
    return TextTooltipIcon(value=text)
