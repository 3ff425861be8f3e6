import structlog

from core_server.kernel.assembly import KernelSettings
from core_server.model.clock import NS_PER_MINUTE, NS_PER_SECOND, TestClock
from core_server.model.feed_status import FeedState
from core_server.model.market_data import Candle, FeedGap, Tick, Timeframe
from tests.kit.feeds import ES, NQ, ScriptedFeed, px, quote, trade
from tests.kit.live import bare_shell
from tests.kit.time import ct
from tests.unit.kernel.test_kernel_isolation import ExplodingStrategy

T0 = ct(2026, 11, 19, 9, 30)  # a Thursday morning, inside a 1m/5m/15m/1h bucket start


class RecordingStore:
    def __init__(self) -> None:
        self.ticks: list[tuple[Tick, int]] = []
        self.candles: list[Candle] = []

    def append(self, tick: Tick, flags: int = 0) -> None:
        self.ticks.append((tick, flags))

    def put(self, candles: list[Candle]) -> None:
        self.candles.extend(candles)


def make_engine(*, quote_only: bool = False, realtime: bool = True, start: int = T0):
    clock = TestClock(start)
    store = RecordingStore()
    settings = KernelSettings(signals=False)
    shell, engine = bare_shell([NQ, ES], clock, ticks=store, candles=store, settings=settings)
    for market in shell.kernel.market.contracts.values():
        market.quote_only = quote_only
    feed = ScriptedFeed([NQ, ES], clock=clock)
    binding = engine.attach(feed, [NQ, ES], realtime=realtime, quote_only=quote_only)
    return clock, engine._bus, store, engine, binding


async def test_ticks_reach_the_bus_memory_and_the_store_in_order() -> None:
    clock, bus, store, engine, binding = make_engine()
    quotes = bus.subscribe("quotes.*")
    trades = bus.subscribe("trades.NQZ2026")
    ticks = [
        quote(NQ, T0 + 1, "25340.00", "25340.25"),
        trade(NQ, T0 + 2, "25340.25", 3),
        quote(ES, T0 + 3, "6775.00", "6775.25"),
    ]
    binding.on_ticks(ticks)
    assert await quotes.next_batch() == [ticks[0], ticks[2]]
    assert await trades.next_batch() == [ticks[1]]
    state = engine.state(NQ.id)
    assert state is not None
    assert state.last_quote == ticks[0] and state.last_trade == ticks[1]
    assert list(state.recent) == ticks[:2]
    assert [t for t, _ in store.ticks] == ticks


async def test_trades_build_candles_and_a_tick_in_the_next_minute_closes_the_1m_candle() -> None:
    clock, bus, store, engine, binding = make_engine()
    closed_1m = bus.subscribe("candles.NQZ2026.1m")
    binding.on_ticks(
        [
            trade(NQ, T0 + 1, "25340.00", 2),
            trade(NQ, T0 + 20 * NS_PER_SECOND, "25345.50", 1),
            trade(NQ, T0 + 40 * NS_PER_SECOND, "25338.25", 4),
            trade(NQ, T0 + 59 * NS_PER_SECOND, "25341.00", 1),
            trade(NQ, T0 + NS_PER_MINUTE, "25342.00", 1),
        ]
    )
    [candle] = await closed_1m.next_batch()
    assert candle.closed and candle.timeframe is Timeframe.M1
    assert (candle.open, candle.high, candle.low, candle.close, candle.volume) == (
        px(NQ, "25340.00"),
        px(NQ, "25345.50"),
        px(NQ, "25338.25"),
        px(NQ, "25341.00"),
        8,
    )
    assert candle.start_ns == T0 and candle.end_ns == T0 + NS_PER_MINUTE
    assert store.candles == [candle]
    assert engine.state(NQ.id).day_volume() == 9


async def test_candles_close_on_time_without_a_next_tick_but_not_while_the_feed_reconnects() -> None:
    clock, bus, store, engine, binding = make_engine()
    binding.on_ticks([trade(NQ, T0 + 1, "25340.00")])
    binding.on_state(FeedState.RECONNECTING, "socket closed")
    clock.set_ns(T0 + 2 * NS_PER_MINUTE)
    engine.shell.advance()
    assert store.candles == []
    binding.on_state(FeedState.STREAMING, "")
    engine.shell.advance()
    assert [c.timeframe for c in store.candles] == [Timeframe.M1]


async def test_an_anomalous_spike_is_stored_flagged_but_kept_out_of_candles_and_the_bus() -> None:
    clock, bus, store, engine, binding = make_engine()
    trades = bus.subscribe("trades.NQZ2026")
    spike = trade(NQ, T0 + 2, "25500.00")
    binding.on_ticks([trade(NQ, T0 + 1, "25340.00"), spike, trade(NQ, T0 + 3, "25340.25")])
    assert spike not in await trades.next_batch()
    assert (spike, 1) in store.ticks
    forming = engine.state(NQ.id).aggregator.forming_for(Timeframe.M1)
    assert forming is not None and forming.high == px(NQ, "25340.25")
    assert engine.feed_statuses()[0].anomalies == 1


async def test_an_unfilled_gap_marks_the_candles_incomplete_and_restores_them_to_the_store() -> None:
    clock, bus, store, engine, binding = make_engine(start=T0 - NS_PER_MINUTE)
    binding.on_ticks([trade(NQ, T0 + 1, "25340.00"), trade(NQ, T0 + NS_PER_MINUTE + 1, "25341.00")])
    [closed] = [c for c in store.candles if c.timeframe is Timeframe.M1]
    assert closed.complete
    binding.on_gap(FeedGap(NQ.id, T0 + 30 * NS_PER_SECOND, T0 + NS_PER_MINUTE + 5, filled=False))
    remarked = [c for c in store.candles if c.timeframe is Timeframe.M1 and c.start_ns == T0]
    assert not remarked[-1].complete
    assert not engine.state(NQ.id).aggregator.forming_for(Timeframe.M1).complete


async def test_a_filled_gap_leaves_candles_complete() -> None:
    clock, bus, store, engine, binding = make_engine(start=T0 - NS_PER_MINUTE)
    binding.on_ticks([trade(NQ, T0 + 1, "25340.00")])
    binding.on_gap(FeedGap(NQ.id, T0 + 2, T0 + 3, filled=True))
    assert engine.state(NQ.id).aggregator.forming_for(Timeframe.M1).complete


async def test_quote_only_feeds_build_candles_from_the_floored_mid() -> None:
    clock, bus, store, engine, binding = make_engine(quote_only=True)
    binding.on_ticks([quote(NQ, T0 + 1, "25340.00", "25340.50"), quote(NQ, T0 + 2, "25340.25", "25340.50")])
    forming = engine.state(NQ.id).aggregator.forming_for(Timeframe.M1)
    assert forming.open == px(NQ, "25340.25") and forming.close == px(NQ, "25340.25")
    assert forming.volume == 0 and forming.tick_count == 2


async def test_ticks_for_contracts_nobody_subscribed_are_counted_not_applied() -> None:
    clock, bus, store, engine, binding = make_engine()
    binding.on_ticks([trade(NQ, T0, "25340.00")._replace(contract_id="NQH2027")])
    assert engine.shell.kernel.unknown_contract_ticks == 1
    assert store.ticks == []


async def test_forming_candles_are_published_only_for_contracts_that_changed() -> None:
    clock, bus, store, engine, binding = make_engine()
    forming = bus.subscribe("candles.*")
    binding.on_ticks([trade(NQ, T0 + 1, "25340.00")])
    engine.publish_forming()
    engine.publish_forming()
    batch = await forming.next_batch()
    assert {c.contract_id for c in batch} == {NQ.id}
    assert len(batch) == 6 and not any(c.closed for c in batch)


async def test_a_candle_cut_short_by_a_stopped_feed_is_incomplete_when_it_closes() -> None:
    clock, bus, store, engine, binding = make_engine(start=T0 - NS_PER_MINUTE)
    binding.on_ticks([trade(NQ, T0 + s * NS_PER_SECOND, "25340.00") for s in range(1, 19)])  # 18 seconds of it
    clock.set_ns(T0 + 18 * NS_PER_SECOND)
    binding.on_state(FeedState.STOPPED, "cancelled")

    forming = engine.state(NQ.id).aggregator.forming()
    assert forming and not any(c.complete for c in forming)  # 1m to 1d: none will see the rest of its bucket
    clock.set_ns(T0 + 2 * NS_PER_MINUTE)
    engine.shell.advance()
    [m1] = [c for c in store.candles if c.timeframe is Timeframe.M1]
    assert (m1.closed, m1.complete, m1.tick_count) == (True, False, 18)


async def test_a_realtime_feed_stopping_after_a_bucket_ended_leaves_that_candle_complete() -> None:
    clock, bus, store, engine, binding = make_engine(start=T0 - NS_PER_MINUTE)
    binding.on_ticks([trade(NQ, T0 + 1, "25340.00")])
    clock.set_ns(T0 + NS_PER_MINUTE + 100_000_000)  # inside the close grace: the 1m bucket is over, not yet closed
    binding.on_state(FeedState.STOPPED, "cancelled")
    clock.set_ns(T0 + 2 * NS_PER_MINUTE)
    engine.shell.advance()
    [m1] = [c for c in store.candles if c.timeframe is Timeframe.M1]
    assert m1.complete
    assert not engine.state(NQ.id).aggregator.forming_for(Timeframe.M5).complete


async def test_a_replay_that_ends_leaves_its_forming_candles_forming_and_incomplete() -> None:
    clock, bus, store, engine, binding = make_engine(realtime=False, start=T0 - NS_PER_MINUTE)
    binding.on_ticks([trade(NQ, T0 + 1, "25340.00"), trade(NQ, T0 + 30 * NS_PER_SECOND, "25341.00")])
    forming = bus.subscribe("candles.NQZ2026.1m")
    binding.on_state(FeedState.FINISHED, "replayed 2 ticks")

    assert [c.complete for c in engine.state(NQ.id).aggregator.forming()] == [False] * 6
    engine.publish_forming()
    [published] = await forming.next_batch()
    assert (published.closed, published.complete) == (False, False)
    assert store.candles == []


async def test_a_failing_stage_is_logged_with_its_traceback_counted_and_the_feed_goes_on() -> None:
    clock = TestClock(T0)
    store = RecordingStore()
    shell, engine = bare_shell([NQ, ES], clock, ticks=store, candles=store, strategies=ExplodingStrategy())
    binding = engine.attach(ScriptedFeed([NQ, ES], clock=clock), [NQ, ES], realtime=True, quote_only=False)
    trades = engine._bus.subscribe("trades.NQZ2026")
    ticks = [trade(NQ, T0 + 1, "25340.00"), trade(NQ, T0 + 2, "25340.25")]
    with structlog.testing.capture_logs() as logs:
        binding.on_ticks(ticks)  # does not raise: the feed calling it goes on
    assert await trades.next_batch() == ticks
    assert [t for t, _ in store.ticks] == ticks
    failures = [e for e in logs if e["event"] == "kernel.stage_failed"]
    expected = [("strategies", T0 + 1, "error"), ("strategies", T0 + 2, "error")]
    assert [(e["stage"], e["ts_ns"], e["log_level"]) for e in failures] == expected
    assert all("ZeroDivisionError" in e["traceback"] for e in failures)  # the traceback goes with it
    assert engine.feed_statuses()[0].stage_errors == 2


async def test_feed_state_listeners_hear_every_change_of_any_feed() -> None:
    clock, bus, store, engine, binding = make_engine()
    heard: list[tuple[FeedState, ...]] = []
    engine.add_feed_state_listener(heard.append)
    binding.on_state(FeedState.STREAMING, "")
    binding.on_state(FeedState.STREAMING, "again")  # no change, nothing to hear
    binding.on_state(FeedState.STOPPED, "failed")
    assert heard == [(FeedState.STREAMING,), (FeedState.STOPPED,)]
