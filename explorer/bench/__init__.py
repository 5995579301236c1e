"""Measuring only: ``python -m explorer.bench`` and its parts; not in the wheel (pyproject ``packages``).

``harness.py`` holds what the benchmark and the browser tests share (Chromium, free ports).
"""
