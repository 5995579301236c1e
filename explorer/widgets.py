"""The explorer's widget types: Panel's, without its 50 ms server-side debounce.

Panel waits 50 ms after a browser change arrives, to batch the changes that follow. The
explorer coalesces on its own (each change schedules at most one refresh, which reads the
latest state when it runs; see ``Explorer._on_change``), so that wait would only add 50 ms
to every answer. A few milliseconds remain: a slider's key press sends ``value`` and
``value_throttled`` in two messages, and handling them together keeps the reply from
queueing behind the second acknowledgement.
"""

import panel as pn

DEBOUNCE_MS = 5


def _undelayed(widget_type):
    return type(widget_type.__name__, (widget_type,), {"_debounce": DEBOUNCE_MS})


FloatSlider = _undelayed(pn.widgets.FloatSlider)
Select = _undelayed(pn.widgets.Select)
IntInput = _undelayed(pn.widgets.IntInput)
FloatInput = _undelayed(pn.widgets.FloatInput)
Checkbox = _undelayed(pn.widgets.Checkbox)
