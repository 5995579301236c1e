"""How often the simulation programs have been traced (= compiled) in this process.

Moving a parameter must never add to it; the benchmarks and tests read it to prove so.
"""

_count = [0]


def note_trace() -> None:
    """Called from inside each jitted simulation program: runs only while tracing."""
    _count[0] += 1


def trace_count() -> int:
    return _count[0]
