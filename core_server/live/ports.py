"""What the live shell asks of the store: one ordered, atomic write of what the kernel decided."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from core_server.copying.model import CopyOutcome, GroupChange
from core_server.execution.changes import ExecutionChange
from core_server.execution.commission_rates import StoredCommissionRates
from core_server.risk.audit import AuditEntry, StoredRules
from core_server.risk.saved import SavedAccount
from core_server.signals.model import SignalUpdate
from core_server.signals.trade_record import TradeRecord
from core_server.trades.model import TradeChange


@dataclass(slots=True)
class JournalBatch:
    """The records of one drain of the kernel (a tick batch, a timer step or a command), in order."""

    ts_ns: int
    execution: list[ExecutionChange] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    risk_states: list[SavedAccount] = field(default_factory=list)
    signals: list[SignalUpdate] = field(default_factory=list)
    signal_trades: list[TradeRecord] = field(default_factory=list)
    trades: list[TradeChange] = field(default_factory=list)
    strategies: list[object] = field(default_factory=list)
    rules: list[StoredRules] = field(default_factory=list)  # an account's new rules, with the command that set them
    emergency_stop: tuple[bool, str] | None = None  # the flag (and reason), with the command that changed it
    commission_rates: list[StoredCommissionRates] = field(default_factory=list)  # an account's new overrides
    copy_groups: list[GroupChange] = field(default_factory=list)  # copy groups created, changed or deleted
    copy_outcomes: list[CopyOutcome] = field(default_factory=list)  # each follower's copy of a source command
    audit_seqs: list[int] = field(default_factory=list)  # filled in by the store
    actor: str = ""  # the caller of the command this batch stores ('' a tick or timer drain)
    strategy_seqs: list[int] = field(default_factory=list)  # the strategy events' log seqs, filled in by the store
    execution_seqs: list[int] = field(default_factory=list)  # the execution events' journal seqs, by the store
    trade_seqs: list[int] = field(default_factory=list)  # each trade update's stream seq, filled in by the store

    @property
    def only_execution(self) -> bool:
        return not (
            self.audit
            or self.risk_states
            or self.signals
            or self.signal_trades
            or self.trades
            or self.strategies
            or self.rules
            or self.emergency_stop is not None
            or self.commission_rates
            or self.copy_groups
            or self.copy_outcomes
        )

    @property
    def empty(self) -> bool:
        return self.only_execution and not self.execution


class JournalStore(Protocol):
    async def commit(self, batches: Sequence[JournalBatch]) -> None:
        """Store every batch, in order, in one transaction (Unavailable when the store is down)."""
        ...
