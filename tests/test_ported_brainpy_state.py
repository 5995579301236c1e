"""Ports of brainpy.state's tests of ``sigmoid_rate_ipn`` and the rate-neuron core, to ``model``.

Sources (repository chaobrain/brainpy.state):

* brainpy_state/_nest/sigmoid_rate_test.py: NEST defaults; tau / lambda / sigma /
  rectify_rate validation; one neuron stepped through hand-given instantaneous and delayed
  events (NEST's update order, with mult_coupling, per-event gain and rectification) against
  the update written out by hand; mult_coupling a no-op without linear summation; a
  deterministic trace from a negative initial rate and a driven unit in both summation modes,
  each against NEST.
  Added: SetStatus all-or-nothing per node (NEST and ``Params``), and NEST's partial set
  across a node collection, which the model refuses whole.
* brainpy_state/_nest/_validation/rate_core_edge_cases_test.py: lambda = 0, alone and mixed
  with lambda > 0 in one population; rectify_output under a strong negative drive; tau <= 0.
* brainpy_state/_nest/_validation/rate_delayed_connection_parity_test.py: a driver -> driven
  pair; the delayed trace is the instantaneous one shifted by exactly d steps (d = 1, 3, 10;
  here from the no-input fixed point, see test_ported_nest_rate_instantaneous_and_delayed.py),
  the fixed point does not depend on d, and NEST's trace (its script: kernel defaults, so
  min_delay = the delay) for d = 1, 5.
* brainpy_state/_nest/_validation/rate_network_parity_test.py: recurrent instantaneous
  networks (a mutual pair, a mixed-sign three-unit loop, a zero-coupling control) relax to
  the closed-form coupled fixed point (here r = mu + phi(C r), solved in the test), which
  differs from a one-pass feed-forward estimate; and NEST's traces (its script: use_wfr off).
* brainpy_state/_nest/_validation/rate_mult_coupling_parity_test.py: an excitatory and an
  inhibitory driver into a mult_coupling unit reach the closed-form fixed point (for sigmoid,
  H = 1: r = mu + phi(sum of w >= 0 inputs) + phi(sum of w < 0 inputs)); each channel alone
  moves the unit its way; the sign of the weight routes the channel; NEST's trace (use_wfr
  off). Its "homogeneity guard" (brainpy refuses linear_summation=False between units with
  different gains or summation modes) is not NEST's behaviour: NEST accepts such
  connections and applies the receiver's gain per event, so the port checks that instead.
* brainpy_state/_nest/_validation/rate_generator_source_test.py: a ``step_rate_generator``
  (10 then 30 from 80 ms) driving a unit through ``rate_connection_delayed`` at delay dt:
  each plateau settles (here at phi(w * value): the original's lin_rate settles at
  w * value), the step moves it up, weight 0 leaves it undriven; and NEST's trace, with the
  generator created before its target (as the original) and after it.

Where the original uses ``lin_rate_ipn`` as a driver, a ``sigmoid_rate_ipn`` held at the
same rate stands in (mu = drive - phi(0)). NEST comparisons are sample by sample, 1e-12.
"""

import math

import numpy as np
import pytest

import model
from tests.nest_runner import NestSetup, run_nest
from tests.test_nest_edges import run_model

TOL = 1e-12


def sig(h, g=1.0, beta=1.0, theta=0.0):
    return g / (1.0 + math.exp(-beta * (h - theta)))


# --- sigmoid_rate_test.py ------------------------------------------------------------------

def test_nest_default_parameters(nest):
    nest.ResetKernel()
    defaults = nest.GetDefaults("sigmoid_rate_ipn")
    assert model.Params.from_nest(defaults) == model.Params()
    assert (defaults["sigma"], defaults["tau"], defaults["lambda"]) == (1.0, 10.0, 1.0)
    assert set(defaults["recordables"]) == {"rate", "noise"}


@pytest.mark.parametrize("field,value,message", [
    ("tau", 0.0, "Time constant must be > 0."), ("lambda_", -1e-3, "Passive decay rate must be >= 0."),
    ("sigma", -1e-3, "Noise parameter must not be negative."),
    ("rectify_rate", -1e-3, "Rectifying rate must not be negative.")])
def test_parameter_validation(nest, field, value, message):
    with pytest.raises(ValueError, match=field.rstrip("_")) as err:
        model.Params(**{field: value})
    assert message in str(err.value)
    nest.ResetKernel()
    node = nest.Create("sigmoid_rate_ipn")
    with pytest.raises(Exception, match=message):
        node.set({"lambda" if field == "lambda_" else field: value})


def test_setstatus_is_all_or_nothing_per_node(nest):
    """NEST keeps every parameter of a node when one is refused; so does ``Params``. Across a
    node collection NEST is not all-or-nothing (nodes before the bad one keep the new value);
    the model refuses the whole per-unit set, as this project's rule says."""
    nest.ResetKernel()
    nodes = nest.Create("sigmoid_rate_ipn", 2)
    with pytest.raises(Exception, match="Noise parameter must not be negative"):
        nodes[0].set({"tau": 2.0, "sigma": -1.0})
    assert nodes[0].get("tau") == 10.0 and nodes[0].get("sigma") == 1.0
    with pytest.raises(ValueError, match="sigma"):
        model.Params(tau=2.0, sigma=-1.0)
    with pytest.raises(Exception, match="Noise parameter must not be negative"):
        nodes.set(sigma=[0.5, -1.0])
    assert nodes.get("sigma") == (0.5, 1.0)  # NEST: partial
    with pytest.raises(ValueError, match="sigma"):
        model.Params(sigma=[0.5, -1.0])  # model: nothing


def test_step_equations_with_given_events():
    """The original's six steps of events, through ``ExternalInput``s, against NEST's update
    order written out (../shared/nest-semantics.md): per-event gain w * phi(r), events sorted
    by the sign of w, delayed events queued d steps, rectification after the update."""
    p = dict(tau=5.0, lambda_=1.3, sigma=0.6, mu=0.8, g=1.7, beta=2.2, theta=0.2, mult_coupling=True,
             linear_summation=False, rectify_output=True, rectify_rate=0.28)  # original 0.05: never hit
    rate0, dt = 0.3, 0.1
    xi = [0.2, -1.0, 0.4, -0.3, 1.1, 0.0]
    instant = [[(1.0, 0.7), (0.5, -0.4)], [(0.2, 0.1)], [(1.5, -0.2)], [], [(0.9, 0.3), (-1.1, -0.2)], []]
    delayed = [[(1.2, 0.5, 2)], [(0.8, -0.3, 1)], [], [(1.0, 0.2, 0)], [], []]
    n = len(xi)
    # the reference, step by step
    P1 = math.exp(-p["lambda_"] * dt / p["tau"])
    P2 = -math.expm1(-p["lambda_"] * dt / p["tau"]) / p["lambda_"]
    nf = math.sqrt(-0.5 * math.expm1(-2 * p["lambda_"] * dt / p["tau"]) / p["lambda_"])
    phi = lambda r: sig(r, p["g"], p["beta"], p["theta"])  # noqa: E731
    queue = {}
    for k in range(n):
        for r, w, d in delayed[k]:
            queue.setdefault(k + d, []).append((r, w))
    ref, y = [], rate0
    for k in range(n):
        events = instant[k] + queue.get(k, [])
        ex = sum(w * phi(r) for r, w in events if w >= 0)
        inh = sum(w * phi(r) for r, w in events if w < 0)
        y = P1 * y + P2 * p["mu"] + nf * p["sigma"] * xi[k]
        y += P2 * ex
        y += P2 * inh
        y = max(y, p["rectify_rate"])
        ref.append(y)
    # the model: each event one ExternalInput emitting once
    inputs = []
    for k in range(n):
        for r, w, d in [(r, w, 0) for r, w in instant[k]] + delayed[k]:
            rate = np.zeros(n)
            rate[k] = r
            inputs.append(model.ExternalInput(rate, weight=w, delay_steps=d, emits=np.arange(n) == k))
    net = model.Network(model.Params(**p), initial_rate=rate0)
    res = model.simulate(net, n * dt, dt, tuple(inputs), key=None, xi=np.asarray(xi)[None, :, None])
    np.testing.assert_allclose(np.asarray(res.rate[0, :, 0]), ref, rtol=0, atol=TOL)
    np.testing.assert_allclose(np.asarray(res.noise[0, :, 0]), p["sigma"] * np.asarray(xi), rtol=0, atol=TOL)
    assert min(ref) == p["rectify_rate"] and max(ref) > p["rectify_rate"]  # the floor is hit


def test_mult_coupling_is_a_no_op_without_linear_summation(nest):
    base = {"tau": 5.0, "lambda": 1.1, "sigma": 0.0, "mu": 0.2, "g": 1.4, "beta": 1.8, "theta": 0.1,
            "linear_summation": False}
    driver = {"mu": 0.8 - 0.5, "sigma": 0.0}  # held at 0.8
    units = [driver, dict(base, mult_coupling=False), dict(base, mult_coupling=True)]
    s = NestSetup(units=units, t_sim=3.2, initial_rates=[0.8, 0.0, 0.0],
                  instantaneous=[(0, 1, 0.5), (0, 2, 0.5)])
    _, rate, noise = run_nest(nest, s)
    ours = run_model(s, noise)
    assert np.abs(ours - rate).max() <= TOL
    np.testing.assert_array_equal(ours[:, 1], ours[:, 2])
    np.testing.assert_array_equal(rate[:, 1], rate[:, 2])
    # With linear summation it is not a no-op (the empty inhibitory channel adds phi(0)).
    on = dict(units[2], linear_summation=True)
    s2 = NestSetup(units=[driver, dict(on, mult_coupling=False), on], t_sim=3.2,
                   initial_rates=[0.8, 0.0, 0.0], instantaneous=[(0, 1, 0.5), (0, 2, 0.5)])
    _, rate2, noise2 = run_nest(nest, s2)
    assert np.abs(run_model(s2, noise2) - rate2).max() <= TOL
    assert np.abs(rate2[:, 1] - rate2[:, 2]).max() > 1e-3


def test_deterministic_trace_from_a_negative_rate(nest):
    unit = {"tau": 5.0, "lambda": 1.2, "sigma": 0.0, "mu": 1.5, "g": 1.7, "beta": 2.3, "theta": 0.2}
    s = NestSetup(units=[unit], t_sim=20.0, initial_rates=[-0.3])
    _, rate, noise = run_nest(nest, s)
    assert np.abs(run_model(s, noise) - rate).max() <= TOL
    assert np.all(noise == 0.0)
    # no input: y_n = y* + (y_0 - y*) P1^n, y* = (mu + phi(0)) / lambda, P1 = exp(-lambda h / tau)
    fixed = (1.5 + sig(0.0, 1.7, 2.3, 0.2)) / 1.2
    theory = fixed + (-0.3 - fixed) * np.exp(-1.2 * 0.1 / 5.0) ** np.arange(1, 201)
    np.testing.assert_allclose(rate[:, 0], theory, rtol=1e-12)


@pytest.mark.parametrize("linear_summation", [True, False])
def test_linear_summation_modes(nest, linear_summation):
    drive, weight = 1.5, 0.5
    target = {"tau": 5.0, "lambda": 1.0, "mu": 0.0, "sigma": 0.0, "g": 1.8, "beta": 2.0, "theta": 0.2}
    units = [{"mu": drive - 0.5, "sigma": 0.0}, dict(target, linear_summation=linear_summation)]
    s = NestSetup(units=units, t_sim=30.0, initial_rates=[drive, 0.0], instantaneous=[(0, 1, weight)])
    _, rate, noise = run_nest(nest, s)
    assert np.abs(run_model(s, noise) - rate).max() <= TOL
    # the closed-form end point (30 ms = 6 tau: within e^-6 of it)
    settle = sig(weight * drive, 1.8, 2.0, 0.2) if linear_summation else weight * sig(drive, 1.8, 2.0, 0.2)
    assert np.isclose(rate[-1, 1], settle, rtol=5e-3)
    assert abs(sig(weight * drive, 1.8, 2.0, 0.2) - weight * sig(drive, 1.8, 2.0, 0.2)) > 0.1


# --- rate_core_edge_cases_test.py ------------------------------------------------------------

def test_zero_lambda_alone_and_mixed_in_one_population(nest):
    units = [{"lambda": 0.0, "sigma": 0.3, "mu": 1.0}, {"lambda": 1.0, "sigma": 0.3, "mu": 1.0},
             {"lambda": 0.0, "sigma": 0.0, "mu": 1.0}]
    s = NestSetup(units=units, t_sim=5.0, instantaneous=[(1, 0, 0.4)], delayed=[(0, 1, -0.2, 0.3)])
    _, rate, noise = run_nest(nest, s)
    ours = run_model(s, noise)
    assert np.all(np.isfinite(ours)) and np.abs(ours - rate).max() <= TOL
    # lambda = 0, no input: Euler, y_n = n (h / tau) (mu + phi(0))
    n = np.arange(1, 51)
    np.testing.assert_allclose(rate[:, 2], n * 0.01 * 1.5, rtol=1e-12)


def test_rectify_output_under_strong_negative_drive(nest):
    s = NestSetup(units=[{"mu": -5.0, "sigma": 0.5, "rectify_output": True}], t_sim=5.0)
    _, rate, noise = run_nest(nest, s)
    ours = run_model(s, noise)
    assert np.abs(ours - rate).max() <= TOL
    assert ours.min() >= 0.0 and np.mean(ours == 0.0) > 0.5  # the noise lifts it at times


# --- rate_generator_source_test.py ------------------------------------------------------------

GEN_TIMES, GEN_VALUES, GEN_T, GEN_DT, GEN_W = [5.0, 80.0], [10.0, 30.0], 180.0, 0.1, 0.5


def nest_generator_driven(nest, w, first=True):
    """The original's NEST script, with sigmoid_rate_ipn: use_wfr off, kernel's own min_delay;
    ``first``: the generator created before its target (as the original) or after it."""
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": GEN_DT, "use_wfr": False})
    make = lambda: nest.Create("step_rate_generator", params={"amplitude_times": GEN_TIMES,  # noqa: E731
                                                              "amplitude_values": GEN_VALUES})
    gen = make() if first else None
    post = nest.Create("sigmoid_rate_ipn", params={"tau": 10.0, "sigma": 0.0})
    gen = gen if first else make()
    nest.Connect(gen, post, syn_spec={"synapse_model": "rate_connection_delayed", "weight": w, "delay": GEN_DT})
    mm = nest.Create("multimeter", params={"record_from": ["rate"], "interval": GEN_DT})
    nest.Connect(mm, post)
    nest.Simulate(GEN_T)
    delays = nest.GetKernelStatus("min_delay"), nest.GetKernelStatus("max_delay")
    ev = mm.events
    return np.asarray(ev["rate"])[np.argsort(ev["times"], kind="stable")], delays


def model_generator_driven(w, delays, first=True):
    n = model.n_steps_for(GEN_T, GEN_DT)
    min_d, max_d = (model.n_steps_for(d, GEN_DT) for d in delays)
    inp = model.ExternalInput.step_rate_generator(GEN_TIMES, GEN_VALUES, dt=GEN_DT, n_steps=n, weight=w,
                                                  delay=GEN_DT, min_delay_steps=min_d, max_delay_steps=max_d,
                                                  created_before_target=first)
    net = model.Network(model.Params(tau=10.0, sigma=0.0))
    return np.asarray(model.simulate(net, GEN_T, GEN_DT, (inp,), key=None, xi=np.zeros((1, n, 1))).rate[0, :, 0])


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("w", [GEN_W, 0.0])
def test_step_rate_generator_source(nest, w, first):
    ref, delays = nest_generator_driven(nest, w, first)
    ours = model_generator_driven(w, delays, first)
    k = len(ref)
    assert k >= len(ours) - 1
    assert np.abs(ours[:k] - ref).max() <= TOL
    i1, i2 = int(79.0 / GEN_DT), len(ours) - 1
    for r in (ours, ref):
        if w:
            assert np.isclose(r[i1], sig(w * GEN_VALUES[0]), atol=5e-3)
            assert np.isclose(r[i2 if r is ours else k - 1], sig(w * GEN_VALUES[1]), atol=5e-3)
        else:  # undriven: phi(0) is added every step, the rate goes to phi(0) = 0.5
            np.testing.assert_allclose(r, 0.5 * (1 - np.exp(-0.01) ** np.arange(1, len(r) + 1)), rtol=1e-12)


# --- rate_delayed_connection_parity_test.py -----------------------------------------------------

PAIR_DT, PAIR_T, MU0, PAIR_W = 0.1, 300.0, 2.0, 0.5


def model_pair(d, start):
    conn = model.Connection(0, 1, PAIR_W) if d == 0 else model.Connection(0, 1, PAIR_W, delay_steps=d)
    net = model.Network(model.Params(mu=[MU0, 0.0], sigma=0.0), 2, connections=[conn], initial_rate=[0.0, start],
                        history_steps=None if d == 0 else 10)  # one compiled shape for every delay
    n = model.n_steps_for(PAIR_T, PAIR_DT)
    return np.asarray(model.simulate(net, PAIR_T, PAIR_DT, key=None, xi=np.zeros((1, n, 2))).rate[0, :, 1])


def nest_pair(nest, d):
    """The original's NEST script with sigmoid_rate_ipn: kernel defaults (use_wfr on, min_delay
    from the one connection, so d steps), multimeter events of one Simulate."""
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": PAIR_DT})
    driver = nest.Create("sigmoid_rate_ipn", params={"mu": MU0, "sigma": 0.0})
    driven = nest.Create("sigmoid_rate_ipn", params={"sigma": 0.0})
    nest.Connect(driver, driven, syn_spec={"synapse_model": "rate_connection_delayed", "weight": PAIR_W,
                                           "delay": d * PAIR_DT})
    mm = nest.Create("multimeter", params={"record_from": ["rate"], "interval": PAIR_DT})
    nest.Connect(mm, driven)
    nest.Simulate(PAIR_T)
    ev = mm.events
    return np.asarray(ev["rate"])[np.argsort(ev["times"], kind="stable")]


def test_delay_shifts_the_trajectory_by_exactly_delay_steps():
    inst = model_pair(0, 0.5)  # 0.5 = phi(0): where no input keeps the driven unit
    for d in (1, 3, 10):
        np.testing.assert_allclose(model_pair(d, 0.5)[d:], inst[:-d], rtol=0, atol=TOL)
    # from rest (the original's start) the first d steps differ, so the shift is not exact
    assert np.abs(model_pair(3, 0.0)[3:] - model_pair(0, 0.0)[:-3]).max() > 1e-3


def test_delay_preserves_the_fixed_point():
    fixed = 0.0 + sig(PAIR_W * (MU0 + 0.5))  # driven: mu1 + phi(w * driver's (mu0 + phi(0)))
    for d in (0, 1, 10):
        assert np.isclose(model_pair(d, 0.0)[-1], fixed, atol=1e-4)


@pytest.mark.parametrize("d", [1, 5])
def test_delayed_trajectory_matches_nest(nest, d):
    ref = nest_pair(nest, d)
    ours = model_pair(d, 0.0)
    k = len(ref)
    assert k >= len(ours) - d
    assert np.abs(ours[:k] - ref).max() <= TOL
    assert ref.max() > 0.5 + 0.1  # the driver lifts it above phi(0)


# --- rate_network_parity_test.py ------------------------------------------------------------

NETS = {
    "mutual_2": (np.array([[0.0, 0.5], [0.4, 0.0]]), np.array([2.0, -1.0])),
    "feedback_3_mixed_sign": (np.array([[0.0, 0.3, -0.2], [0.1, 0.0, 0.25], [-0.15, 0.2, 0.0]]),
                              np.array([2.0, -1.0, 0.5])),
    "zero_coupling_control": (np.zeros((2, 2)), np.array([1.5, -0.5])),
}
NET_T, NET_DT = 200.0, 0.1


def coupled_fixed_point(C, mu):
    """r = mu + phi(C r) (lambda = 1, g = beta = 1, theta = 0), by iteration: a contraction,
    phi' <= 1/4."""
    r = np.array(mu, float)
    for _ in range(500):
        r = mu + 1.0 / (1.0 + np.exp(-(C @ r)))
    return r


def model_network(C, mu):
    n = len(mu)
    conns = [model.Connection(j, i, C[i, j]) for i in range(n) for j in range(n) if i != j and C[i, j]]
    net = model.Network(model.Params(mu=mu, sigma=0.0), n, connections=conns or None)
    steps = model.n_steps_for(NET_T, NET_DT)
    return np.asarray(model.simulate(net, NET_T, NET_DT, key=None, xi=np.zeros((1, steps, n))).rate[0])


def nest_network(nest, C, mu):
    """The original's NEST script with sigmoid_rate_ipn (use_wfr off)."""
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": NET_DT, "use_wfr": False})
    n = len(mu)
    cells = [nest.Create("sigmoid_rate_ipn", params={"mu": float(mu[i]), "sigma": 0.0}) for i in range(n)]
    for i in range(n):
        for j in range(n):
            if i != j and C[i, j]:
                nest.Connect(cells[j], cells[i], syn_spec={"synapse_model": "rate_connection_instantaneous",
                                                           "weight": float(C[i, j])})
    mm = nest.Create("multimeter", params={"record_from": ["rate"], "interval": NET_DT})
    for c in cells:
        nest.Connect(mm, c)
    nest.Simulate(NET_T)
    ev = mm.events
    senders, times, rate = (np.asarray(ev[k]) for k in ("senders", "times", "rate"))
    cols = []
    for c in cells:
        m = senders == c.tolist()[0]
        cols.append(rate[m][np.argsort(times[m], kind="stable")])
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("label", list(NETS))
def test_networks_reach_the_coupled_fixed_point(nest, label):
    C, mu = NETS[label]
    rstar = coupled_fixed_point(C, mu)
    ours = model_network(C, mu)
    np.testing.assert_allclose(ours[-1], rstar, atol=1e-6)
    if label == "zero_coupling_control":
        np.testing.assert_allclose(rstar, mu + 0.5, rtol=1e-15)  # each unit alone: mu + phi(0)
        return
    one_pass = mu + 1.0 / (1.0 + np.exp(-(C @ (mu + 0.5))))  # ignores the loop's back-action
    assert np.abs(rstar - one_pass).max() > 1e-3
    ref = nest_network(nest, C, mu)
    k = len(ref)
    assert k >= len(ours) - 1
    assert np.abs(ours[:k] - ref).max() <= TOL
    np.testing.assert_allclose(ref[-1], rstar, atol=1e-6)


# --- rate_mult_coupling_parity_test.py -------------------------------------------------------

MC_MU_POST, MC_MU_EX, MC_MU_IN, MC_W_EX, MC_W_IN, MC_T = 1.0, 2.0, 1.5, 0.5, -0.4, 100.0


def mc_setup(w_ex, w_in, mu_ex=MC_MU_EX, mu_in=MC_MU_IN):
    drivers = [{"mu": mu_ex - 0.5, "sigma": 0.0}, {"mu": mu_in - 0.5, "sigma": 0.0}]  # held at mu_ex, mu_in
    post = {"mu": MC_MU_POST, "sigma": 0.0, "mult_coupling": True}
    return NestSetup(units=drivers + [post], t_sim=MC_T, initial_rates=[mu_ex, mu_in, 0.0],
                     instantaneous=[(0, 2, w_ex), (1, 2, w_in)])


def mc_fixed_point(w_ex, w_in, mu_ex=MC_MU_EX, mu_in=MC_MU_IN):
    ex = sum(w * r for w, r in ((w_ex, mu_ex), (w_in, mu_in)) if w >= 0)  # w = 0 counts as ex
    inh = sum(w * r for w, r in ((w_ex, mu_ex), (w_in, mu_in)) if w < 0)
    return MC_MU_POST + sig(ex) + sig(inh)


def mc_model(setup):
    return run_model(setup, np.zeros((model.n_steps_for(setup.t_sim, setup.dt), 3)))[:, 2]


def test_mult_coupling_reaches_the_closed_form_fixed_point(nest):
    s = mc_setup(MC_W_EX, MC_W_IN)
    _, rate, noise = run_nest(nest, s)
    assert np.abs(run_model(s, noise) - rate).max() <= TOL
    for r in (rate[:, 2], mc_model(s)):
        assert np.isclose(r[-1], mc_fixed_point(MC_W_EX, MC_W_IN), atol=1e-4)
    # not the additive-coupling value mu + phi(ex + in)
    assert abs(mc_fixed_point(MC_W_EX, MC_W_IN) - (MC_MU_POST + sig(MC_W_EX * MC_MU_EX + MC_W_IN * MC_MU_IN))) > 0.1


def test_mult_coupling_channels_move_the_unit_oppositely():
    both_empty = mc_fixed_point(0.0, -0.0)  # -0.0 >= 0: both in the ex channel, in channel empty
    ex_only, in_only = mc_model(mc_setup(MC_W_EX, 0.0))[-1], mc_model(mc_setup(0.0, MC_W_IN))[-1]
    assert np.isclose(ex_only, mc_fixed_point(MC_W_EX, 0.0), atol=1e-4)
    assert np.isclose(in_only, mc_fixed_point(0.0, MC_W_IN), atol=1e-4)
    assert ex_only > both_empty + 1e-3 and in_only < both_empty - 1e-3


def test_mult_coupling_sign_routes_the_channel():
    pos = mc_model(mc_setup(0.5, 0.0, mu_ex=2.0))[-1]
    neg = mc_model(mc_setup(0.0, -0.5, mu_in=2.0))[-1]
    assert np.isclose(pos, mc_fixed_point(0.5, 0.0, mu_ex=2.0), atol=1e-4)
    assert np.isclose(neg, mc_fixed_point(0.0, -0.5, mu_in=2.0), atol=1e-4)
    assert abs(pos - neg) > 1e-3


def test_per_event_gain_is_the_receivers_even_between_different_units(nest):
    """brainpy refuses these connections; NEST takes them and applies the receiver's gain."""
    units = [{"mu": 1.0, "sigma": 0.1, "g": 1.0, "linear_summation": False},
             {"sigma": 0.1, "g": 2.0, "beta": 3.0, "theta": 0.4, "linear_summation": False},  # other gain
             {"sigma": 0.1, "g": 0.7, "linear_summation": True}]  # other summation mode
    s = NestSetup(units=units, t_sim=20.0, instantaneous=[(0, 1, 0.8), (1, 2, -0.6), (2, 0, 0.5)],
                  delayed=[(0, 2, 0.9, 0.4), (2, 1, 1.1, 0.3)])
    _, rate, noise = run_nest(nest, s)
    assert np.abs(run_model(s, noise) - rate).max() <= TOL
    assert np.ptp(rate) > 0.1
