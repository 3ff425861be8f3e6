"""PaperFillModel: the seeded rules that turn an order and the live market into fills.

The rules, exactly (prices are int ticks; "quote" is the contract's latest Quote, "trade" its latest Trade):

Latency. Every order the engine accepts (not a bracket child, which the exchange holds) gets an arrival
time `submitted + latency`, latency drawn uniformly from [latency_min_ns, latency_max_ns] (default 50-200 ms)
by a `random.Random` seeded from `seed`. The order only takes part in ticks of its contract with
`ts_event >= arrival`: it arrives at the start of the first such tick (after the tick has updated the
market, so it sees that tick), or at an `advance_to` at or after its arrival (against the last quote).

Market orders fill against the quote: a buy at the ask, a sell at the bid, plus an adverse slippage of
0..max_slippage_ticks drawn per fill (buy: ask + s, sell: bid - s). The draw is a keyed hash (BLAKE2b, keyed by
the seed) of the order id and the quantity the order had filled before this fill, so it depends on nothing but
the fill itself: a server restarted in the middle of a session, a backtest, and the uninterrupted session fill
the same order at the same slippage. With no
quote yet the exchange rejects the arriving market order. A quote is stale once a later trade prints
outside it (below its bid or above its ask): nothing takes liquidity from a stale quote, so market orders
wait for the next quote and marketable-limit checks are skipped (the limit rests). A triggered stop
fills the same way but never better than its stop price (buy: max(ask, stop) + s, sell: min(bid, stop) - s),
because a stop the tape has reached must not fill at a price the market has already left.

Limits. On arrival (or after a triggered stop-limit turns into a limit, or a modify) a limit that is
marketable against the quote (buy: ask <= limit; sell: bid >= limit) fills at once as a taker at the
better of quote and limit (buy: min(ask, limit); sell: max(bid, limit)), without slippage. Otherwise it
rests and fills as a maker at exactly its limit price when the market trades through it: a buy when a trade
prints strictly below the limit or the ask goes strictly below it (sell: trade or bid strictly above); with
`fill_limits_on_touch` equality is enough.

Stops trigger when the market reaches them: a buy stop when a trade prints at or above the stop or the ask
is at or above it; a sell stop when a trade prints at or below it or the bid is at or below it. A stop then
fills as a market order (above); a stop-limit becomes a limit at its limit price (then as Limits).

Partial fills (only with `partial_fills` and when the size is known, i.e. > 0): one tick offers at most its
displayed size to each side: a Quote offers `ask_size` to buyers and `bid_size` to sellers, a Trade offers
its `size` to both. Orders fill in priority order (best price, then earliest) until the size is used; what
is left of an order waits for later ticks (a market order waits for later quotes). Without sizes, or with
the option off, every fill is complete.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from hashlib import blake2b

from core_server.model.clock import NS_PER_MS

UNLIMITED = 1 << 62


@dataclass(frozen=True, slots=True)
class FillSettings:
    seed: int = 0
    latency_min_ns: int = 50 * NS_PER_MS
    latency_max_ns: int = 200 * NS_PER_MS
    max_slippage_ticks: int = 2
    fill_limits_on_touch: bool = False
    partial_fills: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.latency_min_ns <= self.latency_max_ns:
            raise ValueError("latency bounds must satisfy 0 <= min <= max")
        if self.max_slippage_ticks < 0:
            raise ValueError("max_slippage_ticks must be >= 0")


class PaperFillModel:
    """Seeded latency and slippage draws plus the displayed-size budget of one tick."""

    def __init__(self, settings: FillSettings) -> None:
        self.settings = settings
        self._latency = random.Random(f"latency:{settings.seed}")
        self._slippage_key = f"slippage:{settings.seed}".encode()[:64]  # BLAKE2b takes keys up to 64 bytes
        self._slippage_span = settings.max_slippage_ticks + 1
        self.touch = 1 if settings.fill_limits_on_touch else 0

    def latency_ns(self) -> int:
        s = self.settings
        if s.latency_min_ns == s.latency_max_ns:
            return s.latency_min_ns
        return self._latency.randint(s.latency_min_ns, s.latency_max_ns)

    def slippage_ticks(self, order_id: str, filled_before: int) -> int:
        """The adverse slippage of one fill: 0..max_slippage_ticks, a function of the seed, the order and the
        quantity the order had filled before it (so of the fill alone, whatever happened to the process)."""
        span = self._slippage_span
        if span == 1:
            return 0
        digest = blake2b(f"{order_id}:{filled_before}".encode(), digest_size=8, key=self._slippage_key).digest()
        return int.from_bytes(digest, "little") % span  # 2^64 values: the modulo bias is below 1e-17

    def displayed(self, size: int) -> int:
        """What one tick offers to one side: its size, or unlimited when sizes are unknown or ignored."""
        return size if self.settings.partial_fills and size > 0 else UNLIMITED

    def rng_state(self) -> object:
        """The latency stream's state (slippage draws keep none)."""
        return self._latency.getstate()

    def set_rng_state(self, state: object) -> None:
        self._latency.setstate(state)  # type: ignore[arg-type]

    def reseed(self, key: str) -> None:
        """Restart the latency stream from `key` (a restored server: the configured seed plus its journal
        position). Slippage needs no reseeding: each draw is a function of its fill."""
        self._latency.seed(f"latency:{key}")
