"""Optional test dependencies: skipped locally without them, a failure in CI (never a skip there).

A plain module, so test files import it (``conftest.py`` is pytest's to load, not theirs).
"""

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(module_name: str, why: str):
    """Import an optional test dependency; skip locally without it, fail in CI (never skip there).

    **Arguments:** `module_name`: the module to import; `why`: which tests need it (shown in the message).

    **Returns:** the imported module.
    """
    try:
        return __import__(module_name)
    except ImportError as err:
        if IN_CI:
            pytest.fail(f"{module_name} is required in CI ({why}): {err}")
        pytest.skip(f"{module_name} not installed ({why})")
