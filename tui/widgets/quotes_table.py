"""Live quotes of every instrument: one row per front-month contract, cells updated in place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import DataTable

from clients.sdk import Candle, Instrument, Quote
from tui import formatting
from tui.widgets.packed_line import NARROW_BELOW

# Fixed widths: cells start as a dash, and auto-sized columns would stay one character wide.
COLUMNS = (
    ("symbol", "Symbol", 8),
    ("bid", "Bid", 8),
    ("ask", "Ask", 8),
    ("last", "Last", 8),
    ("change", "Chg", 7),
    ("volume", "Volume", 9),
)
WIDE = tuple(key for key, _, _ in COLUMNS)
NARROW = ("symbol", "last", "change")  # under 100 columns the table sits beside the chart


class QuotesTable(DataTable[str | Text]):
    """Rows are keyed by contract id; `apply_*` touch only the cells whose text changed. The columns change with
    the width (the one time the table is rebuilt), from the texts it keeps."""

    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.instruments: dict[str, Instrument] = {}
        self.columns_shown: tuple[str, ...] = ()
        self._shown: dict[tuple[str, str], str] = {}

    def on_mount(self) -> None:
        self._use_columns()

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._use_columns)  # after the layout pass that resized it

    def _use_columns(self) -> None:
        keys = NARROW if self.app.size.width < NARROW_BELOW else WIDE
        if keys == self.columns_shown:
            return
        row = self.cursor_row
        self.clear(columns=True)
        self.columns_shown = keys
        for key, label, width in COLUMNS:
            if key in keys:
                self.add_column(label, key=key, width=width)
        self._add_rows(row)

    def set_instruments(self, instruments: Sequence[Instrument]) -> None:
        """A row per instrument, keyed by its front month. Later calls add instruments not yet shown, and a root
        whose front month rolled keeps its place under the new month (prices come from the new month's quotes)."""
        by_root = {i.root: i for i in instruments}
        kept: dict[str, Instrument] = {}
        rolled: set[str] = set()
        for contract_id, shown in self.instruments.items():
            current = by_root.get(shown.root, shown)
            kept[current.front_contract.contract_id] = current
            if current.front_contract.contract_id != contract_id:
                rolled.add(contract_id)
        if rolled:
            self.instruments = kept
            self._shown = {key: text for key, text in self._shown.items() if key[0] not in rolled}
            row = self.cursor_row
            self.clear()
            self._add_rows(row)
        for instrument in instruments:
            contract_id = instrument.front_contract.contract_id
            if contract_id not in self.instruments:
                self.instruments[contract_id] = instrument
                self._add_row(contract_id)

    def _add_rows(self, cursor_row: int) -> None:
        for contract_id in self.instruments:
            self._add_row(contract_id)
        if self.instruments:
            self.move_cursor(row=max(0, cursor_row))

    def _add_row(self, contract_id: str) -> None:
        self.add_row(*(self._cell(contract_id, key) for key in self.columns_shown), key=contract_id)

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

    def text(self, contract_id: str, column: str) -> str:
        """What the cell shows (kept for every column, shown or not); blank until its data has arrived."""
        return self._shown.get((contract_id, column), formatting.BLANK)

    def _set(self, contract_id: str, column: str, text: str) -> None:
        if contract_id not in self.instruments or self._shown.get((contract_id, column)) == text:
            return
        self._shown[(contract_id, column)] = text
        if column in self.columns_shown:
            self.update_cell(contract_id, column, self._cell(contract_id, column))

    def _cell(self, contract_id: str, column: str) -> Text:
        if column == "symbol":
            return Text(contract_id, style="" if self.instruments[contract_id].streaming else "dim")
        text = self._shown.get((contract_id, column), formatting.BLANK)
        style = ""
        if column == "change":
            style = "green" if text.startswith("+") else "red" if text.startswith("-") else ""
        return Text(text, style=style, justify="right")
