"""Entry point for ``panel serve explorer/app.py`` (the dashboard arrives with the explorer issue)."""

import panel as pn

pn.pane.Markdown("# Sigmoid-rate explorer\nThe dashboard is being built.").servable()
