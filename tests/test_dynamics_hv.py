"""The HoloViews dynamics views (``explorer/bench/hv_views.py``) put into their Bokeh sources the data
the Bokeh views (``explorer/dynamics_views.py``) put into theirs: the benchmark
``explorer.bench.holoviews_vs_bokeh`` compares like with like."""

import numpy as np
import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource

from .optional import require


def _sources(doc):
    return {m.name: m.data for m in doc.select({"type": ColumnDataSource}) if m.name}


@pytest.fixture(scope="module")
def both():
    require("holoviews", "the HoloViews dynamics views (benchmark extra)")
    import panel as pn

    from explorer.bench import hv_views as hvv
    from explorer.bench.holoviews_vs_bokeh import _data_sets
    from explorer.app import Explorer

    data = _data_sets(2)[1]
    bk = Explorer().dynamics
    bk_doc = Document()
    bk_doc.add_root(bk.all_views().get_root(bk_doc))
    views = {"Phase line": hvv.PhaseLine(), "Hysteresis": hvv.Hysteresis(),
             "Distribution": hvv.Distribution(), "Regime map": hvv.RegimeMap()}
    hv_doc = Document()
    for tab, view in views.items():
        hv_doc.add_root(pn.panel(view.object).get_root(hv_doc))
        view.show_all(data[tab])
        for name, d in data[tab]:
            bk._show(name, d)
    return _sources(bk_doc), _sources(hv_doc), data


@pytest.mark.parametrize("name", ["phase_source", "arrow_source", "stable_source", "unstable_source",
                                  "phase_trials_source", "branch_stable_source", "branch_unstable_source",
                                  "fold_source", "trajectory_source", "pdf_source", "map_here_source"])
def test_each_layer_gets_the_same_columns(both, name):
    bk, hv, _ = both
    assert len(next(iter(bk[name].values()))) > 0 or name == "unstable_source"
    for column, values in bk[name].items():
        np.testing.assert_array_equal(np.asarray(hv[name][column], np.float32), values, err_msg=column)


def test_histogram_has_the_same_bins_and_densities(both):
    bk, hv, _ = both
    hist = {k: np.asarray(v, np.float32) for k, v in hv["histogram_source"].items()}
    np.testing.assert_array_equal(hist["top"], bk["histogram_source"]["density"])
    np.testing.assert_allclose(hist["left"], bk["histogram_source"]["left"], rtol=1e-6)
    np.testing.assert_allclose(hist["right"], bk["histogram_source"]["right"], rtol=1e-6)


def test_regime_image_is_the_same_cells_the_same_way_up(both):
    bk, hv, data = both
    regime = dict(data["Regime map"])["map"]["regime"]
    assert len(np.unique(regime)) > 1  # so that a flip would show
    np.testing.assert_array_equal(np.asarray(bk["map_source"]["image"][0]), regime)
    np.testing.assert_array_equal(np.asarray(hv["map_source"]["image"][0]), regime)
    for column in ("x", "y", "dw", "dh"):
        assert float(hv["map_source"][column][0]) == pytest.approx(float(bk["map_source"][column][0]), rel=1e-9)
