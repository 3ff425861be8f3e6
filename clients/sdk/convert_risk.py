"""Conversions between the RiskService messages and the SDK's risk values."""

from __future__ import annotations

from decimal import Decimal

from clients.sdk import enums
from clients.sdk.convert import decimal_from_wire, decimal_to_wire, optional_decimal_from_wire, optional_decimal_to_wire
from clients.sdk.errors import InvalidArgumentError
from clients.sdk.risk import (
    BreachMode,
    EmergencyStopResult,
    RiskEvent,
    RiskEventUpdate,
    RiskRules,
    RiskState,
    RiskStatus,
    RuleUsage,
    ScalingTier,
    TrailingMode,
)
from vigil.v1 import risk_pb2 as pb

_STATE_FROM_PB = enums.RISK_STATE.from_proto
_BREACH_TO_PB = enums.BREACH_MODE.to_proto
_BREACH_FROM_PB = enums.BREACH_MODE.from_proto
_TRAILING_TO_PB = enums.TRAILING_MODE.to_proto
_TRAILING_FROM_PB = enums.TRAILING_MODE.from_proto


def _count(value: int | None, field: str) -> int:
    """A count rule on the wire: None (no such rule) is zero."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(field, f"must be a whole number >= 0 or None, got {value!r}")
    return value


def _money(value: Decimal | None, field: str) -> str:
    return optional_decimal_to_wire(value, field)


def rules_to_pb(rules: RiskRules, field: str = "rules") -> pb.RiskRules:
    breach = pb.BREACH_MODE_UNSPECIFIED
    if rules.daily_loss_breach is not None:
        breach = _BREACH_TO_PB[BreachMode.parse(rules.daily_loss_breach, f"{field}.daily_loss_breach")]
    trailing = pb.TRAILING_MODE_UNSPECIFIED
    if rules.trailing_mode is not None:
        trailing = _TRAILING_TO_PB[TrailingMode.parse(rules.trailing_mode, f"{field}.trailing_mode")]
    return pb.RiskRules(
        preset=rules.preset,
        starting_balance=_money(rules.starting_balance, f"{field}.starting_balance"),
        daily_loss_limit=_money(rules.daily_loss_limit, f"{field}.daily_loss_limit"),
        daily_loss_breach=breach,
        trailing_drawdown=_money(rules.trailing_drawdown, f"{field}.trailing_drawdown"),
        trailing_mode=trailing,
        trailing_lock_offset=_money(rules.trailing_lock_offset, f"{field}.trailing_lock_offset"),
        max_contracts=_count(rules.max_contracts, f"{field}.max_contracts"),
        micro_fraction=_money(rules.micro_fraction, f"{field}.micro_fraction"),
        scaling_tiers=[
            pb.ScalingTier(
                min_balance=decimal_to_wire(t.min_balance, f"{field}.scaling_tiers[{i}].min_balance"),
                max_contracts=_count(t.max_contracts, f"{field}.scaling_tiers[{i}].max_contracts"),
            )
            for i, t in enumerate(rules.scaling_tiers)
        ],
        max_position_size=_count(rules.max_position_size, f"{field}.max_position_size"),
        max_order_size=_count(rules.max_order_size, f"{field}.max_order_size"),
        max_concurrent_positions=_count(rules.max_concurrent_positions, f"{field}.max_concurrent_positions"),
        max_consecutive_losses=_count(rules.max_consecutive_losses, f"{field}.max_consecutive_losses"),
        cooldown_minutes=_count(rules.cooldown_minutes, f"{field}.cooldown_minutes"),
        trading_windows=list(rules.trading_windows),
        flat_by=rules.flat_by or "",
        consistency_limit=_money(rules.consistency_limit, f"{field}.consistency_limit"),
        consistency_enforced=rules.consistency_enforced,
    )


def rules_from_pb(msg: pb.RiskRules) -> RiskRules:
    return RiskRules(
        preset=msg.preset,
        starting_balance=optional_decimal_from_wire(msg.starting_balance),
        daily_loss_limit=optional_decimal_from_wire(msg.daily_loss_limit),
        daily_loss_breach=_BREACH_FROM_PB.get(msg.daily_loss_breach, BreachMode.UNKNOWN)
        if msg.daily_loss_breach
        else None,
        trailing_drawdown=optional_decimal_from_wire(msg.trailing_drawdown),
        trailing_mode=_TRAILING_FROM_PB.get(msg.trailing_mode, TrailingMode.UNKNOWN) if msg.trailing_mode else None,
        trailing_lock_offset=optional_decimal_from_wire(msg.trailing_lock_offset),
        max_contracts=msg.max_contracts or None,
        micro_fraction=optional_decimal_from_wire(msg.micro_fraction),
        scaling_tiers=tuple(
            ScalingTier(min_balance=decimal_from_wire(t.min_balance), max_contracts=t.max_contracts)
            for t in msg.scaling_tiers
        ),
        max_position_size=msg.max_position_size or None,
        max_order_size=msg.max_order_size or None,
        max_concurrent_positions=msg.max_concurrent_positions or None,
        max_consecutive_losses=msg.max_consecutive_losses or None,
        cooldown_minutes=msg.cooldown_minutes or None,
        trading_windows=tuple(msg.trading_windows),
        flat_by=msg.flat_by or None,
        consistency_limit=optional_decimal_from_wire(msg.consistency_limit),
        consistency_enforced=msg.consistency_enforced,
    )


def rule_usage_from_pb(msg: pb.RuleUsage) -> RuleUsage:
    return RuleUsage(rule=msg.rule, current=msg.current, limit=msg.limit, used=optional_decimal_from_wire(msg.used))


def risk_status_from_pb(msg: pb.RiskStatus) -> RiskStatus:
    return RiskStatus(
        account_id=msg.account_id,
        state=_STATE_FROM_PB.get(msg.state, RiskState.UNKNOWN),
        trading_day=msg.trading_day,
        daily_loss_used=decimal_from_wire(msg.daily_loss_used),
        daily_loss_limit=optional_decimal_from_wire(msg.daily_loss_limit),
        drawdown_threshold=optional_decimal_from_wire(msg.drawdown_threshold),
        distance_to_threshold=optional_decimal_from_wire(msg.distance_to_threshold),
        peak_balance=decimal_from_wire(msg.peak_balance),
        equity=decimal_from_wire(msg.equity),
        locked_until_ns=msg.locked_until_ns,
        reason=msg.reason,
        emergency_stop=msg.emergency_stop,
        rules=tuple(rule_usage_from_pb(r) for r in msg.rules),
        updated_ns=msg.updated_ns,
    )


def risk_event_from_pb(msg: pb.RiskEvent) -> RiskEvent:
    return RiskEvent(
        seq=msg.seq,
        kind=msg.kind,
        account_id=msg.account_id,
        ts_ns=msg.ts_ns,
        rule=msg.rule,
        reason=msg.reason,
        state=_STATE_FROM_PB.get(msg.state, RiskState.UNKNOWN),
        actor=msg.actor,
    )


def risk_event_update_from_pb(msg: pb.StreamRiskEventsResponse) -> RiskEventUpdate:
    return RiskEventUpdate(
        event=risk_event_from_pb(msg.event),
        status=risk_status_from_pb(msg.status) if msg.HasField("status") else None,
    )


def emergency_stop_result_from_pb(msg: pb.EmergencyStopResponse) -> EmergencyStopResult:
    return EmergencyStopResult(
        orders_cancelled=msg.orders_cancelled, positions_flattened=msg.positions_flattened, ts_ns=msg.ts_ns
    )
