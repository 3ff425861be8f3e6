"""Open positions of the shown account: signed size, average and mark, unrealised and realised P&L."""

from __future__ import annotations

from rich.text import Text

from clients.sdk import Account, Position
from tui import formatting
from tui.widgets.keyed_table import KeyedTable, cell


class PositionsTable(KeyedTable):
    """Rows keyed by contract id; a position gone flat leaves the table (its realised P&L stays in the account)."""

    COLUMNS = (
        ("contract", "Contract", 8),
        ("qty", "Qty", 4),
        ("avg", "Avg price", 9),
        ("mark", "Mark", 8),
        ("points", "Unr pts", 8),
        ("unrealized", "Unr $", 10),
        ("realized", "Real $", 10),
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.positions: dict[str, Position] = {}

    @property
    def selected(self) -> Position | None:
        """The position under the cursor (the first, until the cursor moves)."""
        key = self.selected_key
        return self.positions.get(key) if key is not None else None

    def apply(self, account: Account) -> None:
        open_positions = [p for p in account.positions if not p.is_flat]
        self.positions = {p.contract_id: p for p in open_positions}
        for position in open_positions:
            self.upsert(position.contract_id, _cells(position))
        self.drop_all_but(self.positions)


def _cells(position: Position) -> list[Text]:
    side_style = "green" if position.quantity > 0 else "red"
    points = position.unrealized_points
    return [
        cell(position.contract_id, "bold"),
        cell(formatting.signed(position.quantity), side_style, right=True),
        cell(formatting.price(position.average_price), right=True),
        cell(formatting.price(position.mark_price), right=True),
        cell(formatting.signed(points), formatting.pnl_style(points), right=True),
        cell(formatting.money(position.unrealized_pnl), formatting.pnl_style(position.unrealized_pnl), right=True),
        cell(formatting.money(position.realized_pnl), formatting.pnl_style(position.realized_pnl), right=True),
    ]
