"""ExecutionDesk: paper accounts and orders for the servicers: commands through the LiveKernel, queries from memory.

Every command runs in the kernel and is stored before it returns (LiveKernel.command). Topics: `orders.<account>`
(order events) and `accounts.<account>` (positions and balances), both ExecutionNotice, both reliable.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core_server.bus import Bus, Subscription
from core_server.execution.changes import ExecutionChange, OrderState, change_of, order_id_of
from core_server.execution.commands import ExecutionCommand, OpenAccount
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import ORDER_EVENTS
from core_server.execution.model import Account, AccountId, Fill, Order, OrderId
from core_server.execution.ports import ExecutionStore
from core_server.kernel.kernel import TradingKernel
from core_server.kernel.output import Cause
from core_server.live.journal import ACCOUNTS_TOPIC, ORDERS_TOPIC, ExecutionNotice
from core_server.live.shell import LiveKernel
from core_server.model.errors import AlreadyExists, NotFound, Unavailable, VigilError

EVENT_QUEUE = 10_000


@dataclass(frozen=True, slots=True)
class ListedOrder:
    """An order as ListOrders shows it: its state, why it ended and when it last changed, and who placed it."""

    order: Order
    reason: str
    updated_ns: int
    placed_by: str


def _number(order_id: OrderId) -> int:
    return int(order_id[2:])  # O-n


def new_account_id() -> str:
    return f"A-{uuid.uuid4().hex[:12]}"


class ExecutionDesk:
    def __init__(
        self,
        shell: LiveKernel,
        bus: Bus,
        store: ExecutionStore,
        *,
        account_id_factory: Callable[[], str] = new_account_id,
    ) -> None:
        self._shell = shell
        self._bus = bus
        self._store = store
        self._journal = shell.journal
        self._new_account_id = account_id_factory
        # Checks a client's command passes before the kernel sees it (FailedPrecondition: refused, nothing changed):
        # a bound account with live routing off trades nowhere (live/broker_fills.py).
        self.gates: list[Callable[[ExecutionCommand], None]] = []

    @property
    def engine(self) -> PaperExecutionEngine:
        """Read-only use only (queries); every change goes through `execute`."""
        return self._shell.kernel.execution

    # -- commands -------------------------------------------------------------------------------------------

    async def execute(self, command: ExecutionCommand, *, actor: str = "") -> ExecutionChange:
        """Execute and store one command; its change (events and the state they left) once stored.
        InvalidArgument/NotFound/FailedPrecondition: refused, nothing changed; Unavailable: not stored."""
        journal = self._journal
        for gate in self.gates:
            gate(command)

        def run(kernel: TradingKernel, now: int) -> ExecutionChange:
            events = kernel.execute(command, now, cause=Cause.API, actor=actor)
            return change_of(kernel.execution, events, now, command, journal.names, journal.meta, actor)

        return await self._shell.command(run, actor=actor)

    async def execute_all(
        self,
        commands: Sequence[ExecutionCommand],
        *,
        actor: str = "",
        refused: Callable[[int, VigilError], None] | None = None,
    ) -> list[ExecutionChange]:
        """Several commands stored together; one the engine refuses (nothing to do) is skipped, and `refused` hears
        of it (its index and why). One rollback point and one journal commit for all of them."""
        journal = self._journal
        for command in commands:
            for gate in self.gates:
                gate(command)

        def run(kernel: TradingKernel, now: int) -> list[ExecutionChange]:
            changes = []
            for index, command in enumerate(commands):
                try:
                    events = kernel.execute(command, now, cause=Cause.API, actor=actor)
                except VigilError as exc:
                    if refused is not None:
                        refused(index, exc)
                    continue
                changes.append(change_of(kernel.execution, events, now, command, journal.names, journal.meta, actor))
            return changes

        return await self._shell.command(run, actor=actor)

    async def open_account(self, name: str, starting_balance: Decimal, *, actor: str = "") -> Account:
        """A new account; AlreadyExists("name") when another account has this name (case-insensitive) or id."""
        account_id = AccountId(self._new_account_id())
        journal = self._journal

        def run(kernel: TradingKernel, now: int) -> Account:
            taken = self.account_named(name)  # under the command lock: two callers cannot both take one name
            if taken is not None:
                raise AlreadyExists("name", f"account {taken} is already named or identified {name!r}")
            journal.names[account_id] = name
            kernel.execute(OpenAccount(account_id, starting_balance), now, cause=Cause.API, actor=actor)
            return kernel.execution.account(account_id)

        return await self._shell.command(run, actor=actor)

    def account_named(self, text: str) -> AccountId | None:
        """The account whose id is `text`, else the one whose name is `text` (case-insensitive), else None."""
        if any(a.account_id == text for a in self.engine.accounts()):
            return AccountId(text)
        key = text.casefold()
        return next((aid for aid, name in self._journal.names.items() if name.casefold() == key), None)

    # -- queries --------------------------------------------------------------------------------------------

    def account_name(self, account_id: AccountId) -> str:
        return self._journal.names.get(account_id, "")

    def account_updated_ns(self, account_id: AccountId) -> int:
        return self._journal.account_updated.get(account_id, 0)

    def placed_by(self, order_id: OrderId) -> str:
        """The actor that placed an order, as stored ('' when not recorded)."""
        return self._journal.placed_by.get(order_id, "")

    def order_meta(self, order_id: OrderId) -> tuple[str, int]:
        """(reason, updated_ns) of an order as last stored."""
        return self._journal.meta.get(order_id, ("", 0))

    async def order(self, order_id: OrderId) -> Order:
        """An order held in memory, else as stored (a finished order archived at a trading-day roll). NotFound."""
        try:
            return self.engine.order(order_id)
        except NotFound:
            state = await self._store.get_order(order_id)
            if state is None:
                raise
            return state.order

    async def list_orders(
        self, account_id: AccountId, contract_id: str | None, limit: int, *, open_only: bool = False
    ) -> list[ListedOrder]:
        """The account's newest `limit` orders (of one contract if given), newest first: the engine's (open, and
        finished today) merged with the store's (finished orders archived at a trading-day roll); the engine's
        copy wins. With the store unreachable, the engine's alone."""
        if open_only:
            held = list(self.engine.open_orders(account_id, contract_id))
        else:
            held = [o for o in self.engine.orders(account_id) if contract_id is None or o.contract_id == contract_id]
        meta, placed_by = self._journal.meta, self._journal.placed_by
        listed = {
            o.order_id: ListedOrder(o, *meta.get(o.order_id, ("", 0)), placed_by.get(o.order_id, ""))
            for o in held[::-1][:limit]
        }
        if not open_only:
            try:
                stored = await self._store.list_orders(account_id, contract_id, limit)
            except Unavailable:
                stored = []
            for state in stored:
                if state.order.order_id not in listed and not self.engine.holds(state.order.order_id):
                    listed[state.order.order_id] = ListedOrder(state.order, state.reason, state.updated_ns, state.actor)
        newest = sorted(listed.values(), key=lambda item: _number(item.order.order_id), reverse=True)
        return newest[:limit]

    async def list_fills(self, account_id: AccountId, from_ns: int, to_ns: int, limit: int) -> list[Fill]:
        """Stored fills, after storing what is queued (best effort): a fill whose order already shows FILLED is
        never missing (read your own writes)."""
        self.engine.account(account_id)  # NotFound for an unknown account
        with contextlib.suppress(Unavailable):
            await self._shell.writer.flush()
        return await self._store.list_fills(account_id, from_ns, to_ns, limit)

    # -- resuming streams -----------------------------------------------------------------------------------

    async def last_seq(self) -> int:
        """The execution journal's last seq (0: empty)."""
        return await self._store.last_seq()

    async def account_seq(self, account_id: AccountId) -> int:
        """The journal seq of the account's last stored event (as published; from the store when none was
        published since the start; 0 when the store cannot say)."""
        seq = self._journal.account_seq.get(account_id)
        if seq is None:
            try:
                seq = await self._store.last_seq(account_id)
            except Unavailable:
                return 0
            self._journal.account_seq.setdefault(account_id, seq)
        return seq

    async def order_events_since(self, account_id: str, seq: int, limit: int) -> list[ExecutionNotice]:
        """Up to `limit` stored order events after `seq` (of one account, every account when empty), oldest first,
        each with its seq and its order as it stands now (held in memory, else as stored)."""
        types = [t.__name__ for t in ORDER_EVENTS]
        stored = await self._store.events_since(account_id, seq, limit, types)
        states: dict[OrderId, OrderState | None] = {}
        notices = []
        for event_seq, event in stored:
            oid = order_id_of(event)
            if oid is not None and oid not in states:
                states[oid] = await self._order_state(oid)
            notices.append(ExecutionNotice(event, states.get(oid) if oid else None, event_seq))
        return notices

    async def _order_state(self, order_id: OrderId) -> OrderState | None:
        if self.engine.holds(order_id):
            reason, updated_ns = self.order_meta(order_id)
            return OrderState(self.engine.order(order_id), None, reason, updated_ns, self.placed_by(order_id))
        return await self._store.get_order(order_id)

    def subscribe_orders(self, account_id: str = "") -> Subscription[ExecutionNotice]:
        """Stored order events of one account (every account when empty). Reliable: a reader too slow for
        EVENT_QUEUE events is closed with SlowConsumer. Close it when done."""
        return self._bus.subscribe(ORDERS_TOPIC + (account_id or "*"), maxsize=EVENT_QUEUE)

    def subscribe_account(self, account_id: str) -> Subscription[ExecutionNotice]:
        """Stored order, position and balance events of one account (reliable)."""
        return self._bus.subscribe((ACCOUNTS_TOPIC + account_id, ORDERS_TOPIC + account_id), maxsize=EVENT_QUEUE)
