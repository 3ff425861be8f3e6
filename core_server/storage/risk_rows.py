"""Row shapes of the risk tables: a RuleSet as JSON (exact decimal text), audit entries (with the status they
kept) as rows and back."""

from __future__ import annotations

import json
from datetime import date, time
from decimal import Decimal
from typing import Any

from core_server.risk.audit import AuditEntry, AuditRecord, StatusSnapshot
from core_server.risk.rules import BreachMode, DrawdownMode, RuleSet, ScalingTier
from core_server.risk.usage import RuleUsage


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def rules_to_json(r: RuleSet) -> str:
    return json.dumps(
        {
            "daily_loss_limit": _dec(r.daily_loss_limit),
            "daily_loss_breach": r.daily_loss_breach.name,
            "max_drawdown": _dec(r.max_drawdown),
            "drawdown_mode": r.drawdown_mode.name,
            "drawdown_lock_offset": _dec(r.drawdown_lock_offset),
            "drawdown_breach": r.drawdown_breach.name,
            "max_contracts": r.max_contracts,
            "micro_weight": str(r.micro_weight),
            "scaling_tiers": [[str(t.below_balance), t.max_contracts] for t in r.scaling_tiers],
            "max_position_size": r.max_position_size,
            "max_order_size": r.max_order_size,
            "max_concurrent_positions": r.max_concurrent_positions,
            "max_consecutive_losses": r.max_consecutive_losses,
            "cooldown_after_loss_minutes": r.cooldown_after_loss_minutes,
            "session_windows": sorted(r.session_windows) if r.session_windows is not None else None,
            "flat_by": r.flat_by.strftime("%H:%M") if r.flat_by is not None else None,
            "consistency_limit": _dec(r.consistency_limit),
            "enforce_consistency": r.enforce_consistency,
        }
    )


def rules_from_json(text: str) -> RuleSet:
    d: dict[str, Any] = json.loads(text)
    windows = d["session_windows"]
    return RuleSet(
        daily_loss_limit=_undec(d["daily_loss_limit"]),
        daily_loss_breach=BreachMode[d["daily_loss_breach"]],
        max_drawdown=_undec(d["max_drawdown"]),
        drawdown_mode=DrawdownMode[d["drawdown_mode"]],
        drawdown_lock_offset=_undec(d["drawdown_lock_offset"]),
        drawdown_breach=BreachMode[d["drawdown_breach"]],
        max_contracts=d["max_contracts"],
        micro_weight=Decimal(d["micro_weight"]),
        scaling_tiers=tuple(ScalingTier(Decimal(b), int(n)) for b, n in d["scaling_tiers"]),
        max_position_size=d["max_position_size"],
        max_order_size=d.get("max_order_size"),  # rows stored before the rule existed have none
        max_concurrent_positions=d["max_concurrent_positions"],
        max_consecutive_losses=d["max_consecutive_losses"],
        cooldown_after_loss_minutes=d["cooldown_after_loss_minutes"],
        session_windows=frozenset(windows) if windows is not None else None,
        flat_by=time.fromisoformat(d["flat_by"]) if d["flat_by"] is not None else None,
        consistency_limit=_undec(d["consistency_limit"]),
        enforce_consistency=d["enforce_consistency"],
    )


AUDIT_COLUMNS = ("ts_ns", "account_id", "kind", "rule", "reason", "numbers", "state", "order_id", "status", "actor")


def audit_columns(entries: list[AuditEntry]) -> list[list[Any]]:
    """Column arrays for one unnest() insert."""
    return [
        [e.ts_ns for e in entries],
        [e.account_id for e in entries],
        [e.kind for e in entries],
        [e.rule for e in entries],
        [e.reason for e in entries],
        [json.dumps(dict(e.numbers)) for e in entries],
        [e.state for e in entries],
        [e.order_id for e in entries],
        [None if e.status is None else status_to_json(e.status) for e in entries],
        [e.actor for e in entries],
    ]


def audit_from_record(r: Any) -> AuditRecord:
    numbers = json.loads(r["numbers"])
    status = None if r["status"] is None else status_from_json(r["status"])
    entry = AuditEntry(
        r["ts_ns"], r["account_id"], r["kind"], r["rule"], r["reason"], tuple(numbers.items()), r["state"],
        r["order_id"], status, r["actor"],
    )  # fmt: skip
    return AuditRecord(r["seq"], entry)


def status_to_json(s: StatusSnapshot) -> str:
    return json.dumps(
        {
            "account_id": s.account_id,
            "state": s.state,
            "trading_day": s.trading_day.isoformat(),
            "daily_loss_used": str(s.daily_loss_used),
            "daily_loss_limit": _dec(s.daily_loss_limit),
            "drawdown_threshold": _dec(s.drawdown_threshold),
            "drawdown_distance": _dec(s.drawdown_distance),
            "peak": str(s.peak),
            "equity": str(s.equity),
            "locked_until_ns": s.locked_until_ns,
            "reason": s.reason,
            "emergency_stop": s.emergency_stop,
            "usage": [[u.rule, u.current, u.limit, _dec(u.used)] for u in s.usage],
            "updated_ns": s.updated_ns,
        }
    )


def status_from_json(text: str) -> StatusSnapshot:
    d: dict[str, Any] = json.loads(text)
    return StatusSnapshot(
        account_id=d["account_id"],
        state=d["state"],
        trading_day=date.fromisoformat(d["trading_day"]),
        daily_loss_used=Decimal(d["daily_loss_used"]),
        daily_loss_limit=_undec(d["daily_loss_limit"]),
        drawdown_threshold=_undec(d["drawdown_threshold"]),
        drawdown_distance=_undec(d["drawdown_distance"]),
        peak=Decimal(d["peak"]),
        equity=Decimal(d["equity"]),
        locked_until_ns=d["locked_until_ns"],
        reason=d["reason"],
        emergency_stop=d["emergency_stop"],
        usage=tuple(RuleUsage(rule, current, limit, _undec(used)) for rule, current, limit, used in d["usage"]),
        updated_ns=d["updated_ns"],
    )
