"""The dashboard's Bokeh figures: built once per session, then only fed new data.

Each plot has named ``ColumnDataSource``s (so tests and the browser can find them). Updates
replace their arrays (float32, sent as binary buffers); figures, ranges, zoom and pan stay.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import BoxAnnotation, ColumnDataSource, HoverTool, Legend
from bokeh.plotting import figure

import model

from .decimate import minmax
from .frame import Frame

TRACE_POINT_BUDGET = 12_000  # points for all thin trial lines together
LINE_COLUMNS = 800  # min-max bins for the mean, band, theory and noise lines

PALETTE = {
    "trial": "#6b8fb5", "mean": "#0b3d6e", "band": "#f2a541", "theory": "#c0392b",
    "noise": "#7a7a7a", "curve": "#0b3d6e", "visited": "#f2a541", "point": "#c0392b",
}


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


def _joined(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Many traces as one line with NaN breaks: one glyph, two binary arrays."""
    k = y.shape[0]
    t = np.broadcast_to(t, y.shape)
    gap = np.full((k, 1), np.nan)
    return (_f32(np.concatenate([t, gap], axis=1).ravel()),
            _f32(np.concatenate([y, gap], axis=1).ravel()))


def _envelope(t, lo, hi, columns, mid=None):
    """Per bin: centre time, min of ``lo``, max of ``hi`` (a band drawn no thinner than it is)
    and, if given, the mean of ``mid``."""
    n = t.shape[0]
    if n <= 2 * columns:
        return t, lo, hi, mid
    size = -(-n // columns)
    bins = -(-n // size)
    pad = bins * size - n

    def fold(a, fill):
        return np.concatenate([a, np.full(pad, fill)]).reshape(bins, size)

    counts = np.full(bins, size)
    counts[-1] -= pad
    centre = fold(t, 0.0).sum(axis=1) / counts
    mid_mean = None if mid is None else fold(mid, 0.0).sum(axis=1) / counts
    return centre, fold(lo, np.inf).min(axis=1), fold(hi, -np.inf).max(axis=1), mid_mean


class Figures:
    """The rate, noise and transfer-curve figures and their data sources."""

    def __init__(self):
        self._noise_key = self._curve_key = self._points = None
        tools = "xpan,xwheel_zoom,box_zoom,reset,save"
        self.rates = figure(height=380, sizing_mode="stretch_width", tools=tools,
                            active_scroll="xwheel_zoom", x_axis_label="time (ms)",
                            y_axis_label="rate", title="Rate: trials, mean ± sd, theory")
        self.trials_source = ColumnDataSource({"t": _f32([]), "rate": _f32([])}, name="trials_source")
        self.band_source = ColumnDataSource({"t": _f32([]), "lower": _f32([]), "upper": _f32([])}, name="band_source")
        self.mean_source = ColumnDataSource({"t": _f32([]), "rate": _f32([])}, name="mean_source")
        self.theory_source = ColumnDataSource(
            {"t": _f32([]), "mean": _f32([]), "lower": _f32([]), "upper": _f32([])}, name="theory_source")
        trials = self.rates.line("t", "rate", source=self.trials_source, line_color=PALETTE["trial"],
                                 line_alpha=0.3, line_width=1)
        band = self.rates.varea("t", "lower", "upper", source=self.band_source,
                                fill_color=PALETTE["band"], fill_alpha=0.35)
        mean = self.rates.line("t", "rate", source=self.mean_source, line_color=PALETTE["mean"], line_width=2.5)
        self.theory_renderers = [
            self.rates.line("t", col, source=self.theory_source, line_color=PALETTE["theory"],
                            line_dash="dashed", line_width=w)
            for col, w in (("mean", 2), ("lower", 1.5), ("upper", 1.5))
        ]
        legend = Legend(items=[("trials", [trials]), ("mean over trials", [mean]), ("± 1 sd", [band]),
                               ("theory mean ± sd", self.theory_renderers)],
                        location="top_left", click_policy="hide", background_fill_alpha=0.7)
        self.rates.add_layout(legend, "right")  # beside the plot: never over an onset or a switch

        self.noise = figure(height=170, sizing_mode="stretch_width", tools=tools, x_range=self.rates.x_range,
                            active_scroll="xwheel_zoom", x_axis_label="time (ms)",
                            y_axis_label="sigma·xi", title="Noise of the first trials (frozen until the seed changes)")
        self.noise_source = ColumnDataSource({"t": _f32([]), "noise": _f32([])}, name="noise_source")
        self.noise.line("t", "noise", source=self.noise_source, line_color=PALETTE["noise"], line_width=1)

        self.transfer = figure(height=330, sizing_mode="stretch_width", tools="pan,wheel_zoom,reset,save",
                               x_axis_label="input h", y_axis_label="phi(h)",
                               title="Transfer curve phi(h) = g / (1 + exp(-beta (h - theta)))")
        self.curve_source = ColumnDataSource({"h": _f32([]), "phi": _f32([])}, name="curve_source")
        self.point_source = ColumnDataSource({"h": _f32([]), "phi": _f32([])}, name="point_source")
        self.visited = BoxAnnotation(left=0, right=0, fill_color=PALETTE["visited"], fill_alpha=0.25,
                                     name="visited_band")
        self.transfer.add_layout(self.visited)
        self.transfer.line("h", "phi", source=self.curve_source, line_color=PALETTE["curve"], line_width=2.5)
        point = self.transfer.scatter("h", "phi", source=self.point_source, size=12, color=PALETTE["point"],
                                      line_color="white", line_width=2)
        self.transfer.add_tools(HoverTool(renderers=[point], tooltips=[("h", "@h{0.000}"), ("phi", "@phi{0.000}")]))
        for fig in (self.rates, self.noise, self.transfer):
            fig.toolbar.logo = None
            fig.title.text_font_size = "13px"
            fig.title.text_color = "#33415c"

    def show_frame(self, frame: Frame) -> None:
        t = frame.times
        shown = frame.trials.shape[0]
        columns = max(50, min(LINE_COLUMNS, TRACE_POINT_BUDGET // (2 * shown)))
        tt, yy = minmax(t, frame.trials, columns)
        xs, ys = _joined(tt, yy)
        self.trials_source.data = {"t": xs, "rate": ys}
        tm, ym = minmax(t, frame.mean, LINE_COLUMNS)
        self.mean_source.data = {"t": _f32(tm), "rate": _f32(ym)}
        tb, lo, hi, _ = _envelope(t, frame.mean - frame.sd, frame.mean + frame.sd, LINE_COLUMNS)
        self.band_source.data = {"t": _f32(tb), "lower": _f32(lo), "upper": _f32(hi)}
        if frame.theory_mean is None:
            self.theory_source.data = {k: _f32([]) for k in ("t", "mean", "lower", "upper")}
        else:
            m, s = frame.theory_mean, frame.theory_sd
            tt2, lo2, hi2, mean2 = _envelope(t, m - s, m + s, LINE_COLUMNS, mid=m)
            self.theory_source.data = {"t": _f32(tt2), "mean": _f32(mean2), "lower": _f32(lo2), "upper": _f32(hi2)}
        for r in self.theory_renderers:
            r.visible = frame.theory_mean is not None
        if frame.noise_key != self._noise_key:  # frozen noise: most changes leave it as it is
            tn, yn = minmax(t, frame.noise, LINE_COLUMNS // 2)
            xs, ys = _joined(tn, yn)
            self.noise_source.data = {"t": xs, "noise": ys}
            self._noise_key = frame.noise_key
        lo_h, hi_h = frame.h_visited
        self.visited.left, self.visited.right = lo_h, hi_h
        points = frame.operating_points
        if points != self._points:  # unchanged for most sliders: nothing to send
            self.point_source.data = {"h": _f32([h for h, _ in points]), "phi": _f32([f for _, f in points])}
            self._points = points

    def show_transfer_curve(self, params: model.Params, visited: tuple[float, float]) -> None:
        """Cheap: follows every slider value of g, beta, theta without a simulation."""
        key = (float(params.g), float(params.beta), float(params.theta), tuple(visited))
        if key == self._curve_key:  # every refresh asks; most change neither (each send costs)
            return
        self._curve_key = key
        theta, beta = float(params.theta), float(params.beta)
        half = 8.0 / abs(beta) if beta != 0 else 5.0
        lo = min(theta - half, visited[0] - 0.5)
        hi = max(theta + half, visited[1] + 0.5)
        h = np.linspace(lo, hi, 400)
        self.curve_source.data = {"h": _f32(h), "phi": _f32(model.theory.transfer(h, params))}
