"""A standalone PyNEST script that builds and runs in NEST 3.10 what ``model.simulate`` computes.

``to_pynest(net, inputs, t_sim, dt, n_trials)`` returns the script's text. The script uses the
settings under which NEST is exact to our model (../shared/nest-semantics.md): waveform
relaxation run to the exact fixed point (``wfr_tol = 0``), ``min_delay`` = one step, one thread,
generators created before the neurons, and a simulation longer than recorded (a multimeter gets
the last slice only on the next ``Simulate``), then truncated. Trials are copies of the network
(``n_trials * n_units`` neurons). With sigma = 0 the script's CSV equals ``model.simulate`` in
float64 to 1e-12 (``tests/test_pynest_export.py`` runs it in NEST); with noise NEST draws its own
numbers, so trials agree in distribution, not sample by sample.

An external input is a ``step_rate_generator`` connected with ``rate_connection_delayed``: NEST
emits an amplitude set for time ``(m + 1) dt`` from step ``m`` on and delivers a device's event
``min_delay`` (here one step) earlier than the connection's delay, so an input read at step ``n``
as ``rate[n - d]`` (``d = 0``: instantaneous) needs a delay of ``(d + 1) dt``.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Sequence

import numpy as np

from .checks import check_int
from .inputs import ExternalInput
from .network import Network


def designed_rate(kind: str, amplitude: float, onset: float, period: float, width: float,
                  dt: float, n_steps: int) -> np.ndarray:
    """The designed input's rate emitted at steps 0 .. n_steps - 1 (time m * dt)."""
    t = dt * np.arange(n_steps)
    on = t >= onset
    since = t - onset
    if kind == "step":
        return np.where(on, amplitude, 0.0)
    if kind == "pulse train":
        return np.where(on & (np.mod(since, period) < width), amplitude, 0.0)
    if kind == "sine":
        return np.where(on, amplitude * np.sin(2 * np.pi * since / period), 0.0)
    if kind == "ramp":
        span = max(t[-1] - onset, dt)
        return np.where(on, amplitude * since / span, 0.0)
    return np.zeros(n_steps)


INPUT_KINDS = ("none", "step", "pulse train", "sine", "ramp")


@dataclasses.dataclass(frozen=True)
class DesignedInput:
    """An input given by its shape rather than its samples, so that a script computes the samples
    with the same code (``designed_rate``, copied into the script) and stays short at any length.

    **Arguments:**

    - `kind`: one of ``"step"``, ``"pulse train"``, ``"sine"``, ``"ramp"``.
    - `amplitude`, `onset` (ms), `period` (ms), `width` (ms): the shape, as in ``designed_rate``.
    - `weight`: the connection weight (to every unit).
    - `delay_steps`: 0 (read in the same step, like ``rate_connection_instantaneous``) or the
      delayed connection's delay in steps.
    """

    kind: str
    amplitude: float
    onset: float
    period: float
    width: float
    weight: float = 1.0
    delay_steps: int = 0

    def __post_init__(self) -> None:
        if self.kind not in INPUT_KINDS[1:]:
            raise ValueError(f"DesignedInput.kind must be one of {list(INPUT_KINDS[1:])}, got {self.kind!r}")
        for name in ("amplitude", "onset", "period", "width", "weight"):
            value = getattr(self, name)
            if isinstance(value, bool) or not np.isfinite(float(value)):
                raise ValueError(f"DesignedInput.{name} must be a finite number, got {value!r}")
        if float(self.period) <= 0:
            raise ValueError(f"DesignedInput.period must be > 0 ms, got {self.period!r}")
        check_int("DesignedInput.delay_steps", self.delay_steps, 0)

    def rate(self, dt: float, n_steps: int) -> np.ndarray:
        return designed_rate(self.kind, float(self.amplitude), float(self.onset), float(self.period),
                             float(self.width), dt, n_steps)

    def to_external(self, dt: float, n_steps: int) -> ExternalInput:
        """The same input for ``model.simulate``."""
        return ExternalInput(self.rate(dt, n_steps), weight=self.weight, delay_steps=self.delay_steps)


def _num(x) -> str:
    """A float written so that Python reads back the same double (repr is the shortest such)."""
    return repr(float(x))


def _values(arr) -> str:
    arr = np.asarray(arr)
    if arr.dtype == bool:
        return repr(bool(arr)) if arr.ndim == 0 else repr([bool(v) for v in arr])
    return _num(arr) if arr.ndim == 0 else "[" + ", ".join(_num(v) for v in arr) + "]"


def _unit_params(net: Network, unit: int) -> dict:
    out = {}
    for key, value in net.params.to_nest().items():
        out[key] = value[unit] if isinstance(value, list) else value
    return out


def _dict_text(d: dict, indent: str) -> str:
    lines = []
    for key, value in d.items():
        text = repr(bool(value)) if isinstance(value, bool) else _num(value)
        lines.append(f"{indent}    {key!r}: {text},")
    return "{\n" + "\n".join(lines) + f"\n{indent}}}"


def _connections(net: Network):
    """(pre, post, weight, delay steps or None) of every connection, multapses included."""
    if getattr(net, "connections", None) is not None:
        for c in net.connections:
            yield int(c.pre), int(c.post), float(c.weight), None if c.delay_steps is None else int(c.delay_steps)
        return
    for name in ("w_inst", "w_delayed"):
        w = getattr(net, name)
        if w is None:
            continue
        for post, pre in zip(*np.nonzero(w)):
            d = None
            if name == "w_delayed":
                d = int(net.delay_steps if np.ndim(net.delay_steps) == 0 else net.delay_steps[post, pre])
            yield int(pre), int(post), float(w[post, pre]), d


def to_pynest(net: Network, inputs: Sequence = (), t_sim: float = 100.0, dt: float = 0.1,
              n_trials: int = 1, *, seed: int = 0, csv_path: str = "sigmoid_rate_ipn.csv",
              plot_path: str = "sigmoid_rate_ipn.png", title: str = "") -> str:
    """The text of a standalone PyNEST 3.10 script that runs ``net`` with ``inputs``.

    **Arguments:**

    - `net`: a ``model.Network`` (parameters, initial rate, instantaneous and delayed weights or
      its list of ``Connection``s, multapses included).
    - `inputs`: ``model.ExternalInput`` or ``DesignedInput`` objects. An ``ExternalInput``'s samples
      are written into the script as its change points; one with an ``emits`` mask is refused (a
      generator emits at every step).
    - `t_sim`, `dt`: simulated time and resolution (ms); ``t_sim / dt`` steps are recorded.
    - `n_trials`: copies of the network, each with its own noise.
    - `seed`: NEST's ``rng_seed`` is ``seed + 1`` (NEST refuses 0). NEST draws its own numbers:
      with sigma > 0 the trials differ from ``model.simulate``'s sample by sample.
    - `csv_path`, `plot_path`: where the script writes the recorded rates and (with matplotlib) a plot.
    - `title`: a line for the script's docstring (e.g. where the setting came from).

    **Returns:** the script as a string. It writes a CSV with a column ``time_ms`` (``dt`` ..
    ``t_sim``, NEST's multimeter times) and one column per trial and unit, full precision.
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be a model.Network, got {type(net).__name__}")
    dt = float(dt)
    if not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be > 0 ms, got {dt!r}")
    n_steps = int(round(float(t_sim) / dt))
    if n_steps < 1:
        raise ValueError(f"t_sim must be at least one step (dt = {dt} ms), got {t_sim!r}")
    n_trials = check_int("n_trials", n_trials, 1)
    seed = check_int("seed", seed, 0, 2**32 - 3)
    n_units = net.n_units

    helpers, gen_lines, connect_lines = [], [], []
    delays_ms = [dt]
    for k, inp in enumerate(inputs):
        if isinstance(inp, DesignedInput):
            if not helpers:
                helpers.append(inspect.getsource(designed_rate))
            gen_lines.append(
                f"rate_{k} = designed_rate({inp.kind!r}, amplitude={_num(inp.amplitude)}, onset={_num(inp.onset)},\n"
                f"                        period={_num(inp.period)}, width={_num(inp.width)}, dt=RESOLUTION, n_steps=N_STEPS)")
            targets, weights, d = list(range(n_units)), [float(inp.weight)] * n_units, inp.delay_steps
        elif isinstance(inp, ExternalInput):
            if inp.emits is not None:
                raise ValueError(f"inputs[{k}].emits: a step_rate_generator emits at every step; "
                                 "an input with gaps has no generator equivalent")
            _, _, per_unit = inp.lay_out(n_steps, n_units, k)
            targets = list(range(n_units)) if inp.target is None else [int(i) for i in np.atleast_1d(inp.target)]
            weights = [float(per_unit[i]) for i in targets]
            d = inp.delay_steps
            rate = np.asarray(inp.rate, dtype=float)
            changes = np.concatenate([[0], np.flatnonzero(np.diff(rate)) + 1])
            gen_lines.append(
                f"# input {k}: its rate changes at these steps (the value holds until the next change)\n"
                f"change_steps_{k} = [{', '.join(str(int(c)) for c in changes)}]\n"
                f"change_values_{k} = {_values(rate[changes])}\n"
                f"rate_{k} = np.zeros(N_STEPS)\n"
                f"for step, value in zip(change_steps_{k}, change_values_{k}):\n"
                f"    rate_{k}[step:] = value")
        else:
            raise ValueError(f"inputs[{k}] must be a model.ExternalInput or DesignedInput, got {type(inp).__name__}")
        delays_ms.append((d + 1) * dt)
        gen_lines.append(
            f"# NEST emits the amplitude set for time (m + 1) * dt from step m on; only changes are set.\n"
            f"changes_{k} = np.flatnonzero(np.diff(rate_{k}, prepend=np.nan))\n"
            f"generator_{k} = nest.Create('step_rate_generator', params={{\n"
            f"    'amplitude_times': (RESOLUTION * (changes_{k} + 1)).tolist(),\n"
            f"    'amplitude_values': rate_{k}[changes_{k}].tolist()}})")
        for unit, w in zip(targets, weights):
            connect_lines.append(
                f"# input {k} -> unit {unit}: read at step n as rate_{k}[n - {d}]; a device's event arrives\n"
                f"# min_delay (one step) before the connection's delay, hence {d} + 1 steps.\n"
                f"nest.Connect(generator_{k}, neurons[{unit}::N_UNITS], 'all_to_all', {{\n"
                f"    'synapse_model': 'rate_connection_delayed', 'weight': {_num(w)},\n"
                f"    'delay': {d + 1} * RESOLUTION}})")

    for pre, post, weight, d in _connections(net):
        if d is None:
            spec = f"'synapse_model': 'rate_connection_instantaneous', 'weight': {_num(weight)}"
            what = "instantaneous: the sender's rate of the same step, before its update"
        else:
            delays_ms.append(d * dt)
            spec = f"'synapse_model': 'rate_connection_delayed', 'weight': {_num(weight)},\n    'delay': {d} * RESOLUTION"
            what = f"delayed by {d} step(s)"
        connect_lines.append(
            f"# unit {pre} -> unit {post} in every trial ({what})\n"
            f"nest.Connect(neurons[{pre}::N_UNITS], neurons[{post}::N_UNITS], 'one_to_one', {{\n"
            f"    {spec}}})")

    y0 = np.broadcast_to(net.initial_rate, (n_units,))
    max_delay = max(5.0, max(delays_ms) + dt)
    unit_params = "\n".join(
        f"UNIT_PARAMS.append({_dict_text(_unit_params(net, i), '')})" for i in range(n_units))
    helper_text = "\n\n" + "\n".join(helpers) if helpers else ""
    header = f"\n\n{title}" if title else ""
    return f'''"""NEST 3.10 sigmoid_rate_ipn: {n_trials} trial(s) of {n_units} unit(s), {n_steps} steps of {_num(dt)} ms.{header}

Exported by the sigmoid-rate explorer (model.to_pynest). Run: python this_file.py
Writes {csv_path} (time_ms, then one column per trial and unit) and, with matplotlib, {plot_path}.
Kernel settings make NEST exact (see nest-semantics.md): waveform relaxation to the exact fixed
point, min_delay = one step, generators created before the neurons, one thread.
NEST draws its own noise (rng_seed below): with sigma > 0 trials match in distribution only.
"""

import numpy as np
import nest

RESOLUTION = {_num(dt)}  # ms
N_STEPS = {n_steps}  # recorded samples, at RESOLUTION .. N_STEPS * RESOLUTION
N_TRIALS = {n_trials}
N_UNITS = {n_units}
CSV_PATH = {csv_path!r}
PLOT_PATH = {plot_path!r}

# sigmoid_rate_ipn parameters per unit (NEST's key names)
UNIT_PARAMS = []
{unit_params}
INITIAL_RATE = {_values(y0)}  # per unit
{helper_text}
nest.ResetKernel()
nest.verbosity = nest.VerbosityLevel.ERROR
nest.set(resolution=RESOLUTION, local_num_threads=1, rng_seed={seed + 1},
         use_wfr=True, wfr_tol=0.0, wfr_max_iterations=100)
# A generator's events arrive min_delay steps early, relative to the slice: one step keeps that fixed.
nest.set(min_delay=RESOLUTION, max_delay={_num(max_delay)})

# Inputs first: created after the neurons, a generator's events could wrap around the ring buffer.
{chr(10).join(gen_lines) if gen_lines else "# (no external input)"}

# Trial k, unit i is neurons[k * N_UNITS + i]; neurons[i::N_UNITS] is unit i in every trial.
neurons = nest.Create("sigmoid_rate_ipn", N_TRIALS * N_UNITS)
for i in range(N_UNITS):
    neurons[i::N_UNITS].set(UNIT_PARAMS[i])
    neurons[i::N_UNITS].set(rate=INITIAL_RATE[i])

{chr(10).join(connect_lines) if connect_lines else "# (no connections)"}

multimeter = nest.Create("multimeter", params={{"record_from": ["rate"], "interval": RESOLUTION}})
nest.Connect(multimeter, neurons)
# One step longer than recorded: the multimeter receives the last step on the next one.
nest.Simulate((N_STEPS + 1) * RESOLUTION)

events = multimeter.get("events")
step = np.rint(np.asarray(events["times"]) / RESOLUTION).astype(int)  # 1 .. N_STEPS (+1)
column = np.asarray(events["senders"]) - neurons[0].global_id
keep = step <= N_STEPS
rates = np.full((N_STEPS, N_TRIALS * N_UNITS), np.nan)
rates[step[keep] - 1, column[keep]] = np.asarray(events["rate"])[keep]
times = RESOLUTION * np.arange(1, N_STEPS + 1)
names = [f"trial{{k}}" if N_UNITS == 1 else f"trial{{k}}_unit{{i}}" for k in range(N_TRIALS) for i in range(N_UNITS)]
np.savetxt(CSV_PATH, np.column_stack([times, rates]), delimiter=",", fmt="%.17g",
           header=",".join(["time_ms"] + names), comments="")
print(f"wrote {{CSV_PATH}}: {{N_STEPS}} samples x {{N_TRIALS * N_UNITS}} neurons")

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(times, rates[:, :40], lw=0.6, alpha=0.5)
    ax.plot(times, rates.mean(axis=1), color="k", lw=1.5, label="mean over neurons")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate")
    ax.legend()
    fig.savefig(PLOT_PATH, dpi=120, bbox_inches="tight")
    print(f"wrote {{PLOT_PATH}}")
'''
