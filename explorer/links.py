"""Links to a setting: reading one (``/app?mu=0.5&seed=3``), writing the address bar, history.

Reading. Tornado has already percent-decoded each value once; it is not decoded again (so
``pulse%2520train`` stays ``pulse%20train`` and is refused). A value must be UTF-8 text of at most
``MAX_VALUE_CHARS`` characters; a number must be a plain decimal (no ``NaN``, ``inf``, ``0_5`` or
hex, which Python's ``float`` would take). Every valid value is applied, each refused one and each
unknown key (``utm_source`` from a course platform) is named in a message that stays on the page
until the user changes a setting. Nothing from a link reaches the page except as escaped text.

Writing. After each accepted refresh the address bar shows the settings that differ from the
defaults, and the seed, each written so that reading it back gives the same double (``repr``): the
link reproduces the picture bit for bit. Each gesture (changes less than ``GESTURE_MS`` apart:
a drag, a run of key presses) is one browser history entry (``AddressBar``); going back reloads
the page from the older link. The link first opened stays
in the bar until the first change.
"""

from __future__ import annotations

import functools
import re
import types
import urllib.parse

import panel as pn
import param

from .state import ExplorerState

MAX_VALUE_CHARS = 40  # the longest a setting's value needs: repr of a double is at most 24
MAX_NAMED = 8  # refused keys named one by one; beyond that, counted
# A plain decimal number: what ``repr`` writes and a person types. Python's float() would also take
# "nan", "inf", "0_5" (as 5) and surrounding whitespace.
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
TRUE, FALSE = ("true", "1", "on", "yes"), ("false", "0", "off", "no")


def _shown(text: str, limit: int = 24) -> str:
    """A piece of user input as it may appear in a message: short, quoted, never markup."""
    text = text if len(text) <= limit else text[:limit] + "…"
    return repr(text)


def parse_link(args: dict) -> tuple[dict, list[str]]:
    """Settings from a link's query arguments, and what was refused and why.

    **Arguments:**

    - `args`: name -> list of values, as ``pn.state.session_args`` gives them (bytes, decoded once
      from the URL by the server) or as strings.

    **Returns:** ``(values, problems)``: ``values`` maps setting names to values of their
    parameters' types, each valid on its own (``ExplorerState.normalize`` passes them); ``problems``
    has one line per refused key, naming it.
    """
    state = ExplorerState()
    names = {n for n in state.param if n != "name"}
    raw_values, problems, unknown = {}, [], []
    for key, raw in args.items():
        key = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
        if key.startswith("bokeh-"):
            continue  # Bokeh's own (an embedded page's autoload arguments)
        if key not in names:
            unknown.append(key)
            continue
        items = raw if isinstance(raw, (list, tuple)) else [raw]
        if len(items) != 1:
            problems.append(f"{key} is given {len(items)} times")
            continue
        item = items[0]
        if isinstance(item, bytes):
            try:
                item = item.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(f"{key}: the value is not UTF-8 text")
                continue
        text = str(item)
        if len(text) > MAX_VALUE_CHARS:
            problems.append(f"{key}: the value has {len(text):,} characters (at most {MAX_VALUE_CHARS})")
            continue
        value = _typed(state.param[key], text)
        if value is None:
            p = state.param[key]
            problems.append(f"{p.label or key} = {_shown(text)} is not {_kind(p)}")
            continue
        raw_values[key] = value
    values = {}
    for key, value in raw_values.items():  # one at a time: each refusal is named, the rest applies
        clean, refused = state.normalize({key: value})
        values.update(clean)
        problems.extend(refused)
    if unknown:
        named = ", ".join(_shown(k) for k in unknown[:MAX_NAMED])
        more = f" and {len(unknown) - MAX_NAMED} more" if len(unknown) > MAX_NAMED else ""
        problems.append(f"unknown setting{'s' if len(unknown) > 1 else ''} {named}{more} (ignored)")
    return values, problems


def _kind(p) -> str:
    if isinstance(p, param.Boolean):
        return "true or false"
    if isinstance(p, param.Selector):
        return f"one of {p.objects}"
    if isinstance(p, param.Integer):
        return "a whole number"
    return "a number"


def _typed(p, text: str):
    """``text`` as the parameter's type, or None where it does not read as one."""
    if isinstance(p, param.Boolean):
        low = text.lower()
        return True if low in TRUE else False if low in FALSE else None
    if isinstance(p, param.Selector):
        for option in p.objects:
            if isinstance(option, str) and option == text:
                return option
        return float(text) if NUMBER.fullmatch(text) else None
    if not NUMBER.fullmatch(text):
        return None
    if isinstance(p, param.Integer):
        return int(text) if text.lstrip("+-").isdigit() else None
    return float(text)


def apply_link(explorer, args: dict | None = None) -> list[str]:
    """Apply a link's settings to ``explorer`` (what is valid) and show what was refused.

    **Arguments:**

    - `explorer`: an ``explorer.app.Explorer``.
    - `args`: the query arguments; by default the served session's (``pn.state.session_args``).

    **Returns:** the refusals shown (empty when everything was applied).
    """
    if args is None:
        args = getattr(pn.state, "session_args", None) or {}
    values, problems = parse_link(args)
    if values:
        explorer.apply(**values)
    if problems:
        what = "The rest of the link was applied." if values else "Nothing was changed."
        explorer.show_message("From the link: " + "; ".join(p.rstrip(".") for p in problems) + ". " + what)
    return problems


def _written(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


@functools.cache
def _default_settings() -> types.MappingProxyType:
    return types.MappingProxyType(ExplorerState().settings())  # made once: asked on every answer


def link_query(state: ExplorerState, settings: dict | None = None) -> str:
    """``?name=value&...`` for the settings that differ from the defaults, and the seed.

    **Arguments:**

    - `state`: the session's ``ExplorerState``.
    - `settings`: ``state.settings()``, if the caller has them already.

    **Returns:** the query, percent-encoded (``pulse%20train``); ``parse_link`` reads it back to the
    same values.
    """
    defaults = _default_settings()
    settings = state.settings() if settings is None else settings
    pairs = [(k, _written(v)) for k, v in settings.items() if k == "seed" or v != defaults[k]]
    return "?" + urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)


GESTURE_MS = 1500  # changes closer together than this are one gesture: one history entry

# A drag or a run of key presses answers with many refreshes; each was a history entry, so "back"
# stepped through a drag one refresh at a time. Now a change within GESTURE_MS of the last one
# replaces the entry instead of adding one.
PUSH_JS = f"""
if (window.location.search !== cb_obj.text) {{
  const url = window.location.pathname + cb_obj.text + window.location.hash;
  const now = Date.now();
  if (window._explorer_last_push !== undefined && now - window._explorer_last_push < {GESTURE_MS})
    window.history.replaceState({{}}, '', url);
  else
    window.history.pushState({{}}, '', url);
  window._explorer_last_push = now;
}}
"""

HISTORY_JS = """
if (!window._explorer_follows_history) {
  window._explorer_follows_history = true;
  // Back and forward change the address without loading the page; the older link's settings
  // are then read by a fresh session.
  window.addEventListener('popstate', () => window.location.reload());
}
"""


class AddressBar:
    """The page's address bar, written from the server.

    Not Panel's ``pn.state.location``: it parses the whole query with ``int()``, so a 5,000-digit
    value (over Python's 4,300-digit limit) broke the session; and it pushes a history entry for
    the browser's own first report. Here a hidden Bokeh ``Div`` carries the link, and a
    browser-side callback pushes it when it changes (one history entry per gesture).

    A raw Bokeh model, not a Panel widget: the link changes with every answer, and a Panel
    widget's value went through Panel's parameter machinery and its own message, 8% of the
    server's time per slider move (py-spy, 10 moving clients); a Bokeh property set inside the
    answer's ``hold`` costs microseconds and travels in the answer's message.
    """

    def __init__(self):
        from bokeh.models import CustomJS, Div

        self.model = Div(text="", render_as_text=True, visible=False, width=0, height=0, margin=0,
                         name="address_link")
        self.model.js_on_change("text", CustomJS(code=PUSH_JS))
        self.box = pn.pane.Bokeh(self.model, visible=False, width=0, height=0, margin=0)

    @property
    def value(self) -> str:
        """The link last written (``?name=value&...``)."""
        return self.model.text

    def show(self, state: ExplorerState, settings: dict | None = None) -> None:
        """Write ``state``'s link (``link_query``; ``settings``: its settings if already made) into
        the address bar."""
        query = link_query(state, settings)
        if self.model.text != query:
            self.model.text = query


def follow_history() -> None:
    """In a served page: going back or forward in the browser's history loads that link."""
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return
    from bokeh.models import CustomJS

    doc.js_on_event("document_ready", CustomJS(code=HISTORY_JS))


def as_plain_markdown(text: str) -> str:
    """``text`` for a Markdown pane (Panel's Alert) so that it shows as typed, whatever a link or a
    file carried: one line of escaped text in an HTML block, which Markdown passes through without
    reading links, emphasis or math in it; the escaping keeps tags as text."""
    import html

    return '<div class="explorer-message">' + html.escape(" ".join(text.split()), quote=False) + "</div>"
