"""TradeTracking: the async shell around the ExcursionBook: ticks in, durable excursions and updates out.

- Ticks: a market-data tick listener hands every released tick to the book synchronously, so a trade moves
  within the tick that moved it (anomalous ticks never reach the listener, so they never stop a trade).
- Durability: the events a tick causes are queued. A writer stores them about every 50 ms: each changed
  trade's row and its new events, all in one transaction. Only then are they published on `trades.updates`,
  in the order they happened. While the store is down the queue waits and is retried; nothing is published
  before it is stored.
- Trades open through `open_trade` (the signal engine's trade listener, the paper execution shell) and end
  at their stop or target or through `close_trade`. An ended trade leaves memory once its end is stored.
- Start: the open trades are restored from the store and continue where they stood.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import dataclasses

import structlog

from core_server.bus import Bus, Subscription
from core_server.excursions.book import ExcursionBook
from core_server.excursions.model import ExcursionEvent, ExcursionState, TradeSpec
from core_server.excursions.ports import TickSource, TradeStore
from core_server.excursions.settings import DEFAULT_EXCURSION_SETTINGS, ExcursionSettings, PriceSource
from core_server.excursions.tracked import TrackedTrade, TradeSource, TradeUpdate, TradeWrite
from core_server.excursions.tracker import ExcursionTracker
from core_server.model.errors import InvalidArgument, NotFound, Unavailable
from core_server.model.market_data import Quote, Tick, Trade

log = structlog.get_logger(__name__)

UPDATES_TOPIC = "trades.updates"
UPDATE_QUEUE = 10_000
FLUSH_INTERVAL_S = 0.05
RETRY_INTERVAL_S = 1.0

_Origin = tuple[TradeSource, str | None, str | None]  # source, signal_id, account_id


class TradeTracking:
    """Owns the book of tracked trades; the servicer reads it, the signal and execution shells feed it."""

    def __init__(
        self,
        bus: Bus,
        market: TickSource,
        store: TradeStore,
        settings: ExcursionSettings = DEFAULT_EXCURSION_SETTINGS,
        *,
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        self._bus = bus
        self._market = market
        self._store = store
        self._settings = settings
        self._interval = flush_interval_s
        self._book = ExcursionBook()
        self._origins: dict[str, _Origin] = {}
        self._stored: dict[str, int] = {}  # per tracked trade: how many of its events are stored
        self._dirty: dict[str, None] = {}  # trades changed since the last write, in order of change
        self._pending: list[TradeUpdate] = []  # each as of its tick, to publish once stored
        self._last_trade: dict[str, int] = {}
        self._last_quote: dict[str, Quote] = {}
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def settings(self) -> ExcursionSettings:
        return self._settings

    @property
    def unsaved_trades(self) -> int:
        return len(self._dirty)

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Restore the open trades, listen to ticks and start the writer. Raises Unavailable if the store cannot
        be read (the server cannot start without its open trades)."""
        restored = await self._store.open_trades()
        for trade in restored:
            if trade.trade_id in self._book:
                continue  # opened through open_trade while the store was being read
            s = trade.excursion
            tracker = self._tracker(s.spec, s.state, s.events)
            self._book.add(tracker)
            self._origins[trade.trade_id] = (trade.source, trade.signal_id, trade.account_id)
            self._stored[trade.trade_id] = len(s.events)
        self._market.add_tick_listener(self.on_tick)
        self._writer = asyncio.create_task(self._write_loop(), name="trades-writer")
        log.info("trades.restored", open=len(restored))

    async def stop(self) -> None:
        """Take no more ticks, make a last attempt to store every change, and end the writer."""
        self._stopped = True
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        try:
            await self.flush()
        except Exception as exc:  # shutting down: say what is lost, never block the rest of the shutdown
            log.error("trades.unsaved_at_stop", trades=len(self._dirty), reason=str(exc))

    # -- the per-tick path --------------------------------------------------------------------------------

    def on_tick(self, tick: Tick) -> None:
        """The market-data tick listener: remember the price, move the contract's trades, queue their events."""
        if self._stopped:
            return
        if type(tick) is Trade:
            self._last_trade[tick.contract_id] = tick.price
        else:
            self._last_quote[tick.contract_id] = tick  # type: ignore[assignment]
        moved = self._book.on_tick(tick)
        if moved:
            for trade_id, events in moved:
                self._mark(trade_id, events)

    # -- commands -----------------------------------------------------------------------------------------

    def open_trade(
        self,
        spec: TradeSpec,
        source: TradeSource | str,
        account_id: str | None = None,
        signal_id: str | None = None,
    ) -> TrackedTrade:
        """Start tracking a trade from its next tick on; stored and announced by the writer. Opening a trade that
        is already tracked returns it as it stands (a repeated delivery)."""
        tracker = self._book.get(spec.trade_id)
        if tracker is not None:
            return self._tracked(tracker)
        if source not in tuple(TradeSource):
            raise InvalidArgument("source", f"use one of {', '.join(TradeSource)}, got {source!r}")
        origin = (TradeSource(source), signal_id, account_id)
        tracker = self._tracker(spec)
        self._book.add(tracker)
        self._origins[spec.trade_id] = origin
        self._stored[spec.trade_id] = 0
        self._mark(spec.trade_id, (None,))
        log.info("trades.opened", trade_id=spec.trade_id, contract=spec.contract_id, source=origin[0].value)
        return self._tracked(tracker)

    def close_trade(self, trade_id: str, price: int, ts_ns: int) -> TrackedTrade:
        """End an open trade at `price` (ticks) from outside: by hand, or its paper position closing. A trade that
        has already ended is returned unchanged; NotFound if it is not tracked (never opened here, or ended and
        already stored)."""
        tracker = self._book.get(trade_id)
        if tracker is None:
            raise NotFound("trade_id", f"trade {trade_id!r} is not tracked")
        events = self._book.close(trade_id, price, ts_ns)
        if events:
            self._mark(trade_id, events)
        return self._tracked(tracker)

    # -- queries ------------------------------------------------------------------------------------------

    async def get(self, trade_id: str) -> TrackedTrade:
        """The trade with its history (memory first: it is ahead of the store by at most one write)."""
        tracker = self._book.get(trade_id)
        if tracker is not None:
            return self._tracked(tracker)
        stored = await self._store.get(trade_id)
        if stored is None:
            raise NotFound("trade_id", f"no trade {trade_id!r}")
        return stored

    async def list_trades(
        self,
        *,
        is_open: bool | None = None,
        contract_id: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> builtins.list[TrackedTrade]:
        """Trades opened in [from_ns, to_ns) (0: unbounded), newest first, open or closed or both (None), without
        their histories. What is queued is stored first, so every trade opened so far is listed."""
        await self.flush()
        stored = await self._store.list(
            is_open=is_open, contract_id=contract_id, from_ns=from_ns, to_ns=to_ns, limit=limit
        )
        current = []
        for trade in stored:
            tracker = self._book.get(trade.trade_id)
            current.append(trade if tracker is None else self._tracked(tracker, with_events=False))
        return current

    def open_trades(self) -> builtins.list[TrackedTrade]:
        """The open trades as they stand, oldest first, with their histories."""
        trades = [self._tracked(t) for t in self._book if t.is_open]
        return sorted(trades, key=lambda t: (t.spec.opened_ns, t.trade_id))

    def subscribe(self) -> Subscription[TradeUpdate]:
        """Stored updates as they happen. Reliable: a reader too slow for UPDATE_QUEUE updates is closed with
        SlowConsumer, never silently skipped. Close it when done."""
        return self._bus.subscribe(UPDATES_TOPIC, maxsize=UPDATE_QUEUE)

    # -- the writer ---------------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Store every change queued so far (one transaction), then publish its updates in order. Unavailable
        leaves the queue as it was, to be retried."""
        async with self._lock:
            if not self._dirty:
                return
            dirty, self._dirty = self._dirty, {}
            pending, self._pending = self._pending, []
            current = {trade_id: self._tracked_id(trade_id) for trade_id in dirty}
            writes = [TradeWrite(trade, self._stored[trade_id]) for trade_id, trade in current.items()]
            try:
                await self._store.save(writes)
            except Unavailable:
                self._dirty = {**dirty, **self._dirty}
                self._pending = pending + self._pending
                raise
            except Exception:
                # The rows themselves are refused (a bug): retrying cannot help. Say so loudly; the trades go on
                # in memory and their next change tries again with everything not stored yet.
                log.error("trades.write_refused", trades=sorted(dirty))
                raise
            for write in writes:
                self._stored[write.trade.trade_id] = len(write.trade.excursion.events)
            for update in pending:
                self._bus.publish(UPDATES_TOPIC, update)
            for trade_id, trade in current.items():
                if not trade.is_open and trade_id not in self._dirty:
                    self._forget(trade_id)

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._interval)  # gather the ticks of a short burst into one transaction
            self._wake.clear()
            try:
                await self.flush()
            except Unavailable as exc:
                log.warning("trades.store_unavailable", reason=str(exc), unsaved=len(self._dirty))
                await asyncio.sleep(RETRY_INTERVAL_S)
                self._wake.set()
            except Exception:
                log.exception("trades.write_failed", unsaved=len(self._dirty))

    # -- internals ----------------------------------------------------------------------------------------

    def _mark(self, trade_id: str, events: tuple[ExcursionEvent | None, ...]) -> None:
        """Queue a trade's write, and its updates with the trade as it stands now (after this tick)."""
        self._dirty[trade_id] = None
        now = self._tracked_id(trade_id, with_events=False)
        self._pending.extend(TradeUpdate(now, event) for event in events)
        self._wake.set()

    def _forget(self, trade_id: str) -> None:
        self._book.remove(trade_id)
        del self._origins[trade_id], self._stored[trade_id]

    def _tracker(
        self, spec: TradeSpec, state: ExcursionState | None = None, events: tuple[ExcursionEvent, ...] = ()
    ) -> ExcursionTracker:
        """A tracker under the configured settings; if the break-even offset cannot fit this trade's risk (a stop
        too close to entry), the trade is tracked without break-even rather than not at all."""
        settings = self._settings
        try:
            return self._build(spec, settings, state, events)
        except InvalidArgument as exc:
            if exc.field != "break_even_offset_ticks":
                raise
            log.warning("trades.break_even_does_not_fit", trade_id=spec.trade_id, reason=exc.reason)
            return self._build(spec, dataclasses.replace(settings, break_even_enabled=False), state, events)

    @staticmethod
    def _build(
        spec: TradeSpec, settings: ExcursionSettings, state: ExcursionState | None, events: tuple[ExcursionEvent, ...]
    ) -> ExcursionTracker:
        if state is None:
            return ExcursionTracker(spec, settings)
        return ExcursionTracker.restore(spec, state, settings, events=events)

    def _tracked_id(self, trade_id: str, *, with_events: bool = True) -> TrackedTrade:
        tracker = self._book.get(trade_id)
        if tracker is None:  # pragma: no cover - a trade leaves the book only once nothing of it is queued
            raise NotFound("trade_id", f"trade {trade_id!r} is not tracked")
        return self._tracked(tracker, with_events=with_events)

    def _tracked(self, tracker: ExcursionTracker, *, with_events: bool = True) -> TrackedTrade:
        snapshot = tracker.snapshot(with_events)
        source, signal_id, account_id = self._origins[tracker.trade_id]
        return TrackedTrade(snapshot, source, signal_id, account_id, self._last_price(tracker))

    def _last_price(self, tracker: ExcursionTracker) -> int | None:
        contract_id = tracker.spec.contract_id
        if tracker.settings.price_source is PriceSource.LAST:
            return self._last_trade.get(contract_id)
        quote = self._last_quote.get(contract_id)
        if quote is None:
            return None
        return quote.bid if tracker.spec.direction.sign > 0 else quote.ask
