"""CopyEngine: the kernel's fan-out of a source command to every follower of the copy groups it belongs to.

The kernel's command runner asks `plan()` before it runs a command (cheap: a dict lookup, nothing when no group
is active) and hands the plan to `follow()` once the source command went through. Each follower's copy is a
kernel command of its own (Cause.COPY, actor = the group id), run through the same execution and risk path as
any command, so its own risk rules decide it; a refusal, denial or rejection is recorded as that follower's
outcome and the next follower is copied all the same. Nothing here awaits or stores: outcomes and group changes
go to the kernel output, in order, so a backtest and the live shell see the same fan-out.

What follows the source:
- entries (orders, brackets, bracket batches, OCO pairs): sized per follower (copying.sizing), in the
  follower's contract (micro substitution); a follower holding the opposite position closes it first
  (a reversal, as TradersPost does); the source's orders are linked to the follower's, role by role;
- modifications and cancels of a source order: applied to its linked follower orders still open (a quantity
  change scaled by follower quantity / source quantity, rounded down, at least 1);
- closes, reverses and flattens of the source, and its orders against its own position (reduce-only or not: a
  protective stop, a target, a partial exit): for every follower holding a position in the copied contract, an
  order proportional to the follower's position (never more than it holds), linked like an entry's;
- the source stopped out or taken profit by the market (a tick, time passing): every follower still holding the
  copied position closes at market.
A source order that its own risk denied is not copied (followers copy what the source did).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from core_server.copying.model import (
    CopyAction,
    CopyGroup,
    CopyOutcome,
    CopyStatus,
    Follower,
    GroupChange,
    SourceKind,
)
from core_server.copying.sizing import follower_contract, size_for, split_contract
from core_server.execution.commands import (
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    ExecutionCommand,
    ExitOffset,
    FlattenAccount,
    ModifyOrder,
    OffsetUnit,
    ReversePosition,
    SubmitBracket,
    SubmitBracketBatch,
    SubmitOcoPair,
    SubmitOrder,
)
from core_server.execution.events import (
    ExecutionEvent,
    OrderAccepted,
    OrderDenied,
    OrderFilled,
    OrderRejected,
    PositionChanged,
)
from core_server.execution.model import AccountId, Order, OrderId, OrderSide, OrderType
from core_server.execution.ports import ExecutionView
from core_server.model.errors import AlreadyExists, InvalidArgument, NotFound, VigilError
from core_server.model.instruments import INSTRUMENTS

TAG_PREFIX = "copy:"
MAX_NOTE_CHARS = 2_000  # a signal's `copied` event; the full records are the copy outcomes

# (command, now, group id) -> the events of the follower's command; VigilError: refused, nothing changed
Runner = Callable[[ExecutionCommand, int, str], tuple[ExecutionEvent, ...]]
Link = tuple[str, AccountId, OrderId]  # (group id, follower account, follower order id)


@dataclass(frozen=True, slots=True)
class Plan:
    groups: tuple[CopyGroup, ...]
    source_ref: str
    source_net: int  # the source account's net position in the command's contract before the command
    source_order_qty: int  # a modified or cancelled order's quantity before the command


def account_of(command: ExecutionCommand) -> AccountId | None:
    if isinstance(command, SubmitBracketBatch):
        return command.brackets[0].account_id if command.brackets else None
    if isinstance(command, SubmitOcoPair):
        return command.first.account_id
    return command.account_id


def copy_tag(group_id: str, source_ref: str) -> str:
    return f"{TAG_PREFIX}{group_id}|{source_ref}"


def _against(net: int, side: OrderSide) -> bool:
    """An order against the source's position (a protective stop, a target, a partial exit) is copied as an exit."""
    return (net > 0 and side is OrderSide.SELL) or (net < 0 and side is OrderSide.BUY)


def _accepted(events: Iterable[ExecutionEvent]) -> list[OrderId]:
    return [e.order.order_id for e in events if isinstance(e, OrderAccepted)]


class CopySink(Protocol):
    """Where outcomes and group changes go, in order (the kernel's output)."""

    copies: list[CopyOutcome]
    copy_groups: list[GroupChange]


class CopyEngine:
    def __init__(
        self,
        view: ExecutionView,
        strategy_of: Callable[[str], str | None],
        sink: CopySink,
        signal_account: AccountId | None = None,
    ) -> None:
        self.view = view
        self.sink = sink
        self.signal_account = signal_account  # where webhook strategies' orders go (signal execution on)
        self.strategy_of = strategy_of  # a signal id's strategy name (None: unknown)
        self.run: Runner | None = None  # set by the kernel's command runner
        self.groups: dict[str, CopyGroup] = {}
        self.links: dict[OrderId, tuple[Link, ...]] = {}
        self._links_kept = 0  # how many sources had a link to an open follower order at the last pruning
        self.copied: dict[tuple[str, AccountId], frozenset[str]] = {}  # contracts each follower copied, per group
        self.last: dict[tuple[str, AccountId], CopyOutcome] = {}  # each follower's last outcome, per group
        self.notes: list[tuple[str, str, int]] = []  # (signal id, what its copies became, when): for the Signal Lab
        self._index: dict[tuple[SourceKind, str], tuple[CopyGroup, ...]] = {}

    # -- groups ---------------------------------------------------------------------------------------------

    def put(self, group: CopyGroup) -> None:
        """Create or replace a group (as a command: the change goes to the output with it)."""
        self._check(group)
        self.groups[group.group_id] = group
        self._reindex()
        self.sink.copy_groups.append(GroupChange(group))

    def delete(self, group_id: str) -> CopyGroup:
        group = self.get(group_id)
        del self.groups[group_id]
        self._reindex()
        self.sink.copy_groups.append(GroupChange(group, deleted=True))
        return group

    def get(self, group_id: str) -> CopyGroup:
        group = self.groups.get(group_id)
        if group is None:
            raise NotFound("group_id", f"no copy group {group_id!r}")
        return group

    def restore(
        self, groups: Iterable[CopyGroup], entries: Iterable[CopyOutcome], latest: Iterable[CopyOutcome] = ()
    ) -> None:
        """After a restart: the stored groups, the links of their followers' orders that are still open (from the
        placed entries) and each follower's last outcome."""
        self.groups = {g.group_id: g for g in groups}
        self._reindex()
        for outcome in latest:
            self._remember(outcome)
        for outcome in entries:
            if outcome.action not in (CopyAction.ENTRY, CopyAction.EXIT) or outcome.group_id not in self.groups:
                continue
            for source_id, order_id in zip(outcome.source_order_ids, outcome.order_ids, strict=False):
                self._copied(outcome.group_id, outcome.account_id, outcome.contract_id)
                try:
                    if not self.view.order(order_id).is_open:
                        continue
                except NotFound:
                    continue
                link = (outcome.group_id, outcome.account_id, order_id)
                self.links[source_id] = (*self.links.get(source_id, ()), link)

    def _check(self, group: CopyGroup) -> None:
        for other in self.groups.values():
            if other.name == group.name and other.group_id != group.group_id:
                raise AlreadyExists("name", f"a copy group named {group.name!r} exists ({other.group_id})")
        accounts = {a.account_id for a in self.view.accounts()}
        seen: set[AccountId] = set()
        for i, follower in enumerate(group.followers):
            if follower.account_id not in accounts:
                raise NotFound(f"followers[{i}].account_id", f"no account {follower.account_id!r}")
            if follower.account_id in seen:
                raise InvalidArgument(f"followers[{i}].account_id", f"account {follower.account_id} is given twice")
            if group.source_kind is SourceKind.ACCOUNT and follower.account_id == group.source:
                raise InvalidArgument(f"followers[{i}].account_id", "the leader account cannot follow itself")
            seen.add(follower.account_id)
        if group.source_kind is SourceKind.ACCOUNT and AccountId(group.source) not in accounts:
            raise NotFound("source", f"no leader account {group.source!r}")

    def _reindex(self) -> None:
        index: dict[tuple[SourceKind, str], tuple[CopyGroup, ...]] = {}
        for group in sorted(self.groups.values(), key=lambda g: g.group_id):
            if not group.paused and group.followers:
                key = (group.source_kind, group.source)
                index[key] = (*index.get(key, ()), group)
        self._index = index

    # -- rollback -------------------------------------------------------------------------------------------

    def snapshot(self) -> object:
        return dict(self.groups), dict(self.links), dict(self.copied), dict(self.last), list(self.notes)

    def restore_point(self, point: object) -> None:
        assert isinstance(point, tuple)
        self.groups, self.links, self.copied, self.last = (dict(part) for part in point[:4])
        self.notes = list(point[4])
        self._reindex()

    def take_notes(self) -> list[tuple[str, str, int]]:
        notes, self.notes = self.notes, []
        return notes

    # -- fan-out --------------------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return bool(self._index)

    def plan(self, command: ExecutionCommand, cause: str, actor: str) -> Plan | None:
        """The groups a command about to run belongs to (None: it is not a copy source)."""
        if cause == "signal":
            strategy = self.strategy_of(actor) if actor else None
            if strategy is None:
                return None
            key, ref = (SourceKind.WEBHOOK, strategy), f"signal:{actor}"
        elif cause == "strategy":
            key, ref = (SourceKind.STRATEGY, actor), f"strategy:{actor}"
        elif cause == "api":
            account = account_of(command)
            if account is None:
                return None
            key, ref = (SourceKind.ACCOUNT, account), f"account:{account}"
        else:
            return None
        groups = self._index.get(key)
        if not groups:
            return None
        net, order_qty = 0, 0
        view = self.view
        try:
            if isinstance(command, SubmitOrder | ClosePosition | ReversePosition):
                net = view.position(command.account_id, command.contract_id).net_qty
            elif isinstance(command, ModifyOrder | CancelOrder):
                order_qty = view.order(command.order_id).quantity
        except VigilError:
            pass  # the command itself will be refused
        return Plan(groups, ref, net, order_qty)

    def follow(self, plan: Plan, command: ExecutionCommand, events: tuple[ExecutionEvent, ...], now: int) -> None:
        """The source command went through with `events`: copy it to every follower of every group in `plan`."""
        if any(isinstance(e, OrderDenied) for e in events):
            return
        copies = self.sink.copies
        start = len(copies)
        for group in plan.groups:
            for follower in group.followers:
                self._follow_one(group, follower, plan, command, events, now)
        if plan.source_ref.startswith("signal:") and len(copies) > start:
            self.notes.append((plan.source_ref.removeprefix("signal:"), self._summary(copies[start:]), now))

    def _summary(self, outcomes: list[CopyOutcome]) -> str:
        """One line for the Signal Lab: each follower's outcome, by group."""
        parts: list[str] = []
        for group_id in dict.fromkeys(o.group_id for o in outcomes):
            group = self.groups.get(group_id)
            name = group.name if group is not None else group_id
            mine = [o for o in outcomes if o.group_id == group_id]
            text = ", ".join(
                f"{o.account_id} {o.action.value} {o.status.value} {o.quantity} {o.contract_id}"
                + (f" ({o.detail.rsplit(': ', 1)[-1]})" if o.status is not CopyStatus.PLACED else "")
                for o in mine
            )
            parts.append(f"copy group {name}: {text}")
        summary = "; ".join(parts)
        return summary if len(summary) <= MAX_NOTE_CHARS else summary[: MAX_NOTE_CHARS - 1] + "…"

    def _follow_one(
        self,
        group: CopyGroup,
        follower: Follower,
        plan: Plan,
        command: ExecutionCommand,
        events: tuple[ExecutionEvent, ...],
        now: int,
    ) -> None:
        if isinstance(command, SubmitBracket):
            self._entry(group, follower, plan, command, _accepted(events), events, now)
        elif isinstance(command, SubmitBracketBatch):
            accepted = _accepted(events)
            for i, bracket in enumerate(command.brackets):
                self._entry(group, follower, plan, bracket, accepted[3 * i : 3 * i + 3], events, now)
        elif isinstance(command, SubmitOrder) and (command.reduce_only or _against(plan.source_net, command.side)):
            self._reduce(group, follower, plan, command, _accepted(events), now)
        elif isinstance(command, SubmitOrder | SubmitOcoPair):
            self._entry(group, follower, plan, command, _accepted(events), events, now)
        elif isinstance(command, ModifyOrder):
            self._modify(group, follower, plan, command, now)
        elif isinstance(command, CancelOrder):
            self._cancel_linked(group, follower, plan, (command.order_id,), now)
        elif isinstance(command, CancelAllOrders):
            self._cancel_all(group, follower, plan, command.contract_id, now)
        elif isinstance(command, ClosePosition | ReversePosition):
            self._close(group, follower, plan, command, command.contract_id, now)
        elif isinstance(command, FlattenAccount):
            for contract_id in sorted(self.copied.get((group.group_id, follower.account_id), ())):
                self._close(group, follower, plan, command, contract_id, now, follower_side=True)

    # -- entries --------------------------------------------------------------------------------------------

    def _entry(
        self,
        group: CopyGroup,
        follower: Follower,
        plan: Plan,
        command: SubmitOrder | SubmitBracket | SubmitOcoPair,
        source_ids: list[OrderId],
        events: tuple[ExecutionEvent, ...],
        now: int,
    ) -> None:
        first = command.first if isinstance(command, SubmitOcoPair) else command
        contract_id, factor = follower_contract(first.contract_id, follower)
        aid = follower.account_id
        outcome = _Outcome(group.group_id, aid, plan.source_ref, tuple(source_ids), CopyAction.ENTRY, contract_id)
        try:
            stop_ticks = _stop_ticks(command, events, self.view) if isinstance(command, SubmitBracket) else None
            quantity, how = size_for(follower, int(first.quantity), contract_id, factor, stop_ticks)
        except VigilError as exc:
            self._record(outcome.done(CopyStatus.REFUSED, 0, (), str(exc), now))
            return
        if quantity <= 0:
            self._record(outcome.done(CopyStatus.SKIPPED, 0, (), f"sized to 0 ({how})", now))
            return
        tag = copy_tag(group.group_id, plan.source_ref)
        copy: ExecutionCommand
        if isinstance(command, SubmitOcoPair):
            copy = SubmitOcoPair(
                replace(command.first, account_id=aid, contract_id=contract_id, quantity=quantity, tag=tag),
                replace(command.second, account_id=aid, contract_id=contract_id, quantity=quantity, tag=tag),
            )
        else:
            copy = replace(command, account_id=aid, contract_id=contract_id, quantity=quantity, tag=tag)
        note = ""
        net = self._net(aid, contract_id)
        buying = first.side is OrderSide.BUY
        if net and (net > 0) != buying:
            refused = self._execute(ClosePosition(aid, contract_id), group.group_id, now)
            note = (
                f"; closing the opposite {abs(net)} first was refused: {refused}"
                if refused
                else (f"; closed the opposite {'long' if net > 0 else 'short'} {abs(net)} first")
            )
        self._copied(group.group_id, aid, contract_id)
        result = self._run_copy(outcome, copy, quantity, f"{first.side.name.lower()} {quantity} ({how}){note}", now)
        if result.status is CopyStatus.PLACED:
            self._link(group.group_id, aid, source_ids, result.order_ids)

    def _reduce(
        self,
        group: CopyGroup,
        follower: Follower,
        plan: Plan,
        command: SubmitOrder,
        source_ids: list[OrderId],
        now: int,
    ) -> None:
        contract_id, _ = follower_contract(command.contract_id, follower)
        aid = follower.account_id
        held = abs(self._net(aid, contract_id))
        if not held or not plan.source_net:
            return
        quantity = min(held, max(1, held * int(command.quantity) // abs(plan.source_net)))
        outcome = _Outcome(group.group_id, aid, plan.source_ref, tuple(source_ids), CopyAction.EXIT, contract_id)
        side = OrderSide.SELL if self._net(aid, contract_id) > 0 else OrderSide.BUY
        copy = replace(
            command, account_id=aid, contract_id=contract_id, quantity=quantity, side=side,
            tag=copy_tag(group.group_id, plan.source_ref),
        )  # fmt: skip
        how = f"{held} x {command.quantity} / {abs(plan.source_net)}"
        result = self._run_copy(outcome, copy, quantity, f"reduce by {quantity} of {held} ({how})", now)
        if result.status is CopyStatus.PLACED:
            self._link(group.group_id, aid, source_ids, result.order_ids)

    # -- following the source's orders and positions --------------------------------------------------------

    def _modify(self, group: CopyGroup, follower: Follower, plan: Plan, command: ModifyOrder, now: int) -> None:
        for order_id, order in self._linked_open(group, follower, (command.order_id,)):
            quantity = None
            if command.quantity is not None and plan.source_order_qty:
                quantity = max(1, order.quantity * int(command.quantity) // plan.source_order_qty)
            copy = ModifyOrder(follower.account_id, order_id, quantity, command.limit_price, command.stop_price)
            outcome = _Outcome(
                group.group_id, follower.account_id, plan.source_ref, (command.order_id,), CopyAction.MODIFY,
                order.contract_id,
            )  # fmt: skip
            self._run_copy(outcome, copy, quantity or order.quantity, f"modified order {order_id}", now, keep=order_id)

    def _cancel_linked(
        self, group: CopyGroup, follower: Follower, plan: Plan, source_ids: tuple[OrderId, ...], now: int
    ) -> None:
        for order_id, order in self._linked_open(group, follower, source_ids):
            outcome = _Outcome(
                group.group_id, follower.account_id, plan.source_ref, source_ids, CopyAction.CANCEL, order.contract_id
            )
            copy = CancelOrder(follower.account_id, order_id)
            self._run_copy(outcome, copy, order.leaves_qty, f"cancelled order {order_id}", now, keep=order_id)

    def _cancel_all(self, group: CopyGroup, follower: Follower, plan: Plan, contract_id: str | None, now: int) -> None:
        wanted = None if contract_id is None else follower_contract(contract_id, follower)[0]
        sources = tuple(
            source_id
            for source_id, links in self.links.items()
            for gid, aid, order_id in links
            if gid == group.group_id and aid == follower.account_id and self._is_open(order_id, wanted)
        )
        if sources:
            self._cancel_linked(group, follower, plan, tuple(dict.fromkeys(sources)), now)

    def _close(
        self,
        group: CopyGroup,
        follower: Follower,
        plan: Plan,
        command: ExecutionCommand,
        contract_id: str,
        now: int,
        *,
        follower_side: bool = False,
    ) -> None:
        mine = contract_id if follower_side else follower_contract(contract_id, follower)[0]
        aid = follower.account_id
        net = self._net(aid, mine)
        if not net:
            return
        reverse = isinstance(command, ReversePosition)
        copy: ExecutionCommand = ReversePosition(aid, mine) if reverse else ClosePosition(aid, mine)
        what = "reversed" if reverse else "closed"
        outcome = _Outcome(group.group_id, aid, plan.source_ref, (), CopyAction.EXIT, mine)
        self._run_copy(outcome, copy, abs(net), f"{what} {'long' if net > 0 else 'short'} {abs(net)} at market", now)

    # -- the source's exits the market made ----------------------------------------------------------------

    def source_moved(self, events: tuple[ExecutionEvent, ...], now: int) -> None:
        """Fills the market made (a tick, time passing): a source account left flat by its own stop or target
        closes every follower still holding the copied position (one whose own exit filled already is flat)."""
        for event in events:
            if type(event) is not PositionChanged or event.position.net_qty:
                continue
            account, contract_id = event.position.account_id, event.position.contract_id
            for group in self._groups_led_by(account):
                plan = Plan((group,), f"{group.source_kind.value}:{group.source}", 0, 0)
                for follower in group.followers:
                    self._close(group, follower, plan, ClosePosition(account, contract_id), contract_id, now)

    def _groups_led_by(self, account: AccountId) -> list[CopyGroup]:
        found: list[CopyGroup] = []
        for (kind, source), groups in self._index.items():
            if (kind is SourceKind.ACCOUNT and source == account) or (
                kind is SourceKind.WEBHOOK and account == self.signal_account
            ):
                found.extend(groups)
        return found

    # -- rejections arriving later --------------------------------------------------------------------------

    def rejected(self, event: OrderRejected, tag: str) -> None:
        """A follower's order rejected by the exchange after it was placed: recorded as that follower's outcome."""
        if not tag.startswith(TAG_PREFIX):
            return
        group_id, _, source_ref = tag.removeprefix(TAG_PREFIX).partition("|")
        try:
            contract_id = self.view.order(event.order_id).contract_id
        except NotFound:
            contract_id = ""
        self._record(
            CopyOutcome(
                group_id, event.account_id, source_ref, (), CopyAction.ENTRY, CopyStatus.REJECTED, contract_id, 0,
                (event.order_id,), f"order {event.order_id} rejected: {event.reason}", event.ts_event,
            )
        )  # fmt: skip

    # -- internals ------------------------------------------------------------------------------------------

    def _run_copy(
        self,
        outcome: _Outcome,
        command: ExecutionCommand,
        quantity: int,
        what: str,
        now: int,
        keep: OrderId | None = None,
    ) -> CopyOutcome:
        run = self.run
        assert run is not None
        try:
            events = run(command, now, outcome.group_id)
        except VigilError as exc:
            return self._record(outcome.done(CopyStatus.REFUSED, quantity, (), f"{what}: refused: {exc}", now))
        except Exception as exc:  # one follower's failure never keeps the others from being copied
            return self._record(outcome.done(CopyStatus.REFUSED, quantity, (), f"{what}: failed: {exc!r}", now))
        denied = [e for e in events if isinstance(e, OrderDenied)]
        ids = tuple(_accepted(events)) or ((keep,) if keep else ())
        if denied:
            reason = denied[0].reason
            return self._record(outcome.done(CopyStatus.DENIED, quantity, (), f"{what}: denied: {reason}", now))
        rejected = [e for e in events if isinstance(e, OrderRejected)]
        if rejected:
            reason = rejected[0].reason
            return self._record(outcome.done(CopyStatus.REJECTED, quantity, ids, f"{what}: rejected: {reason}", now))
        return self._record(outcome.done(CopyStatus.PLACED, quantity, ids, what, now))

    def _execute(self, command: ExecutionCommand, group_id: str, now: int) -> str:
        run = self.run
        assert run is not None
        try:
            events = run(command, now, group_id)
        except VigilError as exc:
            return str(exc)
        denied = [e for e in events if isinstance(e, OrderDenied)]
        return f"denied: {denied[0].reason}" if denied else ""

    def _link(
        self, group_id: str, account_id: AccountId, source_ids: Iterable[OrderId], order_ids: Iterable[OrderId]
    ) -> None:
        links = self.links
        for source_id, order_id in zip(source_ids, order_ids, strict=False):
            links[source_id] = (*links.get(source_id, ()), (group_id, account_id, order_id))
        if len(links) > 2 * self._links_kept + 64:
            self._prune_links()

    def _prune_links(self) -> None:
        """Forget the links to follower orders that have ended: a modification or cancel of their source can no
        longer reach them (every use of a link checks its order is open). Run as the links double past those kept,
        so they, and every rollback point's copy of them, hold about the open copies rather than every copy since
        the start (a copy group's busy day)."""
        kept: dict[OrderId, tuple[Link, ...]] = {}
        for source_id, links in self.links.items():
            still = tuple(link for link in links if self._is_open(link[2], None))
            if still:
                kept[source_id] = still
        self.links = kept
        self._links_kept = len(kept)

    def _record(self, outcome: CopyOutcome) -> CopyOutcome:
        self.sink.copies.append(outcome)
        self._remember(outcome)
        return outcome

    def _remember(self, outcome: CopyOutcome) -> None:
        self.last[(outcome.group_id, outcome.account_id)] = outcome

    def _copied(self, group_id: str, account_id: AccountId, contract_id: str) -> None:
        key = (group_id, account_id)
        known = self.copied.get(key, frozenset())
        if contract_id not in known:
            self.copied[key] = known | {contract_id}

    def _net(self, account_id: AccountId, contract_id: str) -> int:
        try:
            return self.view.position(account_id, contract_id).net_qty
        except VigilError:
            return 0

    def _is_open(self, order_id: OrderId, contract_id: str | None) -> bool:
        try:
            order = self.view.order(order_id)
        except NotFound:
            return False
        return order.is_open and (contract_id is None or order.contract_id == contract_id)

    def _linked_open(
        self, group: CopyGroup, follower: Follower, source_ids: Iterable[OrderId]
    ) -> list[tuple[OrderId, Order]]:
        found: list[tuple[OrderId, Order]] = []
        for source_id in source_ids:
            for gid, aid, order_id in self.links.get(source_id, ()):
                if gid != group.group_id or aid != follower.account_id:
                    continue
                try:
                    order = self.view.order(order_id)
                except NotFound:
                    continue
                if order.is_open:
                    found.append((order_id, order))
        return found


@dataclass(frozen=True, slots=True)
class _Outcome:
    group_id: str
    account_id: AccountId
    source_ref: str
    source_order_ids: tuple[OrderId, ...]
    action: CopyAction
    contract_id: str

    def done(
        self, status: CopyStatus, quantity: int, order_ids: tuple[OrderId, ...], detail: str, now: int
    ) -> CopyOutcome:
        return CopyOutcome(
            self.group_id, self.account_id, self.source_ref, self.source_order_ids, self.action, status,
            self.contract_id, quantity, order_ids, detail, now,
        )  # fmt: skip


def _stop_ticks(command: SubmitBracket, events: tuple[ExecutionEvent, ...], view: ExecutionView) -> int | None:
    """The bracket's stop-loss distance in ticks: an offset as given, an absolute stop from the entry price (a
    limit or stop entry's price; a market entry's fill, else the last trade, else the side's quote)."""
    spec = INSTRUMENTS[split_contract(command.contract_id)[0]]
    stop = command.stop_loss
    if isinstance(stop, ExitOffset):
        if stop.unit is OffsetUnit.TICKS:
            return int(stop.amount)
        if stop.unit is OffsetUnit.POINTS:
            return spec.points_to_ticks(stop.amount)
        return None
    stop_ticks = spec.ticks_from_price(Decimal(stop), "stop_loss")
    entry: int | None = None
    if command.entry_type is not OrderType.MARKET and command.entry_price is not None:
        entry = spec.ticks_from_price(command.entry_price, "entry_price")
    else:
        contract_id = command.contract_id
        fills = [e.fill.price for e in events if isinstance(e, OrderFilled) and e.fill.contract_id == contract_id]
        if fills:
            entry = fills[0]
        else:
            last = view.last_trade(command.contract_id)
            quote = view.quote(command.contract_id)
            if last is not None:
                entry = last.price
            elif quote is not None:
                entry = quote.ask if command.side is OrderSide.BUY else quote.bid
    if entry is None:
        return None
    return abs(entry - stop_ticks)
