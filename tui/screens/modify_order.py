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
        # Kept as attributes: the nested fields may not be in the DOM yet when the dialog first shows.
        self.quantity_input = Input(str(order.quantity), type="integer", id="modify-quantity", compact=True)
        self.quantity_input.disabled = bool(order.parent_order_id)  # a bracket exit's size follows its entry's fills
        self.limit_input = self._price_input(order.limit_price, "modify-limit")
        self.stop_input = self._price_input(order.stop_price, "modify-stop")

    @staticmethod
    def _price_input(price: Decimal | None, input_id: str) -> Input | None:
        return None if price is None else Input(str(price), type="number", id=input_id, compact=True)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"Modify {order_title(self.order)}", id="question")
            for label, field in (
                ("Quantity", self.quantity_input),
                ("Limit", self.limit_input),
                ("Stop", self.stop_input),
            ):
                if field is not None:
                    with Horizontal(classes="dialog-field"):
                        yield Label(label)
                        yield field
            yield Static("", id="modify-error")
            yield Static("Enter  send the change    Esc  keep the order", id="answers")

    def on_mount(self) -> None:
        first = self.stop_input or self.limit_input or self.quantity_input
        self.call_after_refresh(first.focus)

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
        quantity_text = self.quantity_input.value.strip()
        try:
            quantity = int(quantity_text)
        except ValueError:
            raise InvalidArgumentError("quantity", f"not a whole number: {quantity_text!r}") from None
        if quantity < 1:
            raise InvalidArgumentError("quantity", "must be at least 1 (x cancels the order)")
        return OrderChange(
            quantity if quantity != order.quantity else 0,
            _price(self.limit_input, "limit_price", order.limit_price),
            _price(self.stop_input, "stop_price", order.stop_price),
        )


def _price(field: Input | None, name: str, current: Decimal | None) -> Decimal | None:
    """The price typed in `field` when it differs from `current`; None when unchanged or the order has none."""
    if field is None:
        return None
    text = field.value.strip()
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise InvalidArgumentError(name, f"not a price: {text!r}") from None
    if not price.is_finite() or price <= 0:
        raise InvalidArgumentError(name, f"must be a positive price, got {text!r}")
    return None if price == current else price
