"""A confirmed signal's bracket on a LIVE signal account (VIGIL_SIGNAL_ACCOUNT) goes to the broker (the fake
Tradovate): the entry at market, then the stop at the signal's stop and the 2R target anchored on the broker's
fill, each sent once the kernel prices it; the target's fill at the broker closes the trade and cancels the stop."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import grpc
import pytest

from clients.sdk import VigilClient
from core_server.app import start
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, DEFAULT_ACCOUNT_ID, FakeTradovateBroker
from core_server.feeds.replay import ReplayFeed
from core_server.model.clock import TestClock
from tests.acceptance.test_signal_to_confirmation import (
    AFTER_TAPE,
    HEADER,
    PART_1,
    PART_2,
    PAUSE_AT,
    START,
    SUBMITTED_AT,
    PausingTickSource,
    settled,
    signal_input,
)
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from vigil.v1 import signals_pb2 as pb
from vigil.v1 import signals_pb2_grpc as pb_grpc

D = Decimal


async def test_a_confirmed_signal_bracket_on_a_live_account_trades_at_the_broker(
    database_url: str, tmp_path: Path, fake_tradovate: FakeTradovateBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in fake_tradovate.env().items():
        monkeypatch.setenv(key, value)
    fake_tradovate.set_market("NQZ6", D("25350.00"), D("25350.25"))
    path = tmp_path / "tape.csv"
    path.write_text(HEADER + PART_1 + PART_2)
    clock = TestClock(START)
    source = PausingTickSource(path, PAUSE_AT)
    plan = FeedPlan(ReplayFeed(source, clock, speed=0.0), realtime=False, quote_only=False, store_ticks=False)
    config = server_config(database_url, symbols=("NQZ2026",))  # VIGIL_SIGNAL_ACCOUNT: paper (the default)
    running = await start(config, clock=clock, feed_plan=plan)
    try:
        await source.paused.wait()
        async with VigilClient(running.address) as client:
            await client.bind_account("paper", "tradovate", DEFAULT_ACCOUNT)
            await client.set_live_routing("paper", True, confirm="paper")
            clock.set_ns(SUBMITTED_AT)
            async with grpc.aio.insecure_channel(running.address) as channel:
                signals = pb_grpc.SignalServiceStub(channel)
                signal = (await signals.SubmitSignal(pb.SubmitSignalRequest(input=signal_input(1)))).signal
                clock.set_ns(AFTER_TAPE)
                source.resume.set()
                await settled(signals, signal.signal_id, pb.SIGNAL_STATUS_CONFIRMED)

            book = fake_tradovate.book
            await eventually(lambda: len(book.orders) == 3)  # the entry, then its two exits once it filled
            entry, first, second = book.orders.values()
            assert (entry.action, entry.order_type, entry.qty, entry.status) == ("Buy", "Market", 1, "Filled")
            assert entry.avg_price == D("25350.25")
            exits = {o.order_type: o for o in (first, second)}
            assert exits["Stop"].stop_price == D("25285.00")  # the signal's stop
            assert exits["Limit"].price == D("25350.25") + 2 * (D("25350.25") - D("25285.00"))  # 2R from the fill

            async def kernel_long() -> bool:
                orders = await client.list_orders("paper")
                return sorted(o.status.value for o in orders) == ["filled", "working", "working"]

            await eventually(kernel_long)
            (order,) = [o for o in await client.list_orders("paper") if o.status.value == "filled"]
            assert order.client_order_id.startswith("signal:")
            assert order.average_fill_price == D("25350.25")  # the broker's fill, in the kernel's order

            target = exits["Limit"].price
            assert target is not None
            fake_tradovate.set_market("NQZ6", target, target + D("0.25"))  # the target fills at the broker
            await eventually(lambda: exits["Stop"].status == "Canceled")  # the kernel's OCO, sent to the broker
            assert book.positions[(DEFAULT_ACCOUNT_ID, "NQZ6")].net == 0

            async def kernel_flat() -> bool:
                orders = await client.list_orders("paper")
                return sorted(o.status.value for o in orders) == ["cancelled", "filled", "filled"]

            await eventually(kernel_flat)
            assert not [p for p in await client.list_positions("paper") if p.quantity]
    finally:
        await running.stop()
