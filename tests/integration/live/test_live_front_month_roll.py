"""A server running across a front-month roll (SPEC §1: the next contract leads from the 17:00 CT open of the
trading day 8 calendar days before expiry) rolls as a backtest does: the feed starts streaming the new front
month, `NQ1!` then trades it, and what was open in the old contract is cancelled and closed with the reason `roll`.
Before, the contracts were resolved once at start: after the roll every `NQ1!` order named a contract the feed did
not stream ("no market for NQH2027 yet") until a restart."""

from __future__ import annotations

from decimal import Decimal

import grpc

from core_server.app import start
from core_server.config import PaperConfig
from core_server.model.clock import NS_PER_MS, TestClock
from core_server.model.instruments import Contract
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.kit.time import ct, running_clock
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import execution_pb2_grpc as xpb_grpc
from vigil.v1 import market_data_pb2 as mpb
from vigil.v1 import market_data_pb2_grpc as mpb_grpc

OLD, NEW = Contract("NQ", 2026, 12), Contract("NQ", 2027, 3)
ROLL = ct(2026, 12, 9, 17, 0)  # NQZ2026 expires on Friday 18 December: NQH2027 leads from Wednesday's open
BEFORE = ROLL - 5_000 * NS_PER_MS


def market(symbol: str, side: int = xpb.ORDER_SIDE_BUY) -> xpb.SubmitOrderRequest:
    spec = xpb.OrderSpec(symbol=symbol, side=side, type=xpb.ORDER_TYPE_MARKET, quantity=1)
    return xpb.SubmitOrderRequest(account_id="paper", order=spec)


async def test_a_running_server_rolls_to_the_new_front_month(database_url: str) -> None:
    clock = TestClock(BEFORE)
    paper = PaperConfig(latency_ms=(0, 0), slippage_ticks=0)
    running = await start(server_config(database_url, symbols=("NQ1!",), paper=paper), clock=clock)
    try:
        async with grpc.aio.insecure_channel(running.address) as channel, running_clock(clock):
            orders = xpb_grpc.ExecutionServiceStub(channel)
            quotes = mpb_grpc.MarketDataServiceStub(channel)

            async def quoted(symbol: str) -> str:
                try:
                    reply = await quotes.GetQuote(mpb.GetQuoteRequest(symbol=symbol))
                except grpc.aio.AioRpcError:
                    return ""
                return reply.quote.contract_id if reply.quote.bid else ""

            assert await eventually(lambda: quoted("NQ1!")) == OLD.id
            held = (await orders.SubmitOrder(market("NQ1!"))).order
            assert held.contract_id == OLD.id

            async def position(contract_id: str) -> int:
                listed = await orders.ListPositions(xpb.ListPositionsRequest(account_id="paper"))
                return sum(p.quantity for p in listed.positions if p.contract_id == contract_id)

            assert await eventually(lambda: position(OLD.id)) == 1
            bid = Decimal((await quotes.GetQuote(mpb.GetQuoteRequest(symbol=OLD.id))).quote.bid)
            resting = xpb.OrderSpec(symbol=OLD.id, side=xpb.ORDER_SIDE_SELL, type=xpb.ORDER_TYPE_LIMIT, quantity=1,
                                    time_in_force=xpb.TIME_IN_FORCE_GTC,
                                    limit_price=str(bid + 500))  # fmt: skip
            target = (await orders.SubmitOrder(xpb.SubmitOrderRequest(account_id="paper", order=resting))).order

            # The clock crosses 17:00 CT: the feed streams NQH2027 and NQ1! means it.
            assert await eventually(lambda: quoted("NQ1!") if clock.now_ns() > ROLL else "", timeout=30) == NEW.id

            async def rolled() -> bool:
                return await position(OLD.id) == 0

            await eventually(rolled)
            listed = await eventually(lambda: roll_placed(orders))  # actors are stored with the journal
            by_id = {o.order_id: o for o in listed.orders}
            assert by_id[target.order_id].status == xpb.ORDER_STATUS_CANCELLED
            assert by_id[target.order_id].reason == "cancelled: roll"
            (close,) = [o for o in listed.orders if o.placed_by == "roll"]
            assert (close.contract_id, close.side) == (OLD.id, xpb.ORDER_SIDE_SELL)
            assert close.status == xpb.ORDER_STATUS_FILLED

            after = (await orders.SubmitOrder(market("NQ1!"))).order
            assert after.contract_id == NEW.id
            assert await eventually(lambda: position(NEW.id)) == 1
    finally:
        await running.stop()


async def test_a_roll_that_passed_while_the_server_was_stopped_runs_when_it_starts(database_url: str) -> None:
    """Stopped before the roll holding NQZ2026, started after it: the old month streams again and is rolled at once
    (the resting order cancelled, the position closed with the reason `roll`); NQ1! means the new month."""
    clock = TestClock(BEFORE)
    paper = PaperConfig(latency_ms=(0, 0), slippage_ticks=0)
    config = server_config(database_url, symbols=("NQ1!",), paper=paper)
    running = await start(config, clock=clock)
    try:
        async with grpc.aio.insecure_channel(running.address) as channel, running_clock(clock, step_ms=10):
            orders = xpb_grpc.ExecutionServiceStub(channel)
            await eventually(lambda: running.engine.state(OLD.id).recent)  # type: ignore[union-attr]
            await orders.SubmitOrder(market("NQ1!"))
            await eventually(lambda: position(orders, OLD.id))
    finally:
        await running.stop()

    clock = TestClock(ROLL + 3_600_000 * NS_PER_MS)
    running = await start(config, clock=clock)
    try:
        assert set(running.engine.contract_ids()) == {OLD.id, NEW.id}
        async with grpc.aio.insecure_channel(running.address) as channel, running_clock(clock, step_ms=10):
            orders = xpb_grpc.ExecutionServiceStub(channel)

            async def rolled() -> bool:
                return await position(orders, OLD.id) == 0

            await eventually(rolled)
            listed = await eventually(lambda: roll_placed(orders))
            (close,) = [o for o in listed.orders if o.placed_by == "roll"]
            assert (close.contract_id, close.side) == (OLD.id, xpb.ORDER_SIDE_SELL)
            assert close.status == xpb.ORDER_STATUS_FILLED
            after = (await orders.SubmitOrder(market("NQ1!"))).order
            assert after.contract_id == NEW.id
    finally:
        await running.stop()


async def position(orders: xpb_grpc.ExecutionServiceStub, contract_id: str) -> int:
    listed = await orders.ListPositions(xpb.ListPositionsRequest(account_id="paper"))
    return sum(p.quantity for p in listed.positions if p.contract_id == contract_id)


async def roll_placed(orders: xpb_grpc.ExecutionServiceStub) -> xpb.ListOrdersResponse | None:
    listed = await orders.ListOrders(xpb.ListOrdersRequest(account_id="paper"))
    return listed if any(o.placed_by == "roll" for o in listed.orders) else None
