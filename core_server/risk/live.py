"""LiveRisk: the async shell around the pure RiskEngine: the execution guard, the audit writer, stop and rules.

- Guard: LiveExecution hands it every command's, tick's and timer step's events right after the paper engine;
  the engine's same-tick commands (cancel all, flatten) go back to run within that step. A command's decisions
  are kept only once the command is stored (`settled`).
- Writer: audit entries and changed saved states are stored every `interval_s` in one transaction (the table
  is append-only), then published on `risk.events` (AuditRecord; reliable subscribers), so a streamed entry
  always has its seq. A lost store keeps them queued, in order.
- Emergency stop, resume and rules are stored before they are applied or acknowledged; nothing half-applied.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import structlog

from core_server.bus import Bus, Subscription
from core_server.execution.commands import ExecutionCommand, FlattenAccount
from core_server.execution.events import ExecutionEvent, OrderAccepted, OrderCancelled
from core_server.execution.live import LiveExecution
from core_server.execution.model import AccountId, OrderRole
from core_server.model.clock import Clock
from core_server.model.errors import Unavailable
from core_server.model.market_data import Tick
from core_server.risk.audit import (
    AuditEntry,
    AuditRecord,
    RiskStore,
    StatusSnapshot,
    StoredRules,
    entry_of,
    snapshot_of,
)
from core_server.risk.engine import RiskEngine
from core_server.risk.events import NOTHING, RiskEvent
from core_server.risk.rules import RuleSet
from core_server.risk.saved import SavedAccount
from core_server.risk.usage import AccountRisk, account_risk

log = structlog.get_logger(__name__)

RISK_TOPIC = "risk.events"
EVENT_QUEUE = 10_000
INTERVAL_S = 0.02


@dataclass(frozen=True, slots=True)
class StopResult:
    orders_cancelled: int
    positions_flattened: int
    ts_ns: int


class LiveRisk:
    """Owns the RiskEngine in a running server; registered on LiveExecution as its pre-trade check and guard."""

    def __init__(
        self,
        clock: Clock,
        bus: Bus,
        store: RiskStore,
        engine: RiskEngine,
        execution: LiveExecution,
        *,
        default_preset: str = "",
        interval_s: float = INTERVAL_S,
    ) -> None:
        self._clock = clock
        self._bus = bus
        self._store = store
        self._engine = engine
        self._execution = execution
        self._default_preset = default_preset
        self._interval_s = interval_s
        self._presets: dict[AccountId, str] = {}
        self._tentative: list[RiskEvent] = []
        self._queue: list[AuditEntry] = []
        self._written: dict[AccountId, SavedAccount | None] = {}
        self._write_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def engine(self) -> RiskEngine:
        return self._engine

    @property
    def emergency_stopped(self) -> bool:
        return self._engine.emergency_stopped

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Restore every paper account's rules and saved state (after LiveExecution restored the accounts), then
        check every order and watch every tick from here on."""
        stored = await self._store.load()
        now = self._clock.now_ns()
        rules_of = {r.account_id: r for r in stored.rules}
        saved_of = {s.account_id: s for s in stored.states}
        view = self._execution.engine
        actions: list[ExecutionCommand] = []
        for account in view.accounts():
            aid = account.account_id
            kept = rules_of.get(aid)
            rules = kept.rules if kept is not None else self._engine.default_rules
            self._presets[aid] = kept.preset if kept is not None else self._default_preset
            result = self._engine.restore_account(account, view.positions(aid), rules, saved_of.get(aid), now)
            self._written[aid] = saved_of.get(aid)
            self._record(result.events)
            actions.extend(result.actions)
        self._engine.restore_emergency_stop(stored.emergency_stop)
        view.add_pre_trade_check(self._engine)
        self._execution.guard = self
        log.info("risk.restored", accounts=len(view.accounts()), emergency_stop=stored.emergency_stop)
        if actions:
            await self._execution.execute_all(actions)
        self._task = asyncio.create_task(self._write_loop(), name="risk-writer")

    async def stop(self) -> None:
        """After LiveExecution stopped: store what is still queued (a last attempt)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await self.flush()
        except Exception as exc:  # shutting down: say what is lost, never block the rest of the shutdown
            log.error("risk.unsaved_at_stop", entries=len(self._queue), reason=str(exc))

    # -- the execution guard ------------------------------------------------------------------------------

    def after_command(self, events: Sequence[ExecutionEvent], now_ns: int) -> Sequence[ExecutionCommand]:
        decided = self._engine.take_pending()
        result = self._engine.on_execution_events(events) if events else NOTHING
        self._tentative.extend(decided.events)
        self._tentative.extend(result.events)
        return decided.actions + result.actions

    def settled(self, stored: bool) -> None:
        tentative, self._tentative = self._tentative, []
        if stored:
            self._record(tentative)

    def after_tick(self, tick: Tick, events: Sequence[ExecutionEvent]) -> Sequence[ExecutionCommand]:
        result = self._engine.on_tick(tick, events)
        if result is NOTHING:
            return ()
        self._record(result.events)
        return result.actions

    def after_time(self, now_ns: int, events: Sequence[ExecutionEvent]) -> Sequence[ExecutionCommand]:
        first = self._engine.on_execution_events(events) if events else NOTHING
        later = self._engine.advance_to(now_ns)
        if first is NOTHING and later is NOTHING:
            return ()
        self._record(first.events + later.events)
        return first.actions + later.actions

    # -- commands -----------------------------------------------------------------------------------------

    async def emergency_stop(self, reason: str) -> StopResult:
        """Store the flag, block new risk everywhere, then cancel every order and flatten every account."""
        now = self._clock.now_ns()
        await self._store.save_emergency_stop(True, reason, now)
        result = self._engine.emergency_stop(now, reason)
        self._record(result.events)
        changes = await self._execution.execute_all(result.actions)
        cancelled = sum(1 for c in changes for e in c.events if isinstance(e, OrderCancelled))
        flattened = sum(
            1
            for c in changes
            if isinstance(c.command, FlattenAccount)
            for e in c.events
            if isinstance(e, OrderAccepted) and e.order.role is OrderRole.CLOSE
        )
        log.warning("risk.emergency_stop", reason=reason, cancelled=cancelled, flattened=flattened)
        await self._flush_quietly()
        return StopResult(cancelled, flattened, now)

    async def resume(self, reason: str = "resumed") -> int:
        now = self._clock.now_ns()
        await self._store.save_emergency_stop(False, reason, now)
        self._record(self._engine.resume(now, reason).events)
        log.info("risk.resumed")
        await self._flush_quietly()
        return now

    async def set_rules(self, account_id: AccountId, rules: RuleSet, preset: str) -> None:
        """Replace an account's rules whole: validated and stored before they apply (InvalidArgument, NotFound,
        Unavailable: nothing changed); a breach they reveal acts at once."""
        self._execution.engine.account(account_id)  # NotFound
        now = self._clock.now_ns()
        old = self._engine.rules(account_id)
        result = self._engine.set_rules(account_id, rules, now)
        try:
            await self._store.save_rules(StoredRules(account_id, rules, preset), now)
        except BaseException:
            self._engine.set_rules(account_id, old, now)
            raise
        self._presets[account_id] = preset
        self._record(result.events)
        if result.actions:
            await self._execution.execute_all(result.actions)
        await self._flush_quietly()

    # -- queries ------------------------------------------------------------------------------------------

    def starting_balance(self, account_id: AccountId) -> Decimal:
        return self._execution.engine.account(account_id).starting_balance

    def preset_of(self, account_id: AccountId) -> str:
        return self._presets.get(account_id, self._default_preset)

    def status(self, account_id: AccountId) -> AccountRisk:
        self._execution.engine.account(account_id)  # NotFound
        engine, now = self._engine, self._clock.now_ns()
        return account_risk(
            engine.figures(account_id), engine.saved(account_id), engine.rules(account_id),
            self.preset_of(account_id), self._execution.engine, engine.emergency_stopped, now,
            next_day_ns=engine.next_day_ns(now), market_hours=engine.market_hours_usage(now),
        )  # fmt: skip

    def accounts(self) -> tuple[AccountId, ...]:
        return self._engine.accounts()

    async def recent(self, account_id: str, limit: int) -> list[AuditRecord]:
        return await self._store.recent(account_id, limit)

    def subscribe(self) -> Subscription[AuditRecord]:
        """Stored audit entries as they are written (reliable: closed with SlowConsumer when too slow)."""
        return self._bus.subscribe(RISK_TOPIC, maxsize=EVENT_QUEUE)

    # -- the writer ---------------------------------------------------------------------------------------

    def _record(self, events: Sequence[RiskEvent]) -> None:
        """Queue the events' entries, each with its account's status as it stands now, right after it: a replay
        shows that, never the status at the time of the replay."""
        statuses: dict[str, StatusSnapshot] = {}
        for event in events:
            status = None
            if event.account_id is not None:
                status = statuses.get(event.account_id)
                if status is None:
                    status = statuses[event.account_id] = snapshot_of(self.status(event.account_id))
            self._queue.append(entry_of(event, status))

    async def _write_loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self._flush_quietly()

    async def _flush_quietly(self) -> None:
        try:
            await self.flush()
        except Unavailable as exc:
            log.warning("risk.store_unavailable", reason=str(exc), queued=len(self._queue))

    async def flush(self) -> None:
        """Store the queued entries and every changed saved state in one transaction, then publish."""
        async with self._write_lock:
            states = []
            for aid in self._engine.accounts():
                saved = self._engine.saved(aid)
                if self._written.get(aid) != saved:
                    states.append(saved)
            if not self._queue and not states:
                return
            entries = list(self._queue)
            seqs = await self._store.append(entries, states, self._clock.now_ns())
            del self._queue[: len(entries)]
            for saved in states:
                self._written[AccountId(saved.account_id)] = saved
            for seq, entry in zip(seqs, entries, strict=True):
                self._bus.publish(RISK_TOPIC, AuditRecord(seq, entry))
