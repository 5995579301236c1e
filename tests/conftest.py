import os

import jax
import pytest

# Exactness tests compare with NEST at 1e-12: run the whole suite in float64.
jax.config.update("jax_enable_x64", True)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(module_name: str, why: str):
    """Import an optional test dependency; skip locally without it, fail in CI (never skip there)."""
    try:
        return __import__(module_name)
    except ImportError as err:
        if IN_CI:
            pytest.fail(f"{module_name} is required in CI ({why}): {err}")
        pytest.skip(f"{module_name} not installed ({why})")


@pytest.fixture(scope="session")
def nest():
    return require("nest", "NEST parity tests")
