"""Port of NEST's testsuite/pytests/connect/test_rate_connections.py to ``sigmoid_rate_ipn``.

The original checks that ``rate_connection_instantaneous`` and ``rate_connection_delayed``
can connect rate neurons (an autapse, ``one_to_one`` from a node to itself), that a delay
given to ``rate_connection_instantaneous`` is refused (BadProperty), and that other neuron
models cannot take rate connections (not expressible in ``model``: every unit is a
``sigmoid_rate_ipn``; ``diffusion_connection`` is siegert_neuron's, out of scope).

Translated: both connection types as autapses, NEST and the model, traces equal to 1e-12;
the delayed connection's delay below one step refused by both with NEST's wording. The
instantaneous-with-delay mistake cannot be written with ``model.Connection`` (a delay makes
it a delayed connection), so only NEST's refusal is recorded here, as the reason.
"""

import numpy as np
import pytest

import model
from tests.nest_runner import NestSetup, run_nest
from tests.test_nest_edges import run_model


@pytest.mark.parametrize("kind", ["instantaneous", "delayed"])
def test_legal_rate_connections(nest, kind):
    unit = {"sigma": 0.2, "mu": 0.3, "beta": 2.0}
    conns = {"instantaneous": [(0, 0, 0.9)]} if kind == "instantaneous" else {"delayed": [(0, 0, 0.9, 0.1)]}
    s = NestSetup(units=[unit], t_sim=10.0, **conns)
    _, rate, noise = run_nest(nest, s)
    assert np.abs(run_model(s, noise) - rate).max() <= 1e-12
    # the autapse matters: the same unit without it is another trace
    alone = NestSetup(units=[unit], t_sim=10.0)
    assert np.abs(run_nest(nest, alone)[1] - rate).max() > 1e-3


def test_rate_connection_instantaneous_set_delay_disallowed(nest):
    nest.ResetKernel()
    n = nest.Create("sigmoid_rate_ipn")
    with pytest.raises(Exception, match="rate_connection_instantaneous has no delay"):
        nest.Connect(n, n, "all_to_all", {"synapse_model": "rate_connection_instantaneous", "delay": 2.0})
    # In model a delay makes the connection a rate_connection_delayed: the mistake has no spelling.
    assert model.Connection(0, 0, 1.0, delay_steps=20) != model.Connection(0, 0, 1.0)


@pytest.mark.parametrize("delay", [0.0, 0.04])
def test_delay_under_one_step_refused(nest, delay):
    nest.ResetKernel()
    nest.resolution = 0.1
    n = nest.Create("sigmoid_rate_ipn")
    message = "Delay must be greater than or equal to resolution"
    with pytest.raises(Exception, match=message):
        nest.Connect(n, n, "all_to_all", {"synapse_model": "rate_connection_delayed", "delay": delay})
    with pytest.raises(ValueError, match=message):
        model.Network(model.Params(), 1, connections=[model.Connection.delayed(0, 0, 1.0, delay, 0.1)])
