"""SimulatedFeed driven in virtual time: pacing, bursts, states, exchange hours and determinism."""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

import pytest

from core_server.feeds.simulated import SimulatedFeed
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.errors import FailedPrecondition, InvalidArgument
from core_server.model.feed_status import FeedState
from core_server.model.instruments import Contract
from core_server.model.market_data import Quote
from core_server.ports import MarketDataFeed
from tests.kit.time import utc
from tests.unit.feeds.feed_fakes import RecordingSink, VirtualSleep

CONTRACTS = [Contract(root, 2026, 12) for root in ("NQ", "MNQ", "ES", "MES")]


async def simulate(clock: TestClock, seconds: float, **settings: Any) -> tuple[SimulatedFeed, RecordingSink]:
    """Run a feed for `seconds` of virtual time, then cancel it as a shutdown would."""
    sleep = VirtualSleep(clock, clock.now_ns() + int(seconds * NS_PER_SECOND))
    contracts = settings.pop("contracts", CONTRACTS)
    feed = SimulatedFeed(contracts, clock, sleep=sleep, **settings)
    sink = RecordingSink()
    task = asyncio.create_task(feed.run(sink))
    with pytest.raises(asyncio.CancelledError):
        await task
    return feed, sink


async def test_rate_is_honoured_over_a_long_virtual_run(clock: TestClock) -> None:
    feed, sink = await simulate(clock, 900, rate=200.0, interval_s=0.1)
    assert 0.75 * 200 * 900 < len(sink.ticks) < 1.25 * 200 * 900
    assert feed.status().total_ticks == len(sink.ticks)


async def test_some_intervals_burst_with_much_higher_activity(clock: TestClock) -> None:
    _, sink = await simulate(clock, 600, rate=500.0, interval_s=0.1)
    sizes = sorted(len(batch) for batch in sink.batches)
    median = statistics.median(sizes)
    assert sizes[int(0.99 * len(sizes))] > 3 * median
    assert sum(1 for s in sizes if s > 3 * median) > 100  # bursts last seconds, not one interval


async def test_bursts_are_more_volatile(clock: TestClock) -> None:
    _, sink = await simulate(clock, 1200, contracts=[Contract("NQ", 2026, 12)], rate=200.0, interval_s=0.5)
    median = statistics.median(len(b) for b in sink.batches)
    calm_moves: list[int] = []
    burst_moves: list[int] = []
    last_bid: int | None = None
    for batch in sink.batches:
        bids = [t.bid for t in batch if type(t) is Quote]
        if bids and last_bid is not None:
            move = (bids[-1] - last_bid) ** 2
            (burst_moves if len(batch) > 3 * median else calm_moves).append(move)
        last_bid = bids[-1] if bids else last_bid
    # Per unit of time a burst's variance is ~9x calm (3x the volatility).
    assert statistics.fmean(burst_moves) > 4 * statistics.fmean(calm_moves)


async def test_one_batch_per_interval_stamped_within_the_elapsed_interval(clock: TestClock) -> None:
    start = clock.now_ns()
    _, sink = await simulate(clock, 2, rate=2000.0, interval_s=0.01)
    assert len(sink.batches) == 199  # the 200th sleep ends in the cancellation
    interval = NS_PER_SECOND // 100
    for k, batch in enumerate(sink.batches, start=1):
        now = start + k * interval
        assert all(now - interval < t.ts_event <= now and t.ts_init == now for t in batch)
    stamps = [t.ts_event for t in sink.ticks]
    assert stamps == sorted(stamps)


async def test_reports_streaming_then_stopped_on_cancel_and_reraises(clock: TestClock) -> None:
    feed, sink = await simulate(clock, 0.5)
    assert [state for state, _ in sink.states] == [FeedState.STREAMING, FeedState.STOPPED]
    status = feed.status()
    assert status.state is FeedState.STOPPED
    assert (status.kind, status.name) == ("simulator", "simulator")
    assert status.contracts == ("NQZ2026", "MNQZ2026", "ESZ2026", "MESZ2026")
    assert status.extra["seed"] == "7"
    assert feed.is_realtime


async def test_same_seed_gives_the_same_ticks_in_virtual_time() -> None:
    runs = []
    for _ in range(2):
        _, sink = await simulate(TestClock(1_000 * NS_PER_SECOND), 3, seed=99)
        runs.append(sink.ticks)
    assert runs[0] == runs[1]
    assert len(runs[0]) > 1000


class WindowCalendar:
    """Open during [open_ns, close_ns) only."""

    def __init__(self, open_ns: int, close_ns: int) -> None:
        self.open_ns, self.close_ns = open_ns, close_ns

    def is_open(self, ts_ns: int) -> bool:
        return self.open_ns <= ts_ns < self.close_ns


async def test_exchange_hours_emit_only_while_the_calendar_is_open(clock: TestClock) -> None:
    open_ns = clock.now_ns() + 2 * NS_PER_SECOND
    close_ns = open_ns + 3 * NS_PER_SECOND
    _, sink = await simulate(clock, 7, hours="exchange", calendar=WindowCalendar(open_ns, close_ns))
    assert len(sink.ticks) > 1000
    assert all(open_ns <= t.ts_event < close_ns for t in sink.ticks)
    details = [detail for _, detail in sink.states]
    assert details[0].startswith("exchange closed")
    assert details[1].startswith("simulating")
    assert details[2].startswith("exchange closed")


async def test_a_stalled_loop_catches_up_at_most_a_second(clock: TestClock) -> None:
    sleep = VirtualSleep(clock, clock.now_ns() + 3003 * NS_PER_SECOND)
    feed = SimulatedFeed(CONTRACTS, clock, rate=1000.0, interval_s=1.0, sleep=sleep)
    sink = RecordingSink()
    task = asyncio.create_task(feed.run(sink))
    await asyncio.sleep(0)
    clock.advance_ns(3000 * NS_PER_SECOND)  # the machine slept for 50 minutes
    with pytest.raises(asyncio.CancelledError):
        await task
    assert max(len(b) for b in sink.batches) < 10_000


class TableEndCalendar:
    """Like the TradingCalendar past the end of its session table: every lookup fails."""

    def is_open(self, ts_ns: int) -> bool:
        raise FailedPrecondition("time is outside the CME session table")


async def test_a_calendar_that_cannot_answer_silences_the_simulator_and_says_why(clock: TestClock) -> None:
    _, sink = await simulate(clock, 2, hours="exchange", calendar=TableEndCalendar())
    assert sink.ticks == []
    assert "session table" in sink.states[0][1]
    assert sink.states[-1][0] is FeedState.STOPPED


def test_the_feeds_implement_the_market_data_port(clock: TestClock) -> None:
    feed: MarketDataFeed = SimulatedFeed(CONTRACTS, clock)
    assert feed.status().state is FeedState.STARTING


def test_bad_settings_are_refused(clock: TestClock) -> None:
    with pytest.raises(InvalidArgument, match="rate"):
        SimulatedFeed(CONTRACTS, clock, rate=25_000.0)
    with pytest.raises(InvalidArgument, match="interval"):
        SimulatedFeed(CONTRACTS, clock, interval_s=0)
    with pytest.raises(InvalidArgument, match="calendar"):
        SimulatedFeed(CONTRACTS, clock, hours="exchange")
    with pytest.raises(InvalidArgument, match="hours"):
        SimulatedFeed(CONTRACTS, clock, hours="sometimes")  # type: ignore[arg-type]


async def test_an_added_contract_continues_from_its_roots_price_and_runs_deterministically() -> None:
    """The front month rolled: the new expiry starts at the old one's price, both keep trading, and the same seed
    and schedule give the same ticks."""
    nqz, nqh = Contract("NQ", 2026, 12), Contract("NQ", 2027, 3)

    async def rolled_run() -> tuple[list[Quote], int]:
        clock = TestClock(utc(2026, 12, 9, 22, 0))
        sleep = VirtualSleep(clock, clock.now_ns() + 10 * NS_PER_SECOND)
        feed = SimulatedFeed([nqz], clock, sleep=sleep, rate=200.0, interval_s=0.1, seed=3)
        sink = RecordingSink()
        with pytest.raises(asyncio.CancelledError):
            await feed.run(sink)
        last_bid = [t for t in sink.ticks if type(t) is Quote][-1].bid
        feed.add_contract(nqh)
        feed.add_contract(nqh)  # twice: once
        assert feed.contracts == (nqz.id, nqh.id)
        sleep.stop_at_ns = clock.now_ns() + 10 * NS_PER_SECOND
        with pytest.raises(asyncio.CancelledError):
            await feed.run(sink)
        return [t for t in sink.ticks if type(t) is Quote], last_bid

    quotes, last_bid = await rolled_run()
    first_new = next(q for q in quotes if q.contract_id == nqh.id)
    assert abs(first_new.bid - last_bid) <= 4  # within a point of where the old month stood
    after = quotes[quotes.index(first_new) :]
    assert {q.contract_id for q in after} == {nqz.id, nqh.id}
    assert (await rolled_run())[0] == quotes
