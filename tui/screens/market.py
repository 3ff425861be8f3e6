"""The Market screen: live quotes of every instrument, candles and a chart of the selected one, active trades."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from clients.sdk import ConnectionState, Instrument, Timeframe, VigilClient
from tui.messages import (
    CandleClosed,
    CandleHistoryLoaded,
    ConnectionChanged,
    DayBarsChanged,
    FeedStatusChanged,
    FormingCandlesChanged,
    InstrumentsLoaded,
    QuotesChanged,
    StreamFailed,
)
from tui.streams import MarketStreams
from tui.trade_messages import ActiveTradesChanged, OpenTradesLoaded
from tui.trade_streams import ActiveTradeStreams
from tui.widgets.active_trades import ActiveTradesTable
from tui.widgets.candles_table import RecentCandlesTable
from tui.widgets.forming_candle import FormingCandlePanel
from tui.widgets.price_chart import PriceChart
from tui.widgets.quotes_table import QuotesTable
from tui.widgets.risk_banner import RiskBanner
from tui.widgets.status_header import StatusHeader

TIMEFRAME_KEYS = tuple(zip("123456", Timeframe, strict=True))


class MarketScreen(MarketStreams, ActiveTradeStreams, Screen[None]):
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        *(Binding(key, f"timeframe('{tf.value}')", tf.value) for key, tf in TIMEFRAME_KEYS),
        Binding("r", "reconnect", "Reconnect"),
    ]

    timeframe: reactive[Timeframe] = reactive(Timeframe.M1, init=False)
    selected: reactive[Instrument | None] = reactive(None, init=False)

    def __init__(self, client: VigilClient) -> None:
        super().__init__()
        self.client = client
        self._was_disconnected = False

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.client.target, id="status")
        yield RiskBanner(id="market-risk")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield QuotesTable(id="quotes")
                yield FormingCandlePanel(id="forming")
                yield RecentCandlesTable(id="candles")
            yield PriceChart(id="chart")
        yield ActiveTradesTable(id="active-trades")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(QuotesTable).focus()
        self._update_titles()
        self.run_connection()
        self.run_feed_status()
        self.run_instruments()
        self.run_active_trades()
        self.run_active_trades_resync()

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
        if instrument is None:
            return
        self.query_one(RecentCandlesTable).load([])
        self.query_one(PriceChart).load(instrument.front_contract.contract_id, self.timeframe, [])
        note = "waiting for data" if instrument.streaming else "not streaming"
        self.query_one(FormingCandlePanel).show(None, note)
        self.run_candles(instrument, self.timeframe)

    def _update_titles(self) -> None:
        contract = self.selected.front_contract.contract_id if self.selected else ""
        self.query_one(RecentCandlesTable).border_title = f"Recent {self.timeframe.value} candles {contract}".rstrip()
        self.query_one(PriceChart).border_title = f"Closes {self.timeframe.value} {contract}".rstrip()
        self.query_one(QuotesTable).border_title = "Quotes"
        self.query_one(ActiveTradesTable).border_title = "Active trades"

    def _is_current(self, contract_id: str, timeframe: Timeframe | None = None) -> bool:
        selected = self.selected
        if selected is None or selected.front_contract.contract_id != contract_id:
            return False
        return timeframe is None or timeframe is self.timeframe

    # -- messages from the stream workers -------------------------------------------------------------

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        self.query_one(StatusHeader).set_connection(message.state)
        if message.state is ConnectionState.RECONNECTING:
            self._was_disconnected = True
        elif message.state is ConnectionState.CONNECTED and self._was_disconnected:
            self._was_disconnected = False
            self.query_one(StatusHeader).set_problem("")
            self._follow_selection()  # closed candles of the outage come only from history

    def on_feed_status_changed(self, message: FeedStatusChanged) -> None:
        self.query_one(StatusHeader).set_feed_status(message.report)

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
        minute = message.forming.get(Timeframe.M1)
        if minute is not None:
            self.query_one(FormingCandlePanel).show(minute)
        current = message.forming.get(self.timeframe)
        if current is not None:
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
        text = f"{message.stream}: {message.error}"
        self.query_one(StatusHeader).set_problem(text)
        self.notify(text, title="Vigil", severity="error", timeout=8)
