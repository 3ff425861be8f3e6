"""TradeDesk: round trips for the servicers: open ones from the kernel's ledger, the rest from the store.

Stored changes are published on `trades.updates` (TradeUpdate; reliable subscribers).
"""

from __future__ import annotations

import contextlib

from core_server.bus import Bus, Subscription
from core_server.excursions.settings import PriceSource
from core_server.live.journal import TRADES_TOPIC, TradeUpdate
from core_server.live.shell import LiveKernel
from core_server.model.errors import NotFound, Unavailable
from core_server.storage.trades import TradeFilter, TradeRepository
from core_server.trades.model import JournalNotes, RoundTrip

UPDATE_QUEUE = 10_000


class TradeDesk:
    def __init__(self, shell: LiveKernel, bus: Bus, store: TradeRepository) -> None:
        self._shell = shell
        self._bus = bus
        self._store = store

    async def get(self, trade_id: str) -> RoundTrip:
        """The trade with its history (an open one as it stands in memory, with its stored history)."""
        stored = await self._store.get(trade_id)
        live = self._shell.kernel.trades.get(trade_id)
        if live is not None:
            return live if stored is None else _with_events(live, stored)
        if stored is None:
            raise NotFound("trade_id", f"no trade {trade_id!r}")
        return stored

    async def list_trades(self, query: TradeFilter) -> list[RoundTrip]:
        """Trades opened in the range, newest first; what is queued is stored first (best effort), and open
        trades are shown as they stand now."""
        with contextlib.suppress(Unavailable):
            await self._shell.writer.flush()
        ledger = self._shell.kernel.trades
        current = []
        for trip in await self._store.list(query):
            live = ledger.get(trip.trade_id)
            current.append(trip if live is None else live)
        return current

    def open_trades(self) -> list[RoundTrip]:
        return self._shell.kernel.trades.open_trips()

    async def set_journal(self, trade_id: str, notes: JournalNotes) -> RoundTrip:
        with contextlib.suppress(Unavailable):
            await self._shell.writer.flush()
        if not await self._store.set_journal(trade_id, notes):
            raise NotFound("trade_id", f"no trade {trade_id!r}")
        return await self.get(trade_id)

    def last_price(self, trip: RoundTrip) -> int | None:
        """The price an open trade is measured at now: the last trade, or the exit side of the quote."""
        market = self._shell.kernel.market
        if self._shell.kernel.trades.settings.price_source is PriceSource.LAST:
            last = market.last_trade(trip.contract_id)
            return None if last is None else last.price
        quote = market.last_quote(trip.contract_id)
        if quote is None:
            return None
        return quote.bid if trip.direction.sign > 0 else quote.ask

    async def last_update_seq(self) -> int:
        return await self._store.last_update_seq()

    async def updates_since(self, seq: int, limit: int) -> list[TradeUpdate]:
        """Up to `limit` stored updates after `seq`, oldest first, each with its seq: the trade as it stands now
        (an open one in memory, with its stored history) and the event the update announced."""
        ledger = self._shell.kernel.trades
        updates = []
        for update_seq, stored, event_seq in await self._store.updates_since(seq, limit):
            events = stored.excursion.events
            event = events[event_seq] if event_seq is not None and event_seq < len(events) else None
            live = ledger.get(stored.trade_id)
            updates.append(TradeUpdate(stored if live is None else _with_events(live, stored), event, update_seq))
        return updates

    def subscribe(self) -> Subscription[TradeUpdate]:
        """Stored updates as they happen (reliable: closed with SlowConsumer when too slow)."""
        return self._bus.subscribe(TRADES_TOPIC, maxsize=UPDATE_QUEUE)


def _with_events(live: RoundTrip, stored: RoundTrip) -> RoundTrip:
    from dataclasses import replace

    excursion = replace(live.excursion, events=stored.excursion.events)
    return replace(live, excursion=excursion, journal=stored.journal)
