"""The latency floors for ``python -m explorer.bench``: one number, slider -> server -> page.

The smallest round trip this Panel server can make: a slider's value is written into a
Bokeh data source and sent back. Two sliders: Panel's own (``value``, with Panel's 50 ms
server-side debounce) and the explorer's (``value, explorer's slider``, see ``widgets.py``).
The explorer's latency is reported relative to both.
"""

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from explorer.widgets import FloatSlider

pn.extension()
plot = figure(height=120, width=200, toolbar_location=None)
rows = []
for slider_type, label, name in [(pn.widgets.FloatSlider, "value", "floor_source"),
                                 (FloatSlider, "value, explorer's slider", "floor_undelayed_source")]:
    source = ColumnDataSource({"x": np.zeros(1, np.float32)}, name=name)
    slider = slider_type(name=label, start=0.0, end=1000.0, step=1.0, value=0.0)
    plot.scatter("x", "x", source=source)
    slider.param.watch(lambda event, source=source: setattr(
        source, "data", {"x": np.array([event.new], np.float32)}), "value")
    rows.append(slider)
pn.Column(*rows, pn.pane.Bokeh(plot)).servable(title="latency floor")
