"""ExecutionService over a real server: every RPC, field-named refusals, streams, nothing half-applied."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from core_server.config import PaperConfig
from tests.integration.execution.desk import MS, T0, Desk, S, bad_field, open_desk, order
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote, trade
from vigil.v1 import execution_pb2 as pb

BUY, SELL = pb.ORDER_SIDE_BUY, pb.ORDER_SIDE_SELL
MKT, LMT, STP, STL = pb.ORDER_TYPE_MARKET, pb.ORDER_TYPE_LIMIT, pb.ORDER_TYPE_STOP, pb.ORDER_TYPE_STOP_LIMIT


@pytest.fixture
async def desk(database_url: str) -> AsyncIterator[Desk]:
    async with open_desk(database_url) as d:
        yield d


async def submit(desk: Desk, spec: pb.OrderSpec, account_id: str = "paper") -> pb.SubmitOrderResponse:
    return await desk.stub.SubmitOrder(pb.SubmitOrderRequest(account_id=account_id, order=spec))


async def filled_long(desk: Desk) -> None:
    """A 1-lot ES long: a market buy that arrives with the next quote."""
    await submit(desk, order())
    await desk.ticks(quote(ES, T0 + S + 300 * MS, "6000.00", "6000.25"))
    await eventually(lambda: desk.running.execution.engine.position("paper", ES.id).net_qty == 1)  # type: ignore[union-attr,arg-type]


async def test_the_default_paper_account_is_opened_on_first_start(desk: Desk) -> None:
    accounts = (await desk.stub.ListAccounts(pb.ListAccountsRequest())).accounts
    assert [(a.account_id, a.name, a.starting_balance, a.balance, a.equity) for a in accounts] == [
        ("paper", "paper", "50000", "50000", "50000")
    ]


async def test_accounts_are_created_read_and_reset(desk: Desk) -> None:
    created = (await desk.stub.CreateAccount(pb.CreateAccountRequest(name="eval", starting_balance="150000"))).account
    assert (created.name, created.starting_balance, created.balance) == ("eval", "150000", "150000")
    got = (await desk.stub.GetAccount(pb.GetAccountRequest(account_id=created.account_id))).account
    assert got == created
    await submit(desk, order(order_type=LMT, limit_price="5990.00"), created.account_id)
    reset = (await desk.stub.ResetAccount(pb.ResetAccountRequest(account_id=created.account_id))).account
    assert reset.balance == "150000"
    assert not (await desk.stub.ListOrders(pb.ListOrdersRequest(account_id=created.account_id, open_only=True))).orders
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await desk.stub.CreateAccount(pb.CreateAccountRequest(name="x", starting_balance="-5"))
    assert bad_field(error.value) == "starting_balance"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (order(qty=0), "order.quantity"),
        (order(qty=1001), "order.quantity"),
        (order(order_type=LMT, limit_price="6000.10"), "order.limit_price"),
        (order(order_type=STP, stop_price="6010.10"), "order.stop_price"),
        (order(order_type=LMT), "order.limit_price"),
        (order(order_type=STP), "order.stop_price"),
        (order(order_type=STL, stop_price="6010.00"), "order.limit_price"),
        (order(order_type=STP, stop_price="5990.00"), "order.stop_price"),  # a buy stop below the market
        (order(side=SELL, order_type=STP, stop_price="6010.00"), "order.stop_price"),
        (order(order_type=LMT, limit_price="abc"), "order.limit_price"),
        (order(side=pb.ORDER_SIDE_UNSPECIFIED), "order.side"),
        (order(order_type=pb.ORDER_TYPE_UNSPECIFIED), "order.type"),
        (pb.OrderSpec(symbol="ZZZ", side=BUY, type=MKT, quantity=1), "order.symbol"),
    ],
)
async def test_a_bad_order_is_refused_naming_its_field_and_changes_nothing(
    desk: Desk, spec: pb.OrderSpec, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await submit(desk, spec)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_field(error.value) == field
    assert not (await desk.stub.ListOrders(pb.ListOrdersRequest(account_id="paper"))).orders


async def test_unknown_accounts_and_orders_are_not_found(desk: Desk) -> None:
    calls = [
        desk.stub.SubmitOrder(pb.SubmitOrderRequest(account_id="nobody", order=order())),
        desk.stub.GetAccount(pb.GetAccountRequest(account_id="nobody")),
        desk.stub.ModifyOrder(pb.ModifyOrderRequest(order_id="O-999", quantity=2)),
        desk.stub.CancelOrder(pb.CancelOrderRequest(order_id="O-999")),
    ]
    for call in calls:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await call
        assert error.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_resting_limit_is_modified_and_cancelled(desk: Desk) -> None:
    placed = await submit(desk, order(order_type=LMT, limit_price="5990.00", client_order_id="mine"))
    assert (placed.order.status, placed.order.client_order_id) == (pb.ORDER_STATUS_SUBMITTED, "mine")
    assert [e.kind for e in placed.events] == ["accepted"]
    oid = placed.order.order_id
    modified = await desk.stub.ModifyOrder(pb.ModifyOrderRequest(order_id=oid, quantity=3, limit_price="5991.25"))
    assert (modified.order.quantity, modified.order.limit_price) == (3, "5991.25")
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await desk.stub.ModifyOrder(pb.ModifyOrderRequest(order_id=oid, limit_price="5991.30"))
    assert bad_field(error.value) == "limit_price"
    cancelled = await desk.stub.CancelOrder(pb.CancelOrderRequest(order_id=oid))
    assert cancelled.order.status == pb.ORDER_STATUS_CANCELLED and cancelled.order.reason == "cancelled: requested"
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await desk.stub.CancelOrder(pb.CancelOrderRequest(order_id=oid))
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_modifying_a_filled_order_is_a_failed_precondition(desk: Desk) -> None:
    await filled_long(desk)
    (first,) = (await desk.stub.ListOrders(pb.ListOrdersRequest(account_id="paper"))).orders
    assert first.status == pb.ORDER_STATUS_FILLED
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await desk.stub.ModifyOrder(pb.ModifyOrderRequest(order_id=first.order_id, quantity=2))
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_brackets_batches_and_oco_pairs_are_placed_linked(desk: Desk) -> None:
    bracket = await desk.stub.SubmitBracket(
        pb.SubmitBracketRequest(
            account_id="paper",
            bracket=pb.BracketSpec(
                entry=order(order_type=LMT, limit_price="5995.00"), stop_loss_ticks=8, take_profit_ticks=16
            ),
        )
    )
    entry, sl, tp = bracket.orders
    # tick distances are measured from the entry's fill: no price until it fills
    assert (sl.stop_price, sl.offset_ticks, tp.limit_price, tp.offset_ticks) == ("", 8, "", 16)
    assert sl.reduce_only and tp.reduce_only and not entry.reduce_only
    assert (sl.status, sl.parent_order_id, bracket.bracket_id) == (
        pb.ORDER_STATUS_PENDING_PARENT,
        entry.order_id,
        entry.order_id,
    )
    batch = await desk.stub.SubmitBracketBatch(
        pb.SubmitBracketBatchRequest(
            account_id="paper",
            brackets=[
                pb.BracketSpec(entry=order(), stop_loss_price="5990.00", take_profit_price="6010.00"),
                pb.BracketSpec(entry=order(side=SELL), stop_loss_ticks=4, take_profit_ticks=4),
            ],
        )
    )
    assert len(batch.orders) == 6 and len(batch.bracket_ids) == 2
    assert (batch.orders[1].stop_price, batch.orders[2].limit_price) == ("5990.00", "6010.00")
    assert (batch.orders[4].offset_ticks, batch.orders[5].offset_ticks) == (4, 4)
    oco = await desk.stub.SubmitOco(
        pb.SubmitOcoRequest(
            account_id="paper",
            first=order(side=SELL, order_type=LMT, limit_price="6010.00"),
            second=order(side=SELL, order_type=STP, stop_price="5990.00"),
        )
    )
    assert oco.oco_group_id == oco.orders[0].order_id == oco.orders[1].oco_group_id
    everything = await desk.stub.CancelAllOrders(pb.CancelAllOrdersRequest(account_id="paper", symbol="ES"))
    assert {o.status for o in everything.orders} == {pb.ORDER_STATUS_CANCELLED}
    assert not (await desk.stub.ListOrders(pb.ListOrdersRequest(account_id="paper", open_only=True))).orders


async def test_a_batch_with_one_bad_bracket_places_none(desk: Desk) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await desk.stub.SubmitBracketBatch(
            pb.SubmitBracketBatchRequest(
                account_id="paper",
                brackets=[
                    pb.BracketSpec(entry=order(), stop_loss_price="5990.00", take_profit_price="6010.00"),
                    pb.BracketSpec(entry=order(), stop_loss_price="6010.00", take_profit_price="6020.00"),
                ],
            )
        )
    assert bad_field(error.value) == "brackets[1].stop_loss_price"
    assert not (await desk.stub.ListOrders(pb.ListOrdersRequest(account_id="paper"))).orders


async def test_positions_are_closed_reversed_and_flattened(desk: Desk) -> None:
    await filled_long(desk)
    positions = (await desk.stub.ListPositions(pb.ListPositionsRequest(account_id="paper"))).positions
    assert [(p.contract_id, p.quantity) for p in positions] == [(ES.id, 1)]
    reverse = await desk.stub.ReversePosition(pb.ReversePositionRequest(account_id="paper", symbol="ESZ6"))
    assert [(e.kind, e.order.quantity, e.order.side) for e in reverse.events] == [("accepted", 2, SELL)]
    await desk.ticks(quote(ES, T0 + 2 * S, "6001.00", "6001.25"))
    await eventually(lambda: desk.running.execution.engine.position("paper", ES.id).net_qty == -1)  # type: ignore[union-attr,arg-type]
    close = await desk.stub.ClosePosition(pb.ClosePositionRequest(account_id="paper", symbol="ESZ6"))
    assert [(e.kind, e.order.quantity, e.order.side) for e in close.events] == [("accepted", 1, BUY)]
    flatten = await desk.stub.FlattenAccount(pb.FlattenAccountRequest(account_id="paper"))
    assert [e.kind for e in flatten.events] == ["cancelled", "accepted"]
    fills = (await desk.stub.ListFills(pb.ListFillsRequest(account_id="paper"))).fills
    assert [(f.side, f.quantity) for f in fills] == [(SELL, 2), (BUY, 1)]  # newest first
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await desk.stub.ListFills(pb.ListFillsRequest(account_id="paper", limit=5000))
    assert bad_field(error.value) == "limit"


async def test_order_events_and_account_snapshots_stream_after_they_are_stored(desk: Desk) -> None:
    subscribers = desk.running.bus.subscriber_count()
    events = desk.stub.StreamOrderEvents(pb.StreamOrderEventsRequest(account_id="paper"))
    account = desk.stub.StreamAccount(pb.StreamAccountRequest(account_id="paper", max_rate=20))
    await eventually(lambda: desk.running.bus.subscriber_count() >= subscribers + 2)  # both live from here
    first = await account.read()
    assert first.account.balance == "50000"
    await filled_long(desk)
    await desk.ticks(trade(ES, T0 + 3 * S, "6002.00"))
    seen = []
    async for response in events:
        seen.append((response.event.kind, response.event.order.status))
        if response.event.kind == "filled":
            assert response.event.fill.price in ("6000.25", "6000.50", "6000.75")
            break
    assert seen[0] == ("accepted", pb.ORDER_STATUS_SUBMITTED)
    assert [k for k, _ in seen] == ["accepted", "working", "filled"]

    async def live_pnl() -> bool:
        snapshot = (await account.read()).account
        return bool(snapshot.positions) and snapshot.positions[0].mark_price == "6002.00"

    await eventually(live_pnl)
    events.cancel()
    account.cancel()


async def test_average_prices_print_exactly_to_the_instrument_places_plus_four(database_url: str) -> None:
    async with open_desk(database_url, paper=PaperConfig(slippage_ticks=0)) as desk:
        await filled_long(desk)  # 1 at the ask, 6000.25
        await submit(desk, order(qty=2))
        await desk.ticks(quote(ES, T0 + 2 * S, "6001.00", "6001.50"))  # 2 at 6001.50
        await eventually(lambda: desk.running.execution.engine.position("paper", ES.id).net_qty == 3)  # type: ignore[union-attr,arg-type]

        # (6000.25 + 2 x 6001.50) / 3 = 6001.08333...: ES prices have 2 places, averages 2 + 4, rounded half-even.
        (position,) = (await desk.stub.ListPositions(pb.ListPositionsRequest(account_id="paper"))).positions
        assert position.average_price == "6001.083333"
        orders = (await desk.stub.ListOrders(pb.ListOrdersRequest(account_id="paper"))).orders
        assert sorted(o.average_fill_price for o in orders) == ["6000.250000", "6001.500000"]
