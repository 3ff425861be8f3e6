"""The per-key token bucket (GCRA) with hand-computed times: 2 a second, a burst of 3."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_server.access.rate import RateLimiter

S = 1_000_000_000


def test_a_burst_then_one_per_interval_and_the_exact_wait() -> None:
    limiter = RateLimiter(Decimal(2), 3)  # one token every 0.5 s, three at once
    assert [limiter.take("a", 0) for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a", 0) == S // 2  # the 4th waits for one interval
    assert limiter.take("a", S // 2 - 1) == 1  # refused requests take nothing
    assert limiter.take("a", S // 2) == 0
    assert limiter.take("a", S // 2) == S // 2
    assert limiter.take("b", 0) == 0  # every key has its own bucket
    # After a quiet 10 s the bucket is full again, never fuller.
    assert [limiter.take("a", 11 * S) for _ in range(4)] == [0, 0, 0, S // 2]


def test_a_fractional_rate_and_no_limit() -> None:
    slow = RateLimiter(Decimal("0.25"), 1)  # one every 4 s
    assert slow.take("k", 0) == 0 and slow.take("k", S) == 3 * S
    off = RateLimiter(Decimal(0), 1)
    assert not off.enabled and all(off.take("k", 0) == 0 for _ in range(1000))
    with pytest.raises(ValueError):
        RateLimiter(Decimal(1), 0)
