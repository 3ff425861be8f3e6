"""The manual trader's order ticket: instrument, size, market or limit, and bracket distances in ticks."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from clients.sdk import (
    BracketSpec,
    Instrument,
    InvalidArgumentError,
    OrderSide,
    OrderSpec,
    OrderType,
    Quote,
    bracket,
    limit,
    market,
)
from tui import formatting

MAX_SIZE = 99


class OrderTicket(Vertical):
    """Holds what the next order will be; the screen's keys change it and `order(side)` builds the spec."""

    instrument: reactive[Instrument | None] = reactive(None, init=False)
    quantity: reactive[int] = reactive(1, init=False)
    order_type: reactive[OrderType] = reactive(OrderType.MARKET, init=False)
    quote: reactive[Quote | None] = reactive(None, init=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Kept as attributes: an instrument can arrive before the nested fields are in the DOM to query.
        self.head = Static(id="ticket-head")
        self.line = Static(id="ticket-line")
        self.inputs = {
            "limit-price": Input(placeholder="bid/ask", type="number", id="limit-price", compact=True),
            "stop-ticks": Input("0", type="integer", id="stop-ticks", compact=True),
            "target-ticks": Input("0", type="integer", id="target-ticks", compact=True),
        }
        self.exits = {"stop": Static(id="ticket-stop"), "target": Static(id="ticket-target")}

    def compose(self) -> ComposeResult:
        # Each group is a column of lines when wide and one line when narrow (app.tcss).
        with Container(id="ticket-summary"):
            yield self.head
            yield self.line
        # One field a line when wide; side by side when narrow (app.tcss). Compact: a field is one line high.
        with Container(id="ticket-fields"):
            for label, input_id in (("Limit", "limit-price"), ("Stop t", "stop-ticks"), ("Target t", "target-ticks")):
                with Horizontal(classes="ticket-field"):
                    yield Label(label)
                    yield self.inputs[input_id]
        with Container(id="ticket-exits"):
            yield from self.exits.values()

    def on_mount(self) -> None:
        self.border_title = "Manual trader"
        self._render_all()

    # -- changes from the screen's keys ---------------------------------------------------------------

    def change_size(self, step: int) -> None:
        self.quantity = max(1, min(MAX_SIZE, self.quantity + step))

    def toggle_type(self) -> None:
        self.order_type = OrderType.LIMIT if self.order_type is OrderType.MARKET else OrderType.MARKET
        if self.order_type is OrderType.LIMIT:
            self.prefill_limit()

    def prefill_limit(self, side: OrderSide = OrderSide.BUY) -> None:
        """Put the bid (or the ask for a sell) in the limit price, if a quote is known."""
        quote = self.quote
        if quote is not None:
            self.inputs["limit-price"].value = str(quote.bid if side is OrderSide.BUY else quote.ask)

    def set_quote(self, quote: Quote) -> None:
        instrument = self.instrument
        if instrument is None or quote.contract_id != instrument.front_contract.contract_id:
            return
        first = self.quote is None
        self.quote = quote
        if first and self.order_type is OrderType.LIMIT and not self.inputs["limit-price"].value:
            self.prefill_limit()

    # -- the order ------------------------------------------------------------------------------------

    def order(self, side: OrderSide) -> OrderSpec | BracketSpec:
        """The spec for a buy or sell now; InvalidArgumentError says what is missing or wrong."""
        instrument = self.instrument
        if instrument is None:
            raise InvalidArgumentError("instrument", "no instrument loaded yet")
        symbol = instrument.front_contract.contract_id
        if self.order_type is OrderType.LIMIT:
            text = self.inputs["limit-price"].value.strip()
            if not text:
                raise InvalidArgumentError("limit_price", "enter a limit price (o toggles back to market)")
            entry = limit(symbol, side, self.quantity, text)
        else:
            entry = market(symbol, side, self.quantity)
        stop_ticks, target_ticks = self.ticks("stop-ticks"), self.ticks("target-ticks")
        if stop_ticks or target_ticks:
            return bracket(entry, stop_loss_ticks=stop_ticks, take_profit_ticks=target_ticks)
        return entry

    def ticks(self, input_id: str) -> int:
        text = self.inputs[input_id].value.strip()
        field = input_id.replace("-", "_")
        try:
            ticks = int(text or "0")
        except ValueError:
            raise InvalidArgumentError(field, f"not a whole number of ticks: {text!r}") from None
        if ticks < 0:
            raise InvalidArgumentError(field, f"must be 0 (none) or more ticks, got {ticks}")
        return ticks

    # -- display --------------------------------------------------------------------------------------

    def watch_instrument(self) -> None:
        self.quote = None
        if self.order_type is OrderType.LIMIT:
            self.inputs["limit-price"].value = ""
        self._render_all()

    def watch_quantity(self) -> None:
        self._render_all()

    def watch_order_type(self) -> None:
        self._render_all()

    def watch_quote(self) -> None:
        self._render_head()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("stop-ticks", "target-ticks"):
            self._render_exits()

    def _render_all(self) -> None:
        if not self.is_mounted:
            return
        self._render_head()
        line = Text()
        line.append("Size ").append(str(self.quantity), style="bold").append("   Type ")
        is_limit = self.order_type is OrderType.LIMIT
        line.append(self.order_type.value, style="bold yellow" if is_limit else "bold")
        self.line.update(line)
        self.inputs["limit-price"].disabled = not is_limit
        self._render_exits()

    def _render_head(self) -> None:
        if not self.is_mounted:
            return
        instrument, quote = self.instrument, self.quote
        head = Text()
        if instrument is None:
            head.append("loading instruments…", style="dim")
        else:
            head.append(instrument.front_contract.contract_id, style="bold cyan")
            bid = formatting.price(quote.bid) if quote else formatting.BLANK
            ask = formatting.price(quote.ask) if quote else formatting.BLANK
            head.append("  bid ").append(bid, style="green").append("  ask ").append(ask, style="red")
        self.head.update(head)

    def _render_exits(self) -> None:
        for label, input_id in (("stop", "stop-ticks"), ("target", "target-ticks")):
            self.exits[label].update(f"{label:<6} {self._distance(input_id)}")

    def _distance(self, input_id: str) -> str:
        """`40 t = 10.00 pts = $200.00` for the ticket's size; `none` for 0."""
        instrument = self.instrument
        try:
            ticks = self.ticks(input_id)
        except InvalidArgumentError:
            return "not a number of ticks"
        if ticks == 0:
            return "none"
        if instrument is None:
            return f"{ticks} t"
        points = instrument.tick_size * ticks
        dollars = instrument.tick_value * ticks * self.quantity
        return f"{ticks} t = {points} pts = {formatting.money(dollars)}"
