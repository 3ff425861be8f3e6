"""SignalEngine: the async shell around the pure SignalValidator: candles in, durable decisions out.

- Candles: the bus topics `candles.*` feed a MarketMemory window; a closed candle goes to
  `on_candle_closed`, the first forming update of a new bucket to `on_candle_opened` with its open.
- Durability: every SignalUpdate is written to the SignalStore before anyone hears of it. Writes queue in
  order; an API call returns only once its own and all earlier writes are stored (else Unavailable, and a
  retry of the same alert returns the original). Decisions made by candles while the store is down wait in
  the queue and are retried every second. Stored updates are then published on `signals.events`.
- Trades: a CONFIRMED signal gets a TradeRecord and a `trade_created` event in the same transaction; once
  stored, each trade listener (trade tracking, paper execution) is called with it.
- Start: warm the candle window from the store, restore the live signals, catch them up.
One lock serialises the validator and the write queue, so stored and published order is decision order.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import structlog

from core_server.bus import Bus, SlowConsumer, Subscription
from core_server.calendar.sessions import TradingCalendar
from core_server.calendar.windows import SessionWindows
from core_server.market_data.engine import MarketDataEngine
from core_server.model.clock import Clock
from core_server.model.errors import FailedPrecondition, NotFound, Unavailable
from core_server.model.market_data import ALL_TIMEFRAMES, Candle, Timeframe
from core_server.signals.confirmation import signal_candle_start
from core_server.signals.idempotency import idempotency_key
from core_server.signals.market_memory import MarketMemory
from core_server.signals.model import Signal, SignalEventKind, SignalInput, SignalStatus, SignalUpdate, SubmitResult
from core_server.signals.ports import CandleStore, SignalStore
from core_server.signals.settings import SignalSettings
from core_server.signals.trade_record import TradeRecord, trade_for
from core_server.signals.validator import SignalValidator

log = structlog.get_logger(__name__)

EVENTS_TOPIC = "signals.events"
CANDLE_TOPICS = "candles.*"
CANDLE_QUEUE = 100_000
EVENT_QUEUE = 10_000
SEED_CANDLES = 64  # recent closed candles per series loaded at start
RETRY_INTERVAL_S = 1.0
_LOAD_LIMIT = 2_000


def _new_id() -> str:
    return str(uuid.uuid4())


def _candle_key(message: object) -> Hashable:
    # Forming updates of one bucket coalesce; closed candles are never merged or reordered past each other.
    candle: Candle = message  # type: ignore[assignment]
    return (candle.contract_id, candle.timeframe, candle.start_ns) if not candle.closed else id(candle)


@dataclass(frozen=True, slots=True)
class _Write:
    updates: tuple[SignalUpdate, ...]
    trades: tuple[TradeRecord, ...]


class SignalEngine:
    """Owns the validator; the servicer calls submit/approve/cancel/get/list/live/subscribe."""

    def __init__(
        self,
        clock: Clock,
        bus: Bus,
        market: MarketDataEngine,
        store: SignalStore,
        candles: CandleStore,
        *,
        calendar: TradingCalendar,
        settings: Mapping[str, SignalSettings] | None = None,
        windows: SessionWindows | None = None,
        id_factory: Callable[[], str] = _new_id,
        trade_id_factory: Callable[[], str] = _new_id,
    ) -> None:
        self._clock = clock
        self._bus = bus
        self._market = market
        self._store = store
        self._candles = candles
        self._memory = MarketMemory(market)
        self._validator = SignalValidator(
            calendar=calendar,
            market=self._memory,
            history=self._memory,
            id_factory=id_factory,
            settings=settings,
            windows=windows,
        )
        self._new_trade_id = trade_id_factory
        self._lock = asyncio.Lock()
        self._unsaved: deque[_Write] = deque()
        self._subscription: Subscription[Candle] | None = None
        self._follower: asyncio.Task[None] | None = None
        self._retrier: asyncio.Task[None] | None = None
        self._trade_listeners: list[Callable[[TradeRecord], object]] = []

    def add_trade_listener(self, listener: Callable[[TradeRecord], object]) -> None:
        """Call `listener(trade)` for every trade a confirmed signal opens, once it is stored, in order. A listener
        that raises is logged and skipped: the signal's decision stands."""
        self._trade_listeners.append(listener)

    @property
    def validator(self) -> SignalValidator:
        return self._validator

    @property
    def unsaved_writes(self) -> int:
        return len(self._unsaved)

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to candles, warm the window from the store, restore and catch up the live signals, then
        start following the bus. Raises Unavailable if the store cannot be read (the server cannot start
        without its pending signals)."""
        self._subscription = self._bus.subscribe(CANDLE_TOPICS, maxsize=CANDLE_QUEUE, conflate=_candle_key)
        live = await self._store.live()
        await self._warm(live)
        async with self._lock:
            updates = self._validator.restore(live, self._clock.now_ns())
            if updates:
                try:
                    await self._commit(updates)
                except Unavailable as exc:
                    log.warning("signals.store_unavailable", reason=str(exc), unsaved=len(self._unsaved))
        log.info("signals.restored", live=len(live), settled_on_restore=len({u.signal.signal_id for u in updates}))
        self._follower = asyncio.create_task(self._follow(self._subscription), name="signals-candles")
        self._retrier = asyncio.create_task(self._retry_writes(), name="signals-retry")

    async def stop(self) -> None:
        """Take no more candles, decide on those already received, make a last attempt to store every
        decision, and end the tasks."""
        if self._subscription is not None:
            self._subscription.close("signal engine stopping")
        retrier, self._retrier = self._retrier, None
        if retrier is not None:
            retrier.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retrier
        follower, self._follower = self._follower, None
        if follower is not None:
            await follower  # drains the buffered candles, then returns
        async with self._lock:
            try:
                await self._flush()
            except Exception as exc:  # shutting down: say what is lost, never block the rest of the shutdown
                log.error("signals.unsaved_at_stop", writes=len(self._unsaved), reason=str(exc))

    # -- commands -----------------------------------------------------------------------------------------

    async def submit(self, signal_input: SignalInput, *, authenticated: bool) -> SubmitResult:
        """The decision on a new signal, stored before it is returned; a repeat returns the original."""
        async with self._lock:
            await self._flush()
            if authenticated:
                key = idempotency_key(signal_input)
                if self._validator.find_by_key(key) is None:
                    stored = await self._store.find_by_key(key)  # settled before the last restart
                    if stored is not None:
                        return SubmitResult(stored, True, ())
            result = self._validator.submit(signal_input, authenticated=authenticated, now_ns=self._clock.now_ns())
            if result.duplicate:
                return result
            updates = await self._commit(result.updates)
            return SubmitResult(self._validator.get(result.signal.signal_id), False, updates)

    async def approve(self, signal_id: str) -> Signal:
        async with self._lock:
            await self._flush()
            await self._must_be_live(signal_id)
            await self._commit([self._validator.approve(signal_id, self._clock.now_ns())])
            return self._validator.get(signal_id)

    async def cancel(self, signal_id: str, reason: str) -> Signal:
        async with self._lock:
            await self._flush()
            await self._must_be_live(signal_id)
            await self._commit([self._validator.cancel(signal_id, reason, self._clock.now_ns())])
            return self._validator.get(signal_id)

    # -- queries ------------------------------------------------------------------------------------------

    async def record_order_refused(self, signal_id: str, reason: str) -> None:
        """Add an `order_refused` event to a signal whose paper bracket was denied or rejected (best effort: a
        signal no longer in memory, or a store that is down, is logged)."""
        async with self._lock:
            try:
                update = self._validator.note_order_refused(signal_id, reason, self._clock.now_ns())
            except NotFound:
                log.warning("signals.order_refused_unrecorded", signal_id=signal_id, reason=reason)
                return
            try:
                await self._commit([update])
            except Unavailable as exc:
                log.warning("signals.store_unavailable", reason=str(exc), unsaved=len(self._unsaved))

    async def get(self, signal_id: str) -> Signal:
        """The signal as it stands (memory first: it has the candles waited so far); NotFound if unknown."""
        with contextlib.suppress(NotFound):
            return self._validator.get(signal_id)
        stored = await self._store.get(signal_id)
        if stored is None:
            raise NotFound("signal_id", f"no signal {signal_id!r}")
        return stored

    async def list_signals(
        self,
        *,
        statuses: Sequence[SignalStatus] = (),
        contract_id: str = "",
        strategy: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> list[Signal]:
        """Stored signals newest first; live ones as they stand in memory."""
        stored = await self._store.list(
            statuses=statuses, contract_id=contract_id, strategy=strategy, from_ns=from_ns, to_ns=to_ns, limit=limit
        )
        current = []
        for signal in stored:
            if signal.status.is_live:
                with contextlib.suppress(NotFound):
                    signal = self._validator.get(signal.signal_id)
            current.append(signal)
        return current

    def live(self) -> list[Signal]:
        """Pending and approval-waiting signals, oldest first."""
        return self._validator.live()

    def subscribe(self) -> Subscription[SignalUpdate]:
        """Stored updates as they happen. Reliable: a reader too slow for EVENT_QUEUE updates is closed with
        SlowConsumer, never silently skipped. Close it when done."""
        return self._bus.subscribe(EVENTS_TOPIC, maxsize=EVENT_QUEUE)

    # -- internals ----------------------------------------------------------------------------------------

    async def _must_be_live(self, signal_id: str) -> None:
        """Every live signal is in memory; one only the store knows has settled (or never existed)."""
        with contextlib.suppress(NotFound):
            self._validator.get(signal_id)
            return
        stored = await self._store.get(signal_id)
        if stored is None:
            raise NotFound("signal_id", f"no signal {signal_id!r}")
        raise FailedPrecondition(f"signal {signal_id} is {stored.status.label}: it has already settled")

    async def _commit(self, updates: Sequence[SignalUpdate]) -> tuple[SignalUpdate, ...]:
        """Add the trades of confirmed signals, queue the write and store the queue (Unavailable on failure:
        the write stays queued)."""
        now = self._clock.now_ns()
        written: list[SignalUpdate] = []
        trades: list[TradeRecord] = []
        for update in updates:
            written.append(update)
            if update.event.kind is SignalEventKind.CONFIRMED and update.signal.trade_id is None:
                trade_id = self._new_trade_id()
                trade = trade_for(update.signal, trade_id, now)
                written.append(
                    self._validator.attach_trade(update.signal.signal_id, trade_id, self._trade_text(trade), now)
                )
                trades.append(trade)
        self._unsaved.append(_Write(tuple(written), tuple(trades)))
        await self._flush()
        return tuple(written)

    def _trade_text(self, trade: TradeRecord) -> str:
        spec = self._validator.rules(trade.contract_id).spec
        return (
            f"trade {trade.trade_id} open: {trade.quantity} {trade.contract_id} {trade.direction.label}"
            f" entry {spec.format_ticks(trade.entry_price)} stop {spec.format_ticks(trade.stop_price)}"
        )

    async def _flush(self) -> None:
        """Store the queued writes in order and publish each once stored."""
        while self._unsaved:
            write = self._unsaved[0]
            try:
                await self._store.save_batch(write.updates, write.trades)
            except Unavailable:
                raise  # kept: retried in order once the store is back
            except Exception:
                # The rows themselves are refused (a bug): retrying cannot help, and keeping them would block
                # every later decision. Drop them loudly; the decision stands in memory only.
                self._unsaved.popleft()
                log.error("signals.write_refused", signals=sorted({u.signal.signal_id for u in write.updates}))
                raise
            self._unsaved.popleft()
            for update in write.updates:
                self._bus.publish(EVENTS_TOPIC, update)
            for trade in write.trades:
                self._announce(trade)

    def _announce(self, trade: TradeRecord) -> None:
        for listener in self._trade_listeners:
            try:
                listener(trade)
            except Exception:
                log.exception("signals.trade_listener_failed", trade_id=trade.trade_id, signal_id=trade.signal_id)

    async def _follow(self, subscription: Subscription[Candle]) -> None:
        """Feed candles from the bus to the validator until the subscription closes."""
        while True:
            try:
                batch = await subscription.next_batch()
            except SlowConsumer as exc:  # pragma: no cover - CANDLE_QUEUE is far beyond any burst
                log.error("signals.candles_lost", reason=str(exc))
                return
            if not batch:
                return
            for candle in batch:
                try:
                    await self._on_candle(candle)
                except Exception:
                    # A bug deciding one candle must not stop every other signal from being tracked.
                    log.exception("signals.candle_failed", contract=candle.contract_id, start_ns=candle.start_ns)

    async def _on_candle(self, candle: Candle) -> None:
        memory = self._memory
        async with self._lock:
            now = self._clock.now_ns()
            if candle.closed:
                memory.add_closed(candle)
                updates = self._validator.on_candle_closed(candle, now)
            elif memory.first_open(candle):
                updates = self._validator.on_candle_opened(
                    candle.contract_id, candle.timeframe, candle.start_ns, candle.open, now
                )
            else:
                return
            if not updates:
                return
            try:
                await self._commit(updates)
            except Unavailable as exc:
                log.warning("signals.store_unavailable", reason=str(exc), unsaved=len(self._unsaved))

    async def _retry_writes(self) -> None:
        while True:
            await asyncio.sleep(RETRY_INTERVAL_S)
            if not self._unsaved:
                continue
            async with self._lock:
                try:
                    await self._flush()
                    log.info("signals.store_recovered")
                except Unavailable as exc:
                    log.warning("signals.store_unavailable", reason=str(exc), unsaved=len(self._unsaved))

    async def _warm(self, live: Sequence[Signal]) -> None:
        """Load recent closed candles for every streamed series, and each pending signal's candles from its
        signal candle on (enough to decide it), so restored signals catch up on what they missed."""
        end = self._clock.now_ns()
        for contract_id in self._market.contract_ids():
            for timeframe in ALL_TIMEFRAMES:
                recent = await self._candles.list_range(
                    contract_id, timeframe, 0, end + timeframe.duration_ns, SEED_CANDLES
                )
                self._memory.seed(recent)
        for signal in live:
            if signal.status is SignalStatus.PENDING:
                start = signal_candle_start(signal.input)
                tf = signal.timeframe
                self._memory.seed(await self._candles.list_range(signal.contract_id, tf, 0, start, 1))
                needed = signal.expires_after_candles + 2  # the signal candle, the waited ones, the entry candle
                self._memory.seed(await self._load_from(signal.contract_id, tf, start, needed, end))

    async def _load_from(
        self, contract_id: str, timeframe: Timeframe, start_ns: int, needed: int, now_ns: int
    ) -> list[Candle]:
        """At least `needed` stored candles from `start_ns` on (fewer if the store has fewer): widening
        windows, since halts and weekends leave no candles."""
        span = (needed + 1) * timeframe.duration_ns
        stop = now_ns + timeframe.duration_ns
        while True:
            end = min(start_ns + span, stop)
            candles = await self._candles.list_range(contract_id, timeframe, start_ns, end, _LOAD_LIMIT)
            if len(candles) >= needed or end >= stop:
                return candles
            span *= 2
