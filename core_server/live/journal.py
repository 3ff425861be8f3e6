"""KernelJournal: what the kernel produced, turned into store records at once and published once stored.

`record(output)` runs synchronously right after the kernel step that produced `output`, so every state row it
reads (orders, positions, accounts, risk figures) is the state those events left. The batch then goes to the
DurableWriter; once the store has it, its events are published on the bus in order, so a subscriber never sees
anything that a restart would not also find.

Topics: `orders.<account>` and `accounts.<account>` (ExecutionNotice), `risk.events` (AuditRecord),
`trades.updates` (TradeUpdate), `signals.events` (SignalUpdate), `strategies.events`, `copy.outcomes`
(CopyOutcome).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from core_server.bus import Bus
from core_server.excursions.model import ExcursionEvent
from core_server.execution.changes import OrderState, account_id_of, change_of, order_id_of
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import ExecutionEvent
from core_server.execution.model import AccountId, OrderId
from core_server.kernel.output import Cause, ExecutionStep, KernelOutput
from core_server.live.ports import JournalBatch
from core_server.risk.audit import AuditRecord, StatusSnapshot, entry_of, snapshot_of
from core_server.risk.engine import RiskEngine
from core_server.risk.saved import SavedAccount
from core_server.risk.usage import AccountRisk
from core_server.strategies.events import LoggedEvent, StrategyEvent
from core_server.trades.model import RoundTrip, TradeChange

log = structlog.get_logger(__name__)

ORDERS_TOPIC = "orders."
ACCOUNTS_TOPIC = "accounts."
RISK_TOPIC = "risk.events"
TRADES_TOPIC = "trades.updates"
SIGNALS_TOPIC = "signals.events"
STRATEGIES_TOPIC = "strategies.events"
COPY_TOPIC = "copy.outcomes"


@dataclass(frozen=True, slots=True)
class ExecutionNotice:
    """A stored execution event, with the state its order was left in by the change that made it."""

    event: ExecutionEvent
    order: OrderState | None
    seq: int = 0  # its place in the execution journal (the seq StreamOrderEvents and StreamAccount send)


@dataclass(frozen=True, slots=True)
class TradeUpdate:
    """A stored change of a round trip: the excursion event that caused it (None: it opened or its fills
    changed it, or a snapshot for a new subscriber), with the trip as it stood right after it."""

    trip: RoundTrip
    event: ExcursionEvent | None = None
    seq: int = 0  # its place in the trade update log (StreamTradeUpdates); 0 for a snapshot


def step_actor(step: ExecutionStep, command_actor: str) -> str:
    """Who caused one engine call: a signal or strategy by id ("signal:<id>", "strategy:<id>"), the API caller,
    "risk" (a risk action: cancel all, flatten), "trades" (a break-even move) or "roll" (a front-month roll); ''
    for the market and the clock."""
    cause = step.cause
    if cause in (Cause.SIGNAL, Cause.STRATEGY, Cause.COPY):
        return f"{cause.value}:{step.actor}" if step.actor else cause.value
    if cause is Cause.API:
        return step.actor or command_actor or "api"
    if cause in (Cause.RISK, Cause.TRADES, Cause.ROLL):
        return cause.value
    return ""


class KernelJournal:
    def __init__(self, bus: Bus, execution: PaperExecutionEngine, risk: RiskEngine) -> None:
        self._bus = bus
        self._execution = execution
        self._risk = risk
        self.names: dict[AccountId, str] = {}  # account names, as stored
        self.account_updated: dict[AccountId, int] = {}
        self.meta: dict[OrderId, tuple[str, int]] = {}  # per order: its stored (reason, updated_ns)
        self.placed_by: dict[OrderId, str] = {}  # per order: the actor that placed it, as stored
        self.account_seq: dict[str, int] = {}  # per account: the journal seq of its last stored event
        self._written_states: dict[str, SavedAccount] = {}
        # An account's whole risk status right after its audit entries (set by the risk desk, which knows presets)
        self.risk_status: Callable[[AccountId], AccountRisk] | None = None

    # -- records --------------------------------------------------------------------------------------------

    def batch_of(self, output: KernelOutput, ts_ns: int, actor: str = "") -> JournalBatch:
        """The store records of one kernel step, read against the engines' state right now; `actor`: the caller of
        the command that made the step ('' for ticks and time)."""
        batch = JournalBatch(ts_ns, actor=actor)
        engine = self._execution
        for step in output.execution:
            if step.events or step.command is not None:
                batch.execution.append(
                    change_of(
                        engine, step.events, step.ts_ns, step.command, self.names, self.meta, step_actor(step, actor)
                    )
                )
        risk = self._risk
        accounts = set(risk.accounts())
        statuses: dict[str, StatusSnapshot] = {}
        as_of = output.risk_as_of
        for index, event in enumerate(output.risk):
            aid = event.account_id
            status = as_of[index] if index < len(as_of) else None
            if status is None and aid is not None and aid in accounts and self.risk_status is not None:
                status = statuses.get(aid)
                if status is None:
                    status = statuses[aid] = snapshot_of(self.risk_status(aid))
            batch.audit.append(entry_of(event, status, actor))
        if output.risk or output.execution:
            for aid in accounts:
                saved = risk.saved(aid)
                if self._written_states.get(aid) != saved:
                    batch.risk_states.append(saved)
                    self._written_states[aid] = saved
        batch.signals.extend(output.signals)
        batch.signal_trades.extend(output.signal_trades)
        batch.trades.extend(c for c in output.trades if isinstance(c, TradeChange))
        batch.strategies.extend(output.strategies)
        batch.copy_groups.extend(output.copy_groups)
        batch.copy_outcomes.extend(output.copies)
        return batch

    def written(self, saved: SavedAccount | None) -> None:
        """A saved state the store already holds (read at start): not written again until it changes."""
        if saved is not None:
            self._written_states[saved.account_id] = saved

    def forget_states(self, batch: JournalBatch) -> None:
        """A batch that will never be stored (its command was rolled back): its saved states are unwritten."""
        for saved in batch.risk_states:
            self._written_states.pop(saved.account_id, None)

    def forget_orders(self, order_ids: Sequence[OrderId]) -> None:
        """Orders archived out of the engine: their stored metadata is read from the store from now on."""
        meta, placed_by = self.meta, self.placed_by
        for oid in order_ids:
            meta.pop(oid, None)
            placed_by.pop(oid, None)

    # -- after the store ------------------------------------------------------------------------------------

    def stored(self, batches: Sequence[JournalBatch]) -> None:
        publish = self._bus.publish
        held = self._execution.holds
        for batch in batches:
            execution_seqs = iter(batch.execution_seqs)
            for change in batch.execution:
                for oid, state in change.orders.items():
                    if not held(oid):  # archived before its write landed: the store has it
                        continue
                    self.meta[oid] = (state.reason, state.updated_ns)
                    if state.actor and oid not in self.placed_by:
                        self.placed_by[oid] = state.actor
                for aid, account in change.accounts.items():
                    if account.name:
                        self.names[aid] = account.name
                    self.account_updated[aid] = account.updated_ns
                for event in change.events:
                    event_oid = order_id_of(event)
                    account_id = account_id_of(event)
                    seq = next(execution_seqs, 0)
                    if seq:
                        self.account_seq[account_id] = seq
                    if event_oid is None:
                        publish(ACCOUNTS_TOPIC + account_id, ExecutionNotice(event, None, seq))
                    else:
                        publish(ORDERS_TOPIC + account_id, ExecutionNotice(event, change.orders.get(event_oid), seq))
            for seq, entry in zip(batch.audit_seqs, batch.audit, strict=False):
                publish(RISK_TOPIC, AuditRecord(seq, entry))
            for update in batch.signals:
                publish(SIGNALS_TOPIC, update)
            trade_seqs = iter(batch.trade_seqs)
            for trade_change in batch.trades:
                if trade_change.events:
                    for excursion_event in trade_change.events:
                        publish(TRADES_TOPIC, TradeUpdate(trade_change.trip, excursion_event, next(trade_seqs, 0)))
                else:
                    publish(TRADES_TOPIC, TradeUpdate(trade_change.trip, None, next(trade_seqs, 0)))
            seqs = iter(batch.strategy_seqs)
            for strategy_record in batch.strategies:
                if isinstance(strategy_record, StrategyEvent):
                    publish(STRATEGIES_TOPIC, LoggedEvent(next(seqs, 0), strategy_record))
                else:
                    publish(STRATEGIES_TOPIC, strategy_record)
            for outcome in batch.copy_outcomes:
                publish(COPY_TOPIC, outcome)
