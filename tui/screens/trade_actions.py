"""The Trade screen's commands: send, cancel, modify or nudge an order; close, reverse or flatten positions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from textual import work

from clients.sdk import (
    Account,
    BracketResult,
    BracketSpec,
    Instrument,
    Order,
    OrderEvent,
    OrderResult,
    OrderSide,
    OrderSpec,
    OrderType,
    Position,
    RiskStatus,
    VigilClient,
    VigilError,
)
from tui import formatting, risk_text
from tui.account_marks import role_of
from tui.screens.confirm import ConfirmScreen
from tui.screens.modify_order import ModifyOrderScreen, OrderChange, order_title
from tui.widgets.order_ticket import OrderTicket
from tui.widgets.positions_table import PositionsTable
from tui.widgets.working_orders import WorkingOrdersTable

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

    _Base = Screen[None]
else:
    _Base = object


def describe(spec: OrderSpec | BracketSpec) -> str:
    """`buy 1 MNQZ2026 market`: the entry order in a few words."""
    entry = spec.entry if isinstance(spec, BracketSpec) else spec
    return f"{entry.side.value} {entry.quantity} {entry.symbol} {entry.order_type.value}"


def denial(events: Sequence[OrderEvent]) -> str | None:
    """The reason a command's order was denied, if one was."""
    return next((e.reason or "no reason given" for e in events if e.kind == "denied"), None)


class TradeActions(_Base):
    """Mixed into the Trade screen, which provides the client, the shown account and the instruments."""

    client: VigilClient
    account_id: str
    instruments: tuple[Instrument, ...]
    _nudged: dict[str, tuple[Decimal | None, Decimal | None]]  # order id -> (limit, stop) the last nudge asked for
    _in_flight: dict[str, int]  # order id -> modifies not yet answered

    if TYPE_CHECKING:
        app: App[None]

        def _account(self) -> Account | None: ...
        def _risk_status(self, account_id: str) -> RiskStatus | None: ...

    def _ask(self, question: str, then: Callable[[], object]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmScreen(question), answered)

    # -- new orders -----------------------------------------------------------------------------------

    def action_submit(self, side: str) -> None:
        if not self.account_id:
            self.notify("no account loaded yet", severity="warning", timeout=3)
            return
        try:
            spec = self.query_one(OrderTicket).order(OrderSide.parse(side))
        except VigilError as error:
            self.notify(str(error), title="Order not sent", severity="error", timeout=6)
            return
        account_id = self.account_id
        question = risk_text.order_question(self._risk_status(account_id), describe(spec))
        if question is None:  # LOCKED and FAILED go too: the server is the authority, and its denial says why
            self._submit(account_id, spec)
        else:
            self._ask(question, lambda: self._submit(account_id, spec))

    @work(group="trade-actions")
    async def _submit(self, account_id: str, spec: OrderSpec | BracketSpec) -> None:
        try:
            if isinstance(spec, BracketSpec):
                result: OrderResult | BracketResult = await self.client.submit_bracket(account_id, spec)
            else:
                result = await self.client.submit_order(account_id, spec)
        except VigilError as error:
            self.notify(str(error), title="Order refused", severity="error", timeout=8)
            return
        what = describe(spec)
        orders = result.orders if isinstance(result, BracketResult) else (result.order,)
        if result.denied:
            reason = next((o.reason for o in orders if o.reason), "no reason given")
            self.notify(f"{what}: {reason}", title="Order denied", severity="error", timeout=8)
            return
        ids = ", ".join(formatting.short_id(o.order_id) for o in orders)
        kind = "bracket" if isinstance(result, BracketResult) else "order"
        self.notify(f"{what}: {kind} {ids} {orders[0].status.value}", title="Order sent", timeout=4)

    # -- working orders -------------------------------------------------------------------------------

    def _selected_order(self) -> Order | None:
        order = self.query_one(WorkingOrdersTable).selected
        if order is None:
            self.notify("no working order selected", severity="warning", timeout=3)
        return order

    def action_cancel_order(self) -> None:
        order = self._selected_order()
        if order is not None:
            self._cancel(order.order_id)

    @work(group="trade-actions")
    async def _cancel(self, order_id: str) -> None:
        try:
            result = await self.client.cancel_order(order_id)
        except VigilError as error:
            self.notify(f"cancel {formatting.short_id(order_id)}: {error}", severity="error", timeout=8)
            return
        self.query_one(WorkingOrdersTable).apply(result.order)
        self.notify(f"{formatting.short_id(order_id)} {result.order.status.value}", timeout=3)

    def action_modify_order(self) -> None:
        order = self._selected_order()
        if order is None:
            return

        def answered(change: OrderChange | None) -> None:
            if change is not None:
                self._modify(order, change)

        self.app.push_screen(ModifyOrderScreen(order), answered)

    def action_nudge(self, ticks: int) -> None:
        """Move the selected order's working price (a stop's trigger, a limit's price) by `ticks` ticks."""
        order = self._selected_order()
        if order is None:
            return
        tick = next((i.tick_size for i in self.instruments if i.front_contract.contract_id == order.contract_id), None)
        if tick is None:
            tick = next((i.tick_size for i in self.instruments if order.contract_id.startswith(i.root)), None)
        if tick is None or order.order_type is OrderType.MARKET:
            self.notify(f"{formatting.short_id(order.order_id)} has no price to move", severity="warning", timeout=3)
            return
        step = tick * ticks
        # Quick presses add up: each moves from where the previous one (maybe still on its way) left the order.
        limit, stop = self._nudged.get(order.order_id, (order.limit_price, order.stop_price))
        moved = (limit + step if limit is not None else None, stop + step if stop is not None else None)
        self._nudged[order.order_id] = moved
        self._modify(order, OrderChange(0, *moved))

    @work(group="trade-actions")
    async def _modify(self, order: Order, change: OrderChange) -> None:
        what = role_of(order) if order.parent_order_id else formatting.short_id(order.order_id)
        self._in_flight[order.order_id] = self._in_flight.get(order.order_id, 0) + 1
        try:
            result = await self.client.modify_order(
                order.order_id, change.quantity, change.limit_price, change.stop_price
            )
        except VigilError as error:
            self._nudged.pop(order.order_id, None)  # start again from the order as the server holds it
            self.notify(f"{what}: {error}", title="Not modified", severity="error", timeout=8)
            return
        finally:
            self._in_flight[order.order_id] -= 1
            if not self._in_flight[order.order_id]:
                del self._in_flight[order.order_id]
                self._nudged.pop(order.order_id, None)
        if result.denied:
            self.notify(f"{what}: {result.order.reason or 'denied'}", title="Not modified", severity="error", timeout=8)
            return
        self.query_one(WorkingOrdersTable).apply(result.order)
        self.notify(f"{order_title(result.order)}", title=f"Modified: {change.describe()}", timeout=4)

    # -- positions ------------------------------------------------------------------------------------

    def _selected_position(self) -> Position | None:
        position = self.query_one(PositionsTable).selected
        if position is None:
            self.notify("no open position", severity="warning", timeout=3)
        return position

    def action_close_position(self) -> None:
        position = self._selected_position()
        if position is None:
            return
        size, contract = position.quantity, position.contract_id
        side = "sell" if size > 0 else "buy"
        question = f"Close {size:+d} {contract}: {side} {abs(size)} at market?"
        self._ask(question, lambda: self._close(position.account_id, contract, reverse=False))

    def action_reverse_position(self) -> None:
        position = self._selected_position()
        if position is None:
            return
        size, contract = position.quantity, position.contract_id
        side = "sell" if size > 0 else "buy"
        question = f"Reverse {size:+d} {contract}: {side} {2 * abs(size)} at market, leaving {-size:+d}?"
        self._ask(question, lambda: self._close(position.account_id, contract, reverse=True))

    @work(group="trade-actions")
    async def _close(self, account_id: str, contract_id: str, *, reverse: bool) -> None:
        verb = "reverse" if reverse else "close"
        try:
            if reverse:
                events = await self.client.reverse_position(account_id, contract_id)
            else:
                events = await self.client.close_position(account_id, contract_id)
        except VigilError as error:
            self.notify(f"{verb} {contract_id}: {error}", title=f"Not {verb}d", severity="error", timeout=8)
            return
        refused = denial(events)
        if refused is not None:
            self.notify(f"{verb} {contract_id}: {refused}", title="Order denied", severity="error", timeout=8)
            return
        fills = sum(1 for e in events if e.fill is not None)
        self.notify(f"{verb} {contract_id}: {fills} fills so far", title=f"{verb.capitalize()} sent", timeout=4)

    def action_flatten(self) -> None:
        account = self._account()
        if account is None:
            self.notify("no account loaded yet", severity="warning", timeout=3)
            return
        question = f"Flatten {account.name}: cancel every order and close every position at market?"
        self._ask(question, lambda: self._flatten(account.account_id))

    @work(group="trade-actions")
    async def _flatten(self, account_id: str) -> None:
        try:
            events = await self.client.flatten_account(account_id)
        except VigilError as error:
            self.notify(f"flatten: {error}", severity="error", timeout=8)
            return
        self.notify(f"flatten: {len(events)} order events", title="Flattened", timeout=4)
