"""The quiet path's lookups over a columnar batch (kernel.quiet_columns) against plain loops: the next break at or
after an index, the first and last tick of a kind in a range (short scans and the numpy fallback), prefix sums."""

from __future__ import annotations

import random

import numpy as np
import pytest

from core_server.kernel.quiet_columns import first_at, last_at, next_true, prefix_sum


@pytest.mark.parametrize("share", [0.0, 0.02, 0.5, 0.97, 1.0])
def test_lookups_agree_with_plain_loops(share: float) -> None:
    rng = random.Random(int(share * 100))
    values = [rng.random() < share for _ in range(300)]
    flags = np.array(values, dtype=np.bool_)
    n = len(values)
    assert next_true(flags).tolist() == [next((i for i in range(k, n) if values[i]), n) for k in range(n + 1)]
    for start in range(0, n, 7):
        for stop in range(start, n + 1, 11):
            for value in (True, False):
                hits = [i for i in range(start, stop) if values[i] == value]
                assert first_at(flags, start, stop, value) == (hits[0] if hits else stop)
                assert last_at(flags, start, stop, value) == (hits[-1] if hits else -1)


def test_prefix_sums_start_at_zero() -> None:
    assert prefix_sum(np.array([3, 0, 4], dtype=np.int64)).tolist() == [0, 3, 3, 7]
    assert prefix_sum(np.array([True, False, True])).tolist() == [0, 1, 1, 2]
    assert prefix_sum(np.array([], dtype=np.int64)).tolist() == [0]
