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

Then most of what remained was Bokeh reading property defaults (``cache_stable_defaults``: 44% of
a build, cProfile) and checking callback signatures (``skip_error_diagnostics``): with both, a
build is 266 ms of server CPU against 333 ms without them (interleaved in one process, garbage
collector off), and the 30 joins of the classroom bench took 7.8 s of server CPU. ``for_serving``
applies the process-wide parts when served.
"""

from __future__ import annotations

import os
import threading

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
    finding fails. An operator's ``BOKEH_VALIDATE_DOC`` still decides where it is set.
    """
    from bokeh.settings import settings

    if "BOKEH_VALIDATE_DOC" not in os.environ:
        settings.perform_document_validation.set_value(False)


def cache_stable_defaults() -> bool:
    """Compute each Bokeh property's stable default once per model class, not on every read.

    Bokeh reads an unset property's default anew each time it is asked for: the class's
    overridden defaults merged along its MRO, a copy, then the property's validation. Building and
    serializing a session's document reads ~19,000 defaults, 44% of the server's CPU for a join
    (cProfile of ``python -m explorer.bench --part build``). A default Bokeh calls stable (no
    container, no instance, no function: ``has_unstable_default`` is False) is the same value every
    time for a given class, so the first read's value is kept, per (class, property), where it is
    immutable (None, a number, a string, a tuple of those). Unstable
    defaults (lists, dicts, models: each object needs its own) and themed values go through
    Bokeh as before. Class-level defaults are fixed once Bokeh and Panel are imported; nothing here
    changes them. ``tests/test_build.py`` compares every cached default of a served document with
    Bokeh's own.

    **Returns:** True when installed now, False if it already was.
    """
    from bokeh.core.property.descriptors import PropertyDescriptor

    if getattr(PropertyDescriptor._get_default, "_cached_stable", False):
        return False
    bokeh_get_default = PropertyDescriptor._get_default
    stable: dict = {}

    def _get_default(self, obj):
        # ``obj.themed_values()`` is a getattr that fails on most models (no theme): an exception
        # each time, 17% of a join in py-spy; the attribute lives in the instance's dict.
        themed = obj.__dict__.get("__themed_values__")
        if themed is not None and self.name in themed:
            return bokeh_get_default(self, obj)
        key = (type(obj), self.name)
        value = stable.get(key, _UNKNOWN)
        if value is _UNKNOWN or value is _UNSTABLE:
            value = bokeh_get_default(self, obj)
            if key not in stable:
                stable[key] = (value if not self.has_unstable_default(obj) and _immutable(value)
                               else _UNSTABLE)
        return value

    _get_default._cached_stable = True
    _get_default.bokeh = bokeh_get_default
    PropertyDescriptor._get_default = _get_default
    return True


_IMMUTABLE = (type(None), bool, int, float, str)
_UNKNOWN, _UNSTABLE = object(), object()


def _immutable(value) -> bool:
    """Whether a value can be shared by every model of a class (an ``Any`` property's ``{}``
    default is 'stable' for Bokeh but each model must have its own)."""
    if isinstance(value, tuple):
        return all(_immutable(v) for v in value)
    return isinstance(value, _IMMUTABLE)


def skip_error_diagnostics() -> None:
    """Do not check each callback's signature when Panel links a widget to its Bokeh model.

    Bokeh's ``perform_error_diagnostics`` setting (on by default) runs ``inspect.signature`` on
    every ``on_change`` callback: ~30 ms of each session's build (one per linked property). The
    callbacks are Panel's and the explorer's own (``on_session_destroyed`` included); the tests run
    with the check on. It also gates Bokeh's "similar attributes" hint on an unknown attribute.
    An operator's ``BOKEH_PERFORM_ERROR_DIAGNOSTICS`` still decides where it is set.
    """
    from bokeh.settings import settings

    if "BOKEH_PERFORM_ERROR_DIAGNOSTICS" not in os.environ:
        settings.perform_error_diagnostics.set_value(False)


def index_models_once() -> bool:
    """Index a document's models once per set of models, not in every message.

    Each message Bokeh writes to a page (``PATCH-DOC``) starts with a map of every model the page
    already has to its reference (``Serializer``), made anew: ~360 models touched one by one,
    each reference a new dict. Each message it reads starts with a map of every model by id
    (``Deserializer``, in ``Document.apply_json_patch``). With 29 clients moving sliders these
    two maps were 17% of the loop's time holding the interpreter (py-spy ``--gil``), far more
    than the same code on one idle document (~0.13 ms): with 30 sessions' models in memory, each
    model touched is a cache miss. Here the first map is kept with the document's model set
    (Bokeh replaces that dict whenever the models change; while models are new to the page,
    Bokeh's own code runs), frozen, and copied into each message's serializer, which adds to its
    copy only; the second is a copy of the document's own id -> model dict, which is what Bokeh
    rebuilds from it, without touching a model. ``tests/test_build.py`` compares both with
    Bokeh's and a message written either way.

    **Returns:** True when installed now, False if it already was.
    """
    from bokeh.core.serialization import Deserializer, Serializer
    from bokeh.document import Document
    from bokeh.document.models import DocumentModelManager

    if getattr(Serializer.__init__, "_indexed_once", False):
        return False
    bokeh_synced = DocumentModelManager.synced_references.fget
    bokeh_serializer_init, bokeh_deserializer_init = Serializer.__init__, Deserializer.__init__
    bokeh_apply = Document.apply_json_patch

    def synced_references(self):
        if self._new_models:  # models the page does not have yet: as Bokeh does
            return bokeh_synced(self)
        models = self._models
        synced = self.__dict__.get("_lean_synced")
        if synced is None or synced.models is not models or len(synced) != len(models):
            synced = SyncedModels(models)
            self._lean_synced = synced
        return synced

    def serializer_init(self, *, references=frozenset(), deferred=True, check_circular=False):
        if isinstance(references, SyncedModels):
            bokeh_serializer_init(self, deferred=deferred, check_circular=check_circular)
            self._references = dict(references.refs)  # this message's own copy
        else:
            bokeh_serializer_init(self, references=references, deferred=deferred, check_circular=check_circular)

    def apply_json_patch(self, patch_json, *, setter=None):
        _incoming.models = self.models._models  # the id -> model map Bokeh's deserializer rebuilds
        try:
            return bokeh_apply(self, patch_json, setter=setter)
        finally:
            _incoming.models = None

    def deserializer_init(self, references=None, *, setter=None):
        models, _incoming.models = getattr(_incoming, "models", None), None  # the first one only
        if models is not None and references is not None and len(references) == len(models):
            bokeh_deserializer_init(self, setter=setter)
            self._references = dict(models)  # a copy: the deserializer adds the patch's new models
        else:
            bokeh_deserializer_init(self, references, setter=setter)

    bokeh_destroy = DocumentModelManager.destroy

    def destroy(self):  # a session ended: its document may linger a while, its models need not
        self.__dict__.pop("_lean_synced", None)
        bokeh_destroy(self)

    serializer_init._indexed_once = True
    serializer_init.bokeh = bokeh_serializer_init
    deserializer_init.bokeh = bokeh_deserializer_init
    synced_references.bokeh = bokeh_synced
    apply_json_patch.bokeh = bokeh_apply
    Serializer.__init__, Deserializer.__init__ = serializer_init, deserializer_init
    Document.apply_json_patch = apply_json_patch
    DocumentModelManager.synced_references = property(synced_references)
    destroy.bokeh = bokeh_destroy
    DocumentModelManager.destroy = destroy
    return True


_incoming = threading.local()  # the models of the document applying a patch, in this thread


class SyncedModels(frozenset):
    """The models a page has (a document's ``synced_references``), with each one's reference,
    made once for the dict of models ``models`` (Bokeh makes a new one when the models change)."""

    def __new__(cls, models: dict):
        synced = super().__new__(cls, models.values())
        synced.models = models
        synced.refs = {id(m): m.ref for m in synced}
        return synced


def unlock_only_what_is_locked() -> bool:
    """Panel's ``edit_readonly`` for the events a page sends, touching only the flags set.

    Each event from the page (a slider's value) is applied inside ``edit_readonly``, which sets
    ``readonly`` and ``constant`` to False on every parameter of the widget and back afterwards:
    ~130 parameter-attribute writes for a slider, 157 us per event on an idle machine (two
    events per key press). Here only the flags that are set are cleared, and at the end each flag
    is put back to what it was where it differs, which leaves every flag as Panel's does
    (``tests/test_build.py`` compares the two, a flag changed inside the block included).

    **Returns:** True when installed now, False if it already was.
    """
    import contextlib

    import panel.reactive

    if getattr(panel.reactive.edit_readonly, "_only_what_is_locked", False):
        return False
    panels = panel.reactive.edit_readonly

    @contextlib.contextmanager
    def edit_readonly(parameterized):
        saved = [(p, p.readonly, p.constant) for p in parameterized.param.objects("existing").values()]
        for p, readonly, constant in saved:
            if readonly:
                p.readonly = False
            if constant:
                p.constant = False
        try:
            yield
        finally:
            for p, readonly, constant in saved:
                if p.readonly != readonly:
                    p.readonly = readonly
                if p.constant != constant:
                    p.constant = constant

    edit_readonly._only_what_is_locked = True
    edit_readonly.panel = panels
    panel.reactive.edit_readonly = edit_readonly
    return True


def for_serving() -> None:
    """Everything above that applies process-wide, for a served explorer (``app.py``) and the
    build bench that measures it: the document check and the callback check skipped (both run in
    the tests), stable defaults cached, each document's models indexed once per model set, and
    events from the page applied without rewriting every parameter's flags."""
    skip_document_check()
    skip_error_diagnostics()
    cache_stable_defaults()
    index_models_once()
    unlock_only_what_is_locked()


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
