"""RiskDesk: rules, status, the audit log, the emergency stop and resume, for the servicers.

Every change runs as one kernel command and is stored with the decisions it caused (the rules or the emergency
stop flag in the same transaction), so nothing is half-applied: if the store refuses, the kernel is put back.
Stored audit entries are published on `risk.events` (AuditRecord; reliable subscribers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import structlog

from core_server.bus import Bus, Subscription
from core_server.execution.commands import FlattenAccount
from core_server.execution.events import OrderAccepted, OrderCancelled
from core_server.execution.model import AccountId, OrderRole
from core_server.kernel.kernel import TradingKernel
from core_server.kernel.output import Cause
from core_server.live.journal import RISK_TOPIC
from core_server.live.ports import JournalBatch
from core_server.live.shell import LiveKernel
from core_server.risk.audit import AuditRecord, RiskStore, StoredRules
from core_server.risk.engine import RiskEngine
from core_server.risk.rules import RuleSet
from core_server.risk.usage import AccountRisk, account_risk

EVENT_QUEUE = 10_000


@dataclass(frozen=True, slots=True)
class StopResult:
    orders_cancelled: int
    positions_flattened: int
    ts_ns: int


class RiskDesk:
    def __init__(self, shell: LiveKernel, bus: Bus, store: RiskStore, *, default_preset: str = "") -> None:
        self._shell = shell
        self._bus = bus
        self._store = store
        self._default_preset = default_preset
        self.presets: dict[AccountId, str] = {}  # filled at start from the stored rules
        # Run after the kernel's stop, with the actor: the broker desk flattens live accounts at their brokers.
        self.stop_hooks: list[Callable[[str], Awaitable[object]]] = []

    @property
    def engine(self) -> RiskEngine:
        return self._shell.kernel.risk

    @property
    def emergency_stopped(self) -> bool:
        return self.engine.emergency_stopped

    # -- commands -------------------------------------------------------------------------------------------

    async def emergency_stop(self, reason: str, *, actor: str = "") -> StopResult:
        """Block new risk everywhere, cancel every order and flatten every account, stored as one step."""

        def run(kernel: TradingKernel, now: int) -> StopResult:
            before = len(kernel.output.execution)
            kernel.emergency_stop(reason, now)
            steps = kernel.output.execution[before:]
            cancelled = sum(1 for s in steps for e in s.events if isinstance(e, OrderCancelled))
            flattened = sum(
                1
                for s in steps
                if s.cause is Cause.RISK and isinstance(s.command, FlattenAccount)
                for e in s.events
                if isinstance(e, OrderAccepted) and e.order.role is OrderRole.CLOSE
            )
            return StopResult(cancelled, flattened, now)

        def flag(batch: JournalBatch) -> None:
            batch.emergency_stop = (True, reason)

        result = await self._shell.command(run, extra=flag, actor=actor)
        for hook in self.stop_hooks:
            try:
                await hook(actor)
            except Exception:  # the paper stop stands whatever a broker does
                structlog.get_logger(__name__).exception("risk.stop_hook_failed")
        return result

    async def resume(self, reason: str = "resumed", *, actor: str = "") -> int:
        def run(kernel: TradingKernel, now: int) -> int:
            kernel.resume(reason, now)
            return now

        def flag(batch: JournalBatch) -> None:
            batch.emergency_stop = (False, reason)

        return await self._shell.command(run, extra=flag, actor=actor)

    async def release(self, account_id: AccountId, reason: str, *, actor: str = "") -> int:
        """Lift an operator hold (a stage failed on this account) once someone has checked it."""
        self._shell.kernel.execution.account(account_id)  # NotFound

        def run(kernel: TradingKernel, now: int) -> int:
            kernel.apply_risk(kernel.risk.release(account_id, now, reason), now)
            return now

        return await self._shell.command(run, actor=actor)

    async def set_rules(self, account_id: AccountId, rules: RuleSet, preset: str, *, actor: str = "") -> None:
        """Replace an account's rules whole: validated, applied and stored together (InvalidArgument, NotFound,
        Unavailable: nothing changed); a breach they reveal acts at once."""
        self._shell.kernel.execution.account(account_id)  # NotFound

        def run(kernel: TradingKernel, now: int) -> None:
            kernel.apply_risk(kernel.risk.set_rules(account_id, rules, now), now)

        def stored(batch: JournalBatch) -> None:
            batch.rules.append(StoredRules(account_id, rules, preset))

        await self._shell.command(run, extra=stored, actor=actor)
        self.presets[account_id] = preset

    # -- queries --------------------------------------------------------------------------------------------

    def starting_balance(self, account_id: AccountId) -> Decimal:
        return self._shell.kernel.execution.account(account_id).starting_balance

    def preset_of(self, account_id: AccountId) -> str:
        return self.presets.get(account_id, self._default_preset)

    def status(self, account_id: AccountId) -> AccountRisk:
        kernel = self._shell.kernel
        kernel.execution.account(account_id)  # NotFound
        engine, now = kernel.risk, self._shell.clock.now_ns()
        return account_risk(
            engine.figures(account_id), engine.saved(account_id), engine.rules(account_id),
            self.preset_of(account_id), kernel.execution, engine.emergency_stopped, now,
            next_day_ns=engine.next_day_ns(now), market_hours=engine.market_hours_usage(now),
        )  # fmt: skip

    def accounts(self) -> tuple[AccountId, ...]:
        return self.engine.accounts()

    async def recent(self, account_id: str, limit: int) -> list[AuditRecord]:
        return await self._store.recent(account_id, limit)

    async def since(self, account_id: str, seq: int, limit: int) -> list[AuditRecord]:
        return await self._store.since(account_id, seq, limit)

    async def last_seq(self) -> int:
        return await self._store.last_seq()

    def subscribe(self) -> Subscription[AuditRecord]:
        """Stored audit entries as they are written (reliable: closed with SlowConsumer when too slow)."""
        return self._bus.subscribe(RISK_TOPIC, maxsize=EVENT_QUEUE)
