"""Audit entries: a RiskEvent as the append-only log keeps it (labels, exact decimal text, the account's status
right after it), and the store port."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from core_server.risk.events import RiskEvent
from core_server.risk.rules import RuleSet
from core_server.risk.saved import SavedAccount
from core_server.risk.usage import AccountRisk, RuleUsage


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """An account's risk status as it stood right after an audit entry: what a replay shows beside the entry."""

    account_id: str
    state: str  # RiskStatus label, the effective one (AccountRisk.state)
    trading_day: date
    daily_loss_used: Decimal
    daily_loss_limit: Decimal | None
    drawdown_threshold: Decimal | None
    drawdown_distance: Decimal | None
    peak: Decimal
    equity: Decimal
    locked_until_ns: int
    reason: str
    emergency_stop: bool
    usage: tuple[RuleUsage, ...]
    updated_ns: int


def snapshot_of(risk: AccountRisk) -> StatusSnapshot:
    f = risk.figures
    return StatusSnapshot(
        account_id=f.account_id,
        state=risk.state.name.lower(),
        trading_day=f.trading_day,
        daily_loss_used=f.daily_loss_used,
        daily_loss_limit=f.daily_loss_limit,
        drawdown_threshold=f.drawdown_threshold,
        drawdown_distance=f.drawdown_distance,
        peak=f.peak,
        equity=f.equity,
        locked_until_ns=risk.locked_until_ns,
        reason=risk.reason,
        emergency_stop=risk.emergency_stop,
        usage=risk.usage,
        updated_ns=f.ts_event,
    )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    ts_ns: int
    account_id: str  # '' for engine-wide entries (emergency stop, resume)
    kind: str  # RiskEventKind label: order_allowed, order_denied, status_changed, breach, locked, ...
    rule: str  # Rule label, 'none' when no rule decided
    reason: str
    numbers: tuple[tuple[str, str], ...]  # the figures behind it, as exact text
    state: str  # the account's RiskStatus label right after (engine-wide entries: '')
    order_id: str = ""
    status: StatusSnapshot | None = None  # the account's whole status right after (None: engine-wide, or older)
    actor: str = ""  # who caused it: the command's caller ("key:<name>", "local", ...); '' the market or the clock


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A stored entry with its place in the log."""

    seq: int
    entry: AuditEntry


def entry_of(event: RiskEvent, status: StatusSnapshot | None, actor: str = "") -> AuditEntry:
    """The entry of `event`, with the account's status right after it (None for engine-wide events)."""
    return AuditEntry(
        ts_ns=event.ts_event,
        account_id=event.account_id or "",
        kind=event.kind.label,
        rule=event.rule.label,
        reason=event.reason,
        numbers=tuple((name, _text(value)) for name, value in event.numbers),
        state=status.state if status is not None else "",
        order_id=event.order_id or "",
        status=status,
        actor=actor,
    )


def _text(value: Decimal | int | str | None) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class StoredRules:
    account_id: str
    rules: RuleSet
    preset: str  # the preset they started from ('' none)


@dataclass(frozen=True, slots=True)
class StoredRisk:
    """Everything the store holds for a restart."""

    rules: tuple[StoredRules, ...]
    states: tuple[SavedAccount, ...]
    emergency_stop: bool


class RiskStore(Protocol):
    """The risk tables (storage.risk.RiskRepository). A lost store raises Unavailable."""

    async def load(self) -> StoredRisk: ...

    async def append(self, entries: Sequence[AuditEntry], states: Sequence[SavedAccount], ts_ns: int) -> list[int]:
        """One transaction: the entries (their seqs returned, in order) and the accounts' saved states."""
        ...

    async def save_rules(self, rules: StoredRules, ts_ns: int) -> None: ...

    async def save_emergency_stop(self, stopped: bool, reason: str, ts_ns: int) -> None: ...

    async def recent(self, account_id: str, limit: int) -> list[AuditRecord]:
        """The last `limit` entries of the account ('' every account; an account also sees engine-wide ones),
        oldest first."""
        ...

    async def since(self, account_id: str, seq: int, limit: int) -> list[AuditRecord]:
        """Up to `limit` entries after `seq`, oldest first (the same account filter as `recent`)."""
        ...

    async def last_seq(self) -> int:
        """The log's last seq (0: empty)."""
        ...
