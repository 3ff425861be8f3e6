"""Properties of round trips under random command sequences through the bare kernel:

- an account has an open trade in a contract exactly when it holds a position there, of the same direction and
  size (no "open" trade for a flat account, never two at once);
- the cash adds up: once flat, the account's balance moved by exactly the sum of its trades' net dollars;
- both hold when finished orders leave the engine's memory (the trading-day roll's archive) at any point, and across
  front-month rolls (the old month's orders cancelled and its position closed at market, exit reason `roll`).
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_server.excursions.model import Direction
from core_server.execution.commands import (
    ClosePosition,
    ExecutionCommand,
    ExitOffset,
    FlattenAccount,
    ReversePosition,
    SubmitBracket,
    SubmitOrder,
)
from core_server.execution.model import OrderSide, OrderType
from core_server.model.errors import VigilError
from tests.kit.kernel import ACC, ES, MS, T0, KernelRig, q, t

BUY, SELL = OrderSide.BUY, OrderSide.SELL
TICK = Decimal("0.25")

sides = st.sampled_from([BUY, SELL])
quantities = st.integers(min_value=1, max_value=3)
offsets = st.integers(min_value=2, max_value=12)

commands = st.one_of(
    st.builds(lambda side, qty: SubmitOrder(ACC, ES.id, side, qty, OrderType.MARKET), sides, quantities),
    st.builds(
        lambda side, qty, stop, target: SubmitBracket(
            ACC, ES.id, side, qty, OrderType.MARKET, ExitOffset(Decimal(stop)), ExitOffset(Decimal(target))
        ),
        sides,
        quantities,
        offsets,
        offsets,
    ),
    st.just(ClosePosition(ACC, ES.id)),
    st.just(ReversePosition(ACC, ES.id)),
    st.just(FlattenAccount(ACC)),
)
ARCHIVE = "archive"  # the day roll's archive of finished orders
ROLL = "roll"  # the front-month roll (kernel.front_roll): ES's orders cancelled, its position closed at market
# Each step: a price move in ticks (a quote and a print there), then maybe a command, the archive or the roll.
steps = st.lists(
    st.tuples(st.integers(min_value=-6, max_value=6), st.none() | st.sampled_from([ARCHIVE, ROLL]) | commands),
    min_size=1,
    max_size=25,
)


def check_one_trade_per_position(rig: KernelRig) -> None:
    position = rig.kernel.execution.position(ACC, ES.id)
    trip = rig.kernel.trades.open_trip(ACC, ES.id)
    if position.net_qty == 0:
        assert trip is None, f"an open trade {trip} on a flat account"
        return
    assert trip is not None, f"a position of {position.net_qty} without an open trade"
    assert trip.direction is (Direction.LONG if position.net_qty > 0 else Direction.SHORT)
    assert trip.open_qty == abs(position.net_qty)
    opened = [tr for tr in rig.trips().values() if tr.closed_ns is None]
    assert len(opened) == 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_open_trades_follow_positions_and_net_dollars_add_up(
    script: list[tuple[int, ExecutionCommand | str | None]],
) -> None:
    rig = KernelRig()
    price = Decimal("6000.00")
    at = 0
    rig.ticks(q(at, str(price), str(price + TICK)))
    for move, command in script:
        at += 10
        price += move * TICK
        rig.ticks(q(at, str(price), str(price + TICK)), t(at + 1, str(price)))
        if command == ARCHIVE:
            rig.kernel.execution.archive_finished()
        elif command == ROLL:
            assert rig.kernel.roll_front_month(ES, ES.next(), T0 + (at + 2) * MS) == []  # nothing refused
            rig.ticks()
        elif command is not None and not isinstance(command, str):
            with contextlib.suppress(VigilError):  # refused (e.g. nothing to close): nothing changed
                rig.run(command, T0 + (at + 2) * MS)
        at += 5
        rig.ticks(q(at, str(price), str(price + TICK)))
        check_one_trade_per_position(rig)

    rig.run(FlattenAccount(ACC), T0 + (at + 1) * MS)
    rig.ticks(q(at + 2, str(price), str(price + TICK)), t(at + 3, str(price)))
    check_one_trade_per_position(rig)
    assert rig.kernel.execution.position(ACC, ES.id).net_qty == 0
    account = rig.kernel.execution.account(ACC)
    trips = rig.trips().values()
    assert all(tr.closed_ns is not None for tr in trips)
    assert account.balance - Decimal(50_000) == sum((tr.net for tr in trips), Decimal(0))
