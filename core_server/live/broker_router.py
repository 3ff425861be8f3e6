"""BrokerRouter: the kernel's decisions on LIVE accounts, carried out at their brokers.

One mechanism for every order path. A LIVE account is routed in the execution engine
(`PaperExecutionEngine.route_to_broker`): its orders pass the same pre-trade checks (risk, the bound-account
guard) and are kept as the kernel's book of them, but never matched against the simulated market. Whatever
asked for them (ExecutionService, a confirmed signal's bracket, a strategy, a copy group's follower, risk's
flatten), the router reads the committed kernel output the live shell publishes and sends what it decided:

- an accepted order -> placeOrder (a bracket entry with its exits' prices -> placeOSO, ProjectX brackets);
  an exit whose price was only known once its entry filled (a bracket anchored on the fill) -> its own order;
- a close, flatten or risk's own flatten (an accepted CLOSE order) -> liquidatePosition / closeContract;
- a requested modification -> modifyOrder; a cancel the user, a close or a flatten asked for -> cancelOrder.

The broker's answers come back as kernel inputs: its fills become BookBrokerFill commands naming the routed
order they fill (`order_for`), and an order the broker refused is cancelled in the kernel (actor `broker`).
Each account's sends run one at a time, in the kernel's order; the accounts of one kernel step (a copy group's
followers) are sent to at once. Nothing is sent for an account that is not LIVE: the desk
checks the live switch again before every call.

Catching up (`catch_up`, run by every reconciliation: at start, on every reconnect, periodically, on demand):
the broker's order and fill history finds the kernel's open routed orders again by their client ids, books the
broker fills the kernel has not seen (while a socket was down or Vigil was stopped) as the same BookBrokerFill
commands live fills are, and cancels (actor `broker`) an order the broker ended without filling. Exactly once:
a fill booked here is claimed by its broker id, so the socket's copy of it is skipped, and across restarts the
kernel's filled quantity of the order says how much of the broker's fills it already holds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import structlog

from core_server.brokers.desk import BrokerDesk, routed_sends
from core_server.brokers.model import Binding, BrokerFill, BrokerKind, BrokerOrder, BrokerOrderRequest
from core_server.execution.commands import BookBrokerFill, CancelOrder
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import OrderAccepted, OrderCancelled, OrderModified, OrderWorking
from core_server.execution.model import (
    AccountId,
    CancelReason,
    ModifyCause,
    Order,
    OrderId,
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
)
from core_server.kernel.kernel import TradingKernel
from core_server.kernel.output import Cause, ExecutionStep, KernelOutput
from core_server.live.broker_fills import BoundAccountGuard, KernelMirror, RoutingGate
from core_server.live.execution_desk import ExecutionDesk
from core_server.live.shell import LiveKernel
from core_server.model.errors import NotFound, VigilError
from core_server.model.instruments import InstrumentSpec
from core_server.model.symbols import parse_symbol

log = structlog.get_logger(__name__)

_BROKER_TYPES = {
    OrderType.MARKET: "Market",
    OrderType.LIMIT: "Limit",
    OrderType.STOP: "Stop",
    OrderType.STOP_LIMIT: "StopLimit",
}
_CHILDREN = (OrderRole.STOP_LOSS, OrderRole.TAKE_PROFIT)
_CLOSING = (OrderRole.CLOSE,)
# Cancels the broker makes by itself for legs it placed together (OSO/OCO): never sent again.
_LINKED = (CancelReason.OCO, CancelReason.BRACKET, CancelReason.POSITION_FLAT, CancelReason.STOP_THROUGH)
_BROKER_ACTORS = ("broker", "reconcile")
_ENDED_UNFILLED = ("Canceled", "Cancelled", "Rejected", "Expired")  # Tradovate's and ProjectX's spellings


@dataclass(slots=True)
class _Sent:
    account_id: str
    kernel_id: OrderId
    broker_id: str
    linked: bool  # placed with its siblings (OSO legs): the broker cancels it with them
    # A leg the broker made without telling its id (ProjectX: legs appear when the entry fills, naming no parent):
    # the price it was placed at, by which it is found among the broker's open orders (`_match_leg`).
    price: Decimal | None = None
    # A modification of such a leg made before the broker made it (ProjectX: before its entry filled): the kernel's
    # order holds the prices it must have, sent with Order/modify once the leg is found (`_send_pending_modify`).
    pending_modify: bool = False


class BrokerRouter:
    idle_timeout_s = 5.0  # how long a fill waits for the sends its order may be in (tests make it long)

    def __init__(self, desk: BrokerDesk, shell: LiveKernel) -> None:
        self._desk = desk
        self._shell = shell
        self._by_kernel: dict[OrderId, _Sent] = {}
        # (account, broker order id): ids are unique at one broker only, and accounts bound to different brokers
        # (Tradovate and ProjectX number their orders alike) must not take each other's orders or fills.
        self._by_broker: dict[tuple[str, str], _Sent] = {}
        self._liquidating: dict[tuple[str, str], OrderId] = {}  # (account, contract) -> the kernel's close order
        self._queue: asyncio.Queue[tuple[ExecutionStep, ...]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._recovering: set[asyncio.Task[None]] = set()
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.sent = 0
        self.claimed: set[tuple[str, str]] = set()  # (account, broker fill id) booked (shared with the fill booking)
        self.caught_up = 0  # broker fills booked by catching up

    @property
    def _engine(self) -> PaperExecutionEngine:
        return self._shell.kernel.execution

    # ---- the live switch ----------------------------------------------------------------------------

    def set_routed(self, account_id: str, routed: bool) -> None:
        self._engine.route_to_broker(AccountId(account_id), routed)
        log.info("broker.routing", account_id=account_id, routed=routed)
        if routed and self._engine.open_orders(AccountId(account_id)):
            self._busy += 1  # fills wait for it, as for a send
            self._idle.clear()
            task = asyncio.get_running_loop().create_task(self._recover(account_id), name="broker-router-recover")
            self._recovering.add(task)
            task.add_done_callback(self._recovering.discard)

    async def _recover(self, account_id: str) -> None:
        """After a restart: catch up, which finds the kernel's open routed orders again at the broker by their
        client ids (so their fills fill them) and ends those that ended there while Vigil was down. The fills wait
        for it; the reconciliation of positions, which waits for those fills, runs once it is done (issue 15)."""
        try:
            with routed_sends():  # as a send: what would wait for the fills it holds runs after it (BrokerDesk.recover)
                await self._desk.recover(account_id)
        except Exception as exc:  # the broker is unreachable for now: reconciliation reports what differs
            log.warning("broker.router_recover_failed", account_id=account_id, reason=str(exc)[:200])
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()

    async def catch_up(
        self, account_id: str, orders: tuple[BrokerOrder, ...], fills: tuple[BrokerFill, ...]
    ) -> set[str]:
        """Book what the broker did to the kernel's open routed orders unseen; the broker order ids they are."""
        engine = self._engine
        if not engine.routes_to_broker(AccountId(account_id)):
            return set()
        by_client = {o.client_order_id: o for o in orders if o.client_order_id}
        by_id = {o.order_id: o for o in orders}
        fills_of: dict[str, list[BrokerFill]] = {}
        for fill in fills:
            fills_of.setdefault(fill.order_id, []).append(fill)
        legs_of: dict[str, list[BrokerOrder]] = {}
        for broker_order in orders:
            if broker_order.parent_id:
                legs_of.setdefault(broker_order.parent_id, []).append(broker_order)
        plan: list[tuple[OrderId, BrokerOrder, list[BrokerFill]]] = []
        for order in engine.open_orders(AccountId(account_id)):
            sent = self._by_kernel.get(order.order_id)
            found = by_id.get(sent.broker_id) if sent is not None and sent.broker_id else None
            found = found or by_client.get(_client_id(order))
            if found is None and order.role in _CHILDREN and sent is None:
                found = self._leg(account_id, order, by_client, legs_of)
                sent = self._by_kernel.get(order.order_id)
            if found is None and order.role in _CHILDREN and sent is not None and not sent.broker_id:
                found = self._match_leg(account_id, order, sent, orders, ended_too=True)
            if found is None:
                continue
            if sent is None or not sent.broker_id:
                linked = order.role in _CHILDREN or (sent.linked if sent else False)
                self._remember(account_id, order.order_id, found.order_id, linked=linked)
                if sent is not None and sent.pending_modify:
                    await self._send_pending_modify(account_id, order.order_id, found.order_id, "reconcile:connect")
            plan.append((order.order_id, found, fills_of.get(found.order_id, [])))
        known = {found.order_id for _, found, _ in plan}
        if not any(found_fills or found.status in _ENDED_UNFILLED for _, found, found_fills in plan):
            return known
        claimed = self.claimed

        def run(kernel: TradingKernel, now: int) -> int:
            booked = 0
            for kernel_id, found, found_fills in plan:
                try:
                    order = kernel.execution.order(kernel_id)
                except NotFound:
                    continue
                if not order.is_open:
                    continue
                # what the kernel holds of this order beyond the fills claimed in this process: booked before a restart
                earlier = order.filled_qty - sum(f.quantity for f in found_fills if (account_id, f.fill_id) in claimed)
                for fill in found_fills:
                    if (account_id, fill.fill_id) in claimed:
                        continue
                    quantity = fill.quantity
                    skipped = min(max(earlier, 0), quantity)
                    earlier -= skipped
                    quantity -= skipped
                    claimed.add((account_id, fill.fill_id))
                    if quantity <= 0:
                        continue
                    side = OrderSide.BUY if fill.side == "Buy" else OrderSide.SELL
                    command = BookBrokerFill(
                        AccountId(account_id), fill.symbol or order.contract_id, side, quantity, fill.price,
                        fill.fill_id, kernel_id,
                    )  # fmt: skip
                    try:
                        kernel.execute(command, now, cause=Cause.API, actor="broker")
                        booked += 1
                    except VigilError as exc:
                        log.error("broker.catch_up_fill_refused", account_id=account_id, fill_id=fill.fill_id,
                                  reason=str(exc)[:200])  # fmt: skip
                if kernel.execution.order(kernel_id).is_open and found.status in _ENDED_UNFILLED:
                    kernel.execute(CancelOrder(AccountId(account_id), kernel_id), now, cause=Cause.API, actor="broker")
            return booked

        self._busy += 1  # the socket's fills wait for it (order_for), then find theirs claimed
        self._idle.clear()
        try:
            booked = await self._shell.command(run, actor="broker")
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()
        if booked:
            self.caught_up += booked
            log.warning("broker.caught_up", account_id=account_id, fills=booked)
        return known

    def _leg(
        self, account_id: str, child: Order, by_client: dict[str, BrokerOrder], legs_of: dict[str, list[BrokerOrder]]
    ) -> BrokerOrder | None:
        """A bracket exit the kernel holds but this process never sent (after a restart): the broker's leg of the
        same kind under the entry's broker order (Tradovate's parentId). Without parent ids (ProjectX) the exit
        is left to matching by side and price (`order_for`), as when it was placed."""
        if child.bracket_id is None or child.bracket_id == child.order_id:
            return None
        siblings = [o for o in self._engine.open_orders(AccountId(account_id)) if o.bracket_id == child.bracket_id]
        if any(o.role in _CHILDREN and (o.offset_ticks is not None or o.target_r is not None) for o in siblings):
            return None  # an exit priced on the entry's fill: each exit is its own order (`_legs`), found by client id
        entry_sent = self._by_kernel.get(child.bracket_id)
        entry_broker_id = entry_sent.broker_id if entry_sent is not None else ""
        if not entry_broker_id:
            try:
                entry = self._engine.order(child.bracket_id)
            except NotFound:  # archived at a day roll
                return None
            found_entry = by_client.get(_client_id(entry))
            if found_entry is None:
                return None
            entry_broker_id = found_entry.order_id
        wanted = "Limit" if child.role is OrderRole.TAKE_PROFIT else "Stop"
        legs = [leg for leg in legs_of.get(entry_broker_id, []) if leg.order_type == wanted]
        if len(legs) == 1:
            return legs[0]
        if not legs_of.get(entry_broker_id):  # no parent ids at this broker: matched by side and price
            self._by_kernel[child.order_id] = _Sent(account_id, child.order_id, "", True, _price_of(child))
        return None

    def _match_leg(
        self,
        account_id: str,
        child: Order,
        sent: _Sent,
        candidates: Sequence[BrokerOrder],
        *,
        ended_too: bool = False,
    ) -> BrokerOrder | None:
        """A bracket exit's leg that the broker made without naming its entry (ProjectX), found by what it is: an
        open order of the exit's contract, side and kind at the price the leg was placed at, that no kernel order
        claims yet. Legs alike in all of that are interchangeable (README: ProjectX bracket legs). `ended_too`
        (the catch-up, reading the broker's history): a leg that filled or was cancelled while Vigil could not see
        it counts as well, when it was made after the entry (ids increase: an older bracket's leg at the same price
        is not this one's); an open leg first, then the earliest ended one."""
        binding = self._desk.binding(account_id)
        if binding is None or sent.price is None:
            return None
        symbol = _broker_symbol(binding, child.contract_id, child.submitted_ns)
        side = "Buy" if child.side is OrderSide.BUY else "Sell"
        kind = "Limit" if child.role is OrderRole.TAKE_PROFIT else "Stop"
        prices = {sent.price + shift for shift in self._leg_shifts(child)}
        alike = [
            leg
            for leg in candidates
            if (account_id, leg.order_id) not in self._by_broker
            and (leg.symbol, leg.side, leg.order_type) == (symbol, side, kind)
            and (leg.limit_price if kind == "Limit" else leg.stop_price) in prices
        ]
        working = [leg for leg in alike if leg.is_open]
        if working or not ended_too:
            return working[0] if working else None
        after = self._entry_broker_number(child, candidates)
        if after is None:
            return None
        ended = [leg for leg in alike if leg.order_id.isdigit() and int(leg.order_id) > after]
        return min(ended, key=lambda leg: int(leg.order_id), default=None)

    def _entry_broker_number(self, child: Order, candidates: Sequence[BrokerOrder]) -> int | None:
        """The broker's (numeric) id of the exit's entry: as sent by this process, or found by its client id."""
        if child.bracket_id is None:
            return None
        sent = self._by_kernel.get(child.bracket_id)
        broker_id = sent.broker_id if sent is not None else ""
        if not broker_id and self._engine.holds(child.bracket_id):
            client_id = _client_id(self._engine.order(child.bracket_id))
            broker_id = next((o.order_id for o in candidates if o.client_order_id == client_id), "")
        return int(broker_id) if broker_id.isdigit() else None

    def _leg_shifts(self, child: Order) -> list[Decimal]:
        """How far from the price it was placed at a leg the gateway made may sit: the gateway places legs in ticks
        from the entry's fill price (ProjectX), so an entry filled better than its limit (or away from its stop)
        moves its legs by the difference. 0 first; both neighbours when partial fills averaged between ticks."""
        shifts = [Decimal(0)]
        if child.bracket_id is None or not self._engine.holds(child.bracket_id):
            return shifts
        entry = self._engine.order(child.bracket_id)
        reference = entry.limit_price if entry.limit_price is not None else entry.stop_price
        if reference is None or entry.filled_qty <= 0:
            return shifts
        tick = _spec(entry).tick_size
        low, rest = divmod(entry.filled_cost, entry.filled_qty)
        for fill_ticks in (low, low + 1) if rest else (low,):
            if fill_ticks != reference:
                shifts.append((fill_ticks - reference) * tick)
        return shifts

    async def _broker_id(self, account_id: str, order_id: OrderId) -> str:
        """The broker's id of a routed order; for a leg the broker never named (ProjectX), looked up among the
        broker's open orders (and remembered) when a modify or cancel must reach it. '' when not found."""
        sent = self._by_kernel.get(order_id)
        if sent is None or sent.broker_id or not sent.linked:
            return sent.broker_id if sent is not None else ""
        try:
            child = self._engine.order(order_id)
            candidates = await self._desk.orders(account_id)
        except VigilError as exc:
            log.warning("broker.leg_unknown", account_id=account_id, order_id=order_id, reason=str(exc)[:200])
            return ""
        found = self._match_leg(account_id, child, sent, candidates)
        if found is None:
            log.warning("broker.leg_unknown", account_id=account_id, order_id=order_id, reason="no open leg matches")
            return ""
        self._remember(account_id, order_id, found.order_id, linked=True)
        return found.order_id

    # ---- the kernel's output -------------------------------------------------------------------------

    def __call__(self, output: KernelOutput) -> None:
        """A published (committed) kernel output: queue the steps that touch a routed account."""
        engine = self._engine
        steps = tuple(
            step
            for step in output.execution
            if any(engine.routes_to_broker(AccountId(_account_of(e))) for e in step.events)
        )
        if not steps:
            return
        self._busy += 1
        self._idle.clear()
        self._queue.put_nowait(steps)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work(), name="broker-router")

    async def drain(self) -> None:
        """Until every queued step has been sent (tests, and fills that must find their orders)."""
        await self._idle.wait()

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _work(self) -> None:
        while not self._queue.empty():
            steps = self._queue.get_nowait()
            try:
                with routed_sends():  # a link a send connects reconciles after the sends, never inside them
                    await self._send(steps)
            except Exception:  # one failed send never stops the router
                log.exception("broker.route_failed")
            finally:
                self._busy -= 1
                if self._busy == 0:
                    self._idle.set()

    async def _send(self, steps: tuple[ExecutionStep, ...]) -> None:
        """One committed output's sends: each account's in the kernel's order; different accounts (a copy group's
        followers, each copied by a step of its own) at once, so N followers wait for the slowest broker call, not
        for the sum of N calls. One account's failed send is logged and never holds up the others."""
        engine = self._engine
        by_account: dict[str, list[tuple[ExecutionStep, object, list[Order], bool]]] = {}
        for step in steps:
            from_broker = isinstance(step.command, BookBrokerFill) or step.actor in _BROKER_ACTORS
            accepted = [e.order for e in step.events if isinstance(e, OrderAccepted)]
            for event in step.events:
                account = _account_of(event)
                if engine.routes_to_broker(AccountId(account)):
                    by_account.setdefault(account, []).append((step, event, accepted, from_broker))
        if len(by_account) == 1:
            [(account, sends)] = by_account.items()
            await self._account_sends(account, sends)
            return
        results = await asyncio.gather(
            *(self._account_sends(account, sends) for account, sends in by_account.items()), return_exceptions=True
        )
        for account, result in zip(by_account, results, strict=True):
            if isinstance(result, Exception):
                log.error("broker.route_failed", account_id=account, reason=str(result)[:200])

    async def _account_sends(self, account: str, sends: list[tuple[ExecutionStep, object, list[Order], bool]]) -> None:
        engine = self._engine
        for step, event, accepted, from_broker in sends:
            binding = self._desk.binding(account)
            if binding is None or not binding.live_enabled:
                continue
            if isinstance(event, OrderAccepted):
                if not from_broker or event.order.role in _CLOSING:  # a close the kernel made on a broker fill too
                    await self._accepted(binding, event.order, accepted, step)
            elif isinstance(event, OrderWorking):
                if not engine.holds(event.order_id):  # finished and archived at a day roll since: nothing to place
                    continue
                order = engine.order(event.order_id)
                sent = self._by_kernel.get(event.order_id)
                if order.role in _CHILDREN and sent is None and not from_broker_leg(order):
                    await self._place(binding, order, step, None, None)  # an exit priced on its entry's fill
                elif sent is not None and _unnamed_leg(sent) and (sent.pending_modify or self._leg_shifts(order)[1:]):
                    # The entry filled, so the broker made the leg: at the price it was placed at, or, when the entry
                    # filled away from its limit, shifted by as much (ProjectX places legs in ticks from the fill).
                    # A leg modified meanwhile, or shifted, gets the kernel's prices once found.
                    broker_id = await self._broker_id(account, event.order_id)
                    if broker_id:
                        await self._send_pending_modify(account, event.order_id, broker_id, _actor(step))
            elif isinstance(event, OrderCancelled):
                await self._cancelled(binding, event, from_broker)
            elif isinstance(event, OrderModified) and event.cause is ModifyCause.REQUESTED and not from_broker:
                sent = self._by_kernel.get(event.order_id)
                if sent is not None and engine.holds(event.order_id):  # not archived at a day roll since
                    held = engine.order(event.order_id).status is OrderStatus.HELD
                    if not sent.broker_id and sent.linked and held:
                        broker_id = ""  # a leg the broker makes only when its entry fills (ProjectX): not there yet
                    else:
                        broker_id = await self._broker_id(account, event.order_id)
                    if not broker_id:
                        if not sent.broker_id and sent.linked:  # sent to the leg as soon as the broker has made it
                            self._by_kernel[event.order_id].pending_modify = True
                            log.info("broker.leg_modify_pending", account_id=account, order_id=event.order_id)
                        continue
                    order = engine.order(event.order_id)
                    limit, stop = _prices(order)
                    await self._call(self._desk.modify(account, broker_id, order.quantity, limit, stop, _actor(step)))

    async def _accepted(self, binding: Binding, order: Order, accepted: list[Order], step: ExecutionStep) -> None:
        if order.tag.startswith("broker:"):
            return
        if order.role in _CLOSING:
            key = (order.account_id, order.contract_id)
            self._liquidating[key] = order.order_id
            contract = parse_symbol(order.contract_id, order.submitted_ns)
            symbol = _broker_symbol(binding, contract.id, order.submitted_ns)
            taken = await self._call(self._desk.close_position(order.account_id, symbol, _actor(step)))
            if taken is False:
                await self._refused(order.account_id, order.order_id, "the broker did not take the liquidation")
            return
        if order.status is OrderStatus.HELD and order.role in _CHILDREN:
            return  # sent with its entry, or once its entry fills (its price anchored there)
        take_profit = stop_loss = None
        if order.role is OrderRole.BRACKET_ENTRY:
            take_profit, stop_loss = _legs(order, accepted)
        await self._place(binding, order, step, take_profit, stop_loss)

    async def _place(
        self,
        binding: Binding,
        order: Order,
        step: ExecutionStep,
        take_profit: tuple[Order, Decimal] | None,
        stop_loss: tuple[Order, Decimal] | None,
    ) -> None:
        spec = _spec(order)
        request = BrokerOrderRequest(
            client_order_id=_client_id(order),
            symbol=_broker_symbol(binding, order.contract_id, order.submitted_ns),
            side="Buy" if order.side is OrderSide.BUY else "Sell",
            quantity=order.leaves_qty,
            order_type=_BROKER_TYPES[order.order_type],
            limit_price=spec.price_from_ticks(order.limit_price) if order.limit_price is not None else None,
            stop_price=spec.price_from_ticks(order.stop_price) if order.stop_price is not None else None,
            take_profit=take_profit[1] if take_profit else None,
            stop_loss=stop_loss[1] if stop_loss else None,
        )
        try:
            placement = await self._desk.submit(order.account_id, request, _actor(step), checked=True)
        except VigilError as exc:
            await self._refused(order.account_id, order.order_id, str(exc))
            return
        if not placement.accepted:
            await self._refused(order.account_id, order.order_id, placement.reason)
            return
        self.sent += 1
        self._remember(order.account_id, order.order_id, placement.order_id, linked=False)
        legs = [leg for leg in (take_profit, stop_loss) if leg is not None]
        for (child, _), leg_id in zip(legs, placement.leg_ids, strict=False):
            self._remember(order.account_id, child.order_id, leg_id, linked=True)
        for child, price in legs[len(placement.leg_ids) :]:  # ProjectX: the legs appear at the broker on the fill
            self._by_kernel[child.order_id] = _Sent(order.account_id, child.order_id, "", True, price)

    async def _send_pending_modify(self, account_id: str, kernel_id: OrderId, broker_id: str, actor: str) -> None:
        """A leg modified before the broker made it, now found there: it gets the kernel's current prices."""
        sent = self._by_kernel.get(kernel_id)
        if sent is not None:
            sent.pending_modify = False
        if not self._engine.holds(kernel_id):
            return
        order = self._engine.order(kernel_id)
        if not order.is_open:
            return
        limit, stop = _prices(order)
        log.info("broker.leg_modify_sent", account_id=account_id, order_id=kernel_id, broker_order_id=broker_id)
        await self._call(self._desk.modify(account_id, broker_id, order.quantity, limit, stop, actor))

    def _remember(self, account_id: str, kernel_id: OrderId, broker_id: str, linked: bool) -> None:
        sent = _Sent(account_id, kernel_id, broker_id, linked)
        self._by_kernel[kernel_id] = sent
        self._by_broker[(account_id, broker_id)] = sent

    async def _cancelled(self, binding: Binding, event: OrderCancelled, from_broker: bool) -> None:
        sent = self._by_kernel.get(event.order_id)
        if sent is None or (from_broker and event.reason not in _LINKED):
            return
        if event.reason is CancelReason.CLOSE:
            return  # the liquidation that follows cancels the contract's orders at the broker
        if event.reason in _LINKED and sent.linked:
            return  # the broker ends OSO legs with their entry or sibling by itself
        broker_id = sent.broker_id or await self._broker_id(binding.account_id, event.order_id)
        if broker_id:
            await self._call(self._desk.cancel(binding.account_id, broker_id, "broker:router"))

    async def _refused(self, account_id: str, order_id: OrderId, reason: str) -> None:
        """The broker refused (or could not be reached): the kernel's order ends, so its book stays the broker's."""
        log.warning("broker.order_refused", account_id=account_id, order_id=order_id, reason=reason[:200])

        def run(kernel: TradingKernel, now: int) -> None:
            try:
                order = kernel.execution.order(order_id)
            except NotFound:
                return
            if order.is_open:
                kernel.execute(CancelOrder(AccountId(account_id), order_id), now, cause=Cause.API, actor="broker")

        try:
            await self._shell.command(run, actor="broker")
        except VigilError as exc:
            log.error("broker.refusal_unbooked", account_id=account_id, order_id=order_id, reason=str(exc)[:200])

    @staticmethod
    async def _call(call: Awaitable[object]) -> object:
        try:
            return await call
        except VigilError as exc:
            log.error("broker.send_failed", reason=str(exc)[:200])
            return False

    # ---- the broker's fills ---------------------------------------------------------------------------

    async def wait_idle(self) -> None:
        """Until queued sends are done (at most `idle_timeout_s`): a fill's order may be in them."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), self.idle_timeout_s)

    async def order_for(self, account_id: str, fill: BrokerFill) -> OrderId | None:
        """The routed kernel order a broker fill belongs to (None: a fill Vigil did not send, booked by itself)."""
        with contextlib.suppress(TimeoutError):  # a fill may beat its order's acknowledgement
            await asyncio.wait_for(self._idle.wait(), self.idle_timeout_s)
        sent = self._by_broker.get((account_id, fill.order_id))
        if sent is not None:
            return sent.kernel_id
        engine = self._engine
        try:
            contract_id = parse_symbol(fill.symbol, self._shell.clock.now_ns()).id
        except VigilError:
            return None
        side = OrderSide.BUY if fill.side == "Buy" else OrderSide.SELL
        closing = self._liquidating.get((account_id, contract_id))
        if closing is not None:
            try:
                order = engine.order(closing)
            except NotFound:
                order = None
            if order is not None and order.is_open and order.side is side:
                return closing
            self._liquidating.pop((account_id, contract_id), None)
        # A bracket leg the broker created on the entry's fill (ProjectX): the kernel's working exit on that side.
        exits = [
            o
            for o in engine.open_orders(AccountId(account_id), contract_id)
            if o.role in _CHILDREN
            and o.side is side
            and o.status is not OrderStatus.HELD
            and (s := self._by_kernel.get(o.order_id)) is not None
            and not s.broker_id
        ]
        if not exits:
            return None
        spec = _spec(exits[0])
        # The take-profit when the price reached its limit, where the gateway put it; else the stop-loss.
        for order in exits:
            if order.role is OrderRole.TAKE_PROFIT and order.limit_price is not None:
                shifts = self._leg_shifts(order)
                shift = min(shifts) if side is OrderSide.SELL else max(shifts)
                level = spec.price_from_ticks(order.limit_price) + shift
                if (fill.price >= level) if side is OrderSide.SELL else (fill.price <= level):
                    return order.order_id
        for order in exits:
            if order.role is OrderRole.STOP_LOSS:
                return order.order_id
        return exits[0].order_id


def _legs(entry: Order, accepted: list[Order]) -> tuple[tuple[Order, Decimal] | None, tuple[Order, Decimal] | None]:
    """A bracket's exits at the prices to send with its entry (one placeOSO), when both are known now. An exit
    priced on the entry's fill (a distance, an R target) is not: then neither goes with the entry, and each is
    sent as its own order once the kernel anchors it, so the kernel's OCO ending of one cancels the other there."""
    spec = _spec(entry)
    take_profit = stop_loss = None
    for child in accepted:
        if child.bracket_id != entry.order_id or child.order_id == entry.order_id:
            continue
        if child.offset_ticks is not None or child.target_r is not None:
            return None, None
        if child.role is OrderRole.TAKE_PROFIT and child.limit_price is not None:
            take_profit = (child, spec.price_from_ticks(child.limit_price))
        elif child.role is OrderRole.STOP_LOSS and child.stop_price is not None:
            stop_loss = (child, spec.price_from_ticks(child.stop_price))
    return take_profit, stop_loss


def _prices(order: Order) -> tuple[Decimal | None, Decimal | None]:
    """An order's (limit, stop) prices as the broker takes them."""
    spec = _spec(order)
    limit = spec.price_from_ticks(order.limit_price) if order.limit_price is not None else None
    stop = spec.price_from_ticks(order.stop_price) if order.stop_price is not None else None
    return limit, stop


def _price_of(child: Order) -> Decimal | None:
    """A bracket exit's own price: the take-profit's limit, the stop-loss's stop."""
    limit, stop = _prices(child)
    return limit if child.role is OrderRole.TAKE_PROFIT else stop


def from_broker_leg(order: Order) -> bool:
    return order.tag.startswith("broker:")


def _account_of(event: object) -> str:
    account = getattr(event, "account_id", None)
    if account is None:
        inner = getattr(event, "order", None) or getattr(event, "fill", None) or getattr(event, "position", None)
        account = getattr(inner, "account_id", "") if inner is not None else ""
    return str(account or "")


def _unnamed_leg(sent: _Sent) -> bool:
    """A leg sent with its entry whose broker id the broker never gave (ProjectX: found by its price)."""
    return not sent.broker_id and sent.linked and sent.price is not None


def _spec(order: Order) -> InstrumentSpec:
    return parse_symbol(order.contract_id, order.submitted_ns).spec


def _broker_symbol(binding: Binding, contract_id: str, ts_ns: int) -> str:
    contract = parse_symbol(contract_id, ts_ns)
    return contract.tradovate_symbol if binding.broker is BrokerKind.TRADOVATE else contract.projectx_id


def _client_id(order: Order) -> str:
    # Unique across restarts too (a fresh kernel numbers its orders from O-1 again): the broker never takes a new
    # order for a retry of an old one.
    return f"v{order.submitted_ns:x}-{order.order_id}"[:64]


def _actor(step: ExecutionStep) -> str:
    return f"{step.cause.value}:{step.actor}" if step.actor else step.cause.value


def route_live_accounts(
    desk: BrokerDesk, shell: LiveKernel, execution: ExecutionDesk, mirror: KernelMirror
) -> BrokerRouter:
    """Wire the one mechanism (before `desk.load()`, which turns routing on for the accounts already LIVE): the
    live switch routes an account in the engine, committed kernel output is sent, the broker's fills are booked
    into the orders they fill, and a BOUND account trades nowhere (denied in the kernel, refused at the API)."""
    router = BrokerRouter(desk, shell)
    router.claimed = mirror.claimed
    desk.catch_up = router.catch_up
    desk.sends_done = router.wait_idle
    desk.routing_listeners.append(router.set_routed)
    shell.output_listeners.append(router)
    shell.sends_first = router.wait_idle
    mirror.order_for = router.order_for
    mirror.ready = router.wait_idle
    desk.fill_listeners.append(mirror)
    shell.kernel.execution.add_pre_trade_check(BoundAccountGuard(desk.binding))
    execution.gates.append(RoutingGate(desk.binding))
    return router
