"""LiveExecution: the async shell around the pure PaperExecutionEngine: durable commands, same-tick fills, timers.

- Commands (`execute`) run one at a time under a lock and are stored before they return: the engine executes
  the command, the change it made (journal rows and state rows) is committed in one transaction together with
  any tick-driven changes still queued before it, and only then is anything published. If the commit fails the
  engine is restored to the snapshot taken just before the command (snapshot/restore was chosen over
  "validate, store, then execute" because execution itself draws latency from the seeded streams and allocates
  ids: the snapshot puts those back too), and the caller gets Unavailable: nothing is half-applied.
- Ticks (`on_tick`, a MarketDataEngine tick listener) reach the engine synchronously, so fills, triggers and
  expiries happen within the tick. While a command awaits its commit, arriving ticks are held and applied right
  after it, so a rollback never erases what the market did. Tick-driven changes queue in order and a writer
  stores them every `interval_s`; they are published on the bus only once stored.
- A timer calls `advance_to(now)` every `interval_s` (latency arrivals without ticks, DAY expiry).
- A guard (risk) sees every command's, tick's and timer step's events right after the engine; the commands it
  names (cancel all, flatten) run at once, in the same tick or command, and are journaled with it.
- Start: the engine is restored from the state tables. Its random streams restart from the configured seed and
  the journal's last seq (`reseed(f"{seed}:{last_seq}")`): deterministic for a given store, without storing
  the generator state. A first start opens the default paper account.
Topics: `orders.<account_id>` (order events) and `accounts.<account_id>` (positions, balances); both carry
ExecutionNotice and are meant for reliable subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import structlog

from core_server.bus import Bus, Subscription
from core_server.execution.accounts import CommissionSchedule
from core_server.execution.changes import (
    ExecutionChange,
    OrderState,
    account_id_of,
    change_of,
    order_id_of,
    restored_snapshot,
)
from core_server.execution.commands import ExecutionCommand, OpenAccount
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import ExecutionEvent, OrderRejected
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import Account, AccountId, Fill, Order, OrderId
from core_server.execution.ports import ExecutionGuard, ExecutionStore, PreTradeCheck
from core_server.execution.price_bands import PriceBands
from core_server.model.clock import Clock
from core_server.model.errors import AlreadyExists, Unavailable, VigilError
from core_server.model.market_data import Tick

log = structlog.get_logger(__name__)

ORDERS_TOPIC = "orders."
ACCOUNTS_TOPIC = "accounts."
INTERVAL_S = 0.02
EVENT_QUEUE = 10_000
GUARD_ROUNDS = 4  # a guard's commands may cause more; a bounded number of rounds, never a loop


def _new_account_id() -> str:
    return f"A-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, slots=True)
class ExecutionNotice:
    """A stored event, with the state its order was left in by the change that made it."""

    event: ExecutionEvent
    order: OrderState | None


@dataclass(frozen=True, slots=True)
class DefaultAccount:
    account_id: AccountId
    name: str
    starting_balance: Decimal


class LiveExecution:
    """Owns the paper engine in a running server; the servicer and the signal path call `execute`."""

    def __init__(
        self,
        clock: Clock,
        bus: Bus,
        store: ExecutionStore,
        *,
        fill_settings: FillSettings | None = None,
        commissions: CommissionSchedule | None = None,
        pre_trade_checks: Sequence[PreTradeCheck] = (),
        price_bands: PriceBands | None = None,
        default_account: DefaultAccount | None = None,
        account_id_factory: Callable[[], str] = _new_account_id,
        interval_s: float = INTERVAL_S,
    ) -> None:
        self._clock = clock
        self._bus = bus
        self._store = store
        self._settings = fill_settings or FillSettings()
        self._engine = PaperExecutionEngine(
            fill_settings=self._settings, commissions=commissions, pre_trade_checks=pre_trade_checks,
            price_bands=price_bands,
        )  # fmt: skip
        self._default = default_account
        self._new_account_id = account_id_factory
        self._interval_s = interval_s
        self._lock = asyncio.Lock()
        self._queue: deque[ExecutionChange] = deque()
        self._holding = False
        self._held: list[Tick] = []
        self._names: dict[AccountId, str] = {}
        self._account_updated: dict[AccountId, int] = {}
        self._meta: dict[OrderId, tuple[str, int]] = {}  # reason, updated_ns
        self._tasks: list[asyncio.Task[None]] = []
        self.on_rejected: Callable[[Order, str], object] | None = None  # a stored OrderRejected (signal path)
        self.guard: ExecutionGuard | None = None  # risk: set once, before ticks flow

    @property
    def engine(self) -> PaperExecutionEngine:
        """Read-only use only (queries); every change goes through `execute`."""
        return self._engine

    @property
    def queued_changes(self) -> int:
        return len(self._queue)

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Restore from the store (Unavailable if it cannot be read), open the default account on a first start,
        and start the writer and the timer."""
        stored = await self._store.load()
        if stored.accounts or stored.orders:
            self._engine.restore(restored_snapshot(stored))
        if stored.last_seq:
            self._engine.fill_model.reseed(f"{self._settings.seed}:{stored.last_seq}")
        for account in stored.accounts:
            self._names[account.account.account_id] = account.name
            self._account_updated[account.account.account_id] = account.updated_ns
        for order in stored.orders:
            self._meta[order.order.order_id] = (order.reason, order.updated_ns)
        log.info("execution.restored", accounts=len(stored.accounts), orders=len(stored.orders), seq=stored.last_seq)
        if self._default is not None and not self._engine.accounts():
            d = self._default
            await self._run(OpenAccount(d.account_id, d.starting_balance), {d.account_id: d.name})
            log.info("execution.default_account_opened", account_id=d.account_id, balance=str(d.starting_balance))
        self._tasks = [
            asyncio.create_task(self._write_loop(), name="execution-writer"),
            asyncio.create_task(self._timer_loop(), name="execution-timer"),
        ]

    async def stop(self) -> None:
        """Stop the timer and the writer, then store what is still queued (a last attempt)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        async with self._lock:
            try:
                await self._flush()
            except Exception as exc:  # shutting down: say what is lost, never block the rest of the shutdown
                log.error("execution.unsaved_at_stop", changes=len(self._queue), reason=str(exc))

    # -- ticks and time -----------------------------------------------------------------------------------

    def on_tick(self, tick: Tick) -> None:
        if self._holding:
            self._held.append(tick)
            return
        events = self._engine.on_tick(tick)
        if events:  # queued before the guard runs: fills the engine made are stored even if the guard fails
            self._queue.append(change_of(self._engine, events, tick.ts_event, None, self._names, self._meta))
        guard = self.guard
        actions = guard.after_tick(tick, events) if guard is not None else ()
        if actions:
            self._queue.extend(self._guarded(actions, tick.ts_event))
            guard.settled(True)  # type: ignore[union-attr]

    def _advance(self) -> None:
        if self._holding:
            return
        now = self._clock.now_ns()
        events = self._engine.advance_to(now)
        if events:
            self._queue.append(change_of(self._engine, events, now, None, self._names, self._meta))
        guard = self.guard
        actions = guard.after_time(now, events) if guard is not None else ()
        if actions:
            self._queue.extend(self._guarded(actions, now))
            guard.settled(True)  # type: ignore[union-attr]

    def _guarded(self, actions: Sequence[ExecutionCommand], ts: int) -> list[ExecutionChange]:
        """Run the guard's commands now, each journaled as a command; zero-latency orders they place (a flatten's
        closing orders) arrive within the same step. The guard sees what they did, and may ask for more."""
        changes: list[ExecutionChange] = []
        guard = self.guard
        for _ in range(GUARD_ROUNDS):
            if not actions or guard is None:
                break
            done: list[ExecutionEvent] = []
            for action in actions:
                try:
                    events = self._engine.execute(action, ts)
                except VigilError as exc:  # e.g. an account reset meanwhile: nothing to do, nothing changed
                    log.warning("execution.guard_command_refused", command=type(action).__name__, reason=str(exc))
                    continue
                arrived = self._engine.advance_to(ts)
                events = events + arrived if arrived else events
                changes.append(change_of(self._engine, events, ts, action, self._names, self._meta))
                done.extend(events)
            actions = guard.after_command(done, ts)
        return changes

    async def _timer_loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                self._advance()
            except Exception:  # a bug in one step must not stop arrivals and expiries for good
                log.exception("execution.timer_step_failed")

    async def _write_loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            if not self._queue:
                continue
            async with self._lock:
                try:
                    await self._flush()
                except Unavailable as exc:
                    log.warning("execution.store_unavailable", reason=str(exc), queued=len(self._queue))

    # -- commands -----------------------------------------------------------------------------------------

    async def execute(self, command: ExecutionCommand) -> ExecutionChange:
        """Execute and store one command; its change (events and the state they left) once stored.
        InvalidArgument/NotFound/FailedPrecondition: refused, nothing changed; Unavailable: not stored, nothing
        changed. Shielded: a caller that goes away (a cancelled RPC) cannot leave a commit half-known."""
        return await asyncio.shield(self._run(command, {}))

    async def execute_all(self, commands: Sequence[ExecutionCommand]) -> list[ExecutionChange]:
        """Several commands stored in one transaction (an emergency stop across accounts); a command the engine
        refuses (nothing to do) is skipped. Unavailable: none stored, nothing changed."""
        return await asyncio.shield(self._commit_commands(commands, {}, strict=False))

    async def open_account(self, name: str, starting_balance: Decimal) -> Account:
        """A new account; AlreadyExists("name") when another account has this name (case-insensitive) or id."""
        account_id = AccountId(self._new_account_id())
        change = await asyncio.shield(self._run(OpenAccount(account_id, starting_balance), {account_id: name}))
        return change.accounts[account_id].account

    async def _run(self, command: ExecutionCommand, new_names: dict[AccountId, str]) -> ExecutionChange:
        return (await self._commit_commands((command,), new_names, strict=True))[0]

    async def _commit_commands(
        self, commands: Sequence[ExecutionCommand], new_names: dict[AccountId, str], *, strict: bool
    ) -> list[ExecutionChange]:
        async with self._lock:
            for name in new_names.values():  # under the lock: two callers cannot both take one name
                taken = self.account_named(name)
                if taken is not None:
                    raise AlreadyExists("name", f"account {taken} is already named or identified {name!r}")
            before = self._engine.rollback_point()
            self._holding = True
            guard = self.guard
            try:
                now = self._clock.now_ns()
                names = {**self._names, **new_names} if new_names else self._names
                changes: list[ExecutionChange] = []
                for command in commands:
                    try:
                        events = self._engine.execute(command, now)
                    except VigilError:
                        if guard is not None:  # a refusal may still carry decisions (a denied modify)
                            guard.after_command((), now)
                            guard.settled(True)
                        if strict:
                            raise
                        continue
                    changes.append(change_of(self._engine, events, now, command, names, self._meta))
                if guard is not None:
                    actions = guard.after_command([e for c in changes for e in c.events], now)
                    changes.extend(self._guarded(actions, now))
                pending = list(self._queue)
                try:
                    await self._store.commit([*pending, *changes])
                except BaseException:
                    self._engine.restore(before)
                    if guard is not None:
                        guard.settled(False)
                    raise
                if guard is not None:
                    guard.settled(True)
                for _ in pending:
                    self._queue.popleft()
                self._applied((*pending, *changes))
                return changes
            finally:
                self._holding = False
                held, self._held = self._held, []
                for tick in held:
                    self.on_tick(tick)

    async def _flush(self) -> None:
        """Store the queued tick-driven changes in order, then publish them (caller holds the lock)."""
        if not self._queue:
            return
        batch = list(self._queue)
        try:
            await self._store.commit(batch)
        except Unavailable:
            raise  # kept queued: retried in order once the store is back
        except Exception:
            # The rows themselves are refused (a bug): retrying cannot help and would block every later change.
            for _ in batch:
                self._queue.popleft()
            log.exception("execution.write_refused", changes=len(batch))
            return
        for _ in batch:
            self._queue.popleft()
        self._applied(batch)

    def _applied(self, changes: Sequence[ExecutionChange]) -> None:
        publish = self._bus.publish
        for change in changes:
            for oid, state in change.orders.items():
                self._meta[oid] = (state.reason, state.updated_ns)
            for aid, account in change.accounts.items():
                if account.name:
                    self._names[aid] = account.name
                self._account_updated[aid] = account.updated_ns
            for event in change.events:
                event_oid = order_id_of(event)
                account_id = account_id_of(event)
                if event_oid is None:
                    publish(ACCOUNTS_TOPIC + account_id, ExecutionNotice(event, None))
                    continue
                order_state = change.orders.get(event_oid)
                publish(ORDERS_TOPIC + account_id, ExecutionNotice(event, order_state))
                if isinstance(event, OrderRejected) and self.on_rejected is not None and order_state is not None:
                    self.on_rejected(order_state.order, event.reason)

    # -- queries ------------------------------------------------------------------------------------------

    def account_name(self, account_id: AccountId) -> str:
        return self._names.get(account_id, "")

    def account_named(self, text: str) -> AccountId | None:
        """The account whose id is `text`, else the one whose name is `text` (case-insensitive), else None."""
        if any(a.account_id == text for a in self._engine.accounts()):
            return AccountId(text)
        key = text.casefold()
        return next((aid for aid, name in self._names.items() if name.casefold() == key), None)

    def account_updated_ns(self, account_id: AccountId) -> int:
        return self._account_updated.get(account_id, 0)

    def order_meta(self, order_id: OrderId) -> tuple[str, int]:
        """(reason, updated_ns) of an order as last stored."""
        return self._meta.get(order_id, ("", 0))

    async def list_fills(self, account_id: AccountId, from_ns: int, to_ns: int, limit: int) -> list[Fill]:
        self._engine.account(account_id)  # NotFound for an unknown account
        return await self._store.list_fills(account_id, from_ns, to_ns, limit)

    def subscribe_orders(self, account_id: str = "") -> Subscription[ExecutionNotice]:
        """Stored order events of one account (every account when empty). Reliable: a reader too slow for
        EVENT_QUEUE events is closed with SlowConsumer. Close it when done."""
        return self._bus.subscribe(ORDERS_TOPIC + (account_id or "*"), maxsize=EVENT_QUEUE)

    def subscribe_account(self, account_id: str) -> Subscription[ExecutionNotice]:
        """Stored order, position and balance events of one account (reliable)."""
        return self._bus.subscribe((ACCOUNTS_TOPIC + account_id, ORDERS_TOPIC + account_id), maxsize=EVENT_QUEUE)
