"""Links, exports and imports in-process: hand-edited and hostile input, round trips."""

import html
import json
import urllib.parse

import jax
import numpy as np
import pytest

import model
from explorer.app import Explorer
from explorer.exports import data_csv, params_json, settings_from_status
from explorer.links import apply_link, link_query, parse_link
from explorer.state import ExplorerState


@pytest.fixture
def app():
    return Explorer()


def served_args(query: str) -> dict:
    """What the server hands a session for ``query``: decoded once, values as bytes."""
    out = {}
    for key, value in urllib.parse.parse_qsl(query.lstrip("?"), keep_blank_values=True, encoding="latin-1"):
        out.setdefault(key, []).append(value.encode("latin-1"))
    return out


@pytest.mark.parametrize("query, named, applied", [
    ("?tau=500&mu=0.5", "tau (ms) = 500.0 is outside the allowed range [0.1, 100.0]", {"mu": 0.5}),
    ("?mu=NaN&sigma=0.5", "mu = 'NaN' is not a number", {"sigma": 0.5}),
    ("?n_trials=2.5", "trials = '2.5' is not a whole number", {}),
    ("?dt=0.3", "dt (ms) = 0.3 is not one of", {}),
    ("?seed=-1", "seed = -1 is outside the allowed range", {}),
    ("?mu=0.5&utm_source=moodle&utm_medium=course", "unknown settings 'utm_source', 'utm_medium'", {"mu": 0.5}),
    ("?mu=%FF&g=2", "mu: the value is not UTF-8 text", {"g": 2.0}),
    ("?mu=" + "1" * 5000, "mu: the value has 5,000 characters", {}),
    ("?input_kind=pulse%2520train", "input = 'pulse%20train' is not one of", {}),
    ("?mu=0_5", "mu = '0_5' is not a number", {}),
    ("?mu=inf", "mu = 'inf' is not a number", {}),
    ("?mu=1&mu=2", "mu is given 2 times", {}),
])
def test_a_link_applies_what_is_valid_and_names_what_is_refused(app, query, named, applied):
    defaults = app.state.settings()
    apply_link(app, served_args(query))
    assert app.message.visible and named in app.message.object
    assert app.state.settings() == defaults | applied
    app.refresh()  # the refresh that follows a link no longer hides its message
    assert app.message.visible
    app.apply(mu=1.25)  # the user's next change does
    assert not app.message.visible


def test_nothing_from_a_link_or_a_file_becomes_markup(app):
    apply_link(app, served_args("?<script>alert(1)</script>=1&mu=<img src=x onerror=alert(1)>"))
    text = app.message.object
    assert app.message.visible and "&lt;script&gt;" in text and "&lt;img src=x onerror=alert" in text
    assert "<script" not in text and "<img" not in text
    # markdown is not read either: the text sits in one HTML block, kept as is
    app.import_status('{"tau": "[x](javascript:alert(1))", "foo<b>": 1}')
    assert app.message.visible and "<b>" not in app.message.object and 'href' not in app.message.object


def test_valid_link_is_taken_whole(app):
    apply_link(app, served_args("?input_kind=pulse%20train&dt=0.05&linear_summation=false&n_trials=3&seed=7"))
    s = app.state
    assert (s.input_kind, s.dt, s.linear_summation, s.n_trials, s.seed) == ("pulse train", 0.05, False, 3, 7)
    assert not app.message.visible


def test_the_written_link_reads_back_to_the_same_settings():
    rng = np.random.default_rng(3)
    for _ in range(30):
        s = ExplorerState()
        s.param.update(mu=float(rng.uniform(-5, 5)), tau=float(rng.uniform(0.1, 100)), dt=float(rng.choice(s.param.dt.objects)),
                       input_kind=str(rng.choice(s.param.input_kind.objects)), rectify_output=bool(rng.integers(2)),
                       n_trials=int(rng.integers(1, 1000)), seed=int(rng.integers(0, 2**31 - 1)))
        query = link_query(s)
        assert link_query(s, s.settings()) == query  # as an answer writes it, its settings made once
        values, problems = parse_link(served_args(query))
        assert not problems
        assert ExplorerState().settings() | values == s.settings()  # bit for bit: floats via repr
    assert link_query(ExplorerState()) == "?seed=0"  # defaults are left out, the seed never


def test_picking_the_same_preset_again_resets_it(app):
    name = "Rectified rate"
    app.presets.value = name
    app.apply(mu=1.0, sigma=0.2)
    assert app.presets.value != name  # moved: the list says so ...
    app.presets.value = name  # ... so picking it again is a change
    assert app.state.settings() == ExplorerState.preset(name)


@pytest.mark.parametrize("changes, words", [
    ({"input_kind": "sine", "period": 1.0, "dt": 0.5}, "at most 2 dt"),
    ({"input_kind": "sine", "period": 2.0, "dt": 1.0}, "at most 2 dt"),
    ({"input_kind": "pulse train", "period": 1.0, "width": 0.5, "dt": 1.0}, "one constant value"),
    ({"input_kind": "pulse train", "period": 10.0, "width": 20.0}, "one constant value"),
])
def test_inputs_the_grid_cannot_show_are_warned_visibly(app, changes, words):
    assert not app.input_warning.visible
    app.apply(**changes)
    assert app.input_warning.visible and words in app.input_warning.object
    app.apply(input_kind="step")
    assert not app.input_warning.visible


def test_a_typed_fraction_of_trials_is_refused(app):
    box = app.widgets["n_trials"]
    box.value = 2.5  # what the browser sends for "2.5" (Bokeh's int mode made it 25)
    assert app.state.n_trials == 20 and box.value == 20
    assert app.message.visible and "trials must be a whole number, got 2.5" in app.message.object
    box.value = 3
    assert app.state.n_trials == 3 and not app.message.visible


def test_data_csv_is_what_the_model_gives(app):
    app.apply(n_trials=5, duration=200.0, mu=0.4)
    table = np.loadtxt(data_csv(app.frame).splitlines(), delimiter=",", skiprows=1)
    header = data_csv(app.frame).splitlines()[0].split(",")
    assert header == ["time_ms"] + [f"trial{k}" for k in range(5)] + ["mean", "sd", "theory_mean", "theory_sd"]
    s = app.state
    xi = model.draw_xi(jax.random.PRNGKey(s.seed), n_trials=s.n_trials, n_steps=s.n_steps, n_units=1)
    res = model.simulate(s.to_network(), s.t_sim(), s.dt, s.to_inputs(), s.n_trials, xi=xi)
    rates = np.asarray(res.rate[:, :, 0])
    np.testing.assert_array_equal(table[:, 0], np.asarray(res.times))
    np.testing.assert_allclose(table[:, 1:6], rates.T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(table[:, 6], rates.mean(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(table[:, 7], rates.std(axis=0, ddof=1), rtol=1e-9, atol=1e-12)
    n = np.arange(1, s.n_steps + 1)
    np.testing.assert_allclose(table[:, 9], np.sqrt(model.theory.variance_at(s.to_params(), s.dt, n)), rtol=1e-12)
    app.apply(w_self=1.0)  # no theory shown: no theory columns
    assert "theory" not in data_csv(app.frame).splitlines()[0]


def test_parameters_json_round_trips_through_from_nest(app):
    app.apply(mu=0.7, lambda_=0.0, rectify_output=True, beta=-3.0)
    status = json.loads(params_json(app.state))
    assert "lambda" in status and "lambda_" not in status
    assert model.Params.from_nest(status) == app.state.to_params()
    fresh = Explorer()
    assert fresh.import_status(params_json(app.state))
    assert fresh.state.to_params() == app.state.to_params()


def test_importing_a_nest_status_sets_the_parameters(app):
    status = {"tau": 5.0, "lambda": 0.5, "mu": 0.25, "mean": 0.25, "std": 1.0, "sigma": 1.0, "g": 2.0,
              "linear_summation": False, "global_id": 1, "model": "sigmoid_rate_ipn", "rate": 0.3,
              "recordables": ["noise", "rate"], "synaptic_elements": {}}
    assert app.import_status(json.dumps(status))
    s = app.state
    assert (s.tau, s.lambda_, s.mu, s.g, s.linear_summation) == (5.0, 0.5, 0.25, 2.0, False)
    assert app.widgets["tau"].value == 5.0 and not app.message.visible


@pytest.mark.parametrize("data, named", [
    ('{"tau": 5.0, "foo": 1}', "unknown key(s) 'foo'"),
    ('{"tau": "5"}', "tau must be a number"),
    ('{"tau": NaN}', "NaN is not a number"),
    ('{"tau": 1e400}', "tau must be finite"),
    ('{"tau": -1.0}', "Time constant must be > 0."),
    ('{"lambda": -1.0}', "Passive decay rate must be >= 0."),
    ('{"sigma": -1.0}', "Noise parameter must not be negative."),
    ('{"tau": 500.0}', "tau (ms) = 500.0 is outside the allowed range [0.1, 100.0]"),
    ('{"mu": 1e300}', "mu = 1e+300 is outside the allowed range"),
    ('{"linear_summation": "yes"}', "linear_summation must be True or False"),
    ('{"model": "iaf_psc_alpha", "tau": 5.0}', "the page shows sigmoid_rate_ipn"),
    ('{"mu": 0.1, "mean": 0.2}', "mean = 0.2 contradicts mu = 0.1"),
    ('[1, 2]', "one node's status dictionary"),
    ('{"tau": ', "not a JSON status dictionary"),
    ('{"tau": [1.0, 2.0]}', "tau must be one value"),
    (b'{"tau": "\xff"}', "not UTF-8"),
    ('{"tau": 5.0, "pad": "' + "x" * 10_000_000 + '"}', "10,000,0"),
])
def test_a_bad_status_is_refused_by_name_and_changes_nothing(app, data, named):
    before = app.state.settings()
    assert not app.import_status(data)
    assert app.message.visible and named in html.unescape(app.message.object), app.message.object
    assert app.state.settings() == before


def test_status_import_takes_nest_aliases():
    values, problems = settings_from_status('{"mean": 0.5, "std": 0.25}')
    assert not problems and values == {"mu": 0.5, "sigma": 0.25}


def test_notebook_use_without_a_server():
    """In a notebook the explorer is ``explorer.Explorer()``; it needs no server, writes no address
    bar and changes nothing in the process's garbage collector."""
    import gc

    import explorer

    frozen = gc.get_freeze_count()
    app = explorer.Explorer()
    app.apply(mu=0.5)
    assert app.frame is not None and app.address.value == "?mu=0.5&seed=0"
    assert gc.get_freeze_count() == frozen
    assert app.__panel__() is not None


def test_a_slider_moved_in_float_steps_links_the_decimal_it_shows():
    """30 arrow presses on mu arrive as 0.2999999999999998 (the browser adds 0.01 in binary);
    the state takes 0.3, so the address bar says ``mu=0.3`` (before: ``mu=0.2999999999999998``).
    A value off the slider's grid, from a NEST import, is kept exactly."""
    from explorer.app import Explorer

    app = Explorer()
    value = -5.0
    for _ in range(530):
        value += 0.01
    assert value != 0.3 and abs(value - 0.3) < 1e-12  # what the browser's slider sends
    app.widgets["mu"].value = value
    assert app.state.mu == 0.3 and link_query(app.state) == "?mu=0.3&seed=0"
    app.state.mu = 1 / 3  # e.g. from a NEST status: echoed to the slider, not rounded
    assert app.state.mu == 1 / 3 and app.widgets["mu"].value == 1 / 3
    app.widgets["tau"].value = 10.0 + 3 * 0.1  # 10.300000000000002 in floats, tau's step is 0.1
    assert app.state.tau == 10.3
