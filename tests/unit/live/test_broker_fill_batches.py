"""Broker fills waiting together are booked in batches of distinct accounts, in arrival order (live/broker_fills.py):
a copy group's followers filled at once cost one command (one rollback point, one journal commit), and a second
fill of the same account waits for the batch before it (a bracket leg's fill needs its entry's fill booked)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast

from core_server.brokers.model import BrokerFill
from core_server.execution.commands import BookBrokerFill, ExecutionCommand
from core_server.live.broker_fills import BrokerFillBooking
from core_server.live.execution_desk import ExecutionDesk
from core_server.model.errors import FailedPrecondition, Unavailable, VigilError


class _Desk:
    """Stands in for the ExecutionDesk: records each batch (the desk itself is tested against PostgreSQL)."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, str]]] = []
        self.refuse: set[str] = set()  # fill ids the kernel refuses
        self.down = False

    async def execute_all(
        self,
        commands: Sequence[ExecutionCommand],
        *,
        actor: str = "",
        refused: Callable[[int, VigilError], None] | None = None,
    ) -> list[Any]:
        await asyncio.sleep(0)
        if self.down:
            raise Unavailable("the store is down")
        fills = [cast(BookBrokerFill, c) for c in commands]
        self.batches.append([(c.account_id, c.broker_fill_id) for c in fills])
        done = []
        for index, command in enumerate(fills):
            if command.broker_fill_id in self.refuse:
                assert refused is not None
                refused(index, FailedPrecondition("nothing to book"))
            else:
                done.append(command)
        return done


def _fill(fill_id: str) -> BrokerFill:
    return BrokerFill(fill_id, "o-" + fill_id, "NQZ6", "Buy", 1, Decimal("25000.25"), 0)


async def test_fills_arriving_together_are_booked_in_batches_of_distinct_accounts_in_order() -> None:
    desk = _Desk()
    booking = BrokerFillBooking(cast(ExecutionDesk, desk))
    for account, fill_id in [("a", "1"), ("b", "2"), ("c", "3"), ("a", "4"), ("b", "5"), ("d", "6")]:
        booking(account, _fill(fill_id))
    await booking.drain()
    assert desk.batches == [[("a", "1"), ("b", "2"), ("c", "3")], [("a", "4"), ("b", "5"), ("d", "6")]]
    assert booking.booked == 6


async def test_a_refused_fill_is_logged_and_the_rest_of_its_batch_booked() -> None:
    desk = _Desk()
    desk.refuse = {"2"}
    booking = BrokerFillBooking(cast(ExecutionDesk, desk))
    for account, fill_id in [("a", "1"), ("b", "2"), ("c", "3")]:
        booking(account, _fill(fill_id))
    await booking.drain()
    assert booking.booked == 2 and ("b", "2") in booking.claimed


async def test_fills_not_stored_stay_unclaimed_so_the_catch_up_books_them_later_and_a_repeat_is_booked_once() -> None:
    desk = _Desk()
    desk.down = True
    booking = BrokerFillBooking(cast(ExecutionDesk, desk))
    booking("a", _fill("1"))
    await booking.drain()
    assert booking.booked == 0 and not booking.claimed
    desk.down = False
    booking("a", _fill("1"))
    booking("b", _fill("1"))  # another account's fill of the same number (another broker): its own
    booking("a", _fill("1"))  # the broker repeated it
    await booking.drain()
    assert desk.batches == [[("a", "1"), ("b", "1")]] and booking.booked == 2
