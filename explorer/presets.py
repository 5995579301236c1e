"""What each preset teaches: what to look for, and one thing to try (shown beside the views).

Each claim made here is a test in tests/test_presets.py.
"""

NOTES = {
    "Defaults: a step into the sigmoid": (
        "A step of input moves the unit from one stable state to another: the phase line has one "
        "filled point, and the histogram (Distribution) is the exact Gaussian. Try: raise sigma and "
        "watch the histogram widen while the phase line does not move."),
    "Bistable switch (autapse + sine)": (
        "The autapse gives two stable states at zero input (Phase line: drag the red time cursor on the "
        "rate plot to before the onset, 100 ms: two filled points, one open). "
        "Hysteresis shows the loop: the rate jumps only at the folds, not at zero input. Try: lower "
        "beta until the folds meet and the loop closes."),
    "Noise-driven switching": (
        "No input at all: noise alone kicks each trial between the two stable states, several times "
        "per trial; the histogram is bimodal. Try: lower sigma and watch the switches become rare."),
    "Oscillation (delayed inhibitory autapse)": (
        "Inhibition that arrives one delay late overshoots: the single fixed point is unstable and the "
        "rate oscillates (Regime map: red). Try: shorten the self delay or lower beta until it settles."),
    "Rectified rate": (
        "The rate is clipped at rectify_rate after each step: the distribution piles up at the floor. "
        "Try: switch rectify_output off and compare."),
    "Integrator (lambda = 0)": (
        "Without decay there is no stable state: the rate drifts (Regime map: grey). Try: give lambda "
        "a small value and a fixed point appears."),
    "mult_coupling: phi(ex) + phi(in)": (
        "Excitatory and inhibitory input each pass through the sigmoid. Try: switch mult_coupling off "
        "and compare the mean rate."),
    "Per-event gain (linear_summation off)": (
        "The gain acts on each input before weighting. Try: switch linear_summation on and watch the "
        "transfer-curve operating point move."),
}
