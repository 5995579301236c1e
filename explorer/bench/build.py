"""What one session costs to build, in-process: ``python -m explorer.bench --part build``.

The server's side of a join, step by step as ``panel serve`` takes it: the explorer's widgets and
figures (``Explorer()``, its first simulation included), Panel turning them into Bokeh models
(``get_root``), Bokeh's check of the document, and the document serialized for the page (the
pull's reply). Then the client's side: the same JSON decoded into a Bokeh document, as
``bokeh.client.pull_session`` does in the classroom scenarios. CPU time of this process
(``time.process_time``), averaged over several builds after two warm-ups, so other work on a
shared machine slows it less than wall time.
"""

from __future__ import annotations

import collections
import os
import time


def build_once() -> dict:
    """Build one session's document as the server does and decode it as a client does.

    **Returns:** milliseconds of CPU per step (``explorer``, ``get_root``, ``validate``,
    ``to_json``, ``client``) and the document's model count (``models``) and types (``types``).
    """
    from bokeh.document import Document

    from explorer.app import Explorer

    cpu = time.process_time
    doc = Document()
    t0 = cpu()
    explorer = Explorer()
    t1 = cpu()
    doc.add_root(explorer.__panel__().get_root(doc))
    t2 = cpu()
    doc.validate()
    t3 = cpu()
    data = doc.to_json()
    t4 = cpu()
    Document.from_json(data)
    t5 = cpu()
    return {"explorer": t1 - t0, "get_root": t2 - t1, "validate": t3 - t2, "to_json": t4 - t3,
            "client": t5 - t4, "models": len(doc.models),
            "types": collections.Counter(type(m).__name__ for m in doc.models)}


def run(builds: int = 6) -> dict:
    """Print the mean CPU ms of each step over ``builds`` builds (after two warm-ups).

    **Arguments:** `builds`: how many builds to average.

    **Returns:** the mean of each step in ms, and the model count.
    """
    import panel as pn

    from explorer import lean

    pn.extension(sizing_mode="fixed", notifications=True)
    lean.for_serving()  # as served: stable defaults cached, callback check off (the document check
    # is skipped when served; it is timed here to show what that saves)
    for _ in range(2):  # compiles the first simulation and imports what the first build needs
        build_once()
    runs = [build_once() for _ in range(builds)]
    steps = ("explorer", "get_root", "validate", "to_json", "client")
    mean = {k: 1e3 * sum(r[k] for r in runs) / builds for k in steps}
    server = mean["explorer"] + mean["get_root"] + mean["to_json"]
    print(f"session build, in-process, mean of {builds} (CPU ms, load average {os.getloadavg()[0]:.1f}): "
          f"server {server:.0f} ms = explorer {mean['explorer']:.0f} + get_root {mean['get_root']:.0f} + "
          f"to_json {mean['to_json']:.0f} (Bokeh's document check, skipped when served: {mean['validate']:.0f}); "
          f"client decoding {mean['client']:.0f} ms; {runs[0]['models']} Bokeh models")
    print("  most frequent models: " + ", ".join(f"{n} {k}" for k, n in runs[0]["types"].most_common(12)))
    return {**mean, "server": server, "models": runs[0]["models"]}


if __name__ == "__main__":
    run()
