"""The latency floor for ``python -m explorer.bench``: one number, slider -> server -> page.

The smallest round trip this Panel server can make: a slider's value is written into a
Bokeh data source and sent back. The explorer's own latency is reported relative to it.
"""

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

pn.extension()
source = ColumnDataSource({"x": np.zeros(1, np.float32)}, name="floor_source")
slider = pn.widgets.FloatSlider(name="value", start=0.0, end=1000.0, step=1.0, value=0.0)
plot = figure(height=120, width=200, toolbar_location=None)
plot.scatter("x", "x", source=source)


def _send(event):
    source.data = {"x": np.array([event.new], np.float32)}


slider.param.watch(_send, "value")
pn.Column(slider, pn.pane.Bokeh(plot)).servable(title="latency floor")
