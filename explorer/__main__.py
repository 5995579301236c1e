"""``python -m explorer [panel serve options]``: serve the dashboard and open it in a browser."""

import pathlib
import sys


def main() -> None:
    import panel.command

    app = pathlib.Path(__file__).with_name("app.py")
    sys.argv = ["panel", "serve", str(app), "--show", *sys.argv[1:]]
    panel.command.main()


if __name__ == "__main__":
    main()
