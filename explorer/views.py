"""The dashboard's Bokeh figures: built once per session, then only fed new data.

Each plot has named ``ColumnDataSource``s (so tests and the browser can find them). Updates
send only the columns whose values changed (float32, as binary buffers): the decimated time
axes stay the same while a parameter moves, and so do the frozen noise and, for most
sliders, the gain curve. Figures, ranges, zoom and pan stay.
"""

from __future__ import annotations

import weakref

import numpy as np
from bokeh.models import BoxAnnotation, ColumnDataSource, HoverTool, Legend
from bokeh.plotting import figure

import model

from . import decimate
from .frame import Frame
from .lean import lean_renderers

TRACE_POINT_BUDGET = 12_000  # points for all thin trial lines together
LINE_COLUMNS = 800  # min-max bins for the mean, band, theory and noise lines
SUMMARY_COLUMNS = ("mean", "lower", "upper", "theory_mean", "theory_lower", "theory_upper")

PALETTE = {
    "trial": "#6b8fb5", "mean": "#0b3d6e", "band": "#f2a541", "theory": "#c0392b",
    "noise": "#7a7a7a", "curve": "#0b3d6e", "visited": "#f2a541", "point": "#c0392b",
}


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


def _joined(y: np.ndarray) -> np.ndarray:
    """Many traces as one line with NaN breaks: one glyph, one binary array per column."""
    gap = np.full((y.shape[0], 1), np.nan, dtype=np.float32)
    return np.concatenate([_f32(y), gap], axis=1).ravel()


def _joined_times(t: np.ndarray, traces: int) -> np.ndarray:
    return _joined(np.broadcast_to(t, (traces, t.size)))


SMALL = 256  # columns this short go in the message's JSON, not as binary buffers


def send(source: ColumnDataSource, columns: dict[str, np.ndarray]) -> None:
    """Give ``source`` these columns, sending the page only those that changed.

    A new length (or set of columns) replaces the whole data; otherwise unchanged columns,
    such as a fixed time axis, are not sent again. The source keeps copies: a caller changing
    its arrays later cannot make a change look like no change.

    Short columns (under ``SMALL`` values: the phase line's dots, fixed points, arrows, the
    operating point) go as JSON lists of the float32 values. A binary buffer costs the server
    two websocket frames (a header and the bytes), each a write to the socket: an answer had 11
    buffers, and the frames' writes were 20% of the server's time per slider move (py-spy, 10
    moving clients).

    "Changed" compares the float32 bits with those last sent here (kept beside the source; a
    NaN is unchanged when its bits are): comparing against the source's own columns meant
    turning each JSON list back into an array and a NaN-aware comparison, 5% of the loop's time
    with 29 clients moving sliders (py-spy). Columns set on the source elsewhere are noticed (the
    source no longer holds what was sent) and everything is sent.
    """
    new = {k: np.array(v, dtype=np.float32) for k, v in columns.items()}
    wire = {k: v.tolist() if v.size < SMALL else v for k, v in new.items()}
    old, last = source.data, _SENT.get(source)
    if (last is None or set(old) != set(new) or set(last[0]) != set(new)
            or any(old[k] is not last[1][k] or last[0][k].shape != v.shape for k, v in new.items())):
        source.data = wire
        _SENT[source] = (new, wire)
        return
    changed = [k for k, v in new.items() if not np.array_equal(last[0][k].view(np.uint32), v.view(np.uint32))]
    if changed:
        source.data.update({k: wire[k] for k in changed})
        last[0].update({k: new[k] for k in changed})
        last[1].update({k: wire[k] for k in changed})


_SENT: "weakref.WeakKeyDictionary[ColumnDataSource, tuple[dict, dict]]" = weakref.WeakKeyDictionary()


def frame_columns(frame: Frame) -> dict[str, dict[str, np.ndarray]]:
    """The decimated columns of the rate plot's sources for ``frame`` (source name -> columns).

    Pure: served, the worker thread that made the frame makes them too (``Frame.columns``), and
    the session's loop only sends them (decimating there was 11% of its time per slider move).

    **Arguments:** `frame`: a simulation's ``Frame``.

    **Returns:** ``{"trials_source": {...}, "summary_source": {...}}``.
    """
    t = frame.times
    shown = frame.trials.shape[0]
    columns = max(50, min(LINE_COLUMNS, TRACE_POINT_BUDGET // (2 * shown)))
    trials = {"t": _joined_times(decimate.bin_edges(t, columns), shown),
              "rate": _joined(decimate.minmax(frame.trials, columns))}
    lower, upper = decimate.envelope(frame.mean - frame.sd, frame.mean + frame.sd, LINE_COLUMNS)
    summary = {"t": decimate.bin_edges(t, LINE_COLUMNS), "mean": decimate.minmax(frame.mean, LINE_COLUMNS),
               "lower": lower, "upper": upper}
    if frame.theory_mean is None:  # hidden: NaN draws nothing
        summary.update({c: np.full(lower.shape, np.nan) for c in SUMMARY_COLUMNS[3:]})
    else:
        m, s = frame.theory_mean, frame.theory_sd
        summary.update(theory_mean=decimate.minmax(m, LINE_COLUMNS),
                       theory_lower=decimate.minmax(m - s, LINE_COLUMNS),
                       theory_upper=decimate.minmax(m + s, LINE_COLUMNS))
    return {"trials_source": trials, "summary_source": summary}


def with_columns(frame: Frame) -> Frame:
    """``frame`` with its ``frame_columns`` attached (in a worker thread, when served)."""
    frame.columns = frame_columns(frame)
    return frame


class Figures:
    """The rate, noise and transfer-curve figures and their data sources."""

    def __init__(self):
        self._noise_key = None
        tools = "xpan,xwheel_zoom,box_zoom,reset,save"
        self.rates = figure(height=380, sizing_mode="stretch_width", tools=tools,
                            active_scroll="xwheel_zoom", x_axis_label="time (ms)",
                            y_axis_label="rate", title="Rate: trials, mean ± sd, theory")
        self.trials_source = ColumnDataSource({"t": _f32([]), "rate": _f32([])}, name="trials_source")
        self.summary_source = ColumnDataSource(
            {"t": _f32([]), **{c: _f32([]) for c in SUMMARY_COLUMNS}}, name="summary_source")
        trials = self.rates.line("t", "rate", source=self.trials_source, line_color=PALETTE["trial"],
                                 line_alpha=0.3, line_width=1)
        band = self.rates.varea("t", "lower", "upper", source=self.summary_source,
                                fill_color=PALETTE["band"], fill_alpha=0.35)
        mean = self.rates.line("t", "mean", source=self.summary_source, line_color=PALETTE["mean"],
                               line_width=2.5)
        self.theory_renderers = [
            self.rates.line("t", col, source=self.summary_source, line_color=PALETTE["theory"],
                            line_dash="dashed", line_width=w)
            for col, w in (("theory_mean", 2), ("theory_lower", 1.5), ("theory_upper", 1.5))
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
        lean_renderers(self.rates, self.noise, self.transfer)  # 18 fewer models per page (lean.py)

    def show_frame(self, frame: Frame) -> None:
        t = frame.times
        columns = frame.columns or frame_columns(frame)
        send(self.trials_source, columns["trials_source"])
        send(self.summary_source, columns["summary_source"])
        for r in self.theory_renderers:
            r.visible = frame.theory_mean is not None
        if frame.noise_key != self._noise_key:  # frozen noise: most changes leave it as it is
            columns = LINE_COLUMNS // 2
            send(self.noise_source, {"t": _joined_times(decimate.bin_edges(t, columns), frame.noise.shape[0]),
                                     "noise": _joined(decimate.minmax(frame.noise, columns))})
            self._noise_key = frame.noise_key
        lo_h, hi_h = frame.h_visited
        self.visited.left, self.visited.right = lo_h, hi_h
        points = frame.operating_points
        send(self.point_source, {"h": [h for h, _ in points], "phi": [f for _, f in points]})

    def show_transfer_curve(self, params: model.Params, visited: tuple[float, float]) -> None:
        """Cheap: follows every slider value of g, beta, theta without a simulation."""
        theta, beta = float(params.theta), float(params.beta)
        half = 8.0 / abs(beta) if beta != 0 else 5.0
        lo = min(theta - half, visited[0] - 0.5)
        hi = max(theta + half, visited[1] + 0.5)
        h = np.linspace(lo, hi, 400)
        send(self.curve_source, {"h": h, "phi": model.theory.phi(h, params)})
