"""A dialog to change a working order's size and prices (a bracket's stop or target too); Enter sends, Esc keeps."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from clients.sdk import InvalidArgumentError, Order
from tui.account_marks import role_of


@dataclass(frozen=True, slots=True)
class OrderChange:
    """What to send as ModifyOrder: 0 or None leaves that field as it is."""

    quantity: int = 0
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None

    @property
    def empty(self) -> bool:
        return not self.quantity and self.limit_price is None and self.stop_price is None

    def describe(self) -> str:
        parts = [f"qty {self.quantity}"] if self.quantity else []
        if self.limit_price is not None:
            parts.append(f"limit {self.limit_price}")
        if self.stop_price is not None:
            parts.append(f"stop {self.stop_price}")
        return ", ".join(parts)


def order_title(order: Order) -> str:
    """`bracket stop: sell 2 MNQZ2026 stop @ 25320.00`."""
    role = f"bracket {role_of(order)}: " if order.parent_order_id else ""
    prices = " ".join(
        f"{name} {price}" for name, price in (("limit", order.limit_price), ("stop", order.stop_price)) if price
    )
    return f"{role}{order.side.value} {order.quantity} {order.contract_id} {order.order_type.value} {prices}".strip()


class ModifyOrderScreen(ModalScreen[OrderChange | None]):
    """Fields start at the order's values; only the ones changed are sent."""

    BINDINGS = [Binding("escape", "keep", "Keep the order", show=False)]  # noqa: RUF012  (a class attribute)

    def __init__(self, order: Order) -> None:
        super().__init__()
        self.order = order

    def compose(self) -> ComposeResult:
        order = self.order
        with Vertical(id="dialog"):
            yield Static(f"Modify {order_title(order)}", id="question")
            with Horizontal(classes="dialog-field"):
                yield Label("Quantity")
                quantity = Input(str(order.quantity), type="integer", id="modify-quantity", compact=True)
                quantity.disabled = bool(order.parent_order_id)  # a bracket exit's size follows its entry's fills
                yield quantity
            if order.limit_price is not None:
                with Horizontal(classes="dialog-field"):
                    yield Label("Limit")
                    yield Input(str(order.limit_price), type="number", id="modify-limit", compact=True)
            if order.stop_price is not None:
                with Horizontal(classes="dialog-field"):
                    yield Label("Stop")
                    yield Input(str(order.stop_price), type="number", id="modify-stop", compact=True)
            yield Static("", id="modify-error")
            yield Static("Enter  send the change    Esc  keep the order", id="answers")

    def on_mount(self) -> None:
        first = "#modify-stop" if self.order.stop_price is not None else "#modify-limit"
        focus = self.query(first).first() if self.query(first) else self.query_one("#modify-quantity")
        focus.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            change = self.change()
        except InvalidArgumentError as error:
            self.query_one("#modify-error", Static).update(str(error))
            return
        self.dismiss(None if change.empty else change)

    def action_keep(self) -> None:
        self.dismiss(None)

    def change(self) -> OrderChange:
        """The fields that differ from the order; InvalidArgumentError names a field that is not a number."""
        order = self.order
        quantity_text = self.query_one("#modify-quantity", Input).value.strip()
        try:
            quantity = int(quantity_text)
        except ValueError:
            raise InvalidArgumentError("quantity", f"not a whole number: {quantity_text!r}") from None
        if quantity < 1:
            raise InvalidArgumentError("quantity", "must be at least 1 (x cancels the order)")
        return OrderChange(
            quantity if quantity != order.quantity else 0,
            self._price("#modify-limit", "limit_price", order.limit_price),
            self._price("#modify-stop", "stop_price", order.stop_price),
        )

    def _price(self, selector: str, field: str, current: Decimal | None) -> Decimal | None:
        found = self.query(selector)
        if not found:
            return None
        text = found.first(Input).value.strip()
        try:
            price = Decimal(text)
        except InvalidOperation:
            raise InvalidArgumentError(field, f"not a price: {text!r}") from None
        if not price.is_finite() or price <= 0:
            raise InvalidArgumentError(field, f"must be a positive price, got {text!r}")
        return None if price == current else price
