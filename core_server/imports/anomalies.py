"""The live anomaly filter over a column of prices: numpy finds the few jumps, the filter decides them.

Equivalent to pushing every price through `AnomalyFilter` in order (a test checks it on random walks with
jumps): between jumps every price is within the threshold of the one before it, so a run of them is accepted
at once, and the filter itself decides from each jump until it holds nothing again.
"""

from __future__ import annotations

import numpy as np

from core_server.candles.anomaly import AnomalyFilter
from core_server.imports.text import I64
from core_server.imports.timestamps import BoolArray


def flag_anomalies(prices: I64, live: AnomalyFilter[int]) -> tuple[BoolArray, int]:
    """(which prices the filter rejects, how many trailing prices it still holds), advancing `live`."""
    n = len(prices)
    rejected = np.zeros(n, dtype=np.bool_)
    if not n:
        return rejected, 0
    threshold = live.threshold_ticks
    jumps = np.flatnonzero(np.abs(np.diff(prices)) > threshold) + 1
    i = 0
    while i < n:
        good = live.last_good_price
        if live.held == 0 and (good is None or abs(int(prices[i]) - good) <= threshold):
            next_jump = int(np.searchsorted(jumps, i, side="right"))
            end = int(jumps[next_jump]) if next_jump < len(jumps) else n
            live.accept_run(int(prices[end - 1]))
            i = end
            continue
        while i < n:
            _released, bad = live.push(i, int(prices[i]))
            if bad:
                rejected[list(bad)] = True
            i += 1
            if live.held == 0:
                break
    return rejected, live.held
