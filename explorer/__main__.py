"""``python -m explorer [panel serve options]``: serve the dashboard and open it in a browser."""

import pathlib
import sys

NUM_PROCS_REFUSED = (
    "--num-procs must be 1 for the explorer: with more, Tornado forks workers that share the "
    "port, a page whose websocket lands on another worker gets its session rebuilt there, each "
    "worker loads JAX again (~360 MB), and stopping the main process leaves the workers serving. "
    "One process already uses every core: simulations run in threads (explorer/workers.py)."
)


def num_procs(argv: list[str]) -> int | None:
    """The value of ``--num-procs`` in ``argv`` (``--num-procs N`` or ``--num-procs=N``), or None.

    **Arguments:** `argv`: ``panel serve`` options.

    **Returns:** the number, or None when the option is absent. Raises ``ValueError`` when the
    value is not a whole number.
    """
    for k, arg in enumerate(argv):
        if arg == "--num-procs" or arg.startswith("--num-procs="):
            text = arg.partition("=")[2] if "=" in arg else (argv[k + 1] if k + 1 < len(argv) else "")
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"--num-procs must be a whole number, got {text!r}") from None
    return None


def main() -> None:
    import panel.command

    options = sys.argv[1:]
    procs = num_procs(options)
    if procs is not None and procs != 1:
        sys.exit(NUM_PROCS_REFUSED)
    app = pathlib.Path(__file__).with_name("app.py")
    sys.argv = ["panel", "serve", str(app), "--show", *options]
    panel.command.main()


if __name__ == "__main__":
    main()
