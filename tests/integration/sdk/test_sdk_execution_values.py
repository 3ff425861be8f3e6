"""SDK execution values without a server: builders, enum parsing, exact proto round trips, unknown enum values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clients.sdk import (
    BracketSpec,
    InvalidArgumentError,
    OrderSide,
    OrderSpec,
    OrderStatus,
    OrderType,
    TimeInForce,
    VigilError,
    bracket,
    limit,
    market,
    stop,
)
from clients.sdk import convert_execution as cx
from vigil.v1 import execution_pb2 as pb


def nq_order_pb(**overrides: object) -> pb.Order:
    fields: dict[str, object] = {
        "order_id": "o-1",
        "client_order_id": "c-1",
        "account_id": "acct-1",
        "contract_id": "NQZ2026",
        "side": pb.ORDER_SIDE_SELL,
        "type": pb.ORDER_TYPE_STOP_LIMIT,
        "quantity": 3,
        "filled_quantity": 1,
        "limit_price": "25340.25",
        "stop_price": "25340.50",
        "time_in_force": pb.TIME_IN_FORCE_GTC,
        "status": pb.ORDER_STATUS_PARTIALLY_FILLED,
        "average_fill_price": "25340.25",
        "parent_order_id": "o-0",
        "bracket_id": "b-1",
        "oco_group_id": "g-1",
        "reason": "",
        "created_ns": 1_700_000_000_123_456_789,
        "updated_ns": 1_700_000_001_000_000_000,
    }
    fields.update(overrides)
    return pb.Order(**fields)  # type: ignore[arg-type]


def test_builders_make_exact_specs_from_decimal_str_and_int_prices() -> None:
    assert market("NQ", "long", 2) == OrderSpec("NQ", OrderSide.BUY, 2)
    assert limit("ES", "SELL", 1, "6780.25").limit_price == Decimal("6780.25")
    assert limit("ES", OrderSide.SELL, 1, 6780).limit_price == Decimal(6780)
    stop_market = stop("NQ", "sell", 1, Decimal("25300.75"))
    assert (stop_market.order_type, stop_market.stop_price, stop_market.limit_price) == (
        OrderType.STOP,
        Decimal("25300.75"),
        None,
    )
    stop_limit = stop("NQ", "buy", 1, "25350", "25350.25", time_in_force="gtc")
    assert stop_limit.order_type is OrderType.STOP_LIMIT and stop_limit.time_in_force is TimeInForce.GTC
    assert stop_limit.limit_price == Decimal("25350.25")


def test_builders_refuse_floats_bad_quantities_and_doubled_exits() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        limit("NQ", "buy", 1, 25340.25)  # type: ignore[arg-type]
    assert caught.value.field == "limit_price"
    with pytest.raises(InvalidArgumentError, match="quantity"):
        market("NQ", "buy", 0)
    with pytest.raises(InvalidArgumentError) as side:
        market("NQ", "sideways", 1)
    assert side.value.field == "side"
    with pytest.raises(InvalidArgumentError, match="once"):
        bracket(market("NQ", "buy", 1), stop_loss_ticks=10, stop_loss_price="25300")
    with pytest.raises(InvalidArgumentError) as doubled:
        bracket(market("NQ", "buy", 1), stop_loss_ticks=10, take_profit_points="5", take_profit_r=2)
    assert doubled.value.field == "take_profit_r"
    with pytest.raises(InvalidArgumentError, match="ticks"):
        bracket(market("NQ", "buy", 1), take_profit_ticks=-4)
    with pytest.raises(InvalidArgumentError) as negative:
        bracket(market("NQ", "buy", 1), stop_loss_points="-2", take_profit_r=2)
    assert negative.value.field == "stop_loss_points"
    with pytest.raises(InvalidArgumentError) as flag:
        market("NQ", "sell", 1, reduce_only=1)  # type: ignore[arg-type]
    assert flag.value.field == "reduce_only"


def test_enums_parse_text_in_any_case_and_never_accept_unknown() -> None:
    assert OrderType.parse("STOP-LIMIT") is OrderType.STOP_LIMIT
    assert OrderType.parse("stoplimit") is OrderType.STOP_LIMIT
    assert OrderSide.parse(" Short ") is OrderSide.SELL
    assert TimeInForce.parse("GTC") is TimeInForce.GTC
    assert OrderStatus.parse("partially filled") is OrderStatus.PARTIALLY_FILLED
    assert OrderSide.BUY.opposite is OrderSide.SELL
    with pytest.raises(InvalidArgumentError):
        OrderSide.parse(OrderSide.UNKNOWN)
    with pytest.raises(InvalidArgumentError):
        OrderStatus.parse("unknown")


def test_order_spec_round_trips_the_wire_exactly() -> None:
    spec = stop("NQ1!", "sell", 3, "25340.50", "25340.25", time_in_force="gtc", client_order_id="c-9")
    msg = cx.order_spec_to_pb(spec)
    assert (msg.side, msg.type, msg.time_in_force) == (
        pb.ORDER_SIDE_SELL,
        pb.ORDER_TYPE_STOP_LIMIT,
        pb.TIME_IN_FORCE_GTC,
    )
    assert (msg.limit_price, msg.stop_price, msg.quantity) == ("25340.25", "25340.50", 3)
    assert cx.order_spec_from_pb(pb.OrderSpec.FromString(msg.SerializeToString())) == spec


def test_prices_go_on_the_wire_in_plain_notation_and_unset_prices_stay_empty() -> None:
    tiny = OrderSpec("MNQ", OrderSide.BUY, 1, OrderType.LIMIT, limit_price=Decimal("1E+4"))
    assert cx.order_spec_to_pb(tiny).limit_price == "10000"
    assert cx.order_spec_to_pb(market("NQ", "buy", 1)).limit_price == ""
    with pytest.raises(InvalidArgumentError) as caught:
        cx.order_spec_to_pb(OrderSpec("NQ", OrderSide.BUY, 1, OrderType.LIMIT, limit_price=Decimal("NaN")))
    assert caught.value.field == "order.limit_price"


def test_bracket_spec_round_trips_with_ticks_points_r_or_prices() -> None:
    by_ticks = bracket(limit("ES", "buy", 2, "6780.25"), stop_loss_ticks=8, take_profit_ticks=16)
    by_price = bracket(market("NQ", "sell", 1), stop_loss_price="25360.75", take_profit_price=Decimal("25300"))
    by_points = bracket(market("MNQ", "buy", 1, reduce_only=False), stop_loss_points="12.5", take_profit_r="1.5")
    for spec in (by_ticks, by_price, by_points):
        msg = cx.bracket_spec_to_pb(spec)
        assert cx.bracket_spec_from_pb(pb.BracketSpec.FromString(msg.SerializeToString())) == spec
    assert cx.bracket_spec_to_pb(by_price).stop_loss.price == "25360.75"
    assert cx.bracket_spec_to_pb(by_ticks).take_profit.ticks == "16"
    wire = cx.bracket_spec_to_pb(by_points)
    assert (wire.stop_loss.points, wire.take_profit.r_multiple) == ("12.5", "1.5")
    assert isinstance(by_ticks, BracketSpec) and by_ticks.stop_loss_price is None
    # the older wire fields still read back
    entry = cx.order_spec_to_pb(market("ES", "buy", 1))
    older = pb.BracketSpec(entry=entry, stop_loss_ticks=20, take_profit_price="6100")
    read = cx.bracket_spec_from_pb(older)
    assert (read.stop_loss_ticks, read.take_profit_price) == (20, Decimal("6100"))


def test_reduce_only_round_trips_on_order_specs() -> None:
    spec = limit("ES", "sell", 2, "6790.00", reduce_only=True)
    msg = cx.order_spec_to_pb(spec)
    assert msg.reduce_only and cx.order_spec_from_pb(msg) == spec


def test_order_converts_every_field_exactly() -> None:
    order = cx.order_from_pb(nq_order_pb())
    assert (order.side, order.order_type, order.time_in_force, order.status) == (
        OrderSide.SELL,
        OrderType.STOP_LIMIT,
        TimeInForce.GTC,
        OrderStatus.PARTIALLY_FILLED,
    )
    assert (order.limit_price, order.stop_price, order.average_fill_price) == (
        Decimal("25340.25"),
        Decimal("25340.50"),
        Decimal("25340.25"),
    )
    assert order.remaining_quantity == 2 and order.is_open
    assert order.created_ns == 1_700_000_000_123_456_789
    assert (order.parent_order_id, order.bracket_id, order.oco_group_id) == ("o-0", "b-1", "g-1")


def test_unset_prices_are_none_and_unknown_enum_values_are_unknown() -> None:
    order = cx.order_from_pb(
        nq_order_pb(
            type=pb.ORDER_TYPE_MARKET,
            limit_price="",
            stop_price="",
            filled_quantity=0,
            average_fill_price="0",
            side=9,
            status=42,
            time_in_force=7,
        )
    )
    assert (order.limit_price, order.stop_price, order.average_fill_price) == (None, None, None)
    assert (order.side, order.status, order.time_in_force) == (
        OrderSide.UNKNOWN,
        OrderStatus.UNKNOWN,
        TimeInForce.UNKNOWN,
    )
    assert not order.is_open
    assert cx.order_from_pb(nq_order_pb(type=99)).order_type is OrderType.UNKNOWN


def test_account_positions_and_fills_convert_money_exactly() -> None:
    position = pb.Position(
        account_id="acct-1",
        contract_id="NQZ2026",
        quantity=-2,
        average_price="25340.25",
        mark_price="",
        unrealized_points="-1.75",
        unrealized_pnl="-70.00",
        realized_pnl="12.10",
    )
    msg = pb.Account(
        account_id="acct-1",
        name="eval",
        starting_balance="50000",
        balance="50012.10",
        equity="49942.10",
        realized_pnl="14.90",
        unrealized_pnl="-70.00",
        commissions="2.80",
        positions=[position],
        updated_ns=5,
    )
    account = cx.account_from_pb(msg)
    assert account.balance == Decimal("50012.10") and account.commissions == Decimal("2.80")
    held = account.position("NQZ2026")
    assert held is not None and held.side is OrderSide.SELL and held.mark_price is None
    assert held.unrealized_pnl == Decimal("-70.00") and str(held.unrealized_pnl) == "-70.00"
    assert account.position("ESZ2026") is None

    fill = cx.fill_from_pb(
        pb.Fill(
            fill_id="f-1",
            order_id="o-1",
            side=pb.ORDER_SIDE_BUY,
            quantity=1,
            price="6780.25",
            commission="1.40",
            liquidity="taker",
            ts_ns=9,
        )
    )
    assert (fill.price, fill.commission, fill.side) == (Decimal("6780.25"), Decimal("1.40"), OrderSide.BUY)


def test_results_carry_their_events_fills_and_bracket_roles() -> None:
    entry = nq_order_pb(order_id="e", parent_order_id="", type=pb.ORDER_TYPE_MARKET, status=pb.ORDER_STATUS_FILLED)
    sl = nq_order_pb(order_id="sl", parent_order_id="e", type=pb.ORDER_TYPE_STOP)
    tp = nq_order_pb(order_id="tp", parent_order_id="e", type=pb.ORDER_TYPE_LIMIT)
    fill = pb.Fill(fill_id="f-1", order_id="e", price="25341", quantity=1)
    events = [
        pb.OrderEvent(kind="accepted", order=entry, ts_ns=1),
        pb.OrderEvent(kind="filled", order=entry, fill=fill, ts_ns=2),
    ]
    response = pb.SubmitBracketResponse(orders=[entry, sl, tp], bracket_id="b-1", events=events)
    result = cx.bracket_result_from_pb(response)
    assert result.entry is not None and result.entry.order_id == "e"
    assert result.stop_loss is not None and result.stop_loss.order_id == "sl"
    assert result.take_profit is not None and result.take_profit.order_id == "tp"
    assert not result.denied and result.events[0].fill is None
    assert result.events[1].fill is not None and result.events[1].fill.price == Decimal("25341")

    denied = nq_order_pb(status=pb.ORDER_STATUS_DENIED, reason="daily loss limit reached")
    order_result = cx.order_result_from_pb(
        pb.SubmitOrderResponse(order=denied, events=[pb.OrderEvent(kind="denied", order=denied, reason="x")])
    )
    assert order_result.denied and order_result.order.reason == "daily loss limit reached"
    assert order_result.fills == ()
    no_order = cx.order_event_from_pb(pb.OrderEvent(kind="expired", ts_ns=3))
    assert no_order.order is None and no_order.fill is None


def test_a_malformed_decimal_from_the_server_is_a_vigil_error() -> None:
    with pytest.raises(VigilError, match="malformed"):
        cx.fill_from_pb(pb.Fill(price="25341.2.5"))
