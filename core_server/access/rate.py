"""Per-key rate limits on the RPCs that place orders: a token bucket per key, in exact integer nanoseconds.

The bucket is kept as GCRA (the generic cell rate algorithm, the token bucket's exact one-number form): each key
has a theoretical arrival time `tat`; a request at `now` is allowed when `tat - now` is at most (burst - 1)
intervals, and then moves `tat` one interval on. So a key may send `burst` requests at once, then one every
`interval_ns` (1 s / rate); a refused request changes nothing and learns exactly how long to wait.
"""

from __future__ import annotations

from decimal import Decimal

NS_PER_S = 1_000_000_000


class RateLimiter:
    def __init__(self, rate_per_s: Decimal, burst: int) -> None:
        """`rate_per_s` requests a second on average (0: no limit), at most `burst` at once."""
        if rate_per_s < 0 or burst < 1:
            raise ValueError("the rate must be >= 0 and the burst >= 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.interval_ns = int(NS_PER_S / rate_per_s) if rate_per_s else 0
        self._tat: dict[str, int] = {}

    @property
    def enabled(self) -> bool:
        return self.interval_ns > 0

    def take(self, key: str, now_ns: int) -> int:
        """0 when `key` may go now (and one token is taken); else the nanoseconds until it may."""
        if not self.interval_ns:
            return 0
        tat = max(self._tat.get(key, now_ns), now_ns)
        wait = tat - now_ns - (self.burst - 1) * self.interval_ns
        if wait > 0:
            return wait
        self._tat[key] = tat + self.interval_ns
        return 0
