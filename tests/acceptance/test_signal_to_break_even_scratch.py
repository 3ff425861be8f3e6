"""From a confirmed signal to a break-even scratch: the signal acceptance tape (test_signal_to_confirmation.py)
replayed through the real server, continued with hand-chosen ticks after the confirmation, and the trade the
signal opened followed through TradeService over gRPC.

Signal execution is off here, so the trade is the Signal Lab's, tracked from the signal's own entry and stop.
The replay pauses twice: after part 1 (the signal is submitted), and after part 2 (the signal confirms and its
trade record is tracked from then on). Part 3 then moves the trade.

Trade: long NQZ2026, entry 25346.50, stop 25285.00, risk 61.50 points = 246 ticks; +1R = 25408.00.

    time (UTC)   price      favourable   R                  event
    15:34:01     25346.50     0.00       0                  (the entry: the trade opens on this print)
    15:34:15     25352.00     5.50       22/246  = 0.09     new_high
    15:34:30     25344.00    -2.50      -10/246  = -0.04    new_low
    15:35:10     25370.00    23.50       94/246  = 0.38     new_high
    15:35:20     25390.00    43.50       174/246 = 0.71     new_high
    15:35:30     25408.00    61.50       1                  new_high, break_even_triggered (stop -> 25346.50)
    15:35:40     25415.00    68.50       274/246 = 1.11     new_high
    15:35:50     25380.00    33.50       0.54               (nothing: below the MFE, above the stop)
    15:36:05     25346.50     0.00       0                  stop_hit: break_even, 0R with MFE 1.11R
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import grpc

from core_server.app import start
from core_server.config import PaperConfig
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.feeds.tick_csv import read_ticks_csv
from core_server.model.clock import TestClock
from core_server.model.market_data import Tick
from tests.acceptance.test_signal_to_confirmation import (
    ENTRY_AT,
    HEADER,
    PART_1,
    PART_2,
    PAUSE_AT,
    START,
    SUBMITTED_AT,
    assert_bullish_confirmed,
    settled,
    signal_input,
)
from tests.kit.server import server_config
from tests.kit.time import utc
from vigil.v1 import signals_pb2, signals_pb2_grpc
from vigil.v1 import trades_pb2 as pb
from vigil.v1 import trades_pb2_grpc as pb_grpc

PART_3 = "".join(
    f"2026-11-19T15:{m:02d}:{s:02d}Z,NQZ6,trade,,,,,{price},1,buy\n"
    for m, s, price in (
        (35, 10, "25370.00"),
        (35, 20, "25390.00"),
        (35, 30, "25408.00"),
        (35, 40, "25415.00"),
        (35, 50, "25380.00"),
        (36, 5, "25346.50"),
    )
)
PART_3_AT = utc(2026, 11, 19, 15, 35, 10)
CONFIRMED_AT = utc(2026, 11, 19, 15, 35, 5)  # the clock once part 2 has played


class StagedTickSource:
    """The ticks of a CSV file in stages split at `pauses`; before each later stage it waits for `resume`."""

    def __init__(self, path: Path, pauses: Sequence[int]) -> None:
        ticks = list(read_ticks_csv(path))
        bounds = [0, *pauses, 1 << 62]
        self._stages = [[t for t in ticks if lo <= t.ts_event < hi] for lo, hi in itertools.pairwise(bounds)]
        self.paused = asyncio.Event()
        self.resume = asyncio.Event()

    @property
    def contracts(self) -> tuple[str, ...]:
        return ("NQZ2026",)

    async def batches(self) -> AsyncIterator[list[Tick]]:
        for n, stage in enumerate(self._stages):
            if n:
                self.paused.set()
                await self.resume.wait()
                self.resume.clear()
            self.paused.clear()
            yield stage
        self.paused.set()


async def test_a_confirmed_signal_trade_reaches_one_r_then_scratches_at_break_even(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "tape.csv"
    path.write_text(HEADER + PART_1 + PART_2 + PART_3)
    clock = TestClock(START)
    source = StagedTickSource(path, (PAUSE_AT, PART_3_AT))
    plan = FeedPlan(ReplayFeed(source, clock, speed=0.0), realtime=False, quote_only=False, store_ticks=False)
    # Not executed: the Signal Lab trade is tracked from the signal's own entry and stop (an executed one is the
    # round trip of its bracket's fills: test_signal_to_paper_bracket.py).
    config = server_config(database_url, symbols=("NQZ2026",), paper=PaperConfig(signal_execution=False))
    running = await start(config, clock=clock, feed_plan=plan)
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            signals = signals_pb2_grpc.SignalServiceStub(channel)
            trades = pb_grpc.TradeServiceStub(channel)

            await source.paused.wait()  # part 1 played
            clock.set_ns(SUBMITTED_AT)
            request = signals_pb2.SubmitSignalRequest(input=signal_input(signals_pb2.SIGNAL_DIRECTION_BULLISH))
            signal = (await signals.SubmitSignal(request)).signal

            clock.set_ns(CONFIRMED_AT)
            source.resume.set()  # part 2: the signal confirms and opens its trade
            confirmed = await settled(signals, signal.signal_id, signals_pb2.SIGNAL_STATUS_CONFIRMED)
            assert_bullish_confirmed(confirmed)

            # The trade is tracked once the stream has it: as an open trade, or as the update that opened it.
            updates = trades.StreamTradeUpdates(pb.StreamTradeUpdatesRequest(send_open=True))
            opened = None
            seen: list[tuple[str, str, str, int]] = []
            async for response in updates:
                if response.trade.trade_id != confirmed.trade_id:
                    continue
                if opened is None:
                    opened = response.trade
                    source.resume.set()  # part 3: move the trade
                elif response.event.kind:  # the opened update may follow the snapshot; only events count here
                    event = response.event
                    seen.append((event.kind, event.price, event.r, response.trade.status))
                    if response.trade.status != pb.TRADE_STATUS_OPEN:
                        break
            updates.cancel()

            final = (await trades.GetTrade(pb.GetTradeRequest(trade_id=confirmed.trade_id))).trade
    finally:
        await running.stop()

    assert opened is not None
    assert (opened.trade_id, opened.signal_id, opened.status) == (
        confirmed.trade_id,
        signal.signal_id,
        pb.TRADE_STATUS_OPEN,
    )
    assert (opened.entry_price, opened.initial_stop, opened.current_stop, opened.opened_ns) == (
        "25346.50",
        "25285.00",
        "25285.00",
        ENTRY_AT,  # the kernel decides within the tick that gave the entry, on that tick's time
    )
    open_, break_even = pb.TRADE_STATUS_OPEN, pb.TRADE_STATUS_BREAK_EVEN
    assert seen == [
        ("new_high", "25352.00", "0.09", open_),  # the rest of the entry candle: 22 ticks of 246
        ("new_low", "25344.00", "-0.04", open_),  # -10 ticks
        ("new_high", "25370.00", "0.38", open_),
        ("new_high", "25390.00", "0.71", open_),
        ("new_high", "25408.00", "1.00", open_),
        ("break_even_triggered", "25408.00", "1.00", open_),
        ("new_high", "25415.00", "1.11", open_),
        ("stop_hit", "25346.50", "0.00", break_even),
    ]
    # A break-even scratch: stopped at entry for 0R after reaching at least +1R.
    assert (final.status, final.result_r, final.exit_price, final.current_stop) == (
        pb.TRADE_STATUS_BREAK_EVEN,
        "0.00",
        "25346.50",
        "25346.50",
    )
    assert (final.mfe_r, final.mfe_points, final.mae_r, final.mae_points) == ("1.11", "68.50", "-0.04", "-2.50")
    assert (final.signal_id, final.direction, final.quantity) == (
        signal.signal_id,
        pb.TRADE_DIRECTION_LONG,
        1,
    )
    assert final.closed_ns == utc(2026, 11, 19, 15, 36, 5)
    assert [(e.kind, e.ts_ns, e.r) for e in final.events] == [
        ("new_high", utc(2026, 11, 19, 15, 34, 15), "0.09"),
        ("new_low", utc(2026, 11, 19, 15, 34, 30), "-0.04"),
        ("new_high", utc(2026, 11, 19, 15, 35, 10), "0.38"),
        ("new_high", utc(2026, 11, 19, 15, 35, 20), "0.71"),
        ("new_high", utc(2026, 11, 19, 15, 35, 30), "1.00"),
        ("break_even_triggered", utc(2026, 11, 19, 15, 35, 30), "1.00"),
        ("new_high", utc(2026, 11, 19, 15, 35, 40), "1.11"),
        ("stop_hit", utc(2026, 11, 19, 15, 36, 5), "0.00"),
    ]
