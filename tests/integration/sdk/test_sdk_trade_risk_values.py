"""SDK tracked-trade and risk values without a server: exact R and money, rule round trips, unknown enums."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clients.sdk import (
    BreachMode,
    InvalidArgumentError,
    RiskRules,
    RiskState,
    ScalingTier,
    TradeDirection,
    TradeStatus,
    TrailingMode,
    convert_risk,
    convert_trades,
)
from vigil.v1 import risk_pb2, trades_pb2


def closed_trade_pb(**overrides: object) -> trades_pb2.TrackedTrade:
    fields: dict[str, object] = {
        "trade_id": "t-1",
        "signal_id": "s-1",
        "account_id": "",
        "contract_id": "NQZ2026",
        "direction": trades_pb2.TRADE_DIRECTION_SHORT,
        "quantity": 2,
        "entry_price": "25341.25",
        "initial_stop": "25361.25",
        "current_stop": "25341.25",
        "target_price": "",
        "status": trades_pb2.TRADE_STATUS_BREAK_EVEN,
        "mfe_r": "1.3375",
        "mae_r": "-0.25",
        "mfe_points": "26.75",
        "mae_points": "5.00",
        "result_r": "0",
        "exit_price": "25341.25",
        "current_r": "",
        "opened_ns": 1_700_000_000_000_000_001,
        "closed_ns": 1_700_000_900_000_000_000,
        "events": [trades_pb2.TradeEvent(kind="new_low", ts_ns=2, price="25314.50", r="1.3375")],
    }
    fields.update(overrides)
    return trades_pb2.TrackedTrade(**fields)  # type: ignore[arg-type]


def test_tracked_trade_converts_r_multiples_and_prices_exactly() -> None:
    trade = convert_trades.tracked_trade_from_pb(closed_trade_pb())
    assert (trade.direction, trade.status) == (TradeDirection.SHORT, TradeStatus.BREAK_EVEN)
    assert (trade.mfe_r, trade.mae_r, trade.mfe_points) == (Decimal("1.3375"), Decimal("-0.25"), Decimal("26.75"))
    assert str(trade.mae_points) == "5.00"
    assert (trade.result_r, trade.exit_price) == (Decimal(0), Decimal("25341.25"))
    assert trade.target_price is None and trade.current_r is None and not trade.is_open
    assert trade.events[0].r == Decimal("1.3375") and trade.events[0].price == Decimal("25314.50")
    assert trade.opened_ns == 1_700_000_000_000_000_001


def test_open_trade_has_no_result_and_unknown_enums_show_as_unknown() -> None:
    trade = convert_trades.tracked_trade_from_pb(
        closed_trade_pb(result_r="", exit_price="", current_r="0.5", direction=5, status=17, closed_ns=0)
    )
    assert (trade.result_r, trade.exit_price, trade.current_r) == (None, None, Decimal("0.5"))
    assert (trade.direction, trade.status) == (TradeDirection.UNKNOWN, TradeStatus.UNKNOWN)
    assert TradeDirection.parse("Bullish") is TradeDirection.LONG
    assert TradeStatus.parse("target-hit") is TradeStatus.TARGET_HIT


def test_trade_update_without_an_event_is_a_snapshot() -> None:
    snapshot = convert_trades.trade_update_from_pb(trades_pb2.StreamTradeUpdatesResponse(trade=closed_trade_pb()))
    assert snapshot.event is None and snapshot.trade.trade_id == "t-1"
    event = trades_pb2.TradeEvent(kind="stop_hit", ts_ns=3, price="25341.25", r="0")
    update = convert_trades.trade_update_from_pb(
        trades_pb2.StreamTradeUpdatesResponse(trade=closed_trade_pb(), event=event)
    )
    assert update.event is not None and update.event.kind == "stop_hit"


def topstep_like_rules() -> RiskRules:
    return RiskRules(
        preset="topstep_50k",
        starting_balance=Decimal("50000"),
        daily_loss_limit=Decimal("1000.00"),
        daily_loss_breach=BreachMode.SOFT,
        trailing_drawdown=Decimal("2000"),
        trailing_mode=TrailingMode.END_OF_DAY,
        trailing_lock_offset=Decimal("0"),
        max_contracts=5,
        micro_fraction=Decimal("0.1"),
        scaling_tiers=(ScalingTier(Decimal("50000"), 2), ScalingTier(Decimal("51500"), 5)),
        max_position_size=5,
        max_concurrent_positions=2,
        max_consecutive_losses=3,
        cooldown_minutes=15,
        trading_windows=("ny_am", "ny_pm"),
        flat_by="15:10",
        consistency_limit=Decimal("0.5"),
        consistency_enforced=True,
    )


def test_risk_rules_round_trip_the_wire_exactly() -> None:
    rules = topstep_like_rules()
    msg = convert_risk.rules_to_pb(rules)
    assert (msg.daily_loss_limit, msg.daily_loss_breach) == ("1000.00", risk_pb2.BREACH_MODE_SOFT)
    assert msg.scaling_tiers[1].min_balance == "51500"
    assert convert_risk.rules_from_pb(risk_pb2.RiskRules.FromString(msg.SerializeToString())) == rules


def test_unset_rules_are_none_on_both_sides_of_the_wire() -> None:
    msg = convert_risk.rules_to_pb(RiskRules(daily_loss_limit=Decimal("500")))
    assert (msg.trailing_drawdown, msg.max_contracts, msg.trailing_mode, msg.flat_by) == ("", 0, 0, "")
    back = convert_risk.rules_from_pb(msg)
    assert back == RiskRules(daily_loss_limit=Decimal("500"))
    assert back.max_contracts is None and back.daily_loss_breach is None


def test_rules_with_unknown_modes_from_the_server_are_unknown_and_cannot_be_sent_back() -> None:
    rules = convert_risk.rules_from_pb(risk_pb2.RiskRules(daily_loss_breach=9, trailing_mode=8))
    assert (rules.daily_loss_breach, rules.trailing_mode) == (BreachMode.UNKNOWN, TrailingMode.UNKNOWN)
    with pytest.raises(InvalidArgumentError) as caught:
        convert_risk.rules_to_pb(rules)
    assert caught.value.field == "rules.daily_loss_breach"
    with pytest.raises(InvalidArgumentError) as negative:
        convert_risk.rules_to_pb(RiskRules(cooldown_minutes=-1))
    assert negative.value.field == "rules.cooldown_minutes"
    assert TrailingMode.parse("EOD") is TrailingMode.END_OF_DAY


def test_risk_status_and_events_convert_exactly() -> None:
    status_msg = risk_pb2.RiskStatus(
        account_id="acct-1",
        state=risk_pb2.RISK_STATE_WARNING,
        trading_day="2026-11-23",
        daily_loss_used="612.40",
        daily_loss_limit="1000",
        drawdown_threshold="48000",
        distance_to_threshold="1387.60",
        peak_balance="50000",
        equity="49387.60",
        reason="",
        rules=[risk_pb2.RuleUsage(rule="daily_loss", current="612.40", limit="1000", used="0.6124")],
        updated_ns=7,
    )
    event_msg = risk_pb2.RiskEvent(seq=41, kind="status_changed", account_id="acct-1", ts_ns=7, state=2)
    update = convert_risk.risk_event_update_from_pb(
        risk_pb2.StreamRiskEventsResponse(event=event_msg, status=status_msg)
    )
    assert update.event.seq == 41 and update.event.state is RiskState.WARNING
    status = update.status
    assert status is not None and status.state.allows_new_risk
    assert (status.daily_loss_used, status.distance_to_threshold) == (Decimal("612.40"), Decimal("1387.60"))
    usage = status.usage("daily_loss")
    assert usage is not None and usage.used == Decimal("0.6124") and usage.limit == "1000"
    assert status.locked_until_ns == 0 and status.usage("flat_by") is None

    unknown = convert_risk.risk_status_from_pb(risk_pb2.RiskStatus(state=33, daily_loss_limit=""))
    assert unknown.state is RiskState.UNKNOWN and unknown.daily_loss_limit is None
    bare = convert_risk.risk_event_update_from_pb(risk_pb2.StreamRiskEventsResponse(event=event_msg))
    assert bare.status is None
    assert not RiskState.LOCKED.allows_new_risk
