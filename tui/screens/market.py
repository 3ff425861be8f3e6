"""The Market screen: live quotes of every instrument, a candlestick chart of the selected one with the account's
entry, stop and target levels, its forming and recent candles, and the active trades."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable

from clients.sdk import ConnectionState, Instrument, NotFoundError, Timeframe, VigilClient
from tui.account_marks import AccountMarks
from tui.link_status import is_refusal
from tui.messages import (
    CandleClosed,
    CandleHistoryLoaded,
    ConnectionChanged,
    DayBarsChanged,
    FormingCandlesChanged,
    InstrumentsLoaded,
    QuotesChanged,
    StreamFailed,
)
from tui.risk_messages import DEFAULT_RISK_ACCOUNT
from tui.trade_messages import AccountChanged, ActiveTradesChanged, OpenTradesLoaded, OrderEventArrived, OrdersLoaded
from tui.trade_streams import TradeStreams
from tui.widgets.active_trades import ActiveTradesTable
from tui.widgets.candles_table import RecentCandlesTable
from tui.widgets.forming_candle import FormingCandlePanel
from tui.widgets.price_chart import PriceChart
from tui.widgets.quotes_table import QuotesTable
from tui.widgets.risk_banner import RiskBanner
from tui.widgets.status_header import StatusHeader
from tui.widgets.steady_footer import SteadyFooter

TIMEFRAME_KEYS = tuple(zip("123456", Timeframe, strict=True))
TIMEFRAMES = Binding.Group("1m…1d", compact=True)


class MarketScreen(TradeStreams, Screen[None]):
    """The chart's levels are those of the app's risk account: the one the Trade screen shows (`A` there)."""

    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        *(Binding(key, f"timeframe('{tf.value}')", tf.value, group=TIMEFRAMES) for key, tf in TIMEFRAME_KEYS),
        Binding("r", "reconnect", "Reconnect"),
    ]

    timeframe: reactive[Timeframe] = reactive(Timeframe.M1, init=False)
    selected: reactive[Instrument | None] = reactive(None, init=False)

    def __init__(self, client: VigilClient) -> None:
        super().__init__()
        self.client = client
        self.marks = AccountMarks()
        self._was_disconnected = False

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.client.target, id="status")
        yield RiskBanner(id="market-risk")
        # One grid when wide (quotes, forming and candles left, the chart right); a scrolling stack when narrow.
        with Container(id="body"):
            yield QuotesTable(id="quotes")
            yield PriceChart(id="chart")
            yield FormingCandlePanel(id="forming")
            yield RecentCandlesTable(id="candles")
        yield ActiveTradesTable(id="active-trades")
        yield SteadyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(QuotesTable).focus()
        self._update_titles()
        self.run_connection()
        self.run_instruments()
        self.run_active_trades()
        if hasattr(self.app, "risk_account"):
            self.watch(self.app, "risk_account", self._follow_account)
        else:
            self._follow_account(DEFAULT_RISK_ACCOUNT)

    # -- selection ------------------------------------------------------------------------------------

    def action_timeframe(self, value: str) -> None:
        self.timeframe = Timeframe.parse(value)

    async def action_reconnect(self) -> None:
        self.notify("reconnecting…", timeout=2)
        await self.client.reconnect()
        if not self.query_one(QuotesTable).instruments:
            self.run_instruments()
        self._follow_selection()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "quotes":
            self.selected = self.query_one(QuotesTable).selected

    def watch_selected(self, old: Instrument | None, new: Instrument | None) -> None:
        if new is not None and (old is None or old.front_contract != new.front_contract):
            self._follow_selection()

    def watch_timeframe(self) -> None:
        self._follow_selection()

    def _follow_selection(self) -> None:
        if not self.is_mounted:
            return
        self._update_titles()
        instrument = self.selected
        note = "waiting for data" if instrument is None or instrument.streaming else "not streaming"
        self.query_one(FormingCandlePanel).follow(self.timeframe, note)
        if instrument is None:
            return
        contract_id = instrument.front_contract.contract_id
        self.query_one(RecentCandlesTable).load([])
        chart = self.query_one(PriceChart)
        chart.load(contract_id, self.timeframe, [])
        chart.set_marks(self.marks.marks(contract_id))
        self.run_candles(instrument, self.timeframe)

    def _update_titles(self) -> None:
        contract = self.selected.front_contract.contract_id if self.selected else ""
        self.query_one(RecentCandlesTable).border_title = f"Recent {self.timeframe.value} candles {contract}".rstrip()
        account = f"  levels: {self.marks.account_id}" if self.marks.account_id else ""
        self.query_one(PriceChart).border_title = f"{contract} {self.timeframe.value}{account}".strip()
        self.query_one(QuotesTable).border_title = "Quotes"
        self.query_one(ActiveTradesTable).border_title = "Active trades"

    def _is_current(self, contract_id: str, timeframe: Timeframe | None = None) -> bool:
        selected = self.selected
        if selected is None or selected.front_contract.contract_id != contract_id:
            return False
        return timeframe is None or timeframe is self.timeframe

    # -- the account whose levels the chart marks -----------------------------------------------------

    def _follow_account(self, account_id: str) -> None:
        self.marks.reset(account_id)
        self._update_titles()
        self._redraw_marks()
        self.run_account(account_id)
        self.run_orders(account_id)

    def _redraw_marks(self) -> None:
        if self.selected is not None:
            self.query_one(PriceChart).set_marks(self.marks.marks(self.selected.front_contract.contract_id))

    def on_account_changed(self, message: AccountChanged) -> None:
        if self.marks.set_account(message.account):
            self._redraw_marks()

    def on_order_event_arrived(self, message: OrderEventArrived) -> None:
        order = message.event.order
        if order is not None and self.marks.apply_order(order):
            self._redraw_marks()

    def on_orders_loaded(self, message: OrdersLoaded) -> None:
        if message.account_id != self.marks.account_id:
            return
        if message.resync:
            self.marks.resync(message.orders)
        else:
            for order in message.orders:
                self.marks.apply_order(order)
        self._redraw_marks()

    # -- messages from the stream workers -------------------------------------------------------------

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        if message.state is ConnectionState.RECONNECTING:
            self._was_disconnected = True
        elif message.state is ConnectionState.CONNECTED and self._was_disconnected:
            self._was_disconnected = False
            self._follow_selection()  # closed candles of the outage come only from history
            # Order events and trade updates of the outage are replayed by their resumed streams (since_seq).

    def on_instruments_loaded(self, message: InstrumentsLoaded) -> None:
        table = self.query_one(QuotesTable)
        table.set_instruments(message.instruments)
        streaming = tuple(i.front_contract.contract_id for i in message.instruments if i.streaming)
        self.run_quotes(streaming)
        self.run_day_bars(streaming)
        self.selected = table.selected

    def on_quotes_changed(self, message: QuotesChanged) -> None:
        self.query_one(QuotesTable).apply_quotes(message.quotes)

    def on_day_bars_changed(self, message: DayBarsChanged) -> None:
        self.query_one(QuotesTable).apply_day_bars(message.bars)

    def on_candle_history_loaded(self, message: CandleHistoryLoaded) -> None:
        if not self._is_current(message.contract_id, message.timeframe):
            return
        self.query_one(RecentCandlesTable).load(message.candles)
        self.query_one(PriceChart).load(message.contract_id, message.timeframe, message.candles)

    def on_forming_candles_changed(self, message: FormingCandlesChanged) -> None:
        if not self._is_current(message.contract_id):
            return
        current = message.forming.get(self.timeframe)
        if current is not None:
            self.query_one(FormingCandlePanel).show(current)
            self.query_one(PriceChart).set_forming(current)

    def on_candle_closed(self, message: CandleClosed) -> None:
        candle = message.candle
        if not self._is_current(candle.contract_id, candle.timeframe):
            return
        self.query_one(RecentCandlesTable).add(candle)
        self.query_one(PriceChart).add_closed(candle)

    def on_active_trades_changed(self, message: ActiveTradesChanged) -> None:
        self.query_one(ActiveTradesTable).apply(message.trades)

    def on_open_trades_loaded(self, message: OpenTradesLoaded) -> None:
        self.query_one(ActiveTradesTable).keep_only(message.trades)

    def on_stream_failed(self, message: StreamFailed) -> None:
        if is_refusal(message.error):  # the header already says the server refuses us
            return
        if message.stream in ("account", "orders") and isinstance(message.error, NotFoundError):
            return  # no such account (the server names its paper account otherwise): the chart shows no levels
        self.notify(f"{message.stream}: {message.error}", title="Vigil", severity="error", timeout=8)
