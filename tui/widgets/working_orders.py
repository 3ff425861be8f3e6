"""Working orders of the shown account: one row per open order, gone once it fills, cancels, expires or is denied."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from clients.sdk import Order, OrderSide, OrderStatus, OrderType
from tui import formatting
from tui.account_marks import role_of
from tui.widgets.keyed_table import KeyedTable, cell

SETTLED_MEMORY = 2000  # closed ids remembered, so a late snapshot cannot bring a closed order's row back
STATUS_STYLE = {OrderStatus.PENDING_PARENT: "dim", OrderStatus.TRIGGERED: "yellow", OrderStatus.WORKING: "cyan"}
STATUS_TEXT = {OrderStatus.PENDING_PARENT: "pending", OrderStatus.PARTIALLY_FILLED: "partial"}  # fits the column
TYPE_TEXT = {OrderType.STOP_LIMIT: "stp lmt", OrderType.MARKET: "mkt"}
ROLE_STYLE = {"stop": "red", "target": "green"}


class WorkingOrdersTable(KeyedTable):
    """Rows keyed by order id. An older copy of a known order (by `updated_ns`) never overwrites a newer one."""

    COLUMNS = (
        ("id", "ID", 8),
        ("contract", "Contract", 8),
        ("side", "Side", 4),
        ("type", "Type", 6),
        ("role", "Role", 6),
        ("qty", "Qty", 5),
        ("limit", "Limit", 8),
        ("stop", "Stop", 8),
        ("tif", "TIF", 3),
        ("status", "Status", 9),
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.orders: dict[str, Order] = {}
        self._settled: dict[str, None] = {}  # insertion-ordered set

    @property
    def selected(self) -> Order | None:
        key = self.selected_key
        return self.orders.get(key) if key is not None else None

    def apply(self, order: Order) -> None:
        order_id = order.order_id
        known = self.orders.get(order_id)
        if known is not None and known.updated_ns > order.updated_ns:
            return
        if not order.is_open:
            self._settle(order_id)
            return
        if order_id in self._settled:
            return
        self.orders[order_id] = order
        self.upsert(order_id, _cells(order))

    def resync(self, open_orders: Iterable[Order]) -> None:
        """Apply a full list of open orders: shown orders missing from it closed while no event reached us."""
        open_orders = list(open_orders)
        current = {o.order_id for o in open_orders}
        for order_id in [k for k in self.orders if k not in current]:
            self._settle(order_id)
        for order in open_orders:
            self.apply(order)

    def clear_orders(self) -> None:
        """Forget every order (another account is shown)."""
        self.orders.clear()
        self._settled.clear()
        self.shown.clear()
        self.clear()

    def _settle(self, order_id: str) -> None:
        self._settled[order_id] = None
        if len(self._settled) > SETTLED_MEMORY:
            del self._settled[next(iter(self._settled))]
        if self.orders.pop(order_id, None) is not None:
            self.drop(order_id)


def _cells(order: Order) -> list[Text]:
    side_style = "green" if order.side is OrderSide.BUY else "red"
    return [
        cell(formatting.short_id(order.order_id), "dim"),
        cell(order.contract_id, "bold"),
        cell(order.side.value, side_style),
        cell(TYPE_TEXT.get(order.order_type, order.order_type.value)),
        cell(role_of(order) if order.parent_order_id else "", ROLE_STYLE.get(role_of(order), "")),  # bracket exits
        cell(f"{order.quantity}/{order.filled_quantity}", right=True),
        cell(formatting.price(order.limit_price), right=True),
        cell(formatting.price(order.stop_price), right=True),
        cell(order.time_in_force.value),
        cell(STATUS_TEXT.get(order.status, order.status.value), STATUS_STYLE.get(order.status, "")),
    ]
