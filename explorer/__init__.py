"""The sigmoid-rate explorer: a Panel dashboard over ``model``.

In a notebook: ``import explorer; explorer.Explorer()`` as a cell's last line shows the dashboard
(``pn.extension()`` first); ``.servable()`` marks it for ``panel serve``.
"""


def __getattr__(name):
    # Lazy: ``panel serve explorer/app.py`` runs app.py as a script, and importing it here as a
    # module as well would build a second page in every served session.
    if name == "Explorer":
        from .app import Explorer

        return Explorer
    raise AttributeError(f"module 'explorer' has no attribute {name!r}")
