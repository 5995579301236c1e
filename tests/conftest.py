import jax
import pytest

from tests.optional import require

# Exactness tests compare with NEST at 1e-12: run the whole suite in float64.
jax.config.update("jax_enable_x64", True)


@pytest.fixture(scope="session")
def nest():
    return require("nest", "NEST parity tests")
