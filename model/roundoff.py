"""How far a float64 run may drift from NEST's numbers by round-off, and how to drift not at all.

NEST's update is plain double arithmetic: stepping once from NEST's own state with Python
floats (no fused multiply-add, the C library's exp) reproduces its next value bit for bit
(measured on all 80,000 steps of a run at dt = 0.001). The model differs in two places:

* propagators: computed on the host with the C library and NEST's formulas
  (``propagators.host_propagators``), so they are NEST's bits (XLA's expm1, with FMA, gave a
  P2 one ulp off at tau = 2.7, dt = 0.001; NEST's ``-1/lambda * expm1`` also rounds
  differently from ``-expm1/lambda`` for lambda != 1);
* XLA on a CPU with FMA contracts ``a * b + c`` into one fused multiply-add (measured: 1/3 of
  random ``a*y + b*m + c*z`` differ from plain double by an ulp; ``jax.lax.optimization_barrier``
  and ``reduce_precision`` do not stop it). Each step then rounds up to four times
  differently, each time by at most half an ulp of the running sum, and XLA's exp (in phi)
  may differ from the C library's by an ulp.

A per-step difference ``delta`` is carried on with factor P1 each step, so after any number of
steps an uncoupled unit is within ``delta / (1 - P1)`` (``n * delta`` after n steps when
lambda = 0, P1 = 1). ``drift_bound`` evaluates this. Measured (tests/test_long_run.py): a
100,000-step run at dt = 0.001, tau 3.0 then 2.7, rates up to 12.3: 1.68e-12 from NEST,
bound 3.27e-11.
Between coupled units the difference also travels along the connections (bounded by the
loop gain, not by this function); the parity tests hold short coupled runs to 1e-12.

Bit-for-bit: start Python with ``XLA_FLAGS=--xla_cpu_max_isa=AVX`` (no FMA instructions,
hence no contraction). The same 100,000-step run is then 3.6e-15 from NEST, the rounding of
replaying NEST's recorded noise (``sigma * (noise / sigma)``). It is a process-wide setting
that must be made before JAX starts, and it costs speed (see the README's figures).
"""

from __future__ import annotations

import numpy as np

from .propagators import host_propagators

HALF_ULP = 2.0**-53  # relative rounding of one float64 operation


def drift_bound(tau, lambda_, dt, n_steps, max_rate, max_drive=0.0, g=1.0):
    """Largest difference from NEST's float64 numbers that round-off may cause, per unit.

    **Arguments:**

    - ``tau``, ``lambda_``: the unit's parameters (scalars or (n_units,) arrays); ``dt``: ms.
    - ``n_steps``: steps run (matters only for lambda = 0).
    - ``max_rate``: a bound on |rate| over the run; ``max_drive``: a bound on
      ``|P2 mu| + |noise_factor sigma xi|`` terms' sum scale (0 is fine when they are smaller
      than the rate); ``g``: the gain's amplitude (|phi| <= |g|).

    **Returns:** (n_units,) or scalar bound, for an uncoupled unit.
    """
    prop = host_propagators(tau, lambda_, dt, np.float64)
    m = 2.0 * np.abs(max_rate) + np.abs(max_drive)
    # four contractible roundings, each <= half an ulp of a running sum <= m, and phi's exp
    # (one ulp, twice: ex and in) times P2
    delta = 4.0 * HALF_ULP * m + 2.0 * 2.0 * HALF_ULP * np.abs(g) * prop.P2
    decay = 1.0 - prop.P1
    return np.where(decay > 0, delta / np.where(decay > 0, decay, 1.0), n_steps * delta)
