"""Measuring only: ``python -m model.bench`` (``__main__.py``); not in the wheel (pyproject ``packages``)."""
