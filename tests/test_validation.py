"""Bad input: a ValueError naming the parameter (and NEST's wording), nothing half-applied."""

import numpy as np
import pytest

import model


@pytest.mark.parametrize("field, value, message", [
    ("tau", 0.0, "Time constant must be > 0."),
    ("tau", -1.0, "Time constant must be > 0."),
    ("lambda_", -0.1, "Passive decay rate must be >= 0."),
    ("sigma", -1.0, "Noise parameter must not be negative."),
    ("rectify_rate", -0.5, "Rectifying rate must not be negative."),
])
def test_nest_validation_messages(field, value, message):
    with pytest.raises(ValueError) as err:
        model.Params(**{field: value})
    assert message in str(err.value)
    assert field in str(err.value)


@pytest.mark.parametrize("field", model.Params.fields[:8])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_parameters(field, value):
    with pytest.raises(ValueError, match=f"{field} must be finite"):
        model.Params(**{field: value})


def test_unconstrained_values_are_accepted_like_nest():
    p = model.Params(g=-2.0, beta=-3.0, theta=-1.0, lambda_=0.0, mu=-5.0, sigma=0.0)
    assert p.lambda_ == 0.0


@pytest.mark.parametrize("field", ["linear_summation", "rectify_output", "mult_coupling"])
def test_switches_must_be_boolean(field):
    with pytest.raises(ValueError, match=field):
        model.Params(**{field: 0.5})


def test_replace_is_all_or_nothing():
    p = model.Params(tau=5.0, mu=0.3)
    with pytest.raises(ValueError, match="sigma"):
        p.replace(tau=20.0, sigma=-1.0)
    assert (p.tau, p.mu, p.sigma) == (5.0, 0.3, 1.0)
    with pytest.raises(ValueError, match="unknown parameter"):
        p.replace(tua=1.0)
    assert p.replace(tau=20.0).tau == 20.0 and p.tau == 5.0


def test_per_unit_lengths_must_agree():
    with pytest.raises(ValueError, match="same length"):
        model.Params(tau=[1.0, 2.0], mu=[0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="n_units"):
        model.Network(model.Params(mu=[0.0, 1.0]), n_units=3)
    with pytest.raises(ValueError, match="tau"):
        model.Params(tau=[1.0, -2.0])


def test_nest_round_trip():
    status = {"tau": 3.0, "lambda": 0.5, "std": 0.2, "mean": 0.1, "g": 2.0, "rate": 7.0,
              "recordables": ["noise", "rate"], "rectify_output": True}
    p = model.Params.from_nest(status)
    assert (p.tau, p.lambda_, p.sigma, p.mu, p.g, p.rectify_output) == (3.0, 0.5, 0.2, 0.1, 2.0, True)
    back = p.to_nest()
    assert back["lambda"] == 0.5 and back["sigma"] == 0.2 and "lambda_" not in back
    assert model.Params.from_nest(back) == p


def test_defaults_are_nest_defaults(nest):
    nest.ResetKernel()
    status = nest.Create("sigmoid_rate_ipn").get()
    ours = model.Params().to_nest()
    for key, value in ours.items():
        assert status[key] == value, key


def test_nest_rejects_what_we_reject(nest):
    """Our rules are NEST's: the same values fail there with the same words."""
    nest.ResetKernel()
    node = nest.Create("sigmoid_rate_ipn")
    for key, value, message in [("tau", 0.0, "Time constant must be > 0."),
                                ("lambda", -1.0, "Passive decay rate must be >= 0."),
                                ("sigma", -1.0, "Noise parameter must not be negative."),
                                ("rectify_rate", -1.0, "Rectifying rate must not be negative.")]:
        with pytest.raises(Exception, match=message):
            node.set({key: value})


@pytest.mark.parametrize("kwargs, match", [
    ({"w_inst": np.ones((2, 3))}, "w_inst must have shape"),
    ({"w_delayed": np.ones((2, 2)), "delay_steps": 0}, "delay_steps: Delay must be greater than or equal to resolution"),
    ({"w_delayed": np.ones((2, 2)), "delay_steps": -2}, "delay_steps"),
    ({"w_delayed": np.ones((2, 2)), "delay_steps": 1.5}, "delay_steps must be integers"),
    ({"w_inst": np.array([[0, np.nan], [0, 0]])}, "w_inst must be finite"),
    ({"initial_rate": [1.0, 2.0, 3.0]}, "initial_rate"),
    ({"initial_rate": np.inf}, "initial_rate must be finite"),
    ({"delay_steps": 2}, "delay_steps given without w_delayed"),
    ({"w_delayed": np.ones((2, 2)), "delay_steps": 3, "history_steps": 2}, "history_steps"),
])
def test_network_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        model.Network(model.Params(), n_units=2, **kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"t_sim": 10.05}, "t_sim = 10.05 ms must be a positive multiple of dt"),
    ({"t_sim": -1.0}, "t_sim"),
    ({"dt": 0.0}, "dt"),
    ({"dt": np.nan}, "dt"),
    ({"n_trials": 0}, "n_trials"),
    ({"xi": np.zeros((1, 5, 1))}, r"xi must have shape \(n_trials, n_steps, n_units\)"),
    ({"xi": np.full((1, 100, 1), np.nan)}, "xi must be finite"),
    ({"method": "magic"}, "method"),
    ({"inputs": (model.ExternalInput(np.ones(99)),)}, r"inputs\[0\].rate has 99 steps"),
    ({"inputs": (model.ExternalInput(np.ones(100), target=3),)}, r"inputs\[0\].target"),
    ({"inputs": ("not an input",)}, r"inputs\[0\]"),
])
def test_simulate_errors(kwargs, match):
    args = {"t_sim": 10.0, "dt": 0.1} | kwargs
    with pytest.raises(ValueError, match=match):
        model.simulate(model.Params(), **args)


def test_parallel_needs_uncoupled_units():
    net = model.Network(model.Params(), n_units=2, w_inst=np.eye(2))
    with pytest.raises(ValueError, match="parallel"):
        model.simulate(net, 1.0, method="parallel")


@pytest.mark.parametrize("kwargs, match", [
    ({"rate": np.ones((2, 2))}, "ExternalInput.rate must have shape"),
    ({"rate": [1.0, np.nan]}, "ExternalInput.rate must be finite"),
    ({"rate": np.ones(3), "delay_steps": -1}, "ExternalInput.delay_steps"),
    ({"rate": np.ones(3), "emits": [1, 0, 1]}, "ExternalInput.emits"),
    ({"rate": np.ones(3), "weight": np.inf}, "ExternalInput.weight must be finite"),
])
def test_external_input_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        model.ExternalInput(**kwargs)


@pytest.mark.parametrize("build, match", [
    (lambda: model.Network(model.Params(), n_units=None), "n_units must be an integer"),
    (lambda: model.Network(model.Params(), n_units="abc"), "n_units must be an integer"),
    (lambda: model.Network(model.Params(), history_steps=-5), "history_steps"),
    (lambda: model.Network(model.Params(), w_delayed=[[1.0]], delay_steps=1e30), "delay_steps must be <="),
    (lambda: model.ExternalInput(np.ones(3), delay_steps=None), "ExternalInput.delay_steps"),
    (lambda: model.Params(tau=True), "tau must be a number"),
    (lambda: model.Params(mu="5"), "mu must be a number"),
    (lambda: model.simulate(model.Params(), 1.0, n_trials=None), "n_trials"),
    (lambda: model.simulate(model.Params(), 1.0, inputs=5), "inputs must be a sequence"),
    (lambda: model.simulate(model.Params(), 1.0, key="abc"), "key must be an int seed"),
    (lambda: model.simulate(model.Params(), 1.0, key=1.5), "key must be an int seed"),
    (lambda: model.ExternalInput.step_rate_generator([1.0], [1.0], dt=0.0, n_steps=10), "dt must be > 0"),
    (lambda: model.ExternalInput.step_rate_generator([1.0], [1.0], dt=0.1, n_steps=2.5), "n_steps"),
    (lambda: model.ExternalInput.step_rate_generator([1.0], [1.0], dt=0.1, n_steps=20, delay=np.nan), "delay"),
    (lambda: model.ExternalInput.step_rate_generator([1.0], [1.0], dt=0.1, n_steps=20, min_delay_steps=-3),
     "min_delay_steps"),
    (lambda: model.ExternalInput.step_rate_generator([1.0], [1.0], dt=0.1, n_steps=20, delay=0.04),
     "Delay must be greater than or equal to resolution"),
])
def test_more_bad_input_is_a_value_error(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_single_input_and_no_inputs_are_accepted():
    inp = model.ExternalInput(np.ones(10))
    a = model.simulate(model.Params(sigma=0.0), 1.0, inputs=inp)
    b = model.simulate(model.Params(sigma=0.0), 1.0, inputs=(inp,))
    np.testing.assert_array_equal(a.rate, b.rate)
    model.simulate(model.Params(), 1.0, inputs=None)


def test_params_with_arrays_compare_by_value():
    assert model.Params(tau=[1.0, 2.0]) == model.Params(tau=np.array([1.0, 2.0]))
    assert model.Params(tau=[1.0, 2.0]) != model.Params(tau=[1.0, 3.0])
