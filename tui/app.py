"""VigilApp: the Textual app; it owns the SDK client, the four modes, the headers' link and the banners' risk
status, and the stop key."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import HelpPanel

from clients.sdk import ConnectionState, Instrument, VigilClient, VigilError
from tui import formatting
from tui.link_status import AccessRefused, LinkStatus, LinkStreams, refusal_text
from tui.messages import ConnectionChanged, FeedStatusChanged, StreamFailed
from tui.risk_messages import (
    DEFAULT_RISK_ACCOUNT,
    RiskAccountChosen,
    RiskRefreshWanted,
    RiskSnapshot,
    RiskStatusChanged,
)
from tui.risk_streams import RiskStatusStreams
from tui.screens.accounts import AccountsScreen
from tui.screens.analytics import AnalyticsScreen
from tui.screens.backtests import BacktestsScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.copying import CopyScreen
from tui.screens.market import MarketScreen
from tui.screens.risk import RiskScreen
from tui.screens.signals import SignalsScreen
from tui.screens.strategies import StrategiesScreen
from tui.screens.trade import TradeScreen
from tui.widgets.packed_line import NARROW_BELOW

STOP_REASON = "from the TUI"
STOP_TOOLTIP = "emergency stop: flatten every account, cancel every order, stop automatic trading (after y/n)"
SCREENS = Binding.Group("screens", compact=True)  # the footer shows "mgR screens" on the Trade screen


YOUNG_COLLECTION_THRESHOLD = 20_000  # allocations between young collections (CPython's default: 700)


def _freeze_the_started_heap() -> None:
    """Once the app has started, what it made so far (modules, the app, the first screen) lives as long as the
    process: collected once, then moved out of the cyclic collector's sight (gc.freeze), so the full collections
    that come with opening a screen scan only what was made since. Opening the Journal screen met one of 100-150 ms
    (300-400 ms on the busy machine) scanning the whole heap. Painting makes tens of thousands of short-lived
    objects (strips, segments, styles) that reference counting frees; a young collection every 700 of them was
    80 collections (60-110 ms) per screen opening, every 20,000 is one or two."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


class VigilApp(LinkStreams, RiskStatusStreams, App[None]):
    """Each screen is a mode, so all keep running (the signal feed and the fills keep filling) while another shows.

    `s` is Sell on the Trade screen, so Signals is `g`: no key switches screens on one and trades on another.
    Under 100 columns the screens carry the class `-narrow` and stack their panels (app.tcss).
    """

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: Textual resolves a relative one beside a subclass
    TITLE = "Vigil"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]  # noqa: RUF012  (read as a class attribute)
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("m", "switch_mode('market')", "Market", group=SCREENS),
        Binding("g", "switch_mode('signals')", "Signals", group=SCREENS),
        Binding("t", "switch_mode('trade')", "Trade", group=SCREENS),
        Binding("R", "switch_mode('risk')", "Risk", group=SCREENS),
        Binding("J", "switch_mode('analytics')", "Journal", group=SCREENS, tooltip="analytics and the P&L calendar"),
        # Not in the footer (its line is full): `?` lists it, with every other key.
        Binding("C", "switch_mode('copy')", "Copy", show=False, tooltip="copy groups: followers and their outcomes"),
        # not in the footer (its line is full at 80 columns); `?` lists it
        Binding("S", "switch_mode('strategies')", "Strategies", show=False, tooltip="strategies and their event log"),
        Binding("B", "switch_mode('backtests')", "Backtests", show=False, tooltip="start and read backtests"),
        Binding("K", "switch_mode('accounts')", "Accounts", show=False, tooltip="broker accounts: mode, live routing"),
        # priority: it works even while a ticket field has the focus
        Binding("E", "emergency_stop", "Stop", priority=True, tooltip=STOP_TOOLTIP),
        Binding("question_mark", "toggle_keys", "Keys", key_display="?", tooltip="show or hide every key"),
        Binding("q", "quit", "Quit"),
    ]

    risk_account: reactive[str] = reactive(DEFAULT_RISK_ACCOUNT, init=False)
    risk: reactive[RiskSnapshot] = reactive(RiskSnapshot(DEFAULT_RISK_ACCOUNT), init=False)
    link: reactive[LinkStatus] = reactive(LinkStatus(), init=False)

    def __init__(
        self,
        target: str | None = None,
        *,
        api_key: str | None = None,
        client: VigilClient | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        """`target` and `api_key` default to VIGIL_TARGET and VIGIL_API_KEY (the SDK reads them); `client`
        replaces the SDK client outright (tests pass a fake), and `clock` gives UTC ns for "today"."""
        super().__init__()
        self.client = client if client is not None else VigilClient(target, api_key=api_key)
        self.clock = clock
        self._market: MarketScreen | None = None
        self._add_mode("market", self._new_market)
        self._add_mode("signals", lambda: SignalsScreen(self.client))
        self._add_mode("trade", lambda: TradeScreen(self.client, self._market_selection, clock=self.clock))
        self._add_mode("risk", lambda: RiskScreen(self.client))
        self._add_mode("analytics", lambda: AnalyticsScreen(self.client, formatting.trading_day(self.clock())))
        self._add_mode("copy", lambda: CopyScreen(self.client))
        self._add_mode("strategies", lambda: StrategiesScreen(self.client))
        self._add_mode(
            "backtests", lambda: BacktestsScreen(self.client, formatting.trading_day(self.clock()).isoformat())
        )
        self._add_mode("accounts", lambda: AccountsScreen(self.client))

    def _add_mode(self, mode: str, make: Callable[[], Screen[None]]) -> None:
        """A mode whose screen is made on its first switch, styled with the stylesheet as it stands.

        Textual marks a new screen's styles out of date (`_css_update_count` -1), so the first switch to a mode ran
        `refresh_css` twice: the whole stylesheet reparsed and every widget of the screen being left restyled, twice
        (a third of the Journal screen's first showing). A screen made now is styled as its widgets mount, with the
        stylesheet's current rules and variables (a screen's own CSS still loads and restyles as Textual does); a
        later theme change still counts it out of date and restyles it."""

        def fresh() -> Screen[None]:
            screen = make()
            screen._css_update_count = self._css_update_count
            return screen

        self.add_mode(mode, fresh)

    def _new_market(self) -> MarketScreen:
        self._market = MarketScreen(self.client)
        return self._market

    def _market_selection(self) -> Instrument | None:
        """The Trade screen's manual trader starts on the instrument selected on the Market screen."""
        return self._market.selected if self._market is not None else None

    def on_mount(self) -> None:
        self.run_link_connection()
        self.run_link_feed()
        self.switch_mode("market")
        self._follow_risk_account()
        self.call_after_refresh(_freeze_the_started_heap)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        asking = isinstance(self.screen, ModalScreen)  # no other key acts while a question waits for its answer
        if action == "switch_mode":
            return parameters[:1] != (self.current_mode,) and not asking  # hidden for the mode on show
        if action == "emergency_stop":
            return not asking
        return True

    async def on_unmount(self) -> None:
        await self.client.close()

    def action_toggle_keys(self) -> None:
        """Every key of the screen and the app, with what it does (the footer has room for the main ones)."""
        if self.screen.query(HelpPanel):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    # -- the link every header shows -------------------------------------------------------------------

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        link, state = self.link, message.state
        if state is ConnectionState.CONNECTED:
            recovered = link.connection is ConnectionState.RECONNECTING
            self.link = replace(link, connection=state, problem="" if recovered else link.problem)
        else:  # feed figures from before the link dropped would mislead
            self.link = replace(link, connection=state, report=None)

    def on_feed_status_changed(self, message: FeedStatusChanged) -> None:
        if self.link.connection is ConnectionState.CONNECTED:  # else it describes a server we cannot see now
            self.link = replace(self.link, report=message.report, refusal="", problem="")

    def on_access_refused(self, message: AccessRefused) -> None:
        self.link = replace(self.link, report=None, refusal=refusal_text(self.client))

    def on_stream_failed(self, message: StreamFailed) -> None:
        self.link = replace(self.link, problem=f"{message.stream}: {message.error}")

    # -- risk: the banner's account and status --------------------------------------------------------

    def on_risk_account_chosen(self, message: RiskAccountChosen) -> None:
        self.risk_account = message.account_id

    def watch_risk_account(self) -> None:
        self._follow_risk_account()

    def _follow_risk_account(self) -> None:
        self.risk = RiskSnapshot(self.risk_account, None, "loading…")
        self.run_risk_status(self.risk_account)
        self.run_risk_status_events(self.risk_account)

    def on_risk_status_changed(self, message: RiskStatusChanged) -> None:
        new, old = message.snapshot, self.risk
        if new.account_id != self.risk_account:
            return  # posted before the account changed
        if new.status is not None and old.status is not None and new.status.updated_ns < old.status.updated_ns:
            return  # a refresh answered before an event's status that arrived first
        self.risk = new

    def on_risk_refresh_wanted(self, message: RiskRefreshWanted) -> None:
        self.refresh_risk_status(self.risk_account)

    # -- the emergency stop, from any screen ----------------------------------------------------------

    def action_emergency_stop(self) -> None:
        question = "EMERGENCY STOP: flatten every account, cancel every order and stop automatic trading until resumed?"

        def answered(yes: bool | None) -> None:
            if yes:
                self._emergency_stop()

        self.push_screen(ConfirmScreen(question), answered)

    @work(group="risk-actions")
    async def _emergency_stop(self) -> None:
        try:
            result = await self.client.emergency_stop(STOP_REASON)
        except VigilError as error:
            self.notify(f"emergency stop: {error}", title="Emergency stop failed", severity="error", timeout=10)
            return
        self.notify(
            f"{result.orders_cancelled} orders cancelled, {result.positions_flattened} positions flattened; "
            "R then U resumes",
            title="Emergency stop",
            severity="warning",
            timeout=10,
        )
        self.refresh_risk_status(self.risk_account)
