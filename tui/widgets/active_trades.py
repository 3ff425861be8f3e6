"""Open tracked trades: entry, current stop, R now and the excursions so far, updated in place."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from clients.sdk import TrackedTrade, TradeDirection
from tui import formatting
from tui.widgets.keyed_table import KeyedTable, cell

SETTLED_MEMORY = 1000  # ended ids remembered, so a late copy of an ended trade cannot bring its row back


class ActiveTradesTable(KeyedTable):
    """Rows keyed by trade id; a trade leaves once it ends (stopped out, break-even, target or closed)."""

    COLUMNS = (
        ("contract", "Contract", 8),
        ("direction", "Dir", 5),
        ("entry", "Entry", 8),
        ("stop", "Stop", 8),
        ("r_now", "R now", 7),
        ("mfe", "MFE R", 7),
        ("mae", "MAE R", 7),
        ("status", "Status", 11),
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.trades: dict[str, TrackedTrade] = {}
        self._ended: dict[str, None] = {}

    def apply(self, trades: Iterable[TrackedTrade]) -> None:
        for trade in trades:
            if not trade.is_open:
                self._end(trade.trade_id)
            elif trade.trade_id not in self._ended:
                self.trades[trade.trade_id] = trade
                self.upsert(trade.trade_id, _cells(trade))

    def keep_only(self, open_trades: Iterable[TrackedTrade]) -> None:
        """Apply the full list of open trades: shown trades missing from it ended while no update reached us."""
        open_trades = list(open_trades)
        current = {t.trade_id for t in open_trades}
        for trade_id in [k for k in self.trades if k not in current]:
            self._end(trade_id)
        self.apply(open_trades)

    def _end(self, trade_id: str) -> None:
        self._ended[trade_id] = None
        if len(self._ended) > SETTLED_MEMORY:
            del self._ended[next(iter(self._ended))]
        if self.trades.pop(trade_id, None) is not None:
            self.drop(trade_id)


def _cells(trade: TrackedTrade) -> list[Text]:
    long = trade.direction is TradeDirection.LONG
    return [
        cell(trade.contract_id, "bold"),
        cell(trade.direction.value, "green" if long else "red"),
        cell(formatting.price(trade.entry_price), right=True),
        cell(formatting.price(trade.current_stop), right=True),
        cell(formatting.r_multiple(trade.current_r), formatting.pnl_style(trade.current_r), right=True),
        cell(formatting.r_multiple(trade.mfe_r), formatting.pnl_style(trade.mfe_r), right=True),
        cell(formatting.r_multiple(trade.mae_r), formatting.pnl_style(trade.mae_r), right=True),  # favourable > 0
        cell(trade.status.value),
    ]
