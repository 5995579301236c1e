"""NEST 3.10's ``sigmoid_rate_ipn`` rate neuron in JAX: exact, jitted, never recompiled by a value.

    import model
    p = model.Params(mu=0.5)
    res = model.simulate(p, t_sim=200.0, dt=0.1, n_trials=100)
"""

from . import drive, fixed_points, generators, regimes, theory
from .gain import phi, phi_slope
from .connections import Connection
from .inputs import ExternalInput
from .network import Network, delay_steps_for
from .noise import FrozenNoise, draw_xi, float_dtype
from .params import Params
from .propagators import Propagators, propagators
from .pynest_export import DesignedInput, to_pynest
from .simulate import SimulationResult, n_steps_for, simulate, trace_count
from .state import State

__all__ = [
    "Connection", "DesignedInput", "ExternalInput", "FrozenNoise", "delay_steps_for", "Network", "Params", "Propagators", "SimulationResult", "State",
    "draw_xi", "float_dtype", "n_steps_for", "phi", "phi_slope", "propagators", "simulate",
    "theory", "to_pynest", "trace_count", "drive", "fixed_points", "generators", "regimes",
]
