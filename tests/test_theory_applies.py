"""Whether the closed-form theory applies is asked of the model (``theory.applies``), and the
explorer follows it: no page crashes on a run that did not compute its noiseless trace."""

import numpy as np
import pytest

import model
from explorer.app import Explorer
from explorer.frame import FrameMaker
from explorer.state import ExplorerState
from model import theory

P = dict(tau=5.0, lambda_=1.0, mu=0.7, sigma=0.3, g=1.5, beta=2.0, theta=0.4)
NETS = {  # name -> (network, does theory apply)
    "plain": (model.Network(model.Params(**P)), True),
    "rectified": (model.Network(model.Params(**P, rectify_output=True)), False),
    "autapse": (model.Network(model.Params(**P), w_delayed=[[0.5]], delay_steps=2), False),
    "instantaneous": (model.Network(model.Params(**P), w_inst=[[0.5]]), False),
    "transformer": (model.Network(model.Params(**P), transformer=True), False),
}


@pytest.mark.parametrize("name", list(NETS))
def test_applies_exactly_where_the_run_computes_its_noiseless_mean(name):
    net, expected = NETS[name]
    assert theory.applies(net) is expected
    xi = model.FrozenNoise.draw(3, n_trials=4, n_steps=50)
    res = model.simulate(net, 5.0, 0.1, (), 4, xi=xi)
    assert (res.noiseless is not None) is expected
    if expected:  # no input, constant drive: the closed-form mean from y[0] = 0
        n = np.arange(1, 51)
        np.testing.assert_allclose(np.asarray(res.noiseless)[:, 0],
                                   np.asarray(theory.mean_at(net.params, 0.1, n)), rtol=1e-10, atol=1e-12)


def test_simulate_asks_the_one_predicate(monkeypatch):
    """simulate takes its noiseless (linear) path where theory.applies says so, not by a condition
    of its own: told that the theory does not apply, a plain unit gets no noiseless trace."""
    net = NETS["plain"][0]
    asked = []
    monkeypatch.setattr(theory, "applies", lambda n: asked.append(n) or False)
    res = model.simulate(net, 5.0, 0.1, (), 4, xi=model.FrozenNoise.draw(3, n_trials=4, n_steps=50))
    assert asked == [net] and res.noiseless is None


class TransformerState(ExplorerState):
    """Settings with no autapse and no rectification whose network theory does not cover
    (the frame used to re-derive the condition from those two settings and index ``None``)."""

    def to_network(self):
        return model.Network(self.to_params(), transformer=True)


def test_frame_hides_the_band_where_the_model_says_theory_does_not_apply():
    state = TransformerState(duration=20.0)
    frame = FrameMaker().make(state)
    assert frame.theory_mean is None and frame.theory_sd is None
    assert "Theory band hidden" in frame.theory_note
    plain = FrameMaker().make(ExplorerState(duration=20.0))
    assert plain.theory_mean is not None and plain.theory_mean.shape == (200,)


def test_frame_noise_is_the_results_recordable_noise():
    state = ExplorerState(duration=20.0, n_trials=5, sigma=0.3)
    frame = FrameMaker().make(state)
    xi = model.draw_xi(state.seed, n_trials=5, n_steps=200, n_units=1)
    np.testing.assert_allclose(frame.noise, 0.3 * np.asarray(xi)[:3, :, 0], rtol=1e-6)


def test_state_counts_steps_by_the_models_rule():
    state = ExplorerState(duration=15.03, dt=0.1)  # not on the grid: the nearest step
    assert state.n_steps == 150 == model.n_steps_for(state.t_sim(), 0.1)
    assert ExplorerState(duration=10.0, dt=1.0).n_steps == 10


def test_an_unexpected_failure_is_shown_not_raised(monkeypatch):
    app = Explorer()
    monkeypatch.setattr(app.frames, "make", lambda state: (_ for _ in ()).throw(RuntimeError("boom")))
    app.refresh()
    assert app.message.visible and "the simulation failed (RuntimeError)" in app.message.object
