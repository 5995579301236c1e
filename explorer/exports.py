"""Taking the page's setting out (a PyNEST script, the plotted data, the parameters) and a NEST
status back in.

The script is ``model.to_pynest`` for the page's network and designed input: run in NEST 3.10 it
reproduces the page's traces (sigma = 0: every sample to 1e-12, ``tests/test_pynest_export.py``).
The data CSV holds what is plotted at full resolution; the JSON holds ``Params.to_nest()``.

Importing reads the JSON of ``node.get()`` (or ``nest.GetStatus(node)``) for one
``sigmoid_rate_ipn``: its parameters are taken all or nothing, with NEST's wording for what NEST
itself refuses and the page's range for what the sliders cannot show. Other status entries NEST
reports (``global_id``, ``recordables``, the state ``rate`` ...) are ignored; any other key is
refused by name. Nothing in the input is evaluated or shown as markup.
"""

from __future__ import annotations

import io
import json

import numpy as np
import panel as pn

import model

from .frame import Frame
from .state import NEST_FIELDS, ExplorerState

MAX_STATUS_BYTES = 1_000_000  # a status dictionary is about 1 kB; a 10 MB paste is refused unread

# Keys of ``node.get()`` for sigmoid_rate_ipn in NEST 3.10 that are not its parameters.
STATUS_KEYS = {
    "Ca", "archiver_length", "beta_Ca", "element_type", "frozen", "global_id", "ignore_and_spike",
    "ignore_and_spike_interval", "ignore_and_spike_offset", "local", "model", "model_id", "node_uses_wfr",
    "noise", "post_trace", "rate", "recordables", "synaptic_elements", "t_spike", "tau_Ca", "tau_minus",
    "tau_minus_triplet", "thread", "thread_local_id", "vp",
}


def pynest_script(state: ExplorerState) -> str:
    """The PyNEST script that builds what ``state`` shows.

    **Arguments:**

    - `state`: the session's ``ExplorerState``.

    **Returns:** the script's text (``model.to_pynest``).
    """
    inputs = () if state.input_kind == "none" else (state.designed_input(),)
    from .links import link_query

    return model.to_pynest(state.to_network(), inputs, state.t_sim(), state.dt, state.n_trials, seed=state.seed,
                           title=f"The explorer's setting: /app{link_query(state)}")


def data_csv(frame: Frame) -> str:
    """What is plotted, at full resolution, as CSV.

    **Arguments:**

    - `frame`: the picture shown (``Explorer.frame``).

    **Returns:** CSV text: ``time_ms``, one column per shown trial, ``mean`` and ``sd`` over all
    trials, and ``theory_mean``, ``theory_sd`` where the page shows the theory. Full precision.
    """
    columns = [frame.times] + list(frame.trials) + [frame.mean, frame.sd]
    names = ["time_ms"] + [f"trial{k}" for k in range(len(frame.trials))] + ["mean", "sd"]
    if frame.theory_mean is not None:
        columns += [frame.theory_mean, frame.theory_sd]
        names += ["theory_mean", "theory_sd"]
    out = io.StringIO()
    np.savetxt(out, np.column_stack([np.asarray(c, dtype=float) for c in columns]), delimiter=",",
               fmt="%.17g", header=",".join(names), comments="")
    return out.getvalue()


def params_json(state: ExplorerState) -> str:
    """The neuron's parameters with NEST's key names (``Params.to_nest()``), as JSON."""
    return json.dumps(state.to_params().to_nest(), indent=2) + "\n"


def _refuse_constant(text):
    raise ValueError(f"{text} is not a number NEST can hold")


def settings_from_status(data: str | bytes) -> tuple[dict, list[str]]:
    """The page's settings from a NEST status dictionary in JSON, and why it would be refused.

    **Arguments:**

    - `data`: the JSON text (or the bytes of an uploaded file).

    **Returns:** ``(values, problems)``; apply ``values`` only when ``problems`` is empty.
    """
    if len(data) > MAX_STATUS_BYTES:
        return {}, [f"the status is {len(data):,} bytes; a status dictionary needs at most {MAX_STATUS_BYTES:,}"]
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            return {}, ["the file is not UTF-8 text"]
    try:
        status = json.loads(data, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as err:
        return {}, [f"not a JSON status dictionary ({str(err)[:80]})"]
    if isinstance(status, list) and len(status) == 1:
        status = status[0]  # nest.GetStatus(node) gives a list of one dictionary
    if not isinstance(status, dict):
        return {}, ["expected the JSON of one node's status dictionary ({\"tau\": 10.0, ...})"]
    problems = []
    if "model" in status and status["model"] != "sigmoid_rate_ipn":
        problems.append(f"model = {str(status['model'])[:40]!r}: the page shows sigmoid_rate_ipn")
    known = set(model.params.NEST_KEYS.values()) | set(model.params.NEST_ALIASES) | STATUS_KEYS
    unknown = [str(k)[:40] for k in status if k not in known]
    if unknown:
        problems.append("unknown key(s) " + ", ".join(repr(k) for k in unknown[:8])
                        + (f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""))
    for alias, name in model.params.NEST_ALIASES.items():
        key = model.params.NEST_KEYS[name]
        if alias in status and key in status and status[alias] != status[key]:
            problems.append(f"{alias} = {status[alias]!r} contradicts {key} = {status[key]!r}")
    values = {}
    for name in NEST_FIELDS:
        key = model.params.NEST_KEYS[name]
        for k in (key, *[a for a, n in model.params.NEST_ALIASES.items() if n == name]):
            if k in status:
                value = status[k]
                if isinstance(value, (list, dict)):
                    problems.append(f"{k} must be one value (one node's status), got a {type(value).__name__}")
                else:
                    values[name] = value
                break
    if problems:
        return {}, problems
    try:  # NEST's own checks and wording (tau > 0, ...), all at once
        model.Params.from_nest({model.params.NEST_KEYS[n]: v for n, v in values.items()})
    except ValueError as err:
        return {}, [str(err)[:300]]
    return ExplorerState().normalize(values)


def export_card(explorer) -> pn.Card:
    """Downloads (script, data, parameters) and the import of a NEST status, for one session."""
    script = pn.widgets.FileDownload(
        callback=lambda: io.StringIO(pynest_script(explorer.state)), filename="sigmoid_rate_ipn_explorer.py",
        label="PyNEST script", color="primary", width=260, embed=False)
    data = pn.widgets.FileDownload(
        callback=lambda: io.StringIO(data_csv(explorer.frame)), filename="sigmoid_rate_ipn_data.csv",
        label="Data (CSV)", width=260, embed=False)
    params = pn.widgets.FileDownload(
        callback=lambda: io.StringIO(params_json(explorer.state)), filename="sigmoid_rate_ipn_params.json",
        label="Parameters (JSON, NEST keys)", width=260, embed=False)
    pasted = pn.widgets.TextAreaInput(
        label="NEST status (JSON of node.get())", placeholder='{"tau": 10.0, "lambda": 1.0, ...}',
        width=260, height=90, max_length=MAX_STATUS_BYTES)
    upload = pn.widgets.FileInput(accept=".json,application/json", width=260)
    take = pn.widgets.Button(label="Import the pasted status", width=260)

    def import_status(data) -> bool:
        values, problems = settings_from_status(data)
        if problems:
            explorer.show_message("Import refused: " + "; ".join(p.rstrip(".") for p in problems) + ". Nothing was changed.")
            return False
        return explorer.apply(**values)

    def on_take(_) -> None:
        # A button's click runs outside the document's lock; a change made there cannot be sent
        # (Bokeh raises), so the import runs on the session's next tick, as slider changes do.
        doc = explorer._server_doc()
        if doc is None:
            import_status(pasted.value or "")
        else:
            doc.add_next_tick_callback(lambda: import_status(pasted.value or ""))

    take.on_click(on_take)
    upload.param.watch(lambda e: e.new is not None and import_status(e.new), "value")
    explorer.import_status = import_status
    return pn.Card(script, data, params, pasted, take, upload, title="To NEST and back", width=300,
                   collapsed=False)
