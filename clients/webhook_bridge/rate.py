"""Per-source rate limit on the webhook routes: a token bucket per sender address (GCRA, integer nanoseconds).

A sender may post `burst` alerts at once, then one every 1/rate s; past that it gets 429 with Retry-After (whole
seconds, rounded up). Buckets of senders quiet for a minute are dropped, so a scan from many addresses cannot
grow memory without bound. (The core's per-key limit, core_server.access.rate, is the same algorithm; clients
never import the server.)
"""

from __future__ import annotations

from decimal import Decimal

NS_PER_S = 1_000_000_000
FORGET_NS = 60 * NS_PER_S


class SourceRateLimiter:
    def __init__(self, rate_per_s: Decimal, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.interval_ns = int(NS_PER_S / rate_per_s) if rate_per_s > 0 else 0
        self._tat: dict[str, int] = {}
        self._swept_ns = 0

    def take(self, source: str, now_ns: int) -> int:
        """0 when `source` may post now (one token taken); else the nanoseconds until it may."""
        if not self.interval_ns:
            return 0
        if now_ns - self._swept_ns > FORGET_NS:
            self._tat = {s: t for s, t in self._tat.items() if t > now_ns}  # a bucket refilled to full holds nothing
            self._swept_ns = now_ns
        tat = max(self._tat.get(source, now_ns), now_ns)
        wait = tat - now_ns - (self.burst - 1) * self.interval_ns
        if wait > 0:
            return wait
        self._tat[source] = tat + self.interval_ns
        return 0


def retry_after_s(wait_ns: int) -> int:
    return max(1, -(-wait_ns // NS_PER_S))
