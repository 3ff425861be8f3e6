"""TradersPost alert semantics on a real server and its paper account: exit/close, cancel, add, reversal and the
alert's own bracket legs, each checked as position and orders before and after plus the Signal Lab record.
The market is held still (tests/kit/held_market.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clients.sdk import (
    BracketLeg,
    InvalidArgumentError,
    LegKind,
    LegType,
    OrderSide,
    Signal,
    SignalAction,
    SignalDirection,
    SignalInput,
    SignalStatus,
    Timeframe,
    VigilClient,
    limit,
    market,
)
from tests.kit.held_market import ACCOUNT, FIRED, NQ, client, held_clock, server

__all__ = ["client", "held_clock", "server"]  # fixtures


def alert(
    action: SignalAction,
    direction: SignalDirection = SignalDirection.NONE,
    *,
    key: str,
    price: str = "25340.00",
    quantity: int = 0,
    strategy: str = "orb",
    **fields: object,
) -> SignalInput:
    return SignalInput(
        symbol="NQ1!",
        direction=direction,
        signal_price=Decimal(price),
        signal_time_ns=FIRED,
        timeframe=Timeframe.M1,
        strategy=strategy,
        quantity=quantity or (0 if action is SignalAction.EXIT else 1),
        source="webhook",
        idempotency_key=key,
        action=action,
        **fields,  # type: ignore[arg-type]
    )


async def net(client: VigilClient) -> int:
    return sum(p.quantity for p in await client.list_positions(ACCOUNT) if p.contract_id == NQ)


async def working(client: VigilClient) -> list[tuple[str, bool]]:
    """Open orders in NQ as (side, reduce_only)."""
    orders = await client.list_orders(ACCOUNT, open_only=True)
    return sorted((o.side.value, o.reduce_only) for o in orders if o.contract_id == NQ)


async def hold(client: VigilClient, quantity: int) -> None:
    """Open a position at market: +quantity long, -quantity short."""
    side = OrderSide.BUY if quantity > 0 else OrderSide.SELL
    await client.submit_order(ACCOUNT, market(NQ, side, abs(quantity)))
    assert await net(client) == quantity


async def submit(client: VigilClient, signal_input: SignalInput) -> Signal:
    result = await client.submit_signal(signal_input)
    assert not result.duplicate
    return result.signal


def kinds(signal: Signal) -> list[str]:
    return [e.kind for e in signal.events]


async def test_exit_closes_the_whole_position_never_reverses_and_is_recorded(client: VigilClient) -> None:
    await hold(client, 2)
    assert await working(client) == []

    signal = await submit(client, alert(SignalAction.EXIT, key="exit-1"))

    assert await net(client) == 0
    assert (signal.status, signal.action, kinds(signal)) == (
        SignalStatus.EXECUTED,
        SignalAction.EXIT,
        ["received", "executed"],
    )
    assert signal.outcome == f"closed long 2 {NQ} on account {ACCOUNT} at market"
    assert signal.check("authentic_and_new").outcome.value == "passed"
    assert {c.outcome.value for c in signal.checks[1:]} == {"skipped"}
    stored = await client.get_signal(signal.signal_id)
    assert stored.status is SignalStatus.EXECUTED and stored.outcome == signal.outcome

    again = await client.submit_signal(alert(SignalAction.EXIT, key="exit-1"))
    assert again.duplicate and again.signal.signal_id == signal.signal_id
    assert await net(client) == 0


async def test_exit_with_a_quantity_reduces_and_buy_flat_closes_only_a_short(client: VigilClient) -> None:
    await hold(client, 3)
    reduced = await submit(client, alert(SignalAction.EXIT, key="x-1", quantity=1))
    assert await net(client) == 2
    assert reduced.outcome == f"reduced long 3 {NQ} by 1 on account {ACCOUNT} at market"

    more = await submit(client, alert(SignalAction.EXIT, key="x-2", quantity=5))  # more than held: closes, never flips
    assert await net(client) == 0 and more.outcome.startswith("closed long 2")

    await hold(client, -2)
    wrong_side = await submit(client, alert(SignalAction.EXIT, SignalDirection.BEARISH, key="x-3"))  # sell, flat
    assert wrong_side.status is SignalStatus.NO_OP and await net(client) == -2
    assert wrong_side.outcome == f"a sell exit closes a long; the position in {NQ} is short 2: left as it is"
    flat = await submit(client, alert(SignalAction.EXIT, SignalDirection.BULLISH, key="x-4"))  # buy, flat
    assert await net(client) == 0 and flat.outcome.startswith("closed short 2")


async def test_exit_with_no_position_is_a_recorded_no_op(client: VigilClient) -> None:
    assert await net(client) == 0
    signal = await submit(client, alert(SignalAction.EXIT, key="noop-1"))
    assert signal.status is SignalStatus.NO_OP
    assert signal.outcome == f"no position in {NQ} on account {ACCOUNT}"
    assert await net(client) == 0 and await working(client) == []
    listed = await client.list_signals(statuses=[SignalStatus.NO_OP])
    assert [s.signal_id for s in listed] == [signal.signal_id]


async def test_cancel_cancels_pending_signals_and_opening_orders_but_keeps_protective_exits(
    client: VigilClient,
) -> None:
    await hold(client, 1)
    await client.submit_order(ACCOUNT, limit(NQ, OrderSide.BUY, 1, Decimal("25300.00")))  # opening: cancelled
    await client.submit_order(
        ACCOUNT, limit(NQ, OrderSide.SELL, 1, Decimal("25400.00"), reduce_only=True)
    )  # protective: stays
    pending = await submit(client, alert(SignalAction.ENTRY, SignalDirection.BULLISH, key="entry-1"))
    other = await submit(client, alert(SignalAction.ENTRY, SignalDirection.BULLISH, key="entry-2", strategy="other"))
    assert pending.status is other.status is SignalStatus.PENDING
    assert await working(client) == [("buy", False), ("sell", True)]

    cancel = await submit(client, alert(SignalAction.CANCEL, key="cancel-1"))

    assert cancel.status is SignalStatus.EXECUTED
    assert (
        "cancelled order(s)" in cancel.outcome and f"cancelled pending signal(s) {pending.signal_id}" in cancel.outcome
    )
    assert await working(client) == [("sell", True)]
    assert await net(client) == 1
    assert (await client.get_signal(pending.signal_id)).status is SignalStatus.CANCELLED
    assert (await client.get_signal(other.signal_id)).status is SignalStatus.PENDING  # another strategy's

    nothing = await submit(client, alert(SignalAction.CANCEL, key="cancel-2"))
    assert nothing.status is SignalStatus.NO_OP
    assert nothing.outcome == f"no working orders or pending signals of strategy 'orb' in {NQ}"


async def test_add_is_refused_when_flat_or_against_the_position_and_enters_with_it_otherwise(
    client: VigilClient,
) -> None:
    flat = await submit(client, alert(SignalAction.ADD, key="add-1"))
    assert flat.status is SignalStatus.REJECTED
    assert flat.outcome == f"add refused: no position in {NQ} on account {ACCOUNT} (add only adds to an open position)"

    await hold(client, -1)
    against = await submit(client, alert(SignalAction.ADD, SignalDirection.BULLISH, key="add-2"))
    assert against.status is SignalStatus.REJECTED
    assert against.outcome == f"add refused: the alert is bullish but the position in {NQ} is short 1"

    added = await submit(client, alert(SignalAction.ADD, key="add-3", quantity=2))
    assert (added.status, added.action, added.direction) == (
        SignalStatus.PENDING,
        SignalAction.ADD,
        SignalDirection.BEARISH,
    )
    assert added.waiting_for  # checked and confirmed like any entry
    assert await net(client) == -1
    assert (await client.submit_signal(alert(SignalAction.ADD, key="add-3", quantity=2))).duplicate


async def test_an_entry_against_an_open_position_closes_it_first_stop_and_reverse(client: VigilClient) -> None:
    await hold(client, -2)
    short_pending = await submit(client, alert(SignalAction.ENTRY, SignalDirection.BEARISH, key="short-2"))

    long_entry = await submit(client, alert(SignalAction.ENTRY, SignalDirection.BULLISH, key="long-1"))

    assert await net(client) == 0  # closed now; the long opens when its signal confirms
    assert long_entry.status is SignalStatus.PENDING
    assert kinds(long_entry) == ["received", "pending", "position_closed"]
    assert long_entry.outcome == (
        f"closed the opposite short 2 {NQ} on account {ACCOUNT} at market before the bullish entry"
    )
    assert (await client.get_signal(short_pending.signal_id)).status is SignalStatus.CANCELLED

    same_side = await submit(client, alert(SignalAction.ENTRY, SignalDirection.BULLISH, key="long-2"))
    assert kinds(same_side) == ["received", "pending"]  # nothing to close


async def test_bracket_legs_are_checked_on_the_tick_grid_and_kept_on_the_record(client: VigilClient) -> None:
    legs = {
        "stop_loss": BracketLeg(LegKind.POINTS, Decimal("10"), LegType.TRAILING_STOP),
        "take_profit": BracketLeg(LegKind.PERCENT, Decimal("0.1")),
    }
    signal = await submit(client, alert(SignalAction.ENTRY, SignalDirection.BULLISH, key="legs-1", **legs))
    assert signal.input.stop_loss == BracketLeg(LegKind.POINTS, Decimal("10"), LegType.TRAILING_STOP)
    assert signal.input.take_profit == BracketLeg(LegKind.PERCENT, Decimal("0.1"), LegType.LIMIT)

    with pytest.raises(InvalidArgumentError) as off_grid:
        await client.submit_signal(
            alert(
                SignalAction.ENTRY,
                SignalDirection.BULLISH,
                key="legs-2",
                stop_loss=BracketLeg(LegKind.POINTS, Decimal("10.1")),
            )
        )
    assert off_grid.value.field == "input.stop_loss.value"
    with pytest.raises(InvalidArgumentError) as wrong_type:
        await client.submit_signal(
            alert(
                SignalAction.ENTRY,
                SignalDirection.BULLISH,
                key="legs-3",
                take_profit=BracketLeg(LegKind.PRICE, Decimal("25400"), LegType.STOP),
            )
        )
    assert wrong_type.value.field == "input.take_profit.order_type"
