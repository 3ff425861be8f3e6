"""Fills of the shown account, newest on top, bounded."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from clients.sdk import Fill, OrderSide
from tui import formatting
from tui.widgets.keyed_table import KeyedTable, cell

FILL_ROWS = 100


class _Stamp(Text):
    """The time cell; it carries the fill's time, by which the rows are sorted newest first."""

    def __init__(self, text: str, ts_ns: int, seq: int) -> None:
        super().__init__(text)
        self.order = (ts_ns, seq)


def _order(value: object) -> tuple[int, int]:
    return value.order if isinstance(value, _Stamp) else (-1, -1)


class FillsTable(KeyedTable):
    """Rows keyed by fill id, so a fill seen in both the snapshot and the event stream shows once."""

    COLUMNS = (
        ("time", "UTC", 8),
        ("order", "Order", 8),
        ("contract", "Contract", 8),
        ("side", "Side", 4),
        ("qty", "Qty", 3),
        ("price", "Price", 8),
        ("commission", "Comm", 7),
        ("liquidity", "Liq", 5),
    )

    def __init__(self, *, id: str | None = None, limit: int = FILL_ROWS) -> None:
        super().__init__(id=id)
        self.limit = limit
        self.fills: dict[str, Fill] = {}
        self._seq = 0

    @property
    def newest_first(self) -> list[Fill]:
        return sorted(self.fills.values(), key=lambda f: f.ts_ns, reverse=True)

    def add(self, fills: Iterable[Fill]) -> None:
        added = False
        for fill in fills:
            if fill.fill_id in self.fills:
                continue
            self._seq += 1
            self.fills[fill.fill_id] = fill
            self.upsert(fill.fill_id, _cells(fill, self._seq))
            added = True
        if not added:
            return
        for oldest in self.newest_first[self.limit :]:
            del self.fills[oldest.fill_id]
            self.drop(oldest.fill_id)
        self.sort("time", key=_order, reverse=True)

    def clear_fills(self) -> None:
        self.fills.clear()
        self.shown.clear()
        self.clear()


def _cells(fill: Fill, seq: int) -> list[Text]:
    return [
        _Stamp(formatting.clock(fill.ts_ns), fill.ts_ns, seq),
        cell(formatting.short_id(fill.order_id), "dim"),
        cell(fill.contract_id, "bold"),
        cell(fill.side.value, "green" if fill.side is OrderSide.BUY else "red"),
        cell(str(fill.quantity), right=True),
        cell(formatting.price(fill.price), right=True),
        cell(formatting.money(fill.commission), right=True),
        cell(fill.liquidity),
    ]
