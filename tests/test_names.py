"""One name per thing: ``xi`` are the standard-normal draws, ``noise`` is ``sigma * xi``. The
names they had before (``draws``, ``draws_mean``, ``draws_time_major``) still answer, with a
DeprecationWarning, and give the same arrays."""

import numpy as np
import pytest

import model


def test_frozen_noise_old_names_warn_and_agree():
    noise = model.FrozenNoise.draw(1, n_trials=3, n_steps=20, n_units=2)
    assert noise.time_major.shape == (20, 3, 2) and noise.xi.shape == (3, 20, 2)
    with pytest.warns(DeprecationWarning, match="time_major"):
        old = noise.draws
    assert old is noise.time_major
    with pytest.warns(DeprecationWarning, match="xi_mean"):
        old_mean = noise.draws_mean
    np.testing.assert_array_equal(old_mean, noise.xi_mean)
    np.testing.assert_allclose(noise.xi_mean, np.mean(np.asarray(noise.xi), axis=0), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("frozen", [True, False])
def test_result_old_names_warn_and_agree(frozen):
    xi = model.draw_xi(2, n_trials=3, n_steps=20, n_units=1)
    res = model.simulate(model.Params(sigma=0.5), 2.0, 0.1, n_trials=3,
                         xi=model.FrozenNoise.from_xi(xi) if frozen else xi)
    np.testing.assert_array_equal(res.xi, xi)
    np.testing.assert_allclose(res.noise, 0.5 * np.asarray(xi), rtol=1e-6)
    with pytest.warns(DeprecationWarning):
        stored = res.draws
    with pytest.warns(DeprecationWarning):
        time_major = res.draws_time_major
    assert time_major is frozen
    np.testing.assert_array_equal(np.swapaxes(stored, 0, 1) if time_major else stored, xi)
