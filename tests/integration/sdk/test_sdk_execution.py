"""VigilClient ExecutionService calls against the real server: paper accounts, orders, brackets, OCO, positions."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import pytest

from clients.sdk import (
    InvalidArgumentError,
    NotFoundError,
    OrderEvent,
    OrderSide,
    OrderStatus,
    OrderType,
    VigilClient,
    VigilSyncClient,
    bracket,
    limit,
    market,
    stop,
)
from core_server.app import RunningServer
from core_server.bus import Bus
from tests.integration.sdk.probes import nq_bid, served
from tests.kit.eventually import eventually

TICK = Decimal("0.25")  # NQ
FAR = Decimal(1000)  # points away from the market: a resting order that will not fill during a test


@pytest.fixture
async def account_id(client: VigilClient) -> str:
    await served(client.list_accounts(), "ExecutionService")
    return (await client.create_account("sdk-tests", Decimal("50000"))).account_id


class OrderReader:
    """Collects stream_order_events in the background until stopped."""

    def __init__(self, client: VigilClient, account_id: str) -> None:
        self.items: list[OrderEvent] = []
        self._task = asyncio.create_task(self._read(client, account_id))

    @classmethod
    async def open(cls, client: VigilClient, account_id: str, bus: Bus) -> OrderReader:
        """A reader whose stream the server has subscribed (a stream without since_seq starts then)."""
        subscribers = bus.subscriber_count()
        reader = cls(client, account_id)
        await eventually(lambda: bus.subscriber_count() > subscribers)
        return reader

    async def _read(self, client: VigilClient, account_id: str) -> None:
        async for event in client.stream_order_events(account_id):
            self.items.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.items]

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def test_accounts_are_created_listed_read_and_reset_with_exact_money(client: VigilClient) -> None:
    await served(client.list_accounts(), "ExecutionService")
    created = await client.create_account("sdk-eval", Decimal("25000.50"))
    assert created.starting_balance == created.balance == created.equity == Decimal("25000.50")
    assert created.positions == () and created.name == "sdk-eval"
    assert created.account_id in {a.account_id for a in await client.list_accounts()}
    got = await client.get_account(created.account_id)
    assert (got.name, got.balance, got.commissions) == ("sdk-eval", Decimal("25000.50"), Decimal(0))
    reset = await client.reset_account(created.account_id)
    assert reset.balance == Decimal("25000.50")

    with pytest.raises(NotFoundError):
        await client.get_account("no-such-account")
    with pytest.raises(InvalidArgumentError) as caught:
        await client.create_account("sdk-bad", Decimal("0.001"))
    assert caught.value.field == "starting_balance"


async def test_a_resting_limit_order_is_modified_then_cancelled_at_exact_prices(
    client: VigilClient, account_id: str
) -> None:
    price = await nq_bid(client) - FAR
    result = await client.submit_order(account_id, limit("NQ", "buy", 2, price, client_order_id="sdk-c-1"))
    order = result.order
    assert not result.denied and "accepted" in [e.kind for e in result.events]
    assert (order.order_type, order.side, order.quantity, order.limit_price) == (
        OrderType.LIMIT,
        OrderSide.BUY,
        2,
        price,
    )
    assert order.contract_id.startswith("NQ") and order.client_order_id == "sdk-c-1" and order.is_open

    async def working() -> bool:
        listed = await client.list_orders(account_id, open_only=True, symbol="NQ")
        return [o.status for o in listed if o.order_id == order.order_id] == [OrderStatus.WORKING]

    await eventually(working)
    lower = price - TICK
    modified = await client.modify_order(order.order_id, quantity=1, limit_price=lower)
    assert (modified.order.quantity, modified.order.limit_price) == (1, lower)
    cancelled = await client.cancel_order(order.order_id)
    assert cancelled.order.status is OrderStatus.CANCELLED and not cancelled.order.is_open
    assert await client.list_orders(account_id, open_only=True) == []
    assert order.order_id in {o.order_id for o in await client.list_orders(account_id)}


async def test_a_price_off_the_tick_grid_is_an_invalid_argument_naming_the_field(
    client: VigilClient, account_id: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.submit_order(account_id, limit("NQ", "buy", 1, "20000.10"))
    assert "limit_price" in caught.value.field


async def test_a_market_order_fills_streams_its_events_and_closes_with_exact_money(
    client: VigilClient, account_id: str, running_server: RunningServer
) -> None:
    reader = await OrderReader.open(client, account_id, running_server.bus)
    try:
        result = await client.submit_order(account_id, market("NQ", "buy", 1))
        assert not result.denied

        async def long_one() -> bool:
            return [p.quantity for p in await client.list_positions(account_id)] == [1]

        await eventually(long_one)
        # ListFills reads the store, which the server writes behind the fill: wait for it.
        fills = await eventually(lambda: client.list_fills(account_id))
        assert len(fills) == 1 and fills[0].side is OrderSide.BUY and fills[0].price % TICK == 0
        assert fills[0].commission > 0 and fills[0].order_id == result.order.order_id
        account = await client.get_account(account_id)
        position = account.position(fills[0].contract_id)
        assert position is not None and position.side is OrderSide.BUY and position.average_price == fills[0].price
        assert account.commissions == fills[0].commission

        def saw_fill() -> bool:
            return any(e.fill is not None and e.fill.fill_id == fills[0].fill_id for e in reader.items)

        await eventually(saw_fill)

        await client.close_position(account_id, "NQ")

        async def flat() -> bool:
            return all(p.quantity == 0 for p in await client.list_positions(account_id))

        await eventually(flat)
        closed = await client.get_account(account_id)
        assert closed.balance == closed.starting_balance + closed.realized_pnl - closed.commissions

        async def two_fills() -> bool:
            return len(await client.list_fills(account_id)) == 2

        await eventually(two_fills)
    finally:
        await reader.stop()


async def test_a_position_is_reversed_then_the_account_flattened(client: VigilClient, account_id: str) -> None:
    await client.submit_order(account_id, market("NQ", "buy", 2))

    async def position_is(quantity: int) -> bool:
        return sum(p.quantity for p in await client.list_positions(account_id)) == quantity

    await eventually(lambda: position_is(2))
    await client.reverse_position(account_id, "NQ")
    await eventually(lambda: position_is(-2))
    await client.submit_order(account_id, limit("NQ", "buy", 1, await nq_bid(client) - FAR))
    await client.flatten_account(account_id)
    await eventually(lambda: position_is(0))
    assert await client.list_orders(account_id, open_only=True) == []


async def test_brackets_batches_and_oco_pairs_link_their_orders_and_cancel_all_clears_them(
    client: VigilClient, account_id: str
) -> None:
    entry = await nq_bid(client) - FAR
    placed = await client.submit_bracket(
        account_id, bracket(limit("NQ", "buy", 1, entry), stop_loss_ticks=40, take_profit_ticks=80)
    )
    assert len(placed.orders) == 3 and placed.bracket_id and not placed.denied
    assert placed.entry is not None and placed.entry.limit_price == entry
    # distances are measured from the entry's fill: no price until it fills
    assert placed.stop_loss is not None and placed.stop_loss.stop_price is None
    assert (placed.stop_loss.offset_ticks, placed.stop_loss.reduce_only) == (40, True)
    assert placed.take_profit is not None and placed.take_profit.limit_price is None
    assert placed.take_profit.offset_ticks == 80
    assert placed.stop_loss.status is OrderStatus.PENDING_PARENT
    assert placed.stop_loss.parent_order_id == placed.entry.order_id

    batch = await client.submit_bracket_batch(
        account_id,
        [
            bracket(limit("NQ", "buy", 1, entry - 1), stop_loss_price=entry - 11, take_profit_price=entry + 19),
            bracket(limit("NQ", "buy", 1, entry - 2), stop_loss_ticks=8, take_profit_ticks=8),
        ],
    )
    assert len(batch.orders) == 6 and len(batch.bracket_ids) == 2 and not batch.denied

    oco = await client.submit_oco(
        account_id, limit("NQ", "buy", 1, entry), stop("NQ", "sell", 1, entry - 5, time_in_force="gtc")
    )
    assert len(oco.orders) == 2 and oco.oco_group_id
    assert {o.oco_group_id for o in oco.orders} == {oco.oco_group_id}

    cancelled = await client.cancel_all_orders(account_id, symbol="NQ")
    assert cancelled.orders and all(o.status is OrderStatus.CANCELLED for o in cancelled.orders)
    assert await client.list_orders(account_id, open_only=True) == []


async def test_stream_account_starts_with_a_snapshot_of_the_account(client: VigilClient, account_id: str) -> None:
    stream = client.stream_account(account_id, max_rate=20)
    try:
        first = await anext(stream)
    finally:
        await stream.aclose()
    assert first.account_id == account_id and first.balance == Decimal("50000")


async def test_the_sync_client_places_and_lists_orders(vigil_server: str, client: VigilClient) -> None:
    await served(client.list_accounts(), "ExecutionService")
    price = await nq_bid(client) - FAR

    def use_sync_client() -> None:
        with VigilSyncClient(vigil_server) as sync:
            account = sync.create_account("sdk-sync")
            assert account.starting_balance == Decimal("50000")
            placed = sync.submit_order(account.account_id, limit("NQ", "sell", 1, price + 2 * FAR))
            assert placed.order.limit_price == price + 2 * FAR
            assert [o.order_id for o in sync.list_orders(account.account_id)] == [placed.order.order_id]
            events = sync.stream_account(account.account_id)
            assert next(events).account_id == account.account_id
            events.close()
            assert sync.cancel_all_orders(account.account_id).orders[0].status is OrderStatus.CANCELLED

    await asyncio.to_thread(use_sync_client)
