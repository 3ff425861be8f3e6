"""Live quotes of every instrument: one row per front-month contract, cells updated in place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from clients.sdk import Candle, Instrument, Quote
from tui import formatting

# Fixed widths: cells start as a dash, and auto-sized columns would stay one character wide.
COLUMNS = (
    ("symbol", "Symbol", 9),
    ("bid", "Bid", 9),
    ("ask", "Ask", 9),
    ("last", "Last", 9),
    ("change", "Chg", 7),
    ("volume", "Volume", 9),
)


class QuotesTable(DataTable[str | Text]):
    """Rows are keyed by contract id; `apply_*` touch only the cells whose text changed."""

    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.instruments: dict[str, Instrument] = {}
        self._shown: dict[tuple[str, str], str] = {}

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def set_instruments(self, instruments: Sequence[Instrument]) -> None:
        """Add a row per instrument once; later calls only add instruments not yet shown."""
        for instrument in instruments:
            contract_id = instrument.front_contract.contract_id
            if contract_id in self.instruments:
                continue
            self.instruments[contract_id] = instrument
            symbol = Text(contract_id, style="" if instrument.streaming else "dim")
            blanks = [Text(formatting.BLANK, justify="right") for _ in COLUMNS[1:]]
            self.add_row(symbol, *blanks, key=contract_id)

    @property
    def selected(self) -> Instrument | None:
        if not self.instruments or self.cursor_row < 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.instruments.get(key) if key is not None else None

    def apply_quotes(self, quotes: Mapping[str, Quote]) -> None:
        for contract_id, quote in quotes.items():
            self._set(contract_id, "bid", formatting.price(quote.bid))
            self._set(contract_id, "ask", formatting.price(quote.ask))

    def apply_day_bars(self, bars: Mapping[str, Candle]) -> None:
        for contract_id, bar in bars.items():
            self._set(contract_id, "last", formatting.price(bar.close))
            self._set(contract_id, "change", formatting.change(bar.close - bar.open))
            self._set(contract_id, "volume", formatting.volume(bar.volume))

    def _set(self, contract_id: str, column: str, text: str) -> None:
        if contract_id not in self.instruments or self._shown.get((contract_id, column)) == text:
            return
        self._shown[(contract_id, column)] = text
        if column == "change":
            style = "green" if text.startswith("+") else "red" if text.startswith("-") else ""
            self.update_cell(contract_id, column, Text(text, style=style, justify="right"))
        else:
            self.update_cell(contract_id, column, Text(text, justify="right"))
