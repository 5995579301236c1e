"""``python -m explorer [--procs N] [panel serve options]``: serve the dashboard and open it in a
browser; with ``--procs N``, N servers behind one address (``explorer/front.py``)."""

import pathlib
import sys

from explorer.front import parse_procs, serve, take_option

NUM_PROCS_REFUSED = (
    "--num-procs must be 1 for the explorer: with more, Tornado forks workers that share the "
    "port, a page whose websocket lands on another worker gets its session rebuilt there, and "
    "stopping the main process left the workers serving. Use --procs N instead: N servers, each "
    "student's page kept on one of them (README, 'Running a class')."
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
    options = sys.argv[1:]
    try:
        if num_procs(options) not in (None, 1):
            sys.exit(NUM_PROCS_REFUSED)
        text, options = take_option(options, "--procs")
        procs = parse_procs(text)
    except ValueError as err:
        sys.exit(str(err))
    if procs > 1:
        try:
            sys.exit(serve(procs, ["--show", *options]))
        except ValueError as err:  # a port taken or out of range: said before anything starts
            sys.exit(str(err))
    import panel.command

    app = pathlib.Path(__file__).with_name("app.py")
    sys.argv = ["panel", "serve", str(app), "--show", *options]
    panel.command.main()


if __name__ == "__main__":
    main()
