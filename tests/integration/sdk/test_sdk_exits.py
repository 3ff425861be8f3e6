"""Reduce-only orders and bracket exits measured from the fill, through the SDK against the real server."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clients.sdk import (
    FailedPreconditionError,
    InvalidArgumentError,
    OrderStatus,
    VigilClient,
    bracket,
    limit,
    market,
)
from tests.integration.sdk.probes import nq_bid, served
from tests.kit.eventually import eventually

FAR = Decimal(1000)  # points: a resting order that will not fill during a test


@pytest.fixture
async def account_id(client: VigilClient) -> str:
    await served(client.list_accounts(), "ExecutionService")
    return (await client.create_account("sdk-exits", Decimal("50000"))).account_id


async def _position(client: VigilClient, account_id: str) -> int:
    return sum(p.quantity for p in await client.list_positions(account_id))


async def _position_becomes(client: VigilClient, account_id: str, quantity: int) -> None:
    async def there() -> bool:
        return await _position(client, account_id) == quantity

    await eventually(there)


async def test_a_reduce_only_order_is_refused_when_flat_cut_to_the_position_and_cancelled_when_flat(
    client: VigilClient, account_id: str
) -> None:
    bid = await nq_bid(client)
    with pytest.raises(FailedPreconditionError, match="nothing to reduce"):
        await client.submit_order(account_id, limit("NQ", "sell", 1, bid + FAR, reduce_only=True))
    await client.submit_order(account_id, market("NQ", "buy", 2))
    await _position_becomes(client, account_id, 2)
    placed = await client.submit_order(account_id, limit("NQ", "sell", 3, bid + FAR, reduce_only=True))
    assert (placed.order.quantity, placed.order.reduce_only) == (2, True)
    await client.submit_order(account_id, market("NQ", "sell", 2))

    async def gone() -> str | None:
        (order,) = [o for o in await client.list_orders(account_id) if o.order_id == placed.order.order_id]
        return order.reason if order.status is OrderStatus.CANCELLED else None

    assert await eventually(gone) == "cancelled: position_flat"
    assert await _position(client, account_id) == 0


async def test_a_bracket_in_points_and_r_is_anchored_on_the_fill_and_a_moved_stop_stays_linked(
    client: VigilClient, account_id: str
) -> None:
    await nq_bid(client)
    placed = await client.submit_bracket(
        account_id, bracket(market("NQ", "buy", 1), stop_loss_points="250", take_profit_r="2")
    )
    assert placed.stop_loss is not None and placed.take_profit is not None
    assert (placed.stop_loss.offset_ticks, placed.take_profit.target_r) == (1000, Decimal("2"))
    if placed.orders[0].average_fill_price is None:  # the entry had not filled when the answer was built: no prices
        assert placed.stop_loss.stop_price is None and placed.take_profit.limit_price is None

    async def anchored() -> tuple[Decimal, Decimal, Decimal] | None:
        orders = {o.order_id: o for o in await client.list_orders(account_id)}
        entry, sl, tp = (orders[o.order_id] for o in placed.orders)
        if sl.status is not OrderStatus.WORKING or entry.average_fill_price is None:
            return None
        assert sl.stop_price is not None and tp.limit_price is not None
        return entry.average_fill_price, sl.stop_price, tp.limit_price

    fill, stop, target = await eventually(anchored)
    assert (stop, target) == (fill - 250, fill + 500)  # 2R of a 250-point risk from the actual fill

    moved = await client.modify_order(placed.stop_loss.order_id, stop_price=fill - 200)
    assert moved.order.stop_price == fill - 200 and moved.order.bracket_id == placed.bracket_id
    assert [(e.kind, e.reason) for e in moved.events] == [("modified", "requested")]
    with pytest.raises(InvalidArgumentError) as caught:
        await client.modify_order(placed.take_profit.order_id, limit_price=fill + 5000)
    assert caught.value.field == "limit_price"
    await client.flatten_account(account_id)
    await _position_becomes(client, account_id, 0)


async def test_an_absurd_bracket_distance_is_refused_naming_the_wire_field(
    client: VigilClient, account_id: str
) -> None:
    await nq_bid(client)
    with pytest.raises(InvalidArgumentError) as caught:
        await client.submit_bracket(
            account_id, bracket(market("NQ", "buy", 1), stop_loss_ticks=1_000_000_000, take_profit_ticks=80)
        )
    assert caught.value.field == "bracket.stop_loss.ticks"
    with pytest.raises(InvalidArgumentError) as r_stop:
        await client.submit_bracket(
            account_id, bracket(market("NQ", "buy", 1), take_profit_r="1000", stop_loss_ticks=8)
        )
    assert r_stop.value.field == "bracket.take_profit.r_multiple"
