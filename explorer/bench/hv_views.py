"""The dynamics views as HoloViews objects: ``DynamicMap``s fed by streams, overlaid.

The same four views as ``explorer/dynamics_views.py`` draws with plain Bokeh, with the same data
and look (``tests/test_dynamics_hv.py``), so that ``holoviews_vs_bokeh.py`` can time both in one
process. The page does not use them: the phase line and hysteresis missed the latency bound in
every run, the distribution and map in three of four (README, "the dynamics views"), so they
live here, with the benchmark, and HoloViews is a test/benchmark dependency only. Each
layer is its own ``DynamicMap`` over its own stream; one update of a view triggers its streams
together, so the overlay re-renders once (it re-evaluates every layer each time). The regime
map is an ``hv.Image`` with a ``Tap`` stream.

Sources keep the Bokeh version's names (``map_source``, ...) through a hook, so both versions'
data are found the same way.
"""

from __future__ import annotations

import functools
import operator

import holoviews as hv
import numpy as np
import param

from explorer.dynamics_views import HEIGHT, REGIME_COLORS, WIDTH, _joined_rows

hv.extension("bokeh", logo=False)

_EMPTY = np.zeros(0, np.float32)


def _f32(d):
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in d.items()}


def _name_source(name):
    """A hook naming the layer's ColumnDataSource ``name`` (tests and the benchmark find it)."""
    def hook(plot, element):
        source = plot.handles.get("source")
        if source is not None and source.name != name:
            source.name = name
    return hook


def _layer(element, columns, kdims, vdims, source_name, **opts):
    """A DynamicMap of ``element`` over the data its own stream holds, and that stream.

    Each layer's stream has its own parameter name (``source_name``): a ``Pipe`` per layer
    triggered together makes HoloViews print "Parameter name clashes for keys ['data']"."""
    key = source_name
    stream = hv.streams.Stream.define(key, **{key: param.Parameter(default={c: _EMPTY for c in columns})})()
    dmap = hv.DynamicMap(lambda **kw: element(kw[key], kdims=kdims, vdims=vdims), streams=[stream])
    return dmap.opts(hooks=[_name_source(source_name)], **opts), stream


def _send(pairs):
    """Give each layer's stream its data, then trigger them together: the overlay re-renders
    once per view update, not once per layer (measured, 10 updates at load average 10: the
    phase line's five layers each triggered alone cost 328 ms per update, p50; in two triggers,
    curve and fixed points then trials, 226 ms)."""
    for stream, data in pairs:
        stream.update(**{next(iter(stream.contents)): data})  # its one parameter
    hv.streams.Stream.trigger([stream for stream, _ in pairs])


def _overlay(layers):
    """``a * b * ...``: one DynamicMap of overlays (``hv.Overlay`` of DynamicMaps warns)."""
    return functools.reduce(operator.mul, layers)


class _View:
    def show(self, name, d):
        """Show one part of the view's data (one re-render).

        **Arguments:** `name`: the part, a key of ``DynamicsViews.sent`` (``phase``, ``phase_dots``,
        ``branches``, ``trajectory``, ``distribution``, ``map``, ``map_here``); `d`: its data as
        ``explorer.dynamics`` makes it (``map`` also with ``x_label`` and ``y_label``).
        """
        _send(self._pairs(name, d))

    def show_all(self, parts):
        """Show several parts with one re-render.

        **Arguments:** `parts`: ``(name, data)`` pairs as for ``show``.
        """
        _send([pair for name, d in parts for pair in self._pairs(name, d)])


_FIGURE = dict(width=WIDTH, height=HEIGHT, toolbar="right", tools=[], default_tools=["pan", "wheel_zoom", "reset",
                                                                                      "save"],
               fontsize={"title": "13px"}, framewise=True)


class PhaseLine(_View):
    """Drift against rate, fixed points (filled stable, open unstable), flow arrows, trials."""

    def __init__(self):
        self.pipes = {}
        layers = []
        for key, element, cols, kd, vd, name, opts in (
            ("phase", hv.Curve, ("x", "drift"), "x", "drift", "phase_source",
             dict(color="#0b3d6e", line_width=2)),
            ("arrows", hv.Scatter, ("x", "y", "angle"), "x", ["y", "angle"], "arrow_source",
             dict(marker="triangle", angle=hv.dim("angle"), size=9, color="#f2a541")),
            ("stable", hv.Scatter, ("x", "y"), "x", "y", "stable_source", dict(size=12, color="#0b3d6e")),
            ("unstable", hv.Scatter, ("x", "y"), "x", "y", "unstable_source",
             dict(size=12, fill_color="white", line_color="#0b3d6e", line_width=2)),
            ("dots", hv.Scatter, ("x", "y"), "x", "y", "phase_trials_source",
             dict(size=6, color="#c0392b", alpha=0.6)),
        ):
            dmap, self.pipes[key] = _layer(element, cols, kd, vd, name, **opts)
            layers.append(dmap)
        self.object = _overlay(layers).opts(
            title="Phase line at the cursor", xlabel="rate", ylabel="drift (rate / ms)", **_FIGURE)

    def _pairs(self, name, d):
        if name == "phase":
            st = d["fixed_stable"]
            return [(self.pipes["phase"], _f32({"x": d["x"], "drift": d["drift"]})),
                    (self.pipes["stable"], _f32({"x": d["fixed"][st], "y": d["fixed_drift"][st]})),
                    (self.pipes["unstable"], _f32({"x": d["fixed"][~st], "y": d["fixed_drift"][~st]})),
                    (self.pipes["arrows"], _f32({"x": d["arrow_x"], "y": np.zeros_like(d["arrow_x"]),
                                                 "angle": -90.0 * d["arrow_dir"]}))]  # hv: degrees
        return [(self.pipes["dots"], _f32({"x": d["rate"], "y": d["drift"]}))]


class Hysteresis(_View):
    """Fixed points against the input level, stable solid, unstable dashed, folds, one trial."""

    def __init__(self):
        self.pipes = {}
        layers = []
        for key, element, name, opts in (
            ("trajectory", hv.Curve, "trajectory_source", dict(color="#f2a541", alpha=0.8, line_width=1.2)),
            ("stable", hv.Curve, "branch_stable_source", dict(color="#0b3d6e", line_width=2.5)),
            ("unstable", hv.Curve, "branch_unstable_source", dict(color="#0b3d6e", line_dash="dashed",
                                                                  line_width=1.5)),
            ("folds", hv.Scatter, "fold_source", dict(marker="diamond", size=13, color="#c0392b")),
        ):
            dmap, self.pipes[key] = _layer(element, ("u", "rate"), "u", "rate", name, **opts)
            layers.append(dmap)
        self.object = _overlay(layers).opts(
            title="Fixed points vs input level", xlabel="input level", ylabel="rate", **_FIGURE)

    def _pairs(self, name, d):
        if name == "branches":
            us, rs = _joined_rows(d["u"], d["stable"])
            uu, ru = _joined_rows(d["u"], d["unstable"])
            return [(self.pipes["stable"], _f32({"u": us, "rate": rs})),
                    (self.pipes["unstable"], _f32({"u": uu, "rate": ru})),
                    (self.pipes["folds"], _f32({"u": d["fold_u"], "rate": d["fold_rate"]}))]
        return [(self.pipes["trajectory"], _f32({"u": d["u"], "rate": d["rate"]}))]


class Distribution(_View):
    """Histogram of the rate over the window, the exact density dashed."""

    def __init__(self):
        self.pipes = {}
        hist, self.pipes["hist"] = _layer(self._histogram, ("left", "right", "density"), "x", "density",
                                          "histogram_source", fill_color="#6b8fb5", line_color="white")
        pdf, self.pipes["pdf"] = _layer(hv.Curve, ("x", "pdf"), "x", "pdf", "pdf_source",
                                        color="#c0392b", line_dash="dashed", line_width=2)
        self.object = _overlay([hist, pdf]).opts(title="Rate distribution over the window", xlabel="rate",
                                                   ylabel="density", **_FIGURE)

    @staticmethod
    def _histogram(data, kdims, vdims):
        edges = np.append(data["left"], data["right"][-1:])
        return hv.Histogram((edges, data["density"]), kdims=kdims, vdims=vdims)

    def _pairs(self, name, d):
        return [(self.pipes["hist"], _f32({"left": d["left"], "right": d["right"], "density": d["density"]})),
                (self.pipes["pdf"], _f32({"x": d["x"], "pdf": d["pdf"]}))]


class RegimeMap(_View):
    """The regime of every cell as an ``hv.Image``, the current setting as a cross.

    **Arguments:** `on_tap`: called as ``on_tap(x=..., y=...)`` by the ``Tap`` stream on the image
    (a click), or None.
    """

    def __init__(self, on_tap=None):
        self.pipes = {}
        image, self.pipes["map"] = _layer(self._image, ("xs", "ys", "regime"), "x", "y", "map_source",
                                          cmap=REGIME_COLORS, clim=(-0.5, 3.5))
        cross, self.pipes["here"] = _layer(hv.Scatter, ("x", "y"), "x", "y", "map_here_source",
                                           marker="x", size=16, color="black", line_width=3)
        self.tap = hv.streams.Tap(source=image, x=None, y=None)
        if on_tap is not None:
            self.tap.add_subscriber(lambda x=None, y=None, **_: on_tap(x=x, y=y))
        # no xlabel/ylabel here: they would stay when the axes change; the image's dimensions carry them
        self.object = _overlay([image, cross]).opts(title="Regimes (click: go there)", **_FIGURE)

    @staticmethod
    def _image(data, kdims, vdims):
        if "x_label" not in data:  # nothing sent yet
            data = dict(data, xs=np.arange(2.0), ys=np.arange(2.0), regime=np.zeros((2, 2), np.float32),
                        x_label="self weight", y_label="mu")
        x = hv.Dimension("x", label=data["x_label"])
        y = hv.Dimension("y", label=data["y_label"])
        return hv.Image((data["xs"], data["ys"], data["regime"]), kdims=[x, y], vdims="regime")

    def _pairs(self, name, d):
        if name == "map":
            return [(self.pipes["map"], dict(xs=np.asarray(d["xs"], float), ys=np.asarray(d["ys"], float),
                                             regime=np.asarray(d["regime"], np.float32),
                                             x_label=d["x_label"], y_label=d["y_label"]))]
        return [(self.pipes["here"], _f32({"x": [d["here"][0]], "y": [d["here"][1]]}))]
