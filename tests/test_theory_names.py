"""theory's names: ``phi`` (one name for the gain), and no ``dt`` where the result has none."""

import pytest

import model
from model import theory


def test_stationary_moments_take_no_dt_and_the_old_form_warns():
    p = model.Params(lambda_=2.0, sigma=0.6, mu=1.0, g=0.0)
    assert float(theory.stationary_variance(p)) == pytest.approx(0.6**2 / (2 * 2.0), rel=1e-12)
    assert float(theory.stationary_mean(p)) == pytest.approx(1.0 / 2.0, rel=1e-12)
    with pytest.warns(DeprecationWarning, match="dt is not used"):
        assert float(theory.stationary_variance(p, 0.1)) == pytest.approx(0.09, rel=1e-12)
    with pytest.warns(DeprecationWarning, match="dt is not used"):
        assert float(theory.stationary_mean(p, dt=0.1)) == pytest.approx(0.5, rel=1e-12)
    with pytest.raises(TypeError):
        theory.stationary_mean(p, 0.1, 0.2)


def test_one_name_for_the_gain():
    p = model.Params(g=2.0, beta=3.0, theta=0.5)
    assert float(theory.phi(0.7, p)) == float(model.phi(0.7, 2.0, 3.0, 0.5))
    assert not hasattr(theory, "transfer")
