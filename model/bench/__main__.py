"""``python -m model.bench``: compile and re-run times of the model, and NEST's in the same run.

For each workload (trials x steps at dt = 0.1 ms, or a dense recurrent network) it prints the
first call (trace + compile + run) and the median re-run after a parameter change:

* "cached": frozen noise, mu and g moved (a slider). Where the update is linear (no
  rectification, no coupling) this reuses the noise already filtered through the dynamics
  (``model/noise_response.py``): one noiseless trace and a multiply-add over the kept trials;
* "cached, tau moved": frozen noise, tau moved too, so the noise is filtered again (every trial);
* "drawn": noise drawn anew.

The autapse row runs every unit with a delayed connection onto itself (``model/delayed.py``).
Then a fresh-compile-per-run baseline (what an implementation that re-traces every run pays),
NEST 3.10's median re-run after the same change as "cached", and the ratio NEST / ours
(cached). Figures only; no assertion.

Last, a 200 x 200 regime map (model/regimes.py): first call and median re-run.

Options: --quick (skip the two biggest NEST runs), --no-nest, --reps N.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import statistics
import subprocess
import sys
import time

import jax
import numpy as np

import model

DT = 0.1


def _median_ms(run, reps, warm_up=2):
    for i in range(warm_up):  # first calls after other work run slower (caches, allocator)
        jax.block_until_ready(run(reps + i))
    times = []
    for i in range(reps):
        t0 = time.perf_counter()
        jax.block_until_ready(run(i))
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    trials: int
    steps: int
    units: int = 1
    recurrent: bool = False  # dense random weights between the units, one step of delay
    record: int | None = None  # trials recorded (None: all)
    big: bool = False  # skipped for NEST with --quick
    rectify: bool = False  # rectify_output at 0: the update is no longer linear
    autapse: bool = False  # each unit drives itself through a delayed connection (w 1, 1 ms)


WORKLOADS = [
    Workload("1 x 10k", 1, 10_000),
    Workload("100 x 10k", 100, 10_000),
    Workload("100 x 10k, rectified", 100, 10_000, rectify=True),
    Workload("10k x 10k (100 recorded)", 10_000, 10_000, record=100, big=True),
    Workload("1000-unit dense recurrent x 2k", 1, 2_000, units=1000, recurrent=True, big=True),
    Workload("1000 x 20k, autapse", 1000, 20_000, autapse=True),
]
AUTAPSE_DELAY_STEPS = 10  # 1 ms at dt = 0.1 ms
AUTAPSE_HISTORY_STEPS = 200  # the explorer's delay line (20 ms): the delay moves without recompiling


def _params(i, move_tau=False, rectify=False):
    return model.Params(mu=0.1 + 0.01 * i, sigma=0.5, tau=10.0 + (0.01 * i if move_tau else 0.0),
                        g=1.0 + 0.01 * i, rectify_output=rectify)


def bench_ours(work: Workload, reps):
    trials, steps, units, recurrent, record = work.trials, work.steps, work.units, work.recurrent, work.record
    rng = np.random.default_rng(0)
    w = rng.normal(0.0, 1.0 / np.sqrt(units), (units, units)) if recurrent else None

    def net(i, move_tau=False):
        params = _params(i, move_tau, work.rectify)
        if recurrent:
            return model.Network(params, n_units=units, w_delayed=w, delay_steps=1)
        if work.autapse:
            return model.Network(params, n_units=units, w_delayed=np.eye(units), delay_steps=AUTAPSE_DELAY_STEPS,
                                 history_steps=AUTAPSE_HISTORY_STEPS)
        return model.Network(params, n_units=units)

    xi = model.FrozenNoise.draw(0, n_trials=trials, n_steps=steps, n_units=units)
    t_sim = steps * DT

    def cached(i, move_tau=False):
        return model.simulate(net(i, move_tau), t_sim, DT, n_trials=trials, xi=xi, record_trials=record).rate

    def drawn(i):
        return model.simulate(net(i), t_sim, DT, n_trials=trials, key=i, record_trials=record).rate

    compiles = model.trace_count()
    t0 = time.perf_counter()
    jax.block_until_ready(cached(0))
    first = 1e3 * (time.perf_counter() - t0)
    jax.block_until_ready(drawn(0))
    traces_before = model.trace_count()
    out = {
        "first call (compile) ms": first,
        # Sub-millisecond runs on a shared machine: many repetitions for a stable median.
        "re-run, cached noise ms": _median_ms(lambda i: cached(i + 1), max(reps, 31)),
        "re-run, cached noise, tau moved ms": _median_ms(lambda i: cached(i + 1, move_tau=True), reps),
        "re-run, noise drawn ms": _median_ms(lambda i: drawn(i + 1), reps),
    }
    out["compiles during changes"] = model.trace_count() - traces_before
    del compiles
    return out


def bench_fresh_compile(trials, steps, reps):
    """What re-tracing per run costs (e.g. a jit built around each new parameter set)."""
    xi = model.FrozenNoise.draw(0, n_trials=trials, n_steps=steps)

    def run(i):
        jax.clear_caches()
        return model.simulate(_params(i), steps * DT, DT, n_trials=trials, xi=xi).rate

    return _median_ms(run, max(3, reps // 2))


def bench_nest_in_subprocess(index, reps):
    """NEST runs in its own process: once imported, its OpenMP threads keep a core busy."""
    out = subprocess.run([sys.executable, "-m", "model.bench", "--nest-workload", str(index),
                          "--reps", str(reps)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["nest_ms"]


def bench_nest(work: Workload, reps):
    import nest

    trials, steps, units, recurrent, record = work.trials, work.steps, work.units, work.recurrent, work.record
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.set(resolution=DT, local_num_threads=1)
    n = trials * units
    pop = nest.Create("sigmoid_rate_ipn", n, params={"mu": 0.1, "sigma": 0.5, "tau": 10.0,
                                                      "rectify_output": work.rectify})
    if recurrent:
        rng = np.random.default_rng(0)
        w = rng.normal(0.0, 1.0 / np.sqrt(units), (units, units))
        nest.Connect(pop, pop, "all_to_all",
                     {"synapse_model": "rate_connection_delayed", "weight": w, "delay": DT})
    if work.autapse:
        nest.Connect(pop, pop, "one_to_one", {"synapse_model": "rate_connection_delayed", "weight": 1.0,
                                              "delay": AUTAPSE_DELAY_STEPS * DT})
    mm = nest.Create("multimeter", params={"record_from": ["rate"], "interval": DT})
    nest.Connect(mm, pop[: min(n, record or n)])
    nest.Simulate(steps * DT)  # warm-up (first run allocates buffers)

    def run(i):
        pop.set(mu=0.1 + 0.01 * (i + 1), g=1.0 + 0.01 * (i + 1))
        nest.Simulate(steps * DT)

    return _median_ms(run, reps)


def bench_regime_map(reps, n=200):
    """A regime map of n x n cells (w_self x mu around the bistable switch): first call, median
    re-run with moved values and axes, and the recompiles those caused (0 expected)."""
    from model.fixed_points import setting
    from model.regimes import regime_map
    st = setting(model.Params(g=2.0, beta=6.0, theta=1.0), 1.0, 10, 0.0, 1.0, DT)
    xs, ys = np.linspace(-5, 5, n), np.linspace(-5, 5, n)
    t0 = time.perf_counter()
    jax.block_until_ready(regime_map(st, "w_self", xs, "mu", ys))
    first = 1e3 * (time.perf_counter() - t0)
    before = model.trace_count()
    axes = [("w_self", "mu"), ("beta", "theta"), ("self_delay", "w_self"), ("input", "g")]

    def run(i):
        x_axis, y_axis = axes[i % len(axes)]
        return regime_map(st._replace(tau=st.tau + i), x_axis, xs + 0.01 * i, y_axis, ys + 0.1)

    median = _median_ms(run, reps)
    return first, median, model.trace_count() - before


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m model.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip NEST for the two biggest workloads")
    ap.add_argument("--no-nest", action="store_true", help="do not run NEST")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--nest-workload", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--regime-map-only", action="store_true", help="only the regime map figure")
    args = ap.parse_args(argv)
    if args.nest_workload is not None:
        work = WORKLOADS[args.nest_workload]
        reps = max(3, args.reps // 2) if work.big else args.reps
        print(json.dumps({"nest_ms": bench_nest(work, reps)}))
        return
    if args.regime_map_only:
        first, median, recompiles = bench_regime_map(args.reps)
        print(f"regime map 200 x 200 (model/regimes.py), dtype {model.float_dtype()}: first call {first:.0f} ms, "
              f"re-run with new values and axes {median:.1f} ms (target <= 100 ms), recompiles {recompiles}")
        return
    have_nest = not args.no_nest and importlib.util.find_spec("nest") is not None
    print(f"JAX {jax.__version__} on {jax.devices()[0].device_kind} ({jax.default_backend()}), "
          f"dtype {model.float_dtype()}, dt = {DT} ms")
    header = ["workload", "compile ms", "cached ms", "cached, tau moved ms", "drawn ms", "NEST ms",
              "NEST/ours", "recompiles"]
    rows = []
    # All of ours first, then NEST: right after a NEST process exits, the kernel reclaiming its
    # memory slowed our sub-millisecond runs by up to 2x when the two were interleaved.
    ours_all = [bench_ours(work, args.reps) for work in WORKLOADS]
    fresh = bench_fresh_compile(100, 10_000, args.reps)
    for index, work in enumerate(WORKLOADS):
        ours = ours_all[index]
        nest_ms = None
        if have_nest and not (work.big and args.quick):
            nest_ms = bench_nest_in_subprocess(index, args.reps)
        cached = ours["re-run, cached noise ms"]
        rows.append([
            work.name, f"{ours['first call (compile) ms']:.0f}", f"{cached:.2f}",
            f"{ours['re-run, cached noise, tau moved ms']:.2f}", f"{ours['re-run, noise drawn ms']:.2f}",
            "-" if nest_ms is None else f"{nest_ms:.1f}",
            "-" if nest_ms is None else f"{nest_ms / cached:.0f}x",
            str(ours["compiles during changes"]),
        ])
        print(" | ".join(rows[-1]), flush=True)
    cached_100 = float(rows[1][2])
    print()
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print(f"\n100 x 10k, fresh compile per run: {fresh:.0f} ms -> ours (cached noise) is "
          f"{fresh / cached_100:.0f}x faster")
    autapse = next(r for r in rows if r[0] == "1000 x 20k, autapse")
    print(f"1000 x 20k with an autapse (delay {AUTAPSE_DELAY_STEPS} steps, delay line "
          f"{AUTAPSE_HISTORY_STEPS} steps), re-run after a parameter change: {autapse[2]} ms "
          f"(target: at most 200 ms on the 2-core CPU), NEST {autapse[5]} ms")
    first, median, recompiles = bench_regime_map(args.reps)
    print(f"regime map 200 x 200 (model/regimes.py): first call {first:.0f} ms, re-run with new values "
          f"and axes {median:.1f} ms (target <= 100 ms), recompiles {recompiles}")


if __name__ == "__main__":
    main()
