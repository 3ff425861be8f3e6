"""The live market-data shell: feeds plugged into the kernel, market data out to the bus, memory and the store.

Feeds push ticks through a FeedBinding into the LiveKernel (the kernel runs the anomaly filter and candles
within its chain); what the kernel released comes back here (`publish`): each tick into recent memory, the tick
store and the bus, closed candles to the bus and the candle store, held-back anomalies to the store flagged.
The async part (`run`) publishes forming candles at a bounded rate. Feed states drive whether candles may close
on time (not while a realtime feed reconnects: a backfill may still deliver ticks for those buckets) and health
(listeners hear every change: a stopped feed makes the server NOT_SERVING). Stage failures inside the kernel are
isolated there and counted in each feed's status (`stage_errors`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import structlog

from core_server.bus import Bus
from core_server.kernel.market import MarketStage
from core_server.kernel.output import KernelOutput
from core_server.market_data.contract_state import ContractState
from core_server.model.clock import NS_PER_MS, Clock
from core_server.model.feed_status import FeedState, FeedStatus
from core_server.model.instruments import Contract
from core_server.model.market_data import FeedGap, Tick, Trade
from core_server.ports import CandleRecorder, MarketDataFeed, TickRecorder

if TYPE_CHECKING:
    from core_server.kernel.kernel import TradingKernel
    from core_server.live.shell import LiveKernel

log = structlog.get_logger(__name__)

ANOMALY_FLAG = 1
FeedStateListener = Callable[[tuple[FeedState, ...]], object]
FEED_ENDED = (FeedState.STOPPED, FeedState.FINISHED)  # no more ticks will come from the feed
_BEFORE_ANY_TICK = -(1 << 62)
CLOSE_GRACE_NS = 250 * NS_PER_MS  # a tick stamped just before a bucket end may arrive a little later


@dataclass(slots=True)
class FeedBinding:
    """One feed plugged into the engine: the FeedSink that feed writes to."""

    engine: MarketDataEngine
    feed: MarketDataFeed
    realtime: bool
    quote_only: bool
    state: FeedState = FeedState.STARTING
    states: list[ContractState] = field(default_factory=list)

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        shell = self.engine.shell
        assert shell is not None
        shell.on_ticks(ticks)

    def on_gap(self, gap: FeedGap) -> None:
        self.engine.on_gap(gap, self)

    def on_state(self, state: FeedState, detail: str) -> None:
        previous, self.state = self.state, state
        if previous is not state:
            log.info("feed.state", feed=self.feed.name, state=state.value, detail=detail)
            self.engine.on_feed_state(self, ended=state in FEED_ENDED and previous not in FEED_ENDED)
            self.engine.feed_state_changed()

    @property
    def anomalies(self) -> int:
        return sum(s.anomalies for s in self.states)


class MarketDataEngine:
    """Owns the live per-contract memory; the single writer of quotes, trades and candles to the bus."""

    def __init__(
        self,
        clock: Clock,
        bus: Bus,
        market: MarketStage,
        *,
        ticks: TickRecorder | None = None,
        candles: CandleRecorder | None = None,
        forming_interval_ns: int = 250 * NS_PER_MS,
    ) -> None:
        self._clock = clock
        self._bus = bus
        self._market = market
        self._ticks = ticks
        self._candles = candles
        self._forming_interval_ns = forming_interval_ns
        self._states: dict[str, ContractState] = {}
        self.bindings: list[FeedBinding] = []
        self.shell: LiveKernel | None = None  # set by the composition root once the shell exists
        self._feed_state_listeners: list[FeedStateListener] = []

    # -- wiring ---------------------------------------------------------------------------------

    def attach(
        self, feed: MarketDataFeed, contracts: Iterable[Contract], *, realtime: bool, quote_only: bool
    ) -> FeedBinding:
        binding = FeedBinding(self, feed, realtime=realtime, quote_only=quote_only)
        for contract in contracts:
            market = self._market.get(contract.id)
            if market is None:
                raise ValueError(f"contract {contract.id} is not in the kernel")
            market.close_by_time = realtime
            state = ContractState(market, feed_name=feed.name)
            self._states[contract.id] = state
            binding.states.append(state)
        self.bindings.append(binding)
        return binding

    def add_contract(self, binding: FeedBinding, contract: Contract) -> None:
        """`binding`'s feed delivers `contract` too (already in the kernel): its memory and topics from now on."""
        if contract.id in self._states:
            return
        market = self._market.get(contract.id)
        if market is None:
            raise ValueError(f"contract {contract.id} is not in the kernel")
        market.close_by_time = binding.realtime and binding.state is not FeedState.RECONNECTING
        state = ContractState(market, feed_name=binding.feed.name)
        self._states[contract.id] = state
        binding.states.append(state)

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

    # -- the kernel's market output --------------------------------------------------------------------

    def publish(self, output: KernelOutput) -> None:
        states = self._states
        bus = self._bus
        recorder = self._ticks
        for tick in output.ticks:
            state = states.get(tick.contract_id)
            if state is None:
                continue
            state.recent.append(tick)
            state.dirty = True
            if recorder is not None:
                recorder.append(tick)
            bus.publish(state.trade_topic if type(tick) is Trade else state.quote_topic, tick)
        if output.anomalies and recorder is not None:
            for bad in output.anomalies:
                recorder.append(bad, ANOMALY_FLAG)
        if output.candles:
            for candle in output.candles:
                state = states.get(candle.contract_id)
                if state is not None:
                    bus.publish(state.candle_topics[candle.timeframe], candle)
                    state.dirty = True
            if self._candles is not None:
                self._candles.put(output.candles)

    # -- gaps, feed states and timers -----------------------------------------------------------------

    def on_gap(self, gap: FeedGap, binding: FeedBinding) -> None:
        if gap.filled:
            return  # the backfill already delivered the ticks; the candles saw everything
        shell = self.shell
        assert shell is not None
        shell.apply(lambda kernel, _now: kernel.on_gap(gap))
        log.warning(
            "feed.gap_unfilled", feed=binding.feed.name, contract=gap.contract_id or "*", start_ns=gap.start_ns,
            end_ns=gap.end_ns,
        )  # fmt: skip

    def on_feed_state(self, binding: FeedBinding, *, ended: bool = False) -> None:
        """Candles close on time only while a realtime feed streams (not while it reconnects: a backfill may
        still fill those buckets). When the feed stops or its replay finishes, the candles it was forming are cut
        short (incomplete) and stay forming (SPEC §2: each candle knows whether it is complete). A realtime feed
        ended now, on the clock; a replay runs on event time, so every candle it was forming is cut short."""
        closing = binding.realtime and binding.state is not FeedState.RECONNECTING
        for state in binding.states:
            state.market.close_by_time = closing
        if ended and self.shell is not None:
            at = self._clock.now_ns() if binding.realtime else _BEFORE_ANY_TICK
            ids = [s.id for s in binding.states]

            def cut(kernel: TradingKernel, _now: int) -> None:
                for contract_id in ids:
                    kernel.cut_short(contract_id, at)

            self.shell.apply(cut)
            for state in binding.states:
                state.dirty = True

    def publish_forming(self) -> None:
        """Publish the forming candles of contracts that changed since the last call."""
        for state in self._states.values():
            if not state.dirty:
                continue
            state.dirty = False
            for candle in state.aggregator.forming():
                self._bus.publish(state.candle_topics[candle.timeframe], candle)

    def feed_statuses(self) -> list[FeedStatus]:
        failures = self.shell.stage_failures if self.shell is not None else 0
        return [replace(b.feed.status(), anomalies=b.anomalies, stage_errors=failures) for b in self.bindings]

    async def run(self) -> None:
        """Publish forming candles at the configured rate."""
        while True:
            await asyncio.sleep(self._forming_interval_ns / 1e9)
            self.publish_forming()
