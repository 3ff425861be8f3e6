"""Every malformed or out-of-place command raises the right error naming the field and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_server.execution.commands import (
    CancelOrder,
    ClosePosition,
    ExecutionCommand,
    ModifyOrder,
    OpenAccount,
    ReversePosition,
    SubmitBracket,
    SubmitBracketBatch,
    SubmitOcoPair,
    SubmitOrder,
)
from core_server.execution.model import AccountId, OrderId, OrderType, TimeInForce
from core_server.model.errors import FailedPrecondition, InvalidArgument, NotFound
from tests.unit.execution.execution_kit import ACC, BUY, ES, LMT, MKT, NQ, SELL, STL, STP, T0, D, Rig

OTHER = AccountId("acc-2")


def order(side=BUY, qty: object = 1, kind=MKT, limit=None, stop=None, contract=ES, account=ACC):  # type: ignore[no-untyped-def]
    return SubmitOrder(account, contract, side, qty, kind, TimeInForce.DAY, limit, stop)  # type: ignore[arg-type]


def bracket(side=BUY, kind=LMT, entry: str | None = "5990.00", sl="5985.00", tp="6000.00", qty: object = 1):  # type: ignore[no-untyped-def]
    return SubmitBracket(ACC, ES, side, qty, kind, D(sl), D(tp), D(entry) if entry else None)  # type: ignore[arg-type]


BAD_SUBMITS: list[tuple[str, ExecutionCommand, str]] = [
    ("zero quantity", order(qty=0), "quantity"),
    ("negative quantity", order(qty=-1), "quantity"),
    ("fractional quantity", order(qty=D("1.5")), "quantity"),
    ("boolean quantity", order(qty=True), "quantity"),
    ("float quantity", order(qty=1.0), "quantity"),
    ("limit off the tick grid", order(kind=LMT, limit=D("5990.10")), "limit_price"),
    ("stop off the tick grid", order(kind=STP, stop=D("6010.30")), "stop_price"),
    ("float price", order(kind=LMT, limit=5990.0), "limit_price"),
    ("negative price", order(kind=LMT, limit=D("-1.00")), "limit_price"),
    ("limit missing", order(kind=LMT), "limit_price"),
    ("stop price on a market order", order(stop=D("6010.00")), "stop_price"),
    ("stop-limit without a limit", order(kind=STL, stop=D("6010.00")), "limit_price"),
    ("buy stop at the ask", order(kind=STP, stop=D("6000.25")), "stop_price"),
    ("buy stop below the ask", order(kind=STP, stop=D("5999.00")), "stop_price"),
    ("sell stop at the bid", order(side=SELL, kind=STP, stop=D("6000.00")), "stop_price"),
    ("sell stop-limit above the bid", order(side=SELL, kind=STL, stop=D("6001.00"), limit=D("6000.00")), "stop_price"),
    ("unknown contract", order(contract="XXZ2026"), "contract_id"),
    ("non-quarterly contract", order(contract="ESF2026"), "contract_id"),
    ("unknown side", order(side=3), "side"),
    ("long bracket stop-loss above entry", bracket(sl="5991.00", tp="6000.00"), "stop_loss"),
    ("long bracket take-profit below entry", bracket(sl="5985.00", tp="5989.00"), "take_profit"),
    (
        "short bracket stop-loss below entry",
        bracket(side=SELL, entry="6010.00", sl="6005.00", tp="6000.00"),
        "stop_loss",
    ),
    (
        "short bracket take-profit above entry",
        bracket(side=SELL, entry="6010.00", sl="6015.00", tp="6011.00"),
        "take_profit",
    ),
    (
        "market long bracket stop-loss above the ask",
        bracket(kind=MKT, entry=None, sl="6000.50", tp="6010.00"),
        "stop_loss",
    ),
    ("bracket entry off the grid", bracket(entry="5990.05"), "entry_price"),
    ("bracket stop-loss off the grid", bracket(sl="5985.01"), "stop_loss"),
    ("bracket stop entry at the ask", bracket(kind=STP, entry="6000.25", sl="5990.00", tp="6010.00"), "entry_price"),
    ("bracket stop-limit entry", bracket(kind=STL), "entry_type"),
    ("bracket market entry with a price", bracket(kind=MKT, entry="6000.00"), "entry_price"),
    ("bracket quantity zero", bracket(qty=0), "quantity"),
    (
        "the seventh of ten brackets",
        SubmitBracketBatch(tuple([bracket()] * 6 + [bracket(tp="5980.00")] + [bracket()] * 3)),
        "brackets[6].take_profit",
    ),
    ("an empty batch", SubmitBracketBatch(()), "brackets"),
    (
        "OCO second leg off the grid",
        SubmitOcoPair(order(kind=LMT, limit=D("5990.00")), order(kind=LMT, limit=D("5990.13"))),
        "second.limit_price",
    ),
    (
        "OCO legs of two accounts",
        SubmitOcoPair(order(kind=LMT, limit=D("5990.00")), order(kind=LMT, limit=D("5980.00"), account=OTHER)),
        "second.account_id",
    ),
    ("open account without money", OpenAccount(OTHER, D("0")), "starting_balance"),
]


@pytest.fixture
def rig() -> Rig:
    rig = Rig()
    rig.engine.execute(OpenAccount(OTHER, D("25000")), T0)
    rig.quote(ES, "6000.00", "6000.25", at=0)
    rig.submit(ES, BUY, 1, LMT, limit="5980.00", at=0)  # some state to keep unchanged
    rig.bracket(ES, SELL, 1, LMT, "6010.00", sl="6015.00", tp="6005.00", at=0)
    return rig


@pytest.mark.parametrize(("case", "command", "field"), BAD_SUBMITS, ids=[c[0] for c in BAD_SUBMITS])
def test_a_malformed_command_raises_invalid_argument_naming_the_field_and_changes_nothing(
    rig: Rig, case: str, command: ExecutionCommand, field: str
) -> None:
    before = rig.engine.snapshot()
    with pytest.raises(InvalidArgument) as raised:
        rig.engine.execute(command, T0 + 1)
    assert raised.value.field == field, raised.value
    assert rig.engine.snapshot() == before


def test_unknown_ids_raise_not_found_and_change_nothing(rig: Rig) -> None:
    before = rig.engine.snapshot()
    cases: list[tuple[ExecutionCommand, str]] = [
        (order(account=AccountId("nobody")), "account_id"),
        (CancelOrder(ACC, OrderId("O-999")), "order_id"),
        (CancelOrder(OTHER, OrderId("O-1")), "order_id"),  # exists, but in another account
        (ModifyOrder(ACC, OrderId("O-999"), quantity=2), "order_id"),
        (SubmitOcoPair(order(), order(account=AccountId("nobody"))), "second.account_id"),
    ]
    for command, field in cases:
        with pytest.raises(NotFound) as raised:
            rig.engine.execute(command, T0 + 1)
        assert raised.value.field == field
    assert rig.engine.snapshot() == before


def test_changing_a_filled_or_cancelled_order_is_a_failed_precondition(rig: Rig) -> None:
    filled = rig.submit(ES, BUY, 1, at=10)
    rig.quote(ES, "6000.00", "6000.25", at=200)
    rig.engine.execute(CancelOrder(ACC, OrderId("O-1")), T0 + 1)
    before = rig.engine.snapshot()
    for command in (
        ModifyOrder(ACC, filled, quantity=2),
        CancelOrder(ACC, filled),
        CancelOrder(ACC, OrderId("O-1")),
        ModifyOrder(ACC, OrderId("O-1"), limit_price=D("5985.00")),
        ClosePosition(ACC, NQ),
        ReversePosition(ACC, NQ),
        OpenAccount(ACC, D("1000")),
    ):
        with pytest.raises(FailedPrecondition):
            rig.engine.execute(command, T0 + 1)
    assert rig.engine.snapshot() == before


def test_bad_modifications_name_the_field_and_change_nothing(rig: Rig) -> None:
    rig.quote(ES, "6000.00", "6000.25", at=200)  # O-1 buy limit 5980 and the short bracket O-2..O-4 are working
    stop = rig.submit(ES, BUY, 1, STP, stop="6010.00", at=300)
    before = rig.engine.snapshot()
    cases: list[tuple[ModifyOrder, str]] = [
        (ModifyOrder(ACC, OrderId("O-1")), "quantity"),  # nothing to change
        (ModifyOrder(ACC, OrderId("O-1"), quantity=0), "quantity"),
        (ModifyOrder(ACC, OrderId("O-1"), limit_price=D("5980.01")), "limit_price"),
        (ModifyOrder(ACC, OrderId("O-1"), stop_price=D("5980.00")), "stop_price"),  # a limit has no stop
        (ModifyOrder(ACC, stop, stop_price=D("6000.25")), "stop_price"),  # buy stop at the ask
        (ModifyOrder(ACC, OrderId("O-3"), quantity=2), "quantity"),  # a bracket child follows its entry
        (ModifyOrder(ACC, OrderId("O-3"), stop_price=D("6009.00")), "stop_price"),  # short stop-loss below entry
        (ModifyOrder(ACC, OrderId("O-4"), limit_price=D("6012.00")), "limit_price"),  # short target above entry
        (ModifyOrder(ACC, OrderId("O-2"), limit_price=D("6016.00")), "limit_price"),  # entry beyond its stop-loss
    ]
    for command, field in cases:
        with pytest.raises(InvalidArgument) as raised:
            rig.engine.execute(command, T0 + 1)
        assert raised.value.field == field, (command, raised.value)
    assert rig.engine.snapshot() == before


def test_a_whole_decimal_quantity_is_accepted(rig: Rig) -> None:
    events = rig.engine.execute(order(qty=Decimal("2"), kind=OrderType.LIMIT, limit=D("5970.00")), T0)
    assert events[0].order.quantity == 2  # type: ignore[union-attr]
