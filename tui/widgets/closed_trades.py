"""Today's closed trades of every account: entry and exit, the result and excursions in R, and the dollars."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from rich.text import Text

from clients.sdk import TrackedTrade, TradeDirection, TradeStatus
from tui import formatting
from tui.widgets.keyed_table import KeyedTable, cell

HOW = {
    TradeStatus.STOPPED_OUT: "stop",
    TradeStatus.BREAK_EVEN: "b/e",
    TradeStatus.TARGET_HIT: "target",
    TradeStatus.CLOSED: "closed",
}
CONTRACT_SUFFIX = 5  # month code and four-digit year: NQZ2026 -> NQ


class _Closed(Text):
    """The time cell; it carries the close time, by which the rows are sorted newest first."""

    def __init__(self, text: str, closed_ns: int) -> None:
        super().__init__(text)
        self.closed_ns = closed_ns


def _newest(value: object) -> int:
    return value.closed_ns if isinstance(value, _Closed) else -1


def gross_dollars(trade: TrackedTrade, point_value: Decimal | None) -> Decimal | None:
    """(exit - entry) x direction x quantity x the instrument's dollars per point, before commissions; None when
    the exit or the instrument is unknown."""
    if trade.exit_price is None or point_value is None:
        return None
    points = trade.exit_price - trade.entry_price
    if trade.direction is TradeDirection.SHORT:
        points = -points
    return points * trade.quantity * point_value


class ClosedTradesTable(KeyedTable):
    """Rows keyed by trade id, newest close on top; trades closed before `since_ns` (the trading day's start) go."""

    COLUMNS = (
        ("time", "UTC", 5),
        ("account", "Account", 7),
        ("contract", "Contract", 8),
        ("side", "Side", 5),
        ("qty", "Qty", 3),
        ("entry", "Entry", 8),
        ("exit", "Exit", 8),
        ("how", "Exit by", 7),
        ("result", "Result", 7),
        ("mfe", "MFE R", 7),
        ("mae", "MAE R", 7),
        ("dollars", "$ gross", 10),
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.trades: dict[str, TrackedTrade] = {}
        self.since_ns = 0
        self.point_values: dict[str, Decimal] = {}  # dollars per point by root

    def start_day(self, since_ns: int) -> None:
        """A new trading day (or the first): forget every row; a listing of the day's trades follows."""
        self.since_ns = since_ns
        self.trades.clear()
        self.shown.clear()
        self.clear()
        self._retitle()

    def set_point_values(self, point_values: Mapping[str, Decimal]) -> None:
        self.point_values = dict(point_values)
        self._show(self.trades.values())

    def apply(self, trades: Iterable[TrackedTrade]) -> None:
        """Take trades as they stand; open ones and those closed before the day started are left out."""
        self._show(t for t in trades if not t.is_open and t.closed_ns >= self.since_ns)

    def _show(self, trades: Iterable[TrackedTrade]) -> None:
        for trade in list(trades):
            self.trades[trade.trade_id] = trade
            self.upsert(trade.trade_id, self._cells(trade))
        if self.trades:
            self.sort("time", key=_newest, reverse=True)
        self._retitle()

    def total_r(self) -> Decimal:
        return sum((t.result_r for t in self.trades.values() if t.result_r is not None), Decimal(0))

    def total_dollars(self) -> Decimal | None:
        """The sum of the rows' dollars; None when a row's is unknown (a partial sum would mislead)."""
        values = [gross_dollars(t, self._point_value(t)) for t in self.trades.values()]
        return None if any(v is None for v in values) else sum((v for v in values if v is not None), Decimal(0))

    def _retitle(self) -> None:
        count = len(self.trades)
        title = f"Closed today ({count})"
        if count:
            title += f"  {formatting.r_multiple(self.total_r())}"
            dollars = self.total_dollars()
            if dollars is not None:
                title += f"  {formatting.money(dollars)} gross"
        self.border_title = title

    def _point_value(self, trade: TrackedTrade) -> Decimal | None:
        return self.point_values.get(trade.contract_id[:-CONTRACT_SUFFIX])

    def _cells(self, trade: TrackedTrade) -> list[Text]:
        long = trade.direction is TradeDirection.LONG
        dollars = gross_dollars(trade, self._point_value(trade))
        result = trade.result_r
        return [
            _Closed(formatting.clock(trade.closed_ns)[:5], trade.closed_ns),
            cell(trade.account_id or formatting.BLANK, "dim"),
            cell(trade.contract_id, "bold"),
            cell(trade.direction.value, "green" if long else "red"),
            cell(str(trade.quantity), right=True),
            cell(formatting.price(trade.entry_price), right=True),
            cell(formatting.price(trade.exit_price), right=True),
            cell(HOW.get(trade.status, trade.status.value)),
            cell(formatting.r_multiple(result), formatting.pnl_style(result), right=True),
            cell(formatting.r_multiple(trade.mfe_r), right=True),
            cell(formatting.r_multiple(trade.mae_r), right=True),
            cell(formatting.money(dollars), formatting.pnl_style(dollars), right=True),
        ]
