"""KeyedTable: a DataTable whose rows are keyed by an id and whose cells change in place, only where text changed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

Column = tuple[str, str, int]  # key, label, width


class KeyedTable(DataTable[Text]):
    """Subclasses set COLUMNS; `upsert` adds a row or rewrites its changed cells, `drop` removes it."""

    COLUMNS: tuple[Column, ...] = ()
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.shown: dict[str, list[str]] = {}  # row key -> plain text of each cell

    def on_mount(self) -> None:
        # Fixed widths: cells often start as a dash, and auto-sized columns would stay one character wide.
        for key, label, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def selected_key(self) -> str | None:
        if not self.shown or self.cursor_row < 0:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def text(self, key: str, column: str) -> str:
        """The plain text of one cell (for tests and notifications)."""
        return self.shown[key][[c[0] for c in self.COLUMNS].index(column)]

    def upsert(self, key: str, cells: Sequence[Text]) -> bool:
        """Show `cells` in the row `key`; True when the row is new."""
        plain = [cell.plain for cell in cells]
        old = self.shown.get(key)
        self.shown[key] = plain
        if old is None:
            self.add_row(*cells, key=key)
            return True
        for (column, _, _), cell, before, after in zip(self.COLUMNS, cells, old, plain, strict=True):
            if before != after:
                self.update_cell(key, column, cell)
        return False

    def drop(self, key: str) -> None:
        if self.shown.pop(key, None) is not None:
            self.remove_row(key)

    def drop_all_but(self, keys: Iterable[str]) -> None:
        keep = set(keys)
        for key in [k for k in self.shown if k not in keep]:
            self.drop(key)


def cell(text: str, style: str = "", *, right: bool = False) -> Text:
    return Text(text, style=style, justify="right" if right else "left")
