"""The explorer's state: one ``param.Parameterized`` per browser session, nothing shared.

Holds NEST's parameters of ``sigmoid_rate_ipn``, the input designer, the autapse and the run
controls, with the ranges the widgets offer. It knows how to turn itself into the model's
objects (``Params``, ``Network``, ``ExternalInput``) and nothing about plotting.
"""

from __future__ import annotations

import numpy as np
import param

import model

# name -> one line on what the parameter does in NEST, shown as the widget's tooltip.
TOOLTIPS = {
    "tau": "Time constant tau (ms): how fast the rate relaxes. tau dX = [-lambda X + mu + phi(h)] dt + sqrt(tau) sigma dW.",
    "lambda_": "Passive decay rate lambda. lambda = 0 switches NEST to Euler-Maruyama and the rate drifts without bound.",
    "sigma": "Noise strength sigma (NEST default 1). Stationary variance is sigma^2 / (2 lambda).",
    "mu": "Constant drive mu added every step.",
    "g": "Gain g: the sigmoid's maximum, phi(h) = g / (1 + exp(-beta (h - theta))).",
    "beta": "Steepness beta: the slope of phi at h = theta is beta g / 4; negative beta flips the curve.",
    "theta": "Threshold theta: the input where phi is g / 2.",
    "rectify_rate": "Floor used when rectify_output is on.",
    "linear_summation": "On: phi is applied to the summed input (so phi(0) is added every step even with no input). Off: phi is applied to each input before weighting.",
    "rectify_output": "Clamp the rate from below at rectify_rate after each update (never the initial rate).",
    "mult_coupling": "Split excitatory (w >= 0) and inhibitory input: phi(ex) + phi(in) instead of phi(ex + in); with no input that adds 2 phi(0).",
    "input_kind": "Shape of the external rate fed to the unit.",
    "amplitude": "Peak value of the external rate.",
    "input_weight": "Connection weight of the external input (negative: inhibitory).",
    "onset": "Time (ms) at which the input starts.",
    "period": "Period (ms) of the pulse train or sine.",
    "width": "Width (ms) of each pulse.",
    "connection": "instantaneous: rate_connection_instantaneous (read in the same step); delayed: rate_connection_delayed.",
    "input_delay": "Delay (ms) of the delayed connection (>= one step).",
    "w_self": "Weight of the unit's delayed connection onto itself (an autapse). With a steep sigmoid this makes a bistable switch.",
    "self_delay": "Delay (ms) of the autapse.",
    "duration": "Simulated time (ms).",
    "dt": "Resolution (ms) of NEST's time grid.",
    "n_trials": "Independent trials, each with its own noise.",
    "seed": "Seed of the frozen noise: the same seed gives the same noise while parameters move.",
}

NEST_FIELDS = model.Params.fields

# Starting points for a class: each is the defaults plus these settings.
PRESETS = {
    "Defaults: a step into the sigmoid": {},
    "Bistable switch (autapse + sine)": dict(
        g=2.0, beta=6.0, theta=1.0, sigma=0.2, w_self=1.0, self_delay=1.0, input_kind="sine",
        amplitude=2.5, input_weight=1.0, period=500.0, onset=100.0, duration=2000.0),
    "Noise-driven switching": dict(
        g=2.0, beta=6.0, theta=1.0, sigma=0.6, w_self=1.0, input_kind="none", duration=5000.0, n_trials=3),
    "Oscillation (delayed inhibitory autapse)": dict(
        tau=1.0, g=2.0, mu=0.5, beta=5.0, theta=-2.25, sigma=0.05, w_self=-1.5, self_delay=1.0,
        input_kind="none", duration=200.0),
    "Rectified rate": dict(mu=-0.8, sigma=1.0, rectify_output=True, rectify_rate=0.0,
                           input_kind="pulse train", amplitude=3.0, period=200.0, width=50.0),
    "Integrator (lambda = 0)": dict(lambda_=0.0, sigma=0.5, mu=-0.5, input_kind="none"),
    "mult_coupling: phi(ex) + phi(in)": dict(mult_coupling=True, sigma=0.3, input_kind="sine",
                                              amplitude=3.0, input_weight=-1.5, period=300.0),
    "Per-event gain (linear_summation off)": dict(linear_summation=False, sigma=0.3, input_kind="ramp",
                                                   amplitude=6.0, input_weight=2.0, onset=0.0),
}
INPUT_KINDS = ["none", "step", "pulse train", "sine", "ramp"]
MAX_DELAY_MS = 20.0


class ExplorerState(param.Parameterized):
    # NEST parameters (defaults are NEST's, except mu, which makes the default view move).
    tau = param.Number(10.0, bounds=(0.1, 100.0), doc=TOOLTIPS["tau"], label="tau (ms)")
    lambda_ = param.Number(1.0, bounds=(0.0, 5.0), doc=TOOLTIPS["lambda_"], label="lambda")
    sigma = param.Number(1.0, bounds=(0.0, 5.0), doc=TOOLTIPS["sigma"], label="sigma")
    mu = param.Number(0.0, bounds=(-5.0, 5.0), doc=TOOLTIPS["mu"], label="mu")
    g = param.Number(1.0, bounds=(-5.0, 5.0), doc=TOOLTIPS["g"], label="g")
    beta = param.Number(1.0, bounds=(-20.0, 20.0), doc=TOOLTIPS["beta"], label="beta")
    theta = param.Number(0.0, bounds=(-5.0, 5.0), doc=TOOLTIPS["theta"], label="theta")
    rectify_rate = param.Number(0.0, bounds=(0.0, 5.0), doc=TOOLTIPS["rectify_rate"], label="rectify_rate")
    linear_summation = param.Boolean(True, doc=TOOLTIPS["linear_summation"], label="linear_summation")
    rectify_output = param.Boolean(False, doc=TOOLTIPS["rectify_output"], label="rectify_output")
    mult_coupling = param.Boolean(False, doc=TOOLTIPS["mult_coupling"], label="mult_coupling")

    # Input designer.
    input_kind = param.Selector(default="step", objects=INPUT_KINDS, doc=TOOLTIPS["input_kind"], label="input")
    amplitude = param.Number(2.0, bounds=(-10.0, 10.0), doc=TOOLTIPS["amplitude"], label="amplitude")
    input_weight = param.Number(1.5, bounds=(-5.0, 5.0), doc=TOOLTIPS["input_weight"], label="weight")
    onset = param.Number(100.0, bounds=(0.0, 10000.0), doc=TOOLTIPS["onset"], label="onset (ms)")
    period = param.Number(100.0, bounds=(1.0, 1000.0), doc=TOOLTIPS["period"], label="period (ms)")
    width = param.Number(20.0, bounds=(0.5, 500.0), doc=TOOLTIPS["width"], label="pulse width (ms)")
    connection = param.Selector(default="delayed", objects=["instantaneous", "delayed"],
                                doc=TOOLTIPS["connection"], label="connection")
    input_delay = param.Number(1.0, bounds=(0.01, MAX_DELAY_MS), doc=TOOLTIPS["input_delay"], label="delay (ms)")

    # Autapse.
    w_self = param.Number(0.0, bounds=(-5.0, 5.0), doc=TOOLTIPS["w_self"], label="self weight")
    self_delay = param.Number(1.0, bounds=(0.01, MAX_DELAY_MS), doc=TOOLTIPS["self_delay"], label="self delay (ms)")

    # Run controls: these set array shapes, so changing them may compile once.
    duration = param.Number(1000.0, bounds=(10.0, 10000.0), doc=TOOLTIPS["duration"], label="duration (ms)")
    dt = param.Selector(default=0.1, objects=[0.01, 0.05, 0.1, 0.2, 0.5, 1.0], doc=TOOLTIPS["dt"], label="dt (ms)")
    n_trials = param.Integer(20, bounds=(1, 1000), doc=TOOLTIPS["n_trials"], label="trials")
    seed = param.Integer(0, bounds=(0, 2**31 - 1), doc=TOOLTIPS["seed"], label="seed")

    @property
    def n_steps(self) -> int:
        # The count simulate() runs for t_sim(), by the model's own rule (model.n_steps_for).
        return model.n_steps_for(self.t_sim(), self.dt)

    def t_sim(self) -> float:
        """The run's length in ms: the duration on dt's grid (the nearest step, one at least)."""
        return max(1, round(self.duration / self.dt)) * self.dt

    def to_params(self) -> model.Params:
        return model.Params(**{f: getattr(self, f) for f in NEST_FIELDS})

    def delay_steps(self, delay_ms: float) -> int:
        """A delay on NEST's grid (halves round up), one step at least (NEST refuses less)."""
        return max(1, model.delay_steps_for(delay_ms, self.dt))

    def to_network(self) -> model.Network:
        params = self.to_params()
        if self.w_self == 0.0:
            return model.Network(params)
        return model.Network(
            params, w_delayed=[[self.w_self]], delay_steps=self.delay_steps(self.self_delay),
            # The delay line is as long as the slider allows, so moving the delay never recompiles.
            history_steps=self.delay_steps(MAX_DELAY_MS),
        )

    def input_rate(self) -> np.ndarray:
        """The external rate emitted at steps 0 .. n_steps - 1 (time m * dt)."""
        if self.input_kind == "none":
            return np.zeros(self.n_steps)
        return self.designed_input().rate(self.dt, self.n_steps)

    def designed_input(self) -> model.DesignedInput:
        """The input designer's setting; an exported PyNEST script computes its samples with the
        same function (``model.pynest_export.designed_rate``)."""
        return model.DesignedInput(self.input_kind, self.amplitude, self.onset, self.period, self.width,
                                   weight=self.input_weight, delay_steps=self.input_delay_steps())

    def input_delay_steps(self) -> int:
        return 0 if self.connection == "instantaneous" else self.delay_steps(self.input_delay)

    def to_inputs(self) -> tuple[model.ExternalInput, ...]:
        if self.input_kind == "none":
            return ()
        return (model.ExternalInput(self.input_rate(), weight=self.input_weight,
                                    delay_steps=self.input_delay_steps()),)

    @classmethod
    def preset(cls, name: str) -> dict:
        """The full settings of a preset: the defaults with the preset's own values."""
        defaults = cls().settings()
        return defaults | PRESETS[name]

    def settings(self) -> dict:
        return {name: getattr(self, name) for name in self.param if name != "name"}

    def normalize(self, values: dict) -> tuple[dict, list[str]]:
        """Values converted to their parameters' types, and why any would be refused.

        Changes nothing: the caller applies ``clean`` only when ``problems`` is empty, so a
        set of settings is taken whole or not at all.
        """
        clean, problems = {}, []
        for name, value in values.items():
            if name not in self.param or name == "name":
                problems.append(f"unknown setting {name!r}")
                continue
            p = self.param[name]
            label = p.label or name
            if isinstance(p, param.Selector):
                match = [o for o in p.objects if o == value or str(o) == str(value) or _same_number(o, value)]
                if match:
                    clean[name] = match[0]
                else:
                    problems.append(f"{label} = {value!r} is not one of {p.objects}")
                continue
            if isinstance(p, param.Boolean):
                if isinstance(value, (bool, np.bool_)):
                    clean[name] = bool(value)
                else:
                    problems.append(f"{label} must be True or False, got {value!r}")
                continue
            try:
                if isinstance(value, (bool, np.bool_, str)):
                    raise TypeError
                number = float(value)
            except (TypeError, ValueError, OverflowError):
                problems.append(f"{label} must be a number, got {value!r}")
                continue
            lo, hi = p.bounds
            if not np.isfinite(number) or number < lo or number > hi:
                problems.append(f"{label} = {value!r} is outside the allowed range [{lo}, {hi}]")
            elif isinstance(p, param.Integer):
                if number.is_integer():
                    clean[name] = int(number)
                else:
                    problems.append(f"{label} must be a whole number, got {value!r}")
            else:
                clean[name] = number
        return clean, problems


def _same_number(a, b) -> bool:
    try:
        return not isinstance(b, bool) and float(a) == float(b)
    except (TypeError, ValueError, OverflowError):
        return False
