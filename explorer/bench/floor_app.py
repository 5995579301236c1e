"""The latency floors for ``python -m explorer.bench``: one number, slider -> server -> page.

The smallest round trip this Panel server can make: a slider's value is written into a
Bokeh data source and sent back. ``/floor_app`` is stock Panel (its slider waits 50 ms on the
server; Nagle's algorithm on). ``/floor_app?transport=explorer`` uses what the explorer uses:
its slider (``widgets.py``) and a session that sends without delay (``serving.py``). The
explorer's latency is reported relative to both.
"""

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from explorer.serving import on_session_loaded
from explorer.widgets import FloatSlider

pn.extension()
args = pn.state.session_args or {}
explorer_transport = [b"explorer"] == args.get("transport")
if explorer_transport:
    on_session_loaded()
source = ColumnDataSource({"x": np.zeros(1, np.float32)}, name="floor_source")
slider = (FloatSlider if explorer_transport else pn.widgets.FloatSlider)(
    name="value", start=0.0, end=1000.0, step=1.0, value=0.0)
slider.param.watch(lambda event: setattr(source, "data", {"x": np.array([event.new], np.float32)}), "value")
plot = figure(height=120, width=200, toolbar_location=None)
plot.scatter("x", "x", source=source)
pn.Column(slider, pn.pane.Bokeh(plot)).servable(title="latency floor")
