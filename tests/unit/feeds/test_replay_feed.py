"""ReplayFeed: pacing by ts_event at a speed, restamping, batching, end states and its sources."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from core_server.feeds.replay import CsvTickSource, DatabaseTickSource, ReplayFeed, TickCsvError, write_ticks_csv
from core_server.model.clock import NS_PER_MS, NS_PER_SECOND, TestClock
from core_server.model.errors import InvalidArgument
from core_server.model.feed_status import FeedState
from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.ports import MarketDataFeed
from tests.unit.feeds.feed_fakes import RecordingSink, VirtualSleep

E0 = 1_700_000_000 * NS_PER_SECOND  # when the recorded ticks happened


def trade(ts_event: int, price: int = 27100, contract_id: str = "ESZ2025") -> Trade:
    return Trade(contract_id, ts_event, ts_event, price, 1, Aggressor.BUY)


class ListSource:
    """A TickSource over ticks in memory, in batches of a given size."""

    def __init__(self, ticks: Sequence[Tick], batch_size: int = 1000) -> None:
        self.ticks = list(ticks)
        self.batch_size = batch_size

    @property
    def contracts(self) -> tuple[str, ...]:
        return tuple(sorted({t.contract_id for t in self.ticks}))

    async def batches(self) -> AsyncIterator[list[Tick]]:
        for i in range(0, len(self.ticks), self.batch_size):
            yield self.ticks[i : i + self.batch_size]


class InMemoryTickRepository:
    """A hand-written tick store with the repository's iter_ticks contract."""

    def __init__(self, ticks: Sequence[Tick]) -> None:
        self.ticks = sorted(ticks, key=lambda t: t.ts_event)
        self.requests: list[tuple[tuple[str, ...], int, int, int]] = []
        self.open_reads = 0  # a real repository holds a connection per unfinished read

    async def iter_ticks(
        self, contract_ids: Sequence[str], start_ns: int, end_ns: int, batch_size: int = 10_000
    ) -> AsyncIterator[list[Tick]]:
        self.requests.append((tuple(contract_ids), start_ns, end_ns, batch_size))
        wanted = [t for t in self.ticks if t.contract_id in contract_ids and start_ns <= t.ts_event < end_ns]
        self.open_reads += 1
        try:
            for i in range(0, len(wanted), batch_size):
                yield wanted[i : i + batch_size]
        finally:
            self.open_reads -= 1


async def replay(
    clock: TestClock, source: object, **settings: object
) -> tuple[ReplayFeed, RecordingSink, VirtualSleep]:
    sleep = VirtualSleep(clock)
    feed = ReplayFeed(source, clock, sleep=sleep, **settings)  # type: ignore[arg-type]
    sink = RecordingSink()
    await feed.run(sink)
    return feed, sink, sleep


async def test_pacing_follows_ts_event_deltas_divided_by_speed(clock: TestClock) -> None:
    start = clock.now_ns()
    offsets_s = [0.0, 1.0, 1.5, 3.5]
    ticks = [trade(E0 + int(s * NS_PER_SECOND)) for s in offsets_s]
    _, sink, sleep = await replay(clock, ListSource(ticks), speed=2.0)
    assert [d for d in sleep.delays if d > 0] == [0.5, 0.25, 1.0]
    assert [len(b) for b in sink.batches] == [1, 1, 1, 1]
    assert [t.ts_init - start for t in sink.ticks] == [int(s / 2 * NS_PER_SECOND) for s in offsets_s]
    assert [t.ts_event for t in sink.ticks] == [t.ts_event for t in ticks]


async def test_ticks_due_together_are_delivered_in_one_batch(clock: TestClock) -> None:
    ticks = [trade(E0), trade(E0 + 10 * NS_PER_MS), trade(E0 + 10 * NS_PER_MS), trade(E0 + 10 * NS_PER_MS + 1)]
    _, sink, sleep = await replay(clock, ListSource(ticks, batch_size=2), speed=1.0)
    assert [len(b) for b in sink.batches] == [1, 1, 2]  # source batches may split a group; no sleep inside it
    assert [d for d in sleep.delays if d > 0] == [0.01]


async def test_speed_zero_only_yields_between_batches(clock: TestClock) -> None:
    start = clock.now_ns()
    ticks = [trade(E0 + k * NS_PER_SECOND) for k in range(2_500)]
    _, sink, sleep = await replay(clock, ListSource(ticks, batch_size=1_000), speed=0, batch_size=400)
    assert set(sleep.delays) == {0}
    assert len(sleep.delays) == len(sink.batches)
    assert [len(b) for b in sink.batches] == [400, 400, 200] * 2 + [400, 100]
    assert sink.ticks == [t._replace(ts_init=start) for t in ticks]


async def test_reports_streaming_then_finished_at_the_end(clock: TestClock) -> None:
    feed, sink, _ = await replay(clock, ListSource([trade(E0), trade(E0 + 1)]), speed=0)
    assert [state for state, _ in sink.states] == [FeedState.STREAMING, FeedState.FINISHED]
    status = feed.status()
    assert status.state is FeedState.FINISHED
    assert status.total_ticks == 2
    assert status.contracts == ("ESZ2025",)
    assert status.extra["position_ns"] == str(E0 + 1)
    assert not feed.is_realtime


async def test_an_empty_source_finishes_at_once(clock: TestClock) -> None:
    _, sink, _ = await replay(clock, ListSource([]), speed=1.0)
    assert sink.batches == []
    assert sink.states[-1][0] is FeedState.FINISHED


async def test_cancelling_reports_stopped_and_propagates(clock: TestClock) -> None:
    ticks = [trade(E0 + k * NS_PER_SECOND) for k in range(100)]
    sleep = VirtualSleep(clock, clock.now_ns() + 10 * NS_PER_SECOND)
    feed = ReplayFeed(ListSource(ticks), clock, speed=1.0, sleep=sleep)
    sink = RecordingSink()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(feed.run(sink))
    assert [state for state, _ in sink.states] == [FeedState.STREAMING, FeedState.STOPPED]
    assert len(sink.ticks) == 10


async def test_replays_a_tick_csv_file_in_order(clock: TestClock, tmp_path: Path) -> None:
    ticks: list[Tick] = [
        Quote("NQZ2025", E0, E0, 101360, 101361, 5, 7),
        trade(E0 + 1, 101361, "NQZ2025"),
        Quote("ESZ2025", E0 + 2, E0 + 2, 27100, 27101, 40, 35),
    ]
    path = tmp_path / "ticks.csv"
    write_ticks_csv(path, ticks)
    source = CsvTickSource(path, batch_size=2)
    feed, sink, _ = await replay(clock, source, speed=0)
    assert [t._replace(ts_init=t.ts_event) for t in sink.ticks] == ticks
    assert feed.contracts == ("ESZ2025", "NQZ2025")


async def test_a_bad_csv_row_stops_the_replay_with_the_line(clock: TestClock, tmp_path: Path) -> None:
    path = tmp_path / "ticks.csv"
    write_ticks_csv(path, [trade(E0), trade(E0 + 1)])
    with path.open("a") as file:
        file.write(f"{E0 + 2},ESZ2025,trade,,,,,6775.13,1,buy\n")
    sink = RecordingSink()
    feed = ReplayFeed(CsvTickSource(path), clock, speed=0, sleep=VirtualSleep(clock))
    with pytest.raises(TickCsvError, match="line 4"):
        await feed.run(sink)
    assert sink.states[-1][0] is FeedState.STOPPED
    assert "line 4" in sink.states[-1][1]


def test_a_csv_source_with_a_wrong_header_fails_when_created(tmp_path: Path) -> None:
    path = tmp_path / "not_ticks.csv"
    path.write_text("date,open,high,low,close\n")
    with pytest.raises(TickCsvError, match="line 1"):
        CsvTickSource(path)
    with pytest.raises(TickCsvError, match="cannot open"):
        CsvTickSource(tmp_path / "missing.csv")


async def test_replays_a_window_of_contracts_from_the_tick_store(clock: TestClock) -> None:
    stored = [trade(E0 + k, 27100 + k, "ESZ2025") for k in range(30)] + [
        trade(E0 + k, 101360, "NQZ2025") for k in range(30)
    ]
    repository = InMemoryTickRepository(stored)
    source = DatabaseTickSource(repository, ["ESZ2025"], E0 + 5, E0 + 25, batch_size=7)
    feed, sink, _ = await replay(clock, source, speed=0)
    assert [t.price for t in sink.ticks if type(t) is Trade] == [27100 + k for k in range(5, 25)]
    assert repository.requests == [(("ESZ2025",), E0 + 5, E0 + 25, 7)]
    assert feed.contracts == ("ESZ2025",)
    assert sink.states[-1][0] is FeedState.FINISHED


async def test_cancelling_a_store_replay_releases_the_read_at_once(clock: TestClock) -> None:
    repository = InMemoryTickRepository([trade(E0 + k * NS_PER_SECOND) for k in range(100)])
    source = DatabaseTickSource(repository, ["ESZ2025"], E0, E0 + 100 * NS_PER_SECOND, batch_size=10)
    sleep = VirtualSleep(clock, clock.now_ns() + 5 * NS_PER_SECOND)
    feed: MarketDataFeed = ReplayFeed(source, clock, speed=1.0, sleep=sleep)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(feed.run(RecordingSink()))
    assert repository.open_reads == 0


def test_bad_settings_are_refused(clock: TestClock) -> None:
    with pytest.raises(InvalidArgument, match="speed"):
        ReplayFeed(ListSource([]), clock, speed=-1.0)
    with pytest.raises(InvalidArgument, match="speed"):
        ReplayFeed(ListSource([]), clock, speed=float("nan"))
    with pytest.raises(InvalidArgument, match="end_ns"):
        DatabaseTickSource(InMemoryTickRepository([]), ["ESZ2025"], E0, E0)
