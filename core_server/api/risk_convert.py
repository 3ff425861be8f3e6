"""Risk values <-> vigil.v1 risk messages: wire rules to a checked RuleSet (wire field names), exact text out.

Scaling tiers: the wire says "above `min_balance`, at most N"; the engine says "below `below_balance`, at most
N, and above the last tier `max_contracts`". Wire tiers (m1, n1) .. (mk, nk) become engine tiers (m2, n1) ..
(mk, n(k-1)) with max_contracts nk, so the lowest tier also applies below its own bound and reads back with
min_balance 0.
"""

from __future__ import annotations

import dataclasses
from datetime import time
from decimal import Decimal
from typing import Any

from core_server.api import enums
from core_server.model.decimal_text import parse_decimal
from core_server.model.errors import InvalidArgument
from core_server.risk.audit import AuditRecord, StatusSnapshot, snapshot_of
from core_server.risk.events import RiskStatus
from core_server.risk.rules import RuleSet, ScalingTier
from core_server.risk.usage import AccountRisk
from vigil.v1 import risk_pb2 as pb

MAX_FLAT_BY_CHARS = 16  # "HH:MM:SS.ffffff" and a little room
_WIRE_NAMES = {
    "max_drawdown": "trailing_drawdown",
    "drawdown_mode": "trailing_mode",
    "drawdown_lock_offset": "trailing_lock_offset",
    "micro_weight": "micro_fraction",
    "cooldown_after_loss_minutes": "cooldown_minutes",
    "session_windows": "trading_windows",
    "enforce_consistency": "consistency_enforced",
}
BREACH_FROM_PB = enums.BREACH_MODE.from_proto
BREACH_TO_PB = enums.BREACH_MODE.to_proto
TRAILING_FROM_PB = enums.TRAILING_MODE.from_proto
TRAILING_TO_PB = enums.TRAILING_MODE.to_proto
STATE_TO_PB = enums.RISK_STATE.to_proto
_STATE_BY_LABEL = {s.name.lower(): STATE_TO_PB[s] for s in RiskStatus}


def wire_field(engine_field: str) -> str:
    """rules.<wire name> for a RuleSet field named in an InvalidArgument (tiers: see the module docstring)."""
    head, _, rest = engine_field.partition(".")
    if head.startswith("scaling_tiers[") and rest == "below_balance":
        index = int(head[len("scaling_tiers[") : -1])
        return f"rules.scaling_tiers[{index + 1}].min_balance"
    name = _WIRE_NAMES.get(head, head)
    return f"rules.{name}" + (f".{rest}" if rest else "")


def money(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def decimal(text: str, field: str) -> Decimal | None:
    """A rule's amount or share (None when empty); its meaning's bounds are RuleSet's to check."""
    return parse_decimal(text, field)


def _flat_by(text: str) -> time | None:
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_FLAT_BY_CHARS:
        raise InvalidArgument("rules.flat_by", "use HH:MM (America/Chicago)")
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise InvalidArgument("rules.flat_by", f"use HH:MM (America/Chicago), not {text!r}") from None
    if parsed.tzinfo is not None:
        raise InvalidArgument("rules.flat_by", "a wall-clock time in America/Chicago, without a zone")
    return parsed


def _tiers(msg: pb.RiskRules) -> tuple[tuple[ScalingTier, ...], int | None]:
    """Engine tiers and the max_contracts above them, from the wire tiers."""
    wire = [(decimal(t.min_balance, f"rules.scaling_tiers[{i}].min_balance"), t.max_contracts)
            for i, t in enumerate(msg.scaling_tiers)]  # fmt: skip
    if not wire:
        return (), None
    for i, (minimum, _) in enumerate(wire):
        if minimum is None:
            raise InvalidArgument(f"rules.scaling_tiers[{i}].min_balance", "a balance is required")
    top = wire[-1][1]
    if msg.max_contracts and msg.max_contracts != top:
        raise InvalidArgument("rules.max_contracts", f"must equal the top scaling tier's {top} (or be left empty)")
    tiers = tuple(ScalingTier(wire[i + 1][0], wire[i][1]) for i in range(len(wire) - 1))  # type: ignore[arg-type]
    return tiers, top


def rule_values(msg: pb.RiskRules) -> dict[str, Any]:
    """The RuleSet fields the message sets (empty strings, zeros and UNSPECIFIED: not set); unchecked."""
    values: dict[str, Any] = {}

    def put(name: str, value: object, is_set: bool) -> None:
        if is_set:
            values[name] = value

    put("daily_loss_limit", decimal(msg.daily_loss_limit, "rules.daily_loss_limit"), bool(msg.daily_loss_limit))
    if msg.daily_loss_breach:
        if msg.daily_loss_breach not in BREACH_FROM_PB:
            raise InvalidArgument("rules.daily_loss_breach", f"unknown breach mode {msg.daily_loss_breach}")
        values["daily_loss_breach"] = BREACH_FROM_PB[msg.daily_loss_breach]
    put("max_drawdown", decimal(msg.trailing_drawdown, "rules.trailing_drawdown"), bool(msg.trailing_drawdown))
    if msg.trailing_mode:
        if msg.trailing_mode not in TRAILING_FROM_PB:
            raise InvalidArgument("rules.trailing_mode", f"unknown trailing mode {msg.trailing_mode}")
        values["drawdown_mode"] = TRAILING_FROM_PB[msg.trailing_mode]
    lock = decimal(msg.trailing_lock_offset, "rules.trailing_lock_offset")
    put("drawdown_lock_offset", lock, lock is not None)
    put("max_contracts", msg.max_contracts, msg.max_contracts != 0)
    weight = decimal(msg.micro_fraction, "rules.micro_fraction")
    put("micro_weight", weight, weight is not None)
    tiers, top = _tiers(msg)
    if tiers or top is not None:
        values["scaling_tiers"], values["max_contracts"] = tiers, top
    put("max_position_size", msg.max_position_size, msg.max_position_size != 0)
    put("max_order_size", msg.max_order_size, msg.max_order_size != 0)
    put("max_concurrent_positions", msg.max_concurrent_positions, msg.max_concurrent_positions != 0)
    put("max_consecutive_losses", msg.max_consecutive_losses, msg.max_consecutive_losses != 0)
    put("cooldown_after_loss_minutes", msg.cooldown_minutes, msg.cooldown_minutes != 0)
    put("session_windows", frozenset(msg.trading_windows), bool(msg.trading_windows))
    put("flat_by", _flat_by(msg.flat_by), bool(msg.flat_by.strip()))
    limit = decimal(msg.consistency_limit, "rules.consistency_limit")
    put("consistency_limit", limit, limit is not None)
    put("enforce_consistency", True, msg.consistency_enforced)
    return values


def rules_from_proto(msg: pb.RiskRules, base: RuleSet | None) -> RuleSet:
    """`base` (a preset's rules) with the set fields replaced, or (no base) the message as the whole rule set;
    InvalidArgument naming the wire field (rules.<name>) for an impossible or contradictory rule."""
    values = rule_values(msg)
    if base is None and "drawdown_lock_offset" not in values:
        values["drawdown_lock_offset"] = None  # empty on the wire: the threshold trails for ever
    try:
        return dataclasses.replace(base, **values) if base is not None else RuleSet(**values)
    except InvalidArgument as exc:
        raise InvalidArgument(wire_field(exc.field), exc.reason) from None


def rules_to_proto(rules: RuleSet, preset: str, starting_balance: Decimal | None) -> pb.RiskRules:
    msg = pb.RiskRules(
        preset=preset,
        starting_balance=money(starting_balance),
        daily_loss_limit=money(rules.daily_loss_limit),
        daily_loss_breach=(
            BREACH_TO_PB[rules.daily_loss_breach] if rules.daily_loss_limit is not None else pb.BREACH_MODE_UNSPECIFIED
        ),
        micro_fraction=money(rules.micro_weight),
        max_contracts=rules.max_contracts or 0,
        max_position_size=rules.max_position_size or 0,
        max_order_size=rules.max_order_size or 0,
        max_concurrent_positions=rules.max_concurrent_positions or 0,
        max_consecutive_losses=rules.max_consecutive_losses or 0,
        cooldown_minutes=rules.cooldown_after_loss_minutes,
        trading_windows=sorted(rules.session_windows or ()),
        flat_by=rules.flat_by.strftime("%H:%M") if rules.flat_by is not None else "",
        consistency_limit=money(rules.consistency_limit),
        consistency_enforced=rules.enforce_consistency,
    )
    if rules.max_drawdown is not None:
        msg.trailing_drawdown = money(rules.max_drawdown)
        msg.trailing_mode = TRAILING_TO_PB[rules.drawdown_mode]
        msg.trailing_lock_offset = money(rules.drawdown_lock_offset)
    if rules.scaling_tiers:
        bounds = [Decimal(0), *(t.below_balance for t in rules.scaling_tiers)]
        counts = [*(t.max_contracts for t in rules.scaling_tiers), rules.max_contracts or 0]
        msg.scaling_tiers.extend(
            pb.ScalingTier(min_balance=money(b), max_contracts=n) for b, n in zip(bounds, counts, strict=True)
        )
    return msg


def status_to_proto(risk: AccountRisk) -> pb.RiskStatus:
    return snapshot_to_proto(snapshot_of(risk))


def snapshot_to_proto(s: StatusSnapshot) -> pb.RiskStatus:
    """A status as it stands now, or as an audit entry kept it."""
    return pb.RiskStatus(
        account_id=s.account_id,
        state=_STATE_BY_LABEL.get(s.state, pb.RISK_STATE_UNSPECIFIED),
        trading_day=s.trading_day.isoformat(),
        daily_loss_used=money(s.daily_loss_used),
        daily_loss_limit=money(s.daily_loss_limit),
        drawdown_threshold=money(s.drawdown_threshold),
        distance_to_threshold=money(s.drawdown_distance),
        peak_balance=money(s.peak),
        equity=money(s.equity),
        locked_until_ns=s.locked_until_ns,
        reason=s.reason,
        emergency_stop=s.emergency_stop,
        rules=[pb.RuleUsage(rule=u.rule, current=u.current, limit=u.limit, used=money(u.used)) for u in s.usage],
        updated_ns=s.updated_ns,
    )


def event_to_proto(record: AuditRecord) -> pb.RiskEvent:
    e = record.entry
    return pb.RiskEvent(
        seq=record.seq,
        kind=e.kind,
        account_id=e.account_id,
        ts_ns=e.ts_ns,
        rule="" if e.rule == "none" else e.rule,
        reason=e.reason,
        state=_STATE_BY_LABEL.get(e.state, pb.RISK_STATE_UNSPECIFIED),
        actor=e.actor,
    )
