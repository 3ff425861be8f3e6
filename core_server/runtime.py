"""Process-level tuning for a long-running, latency-sensitive server."""

from __future__ import annotations

import gc

# The hot path allocates many short-lived tuples; the default gen-0 threshold (700) runs a collection
# every few hundred ticks. Collections of long-lived startup objects are pointless: freeze them.
# A young collection costs what is still alive in it: at 50,000 the server's paused 8-18 ms (the copy fan-out
# bench's slowest rounds); at 10,000 about a fifth of that, for +0.3 ms of streaming p99 (BENCHMARKS.md).
GEN0_THRESHOLD = 10_000


def tune_after_start() -> None:
    """Call once the server has started: move everything allocated so far out of the collector's
    view and make young-generation collections rarer, which shortens latency outliers."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
