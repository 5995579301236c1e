"""The explorer's widget types: Panel's, without its 50 ms server-side debounce.

Panel waits 50 ms after a browser change arrives, to batch the changes that follow. The
explorer coalesces on its own (each change schedules at most one refresh, which reads the
latest state when it runs; see ``Explorer._on_change``), so that wait would only add 50 ms
to every answer. A few milliseconds remain: a slider's key press sends ``value`` and
``value_throttled`` in two messages, and handling them together keeps the reply from
queueing behind the second acknowledgement.
"""

import functools
from decimal import Decimal

import panel as pn

DEBOUNCE_MS = 5


def _undelayed(widget_type):
    # ``_busy__ignore``: Panel counts every browser event in the process-wide ``pn.state.busy``
    # (two updates of a global parameter and their watchers per event: 37% of a slider event's
    # handling, py-spy with 10 moving clients). Nothing here shows that flag (the explorer has its
    # own spinner), so a slider's or box's value does not count.

    def _update_properties(self, *events, doc):
        # Panel asks the design for its parameters on every change of a widget's parameter (a
        # slider's value from the page, a control greyed out) and uses them only when
        # ``stylesheets`` is among the changes; asking resolves the theme's file paths each time
        # (2.7% of the loop's time with 29 clients moving sliders, py-spy). Without a stylesheet
        # among the changes the result is Panel's own (``tests/test_explorer.py``).
        if self._design is None or any(e.name == "stylesheets" for e in events):
            return widget_type._update_properties(self, *events, doc=doc)
        return self._process_param_change({e.name: e.new for e in events})

    return type(widget_type.__name__, (widget_type,),
                {"_debounce": DEBOUNCE_MS, "_busy__ignore": ["value", "value_throttled"],
                 "_update_properties": _update_properties})


FloatSlider = _undelayed(pn.widgets.FloatSlider)
Select = _undelayed(pn.widgets.Select)
IntInput = _undelayed(pn.widgets.IntInput)
FloatInput = _undelayed(pn.widgets.FloatInput)
Checkbox = _undelayed(pn.widgets.Checkbox)


def on_step_grid(value: float, start: float, step: float) -> float:
    """A slider's value as the decimal it stands for: ``start + k * step`` written with the step's
    decimals, when ``value`` is that up to float noise; otherwise ``value`` unchanged.

    The browser adds the step in binary floats: 30 arrow presses on mu gave 0.2999999999999998,
    which the address bar then wrote as ``?mu=0.2999999999999998``. The rounded value is what
    the slider shows, and it is simulated and linked exactly. A value off the grid (from a link
    or a NEST import) is left as it is.

    **Arguments:** `value`: the slider's value; `start`, `step`: the slider's.

    **Returns:** a float.
    """
    grid = round(start + round((value - start) / step) * step, _decimals(step))
    return grid if abs(grid - value) <= 1e-9 * step else value


@functools.lru_cache(maxsize=None)
def _decimals(step: float) -> int:
    """The decimals a step is written with (0.01 -> 2, 0.5 -> 1, 10.0 -> 0), once per step: it is
    asked on every slider move."""
    return max(0, -Decimal(repr(float(step))).as_tuple().exponent)
