"""The market-data engine: feed ticks -> anomaly filter -> candles -> bus, memory and the store.

`on_ticks` is synchronous and allocation-light: it is the per-tick hot path for every feed. The
async part (`run`) only drives timers: closing candles on time, publishing forming candles at a
bounded rate, and handing closed candles to the store.

Stage isolation: each tick listener (paper fills with risk, excursions) and the engine's own candle and
publishing step run as separate stages. A stage that raises is logged with its traceback and the tick,
counted in the feed status (`stage_errors`), and the remaining stages and the feed go on: one bug must not
stop the market for every account.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import structlog

from core_server.bus import Bus
from core_server.market_data.contract_state import ContractState
from core_server.model.clock import NS_PER_MS, Clock
from core_server.model.feed_status import FeedState, FeedStatus
from core_server.model.instruments import Contract
from core_server.model.market_data import Candle, FeedGap, Quote, Tick, Trade
from core_server.ports import CandleRecorder, MarketDataFeed, TickRecorder

log = structlog.get_logger(__name__)

ANOMALY_FLAG = 1
TickListener = Callable[[Tick], object]
FeedStateListener = Callable[[tuple[FeedState, ...]], object]
CLOSE_GRACE_NS = 250 * NS_PER_MS  # a tick stamped just before a bucket end may arrive a little later


def quote_price(quote: Quote, mode: str) -> int:
    """The price a quote-only feed builds candles from; mid is floored to the tick grid."""
    if mode == "bid":
        return quote.bid
    if mode == "ask":
        return quote.ask
    return (quote.bid + quote.ask) // 2


@dataclass(slots=True)
class FeedBinding:
    """One feed plugged into the engine: the FeedSink that feed writes to."""

    engine: MarketDataEngine
    feed: MarketDataFeed
    realtime: bool
    quote_only: bool
    state: FeedState = FeedState.STARTING
    anomalies: int = 0
    unknown_contract_ticks: int = 0
    stage_errors: int = 0
    states: list[ContractState] = field(default_factory=list)

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        self.engine.on_ticks(ticks, self)

    def on_gap(self, gap: FeedGap) -> None:
        self.engine.on_gap(gap, self)

    def on_state(self, state: FeedState, detail: str) -> None:
        previous, self.state = self.state, state
        if previous is not state:
            log.info("feed.state", feed=self.feed.name, state=state.value, detail=detail)
            self.engine.feed_state_changed()


class MarketDataEngine:
    """Owns per-contract market state; the single writer of quotes, trades and candles to the bus."""

    def __init__(
        self,
        clock: Clock,
        bus: Bus,
        *,
        ticks: TickRecorder | None = None,
        candles: CandleRecorder | None = None,
        quote_price_mode: str = "mid",
        forming_interval_ns: int = 250 * NS_PER_MS,
    ) -> None:
        self._clock = clock
        self._bus = bus
        self._ticks = ticks
        self._candles = candles
        self._quote_price_mode = quote_price_mode
        self._forming_interval_ns = forming_interval_ns
        self._states: dict[str, ContractState] = {}
        self._tick_listeners: list[tuple[str, TickListener]] = []
        self._feed_state_listeners: list[FeedStateListener] = []
        self.bindings: list[FeedBinding] = []
        self.unknown_contract_ticks = 0

    # -- wiring ---------------------------------------------------------------------------------

    def attach(
        self, feed: MarketDataFeed, contracts: Iterable[Contract], *, realtime: bool, quote_only: bool
    ) -> FeedBinding:
        binding = FeedBinding(self, feed, realtime=realtime, quote_only=quote_only)
        now = self._clock.now_ns()
        for contract in contracts:
            state = ContractState(contract, complete_from_ns=now, feed_name=feed.name, quote_only=quote_only)
            self._states[contract.id] = state
            binding.states.append(state)
        self.bindings.append(binding)
        return binding

    def add_tick_listener(self, listener: TickListener, stage: str = "") -> None:
        """Call `listener(tick)` synchronously for every tick that passed the anomaly filter, in order,
        before it is published: execution, excursions and risk act within the same tick, and a
        backtest driving this engine gets exactly the same calls. `stage` names it in failure logs."""
        self._tick_listeners.append((stage or getattr(listener, "__qualname__", repr(listener)), listener))

    def add_feed_state_listener(self, listener: FeedStateListener) -> None:
        """Call `listener(states)` with every feed's state whenever one of them changes (health follows it)."""
        self._feed_state_listeners.append(listener)

    def feed_state_changed(self) -> None:
        states = tuple(b.state for b in self.bindings)
        for listener in self._feed_state_listeners:
            listener(states)

    def store_ticks(self, enabled: bool) -> None:
        """Replays switch tick storage off: their ticks are already stored (or come from a file)."""
        if not enabled:
            self._ticks = None

    def contract_ids(self) -> tuple[str, ...]:
        return tuple(self._states)

    def state(self, contract_id: str) -> ContractState | None:
        return self._states.get(contract_id)

    def states(self) -> list[ContractState]:
        return list(self._states.values())

    # -- the hot path ----------------------------------------------------------------------------

    def on_ticks(self, ticks: Sequence[Tick], binding: FeedBinding) -> None:
        states = self._states
        mode = self._quote_price_mode
        for tick in ticks:
            state = states.get(tick.contract_id)
            if state is None:
                binding.unknown_contract_ticks += 1
                continue
            price = tick.price if type(tick) is Trade else quote_price(tick, mode)  # type: ignore[arg-type]
            released, rejected = state.anomaly_filter.push(tick, price)
            for good in released:
                try:
                    self._apply(state, good, binding)
                except Exception:
                    self._stage_failed("market_data", good, binding)
            if rejected:
                state.anomalies += len(rejected)
                binding.anomalies += len(rejected)
                if self._ticks is not None:
                    for bad in rejected:
                        self._ticks.append(bad, ANOMALY_FLAG)

    def _apply(self, state: ContractState, tick: Tick, binding: FeedBinding) -> None:
        for stage, listener in self._tick_listeners:
            try:
                listener(tick)
            except Exception:
                self._stage_failed(stage, tick, binding)
        state.recent.append(tick)
        if self._ticks is not None:
            self._ticks.append(tick)
        bus = self._bus
        closed: Sequence[Candle]
        if type(tick) is Trade:
            state.last_trade = tick
            bus.publish(state.trade_topic, tick)
            closed = state.aggregator.update(tick.ts_event, tick.price, tick.size)
        else:
            quote: Quote = tick  # type: ignore[assignment]
            state.last_quote = quote
            bus.publish(state.quote_topic, quote)
            if not state.quote_only:
                state.dirty = True
                return
            closed = state.aggregator.update(quote.ts_event, quote_price(quote, self._quote_price_mode), 0)
        state.dirty = True
        if closed:
            self._emit_closed(state, closed)

    def _stage_failed(self, stage: str, tick: Tick, binding: FeedBinding) -> None:
        """Called from an except block: the traceback goes to the log with the stage and the tick."""
        binding.stage_errors += 1
        log.exception(
            "tick.stage_failed",
            stage=stage,
            feed=binding.feed.name,
            contract=tick.contract_id,
            kind=type(tick).__name__.lower(),
            ts_event=tick.ts_event,
            failures=binding.stage_errors,
        )

    def _emit_closed(self, state: ContractState, closed: Sequence[Candle]) -> None:
        for candle in closed:
            self._bus.publish(state.candle_topics[candle.timeframe], candle)
        if self._candles is not None:
            self._candles.put(closed)

    # -- gaps, timers and status -------------------------------------------------------------------

    def on_gap(self, gap: FeedGap, binding: FeedBinding) -> None:
        if gap.filled:
            return  # the backfill already delivered the ticks; the candles saw everything
        targets = [s for s in binding.states if not gap.contract_id or s.id == gap.contract_id]
        for state in targets:
            changed = state.aggregator.mark_gap(gap.start_ns, gap.end_ns)
            if changed:
                self._emit_closed(state, changed)
            state.dirty = True
        log.warning(
            "feed.gap_unfilled",
            feed=binding.feed.name,
            contract=gap.contract_id or "*",
            start_ns=gap.start_ns,
            end_ns=gap.end_ns,
        )

    def close_due(self, now_ns: int) -> None:
        """Close candles whose time is up, for realtime feeds that are not mid-reconnect (a backfill
        may still deliver ticks for those buckets)."""
        cutoff = now_ns - CLOSE_GRACE_NS
        for binding in self.bindings:
            if not binding.realtime or binding.state is FeedState.RECONNECTING:
                continue
            for state in binding.states:
                closed = state.aggregator.close_due(cutoff)
                if closed:
                    self._emit_closed(state, closed)

    def publish_forming(self) -> None:
        """Publish the forming candles of contracts that changed since the last call."""
        for state in self._states.values():
            if not state.dirty:
                continue
            state.dirty = False
            for candle in state.aggregator.forming():
                self._bus.publish(state.candle_topics[candle.timeframe], candle)

    def forming_candles(self) -> list[Candle]:
        return [c for s in self._states.values() for c in s.aggregator.forming()]

    def seed_forming(self, candles: Iterable[Candle]) -> None:
        """Continue forming candles stored before a restart (they stay incomplete: ticks were missed)."""
        for candle in candles:
            state = self._states.get(candle.contract_id)
            if state is not None and not candle.closed:
                state.aggregator.seed(candle)

    def feed_statuses(self) -> list[FeedStatus]:
        statuses = []
        for binding in self.bindings:
            status = binding.feed.status()
            statuses.append(replace(status, anomalies=binding.anomalies, stage_errors=binding.stage_errors))
        return statuses

    async def run(self) -> None:
        """Timers: close due candles every 100 ms and publish forming candles at the configured rate."""
        next_forming = 0
        while True:
            now = self._clock.now_ns()
            self.close_due(now)
            if now >= next_forming:
                self.publish_forming()
                next_forming = now + self._forming_interval_ns
            await asyncio.sleep(0.1)
