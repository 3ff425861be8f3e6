"""What the trade-tracking shell reads and writes through: the tick stream and the trade store.

TradeStore is what storage.trades.TradeRepository implements; the shell never imports storage.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Protocol

from core_server.excursions.tracked import TrackedTrade, TradeWrite
from core_server.model.market_data import Tick


class TickSource(Protocol):
    """The market-data engine: calls each listener synchronously for every released tick, in order."""

    def add_tick_listener(self, listener: Callable[[Tick], object]) -> None: ...


class TradeStore(Protocol):
    """The `trades` and `trade_events` tables. Failures of the store raise Unavailable."""

    async def save(self, writes: Sequence[TradeWrite]) -> None:
        """Atomically: each trade's row as it stands (inserted if new) and its events not stored yet."""
        ...

    async def get(self, trade_id: str) -> TrackedTrade | None:
        """One trade with its whole event history."""
        ...

    async def list(
        self,
        *,
        is_open: bool | None = None,
        contract_id: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> builtins.list[TrackedTrade]:
        """Trades opened in [from_ns, to_ns) (0: unbounded), newest first, without their event histories."""
        ...

    async def open_trades(self) -> builtins.list[TrackedTrade]:
        """Every open trade with its history, oldest first: what a restarted server continues."""
        ...
