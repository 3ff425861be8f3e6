"""From the market to a confirmed signal: a hand-written tick CSV replayed through the real server, signals
submitted through the gRPC API, decisions checked to the tick against hand-computed numbers.

Determinism: the replay (the real ReplayFeed at speed 0 over the CSV) pauses at a chosen instant: a
PausingTickSource delivers the ticks before it, then waits for the test to resume it. The signals are submitted
in that pause, with a TestClock set to just after the signal time, so staleness, session and the forming signal
candle are exactly as written below. The restart test replays the two parts on two server runs instead.

The tape (NQZ2026, Thursday 2026-11-19, 1m candles, times UTC = CT + 6 h; 15:30Z is 10:30 ET, NY AM):

    candle  open      high      low       close
    15:29   25330.00  25338.00  25320.00  25335.00
    15:30   25335.00  25341.25  25318.00  25340.00   signal candle (signals fire at 15:30:50)
    15:31   25340.00  25341.00  25310.00  25325.00   pivot low: 25310.00 < 25318.00 and < 25315.50
    15:32   25325.00  25339.00  25315.50  25330.00
    15:33   25330.00  25350.00  25322.00  25345.00   close > 25341.25: bullish confirmed, bearish invalidated
    15:34   25346.50  25352.00  25344.00  25350.00   entry = its open 25346.50
    15:35   25350.00                                 (closes 15:34)

Bullish: stop = pivot low 25310.00 - 25 = 25285.00; risk = 25346.50 - 25285.00 = 61.50 points.
Bearish: close 25345.00 > signal high 25341.25 on candle 3 invalidates it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import grpc

from core_server.app import RunningServer, start
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.feeds.tick_csv import read_ticks_csv
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.feed_status import FeedState
from core_server.model.instruments import INSTRUMENTS
from core_server.model.market_data import Tick
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.kit.time import utc
from vigil.v1 import common_pb2
from vigil.v1 import signals_pb2 as pb
from vigil.v1 import signals_pb2_grpc as pb_grpc

HEADER = "ts,contract,kind,bid,ask,bid_size,ask_size,price,size,aggressor\n"


def candle_rows(minute: int, o: str, h: str, lo: str, c: str) -> str:
    """Four trades making one 1m candle: open at :01, high at :15, low at :30, close at :45."""
    rows = [(1, o), (15, h), (30, lo), (45, c)]
    return "".join(f"2026-11-19T15:{minute:02d}:{s:02d}Z,NQZ6,trade,,,,,{p},1,buy\n" for s, p in rows)


PART_1 = candle_rows(29, "25330.00", "25338.00", "25320.00", "25335.00") + candle_rows(
    30, "25335.00", "25341.25", "25318.00", "25340.00"
)
PART_2 = (
    candle_rows(31, "25340.00", "25341.00", "25310.00", "25325.00")
    + candle_rows(32, "25325.00", "25339.00", "25315.50", "25330.00")
    + candle_rows(33, "25330.00", "25350.00", "25322.00", "25345.00")
    + candle_rows(34, "25346.50", "25352.00", "25344.00", "25350.00")
    + "2026-11-19T15:35:01Z,NQZ6,trade,,,,,25350.00,1,buy\n"
)
START = utc(2026, 11, 19, 15, 28)
PAUSE_AT = utc(2026, 11, 19, 15, 31)  # the first tick of part 2
SIGNAL_TIME = utc(2026, 11, 19, 15, 30, 50)
SUBMITTED_AT = SIGNAL_TIME + 2 * NS_PER_SECOND
ENTRY_AT = utc(2026, 11, 19, 15, 34, 1)  # the first print of the candle after the confirming one
AFTER_TAPE = utc(2026, 11, 19, 15, 36)
NQ = INSTRUMENTS["NQ"]


class PausingTickSource:
    """The ticks of a CSV file, in one batch before `pause_at_ns` and one from it, with a wait in between
    until `resume` is set."""

    def __init__(self, path: Path, pause_at_ns: int) -> None:
        ticks = list(read_ticks_csv(path))
        self._before = [t for t in ticks if t.ts_event < pause_at_ns]
        self._after = [t for t in ticks if t.ts_event >= pause_at_ns]
        self.resume = asyncio.Event()
        self.paused = asyncio.Event()

    @property
    def contracts(self) -> tuple[str, ...]:
        return ("NQZ2026",)

    async def batches(self) -> AsyncIterator[list[Tick]]:
        yield self._before
        self.paused.set()
        await self.resume.wait()
        yield self._after


def signal_input(direction: pb.SignalDirection.ValueType, **fields: object) -> pb.SignalInput:
    return pb.SignalInput(
        symbol="NQ1!",
        direction=direction,
        signal_price="25340.25",
        signal_time_ns=SIGNAL_TIME,
        timeframe=common_pb2.TIMEFRAME_1M,
        strategy="acceptance",
        source="webhook",
        raw_payload='{"ticker":"NQ1!","action":"buy","price":"25340.25"}',
        **fields,  # type: ignore[arg-type]
    )


async def settled(stub: pb_grpc.SignalServiceStub, signal_id: str, status: int) -> pb.Signal:
    async def reached() -> pb.Signal | None:
        signal = (await stub.GetSignal(pb.GetSignalRequest(signal_id=signal_id))).signal
        return signal if signal.status == status else None

    return await eventually(reached)


async def stored_trade(database_url: str, signal_id: str) -> asyncpg.Record:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchrow(
            "SELECT id, contract_id, direction, quantity, entry, stop, risk_ticks, status FROM trades"
            " WHERE signal_id = $1",
            signal_id,
        )
    finally:
        await connection.close()


def assert_bullish_confirmed(signal: pb.Signal) -> None:
    assert signal.status == pb.SIGNAL_STATUS_CONFIRMED
    assert (signal.entry_price, signal.stop_price, signal.risk_points) == ("25346.50", "25285.00", "61.50")
    assert (signal.pivot_price, signal.pivot_candle_start_ns, signal.stop_from_fallback) == (
        "25310.00",
        utc(2026, 11, 19, 15, 31),
        False,
    )
    assert (signal.signal_candle.start_ns, signal.signal_candle.high, signal.signal_candle.low) == (
        utc(2026, 11, 19, 15, 30),
        "25341.25",
        "25318.00",
    )
    assert (signal.confirmation_candle.start_ns, signal.confirmation_candle.close) == (
        utc(2026, 11, 19, 15, 33),
        "25345.00",
    )
    assert signal.candles_waited == 3 and signal.contract_id == "NQZ2026" and signal.trade_id
    assert [c.outcome for c in signal.checks] == [pb.CHECK_OUTCOME_PASSED] * 7
    assert [e.kind for e in signal.events] == ["received", "pending", "confirmed", "trade_created"]


async def test_a_bullish_signal_confirms_with_exact_entry_and_pivot_stop_and_a_bearish_one_is_invalidated(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "tape.csv"
    path.write_text(HEADER + PART_1 + PART_2)
    clock = TestClock(START)
    source = PausingTickSource(path, PAUSE_AT)
    plan = FeedPlan(ReplayFeed(source, clock, speed=0.0), realtime=False, quote_only=False, store_ticks=False)
    running = await start(server_config(database_url, symbols=("NQZ2026",)), clock=clock, feed_plan=plan)
    try:
        await source.paused.wait()
        state = running.engine.state("NQZ2026")
        await eventually(lambda: state is not None and state.last_trade is not None)
        clock.set_ns(SUBMITTED_AT)
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = pb_grpc.SignalServiceStub(channel)
            subscribers = running.bus.subscriber_count()
            events = stub.StreamSignalEvents(pb.StreamSignalEventsRequest())
            # A stream without since_seq starts when the server subscribes it: only then may the signals come.
            await eventually(lambda: running.bus.subscriber_count() > subscribers)
            bullish = (await stub.SubmitSignal(pb.SubmitSignalRequest(input=signal_input(1)))).signal
            bearish = (await stub.SubmitSignal(pb.SubmitSignalRequest(input=signal_input(2)))).signal
            assert (bullish.status, bearish.status) == (pb.SIGNAL_STATUS_PENDING, pb.SIGNAL_STATUS_PENDING)
            assert bullish.waiting_for == "1m signal candle to close"
            assert bullish.checks[1].detail == "|25340.25 - 25340.00 (last trade)| = 0.25 <= 5"

            clock.set_ns(AFTER_TAPE)
            source.resume.set()
            confirmed = await settled(stub, bullish.signal_id, pb.SIGNAL_STATUS_CONFIRMED)
            invalidated = await settled(stub, bearish.signal_id, pb.SIGNAL_STATUS_INVALIDATED)

            seen: list[tuple[str, str]] = []
            async for response in events:
                seen.append((response.event.signal_id, response.event.kind))
                if len(seen) == 7:
                    break
            events.cancel()
    finally:
        await running.stop()

    assert_bullish_confirmed(confirmed)
    assert confirmed.decided_ns == ENTRY_AT  # decided within the tick that gave the entry, on its time
    assert invalidated.checks[4].detail == (
        "1m close 25345.00 > signal high 25341.25 on candle 3 of 10 (2026-11-19 09:33:00 CT)"
    )
    assert (invalidated.entry_price, invalidated.stop_price, invalidated.trade_id) == ("", "", "")
    b, s = bullish.signal_id, bearish.signal_id
    assert seen == [
        (b, "received"),
        (b, "pending"),
        (s, "received"),
        (s, "pending"),
        # The 15:34:01 print closes the 15:33 candle and opens the next one within one kernel step: the bullish
        # signal confirms on that close with the 15:34 open as its entry, then the bearish one is invalidated.
        (b, "confirmed"),
        (b, "trade_created"),
        (s, "invalidated"),
    ]
    trade = await stored_trade(database_url, b)
    # The signal's trade is the round trip its paper bracket opened: entry at the fill (after the simulated latency
    # and slippage), the stop at the signal's pivot stop, 1R between them.
    trade_id, contract_id, direction, quantity, entry, stop, risk_ticks, status = tuple(trade)
    assert (trade_id, contract_id, direction, quantity, stop, status) == (
        confirmed.trade_id, "NQZ2026", "bullish", 1, NQ.ticks_from_price("25285.00"), "open",
    )  # fmt: skip
    assert entry >= NQ.ticks_from_price("25346.50") and risk_ticks == entry - stop
    assert await stored_trade(database_url, s) is None


async def run_replay(database_url: str, path: Path, clock: TestClock) -> RunningServer:
    config = server_config(database_url, feed="replay", replay_file=path, replay_speed=0.0, symbols=("NQZ2026",))
    running = await start(config, clock=clock)
    binding = running.engine.bindings[0]
    await eventually(lambda: binding.state is FeedState.FINISHED)
    return running


async def test_a_pending_signal_survives_a_restart_and_still_confirms(database_url: str, tmp_path: Path) -> None:
    first_part, second_part = tmp_path / "part1.csv", tmp_path / "part2.csv"
    first_part.write_text(HEADER + PART_1)
    second_part.write_text(HEADER + PART_2)

    clock = TestClock(START)
    running = await run_replay(database_url, first_part, clock)
    try:
        clock.set_ns(SUBMITTED_AT)
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = pb_grpc.SignalServiceStub(channel)
            pending = (await stub.SubmitSignal(pb.SubmitSignalRequest(input=signal_input(1)))).signal
    finally:
        await running.stop()
    assert pending.status == pb.SIGNAL_STATUS_PENDING

    running = await run_replay(database_url, second_part, TestClock(AFTER_TAPE))
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = pb_grpc.SignalServiceStub(channel)
            confirmed = await settled(stub, pending.signal_id, pb.SIGNAL_STATUS_CONFIRMED)
            again = await stub.SubmitSignal(pb.SubmitSignalRequest(input=signal_input(1)))
    finally:
        await running.stop()
    assert_bullish_confirmed(confirmed)
    assert again.duplicate and again.signal.signal_id == pending.signal_id
    assert again.signal.status == pb.SIGNAL_STATUS_CONFIRMED
    assert (await stored_trade(database_url, pending.signal_id))["id"] == confirmed.trade_id
