"""VigilApp: the Textual application; it owns the SDK client and switches between the Market, Signals, Trade modes."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen

from clients.sdk import DEFAULT_TARGET, Instrument, VigilClient
from tui.screens.market import MarketScreen
from tui.screens.signals import SignalsScreen
from tui.screens.trade import TradeScreen


class VigilApp(App[None]):
    """Each screen is a mode, so all keep running (the signal feed and the fills keep filling) while another shows."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: Textual resolves a relative one beside a subclass
    TITLE = "Vigil"
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("m", "switch_mode('market')", "Market"),
        Binding("s", "switch_mode('signals')", "Signals"),
        Binding("t", "switch_mode('trade')", "Trade"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, target: str = DEFAULT_TARGET, *, api_key: str | None = None) -> None:
        super().__init__()
        self.client = VigilClient(target, api_key=api_key)
        self._market: MarketScreen | None = None
        self.add_mode("market", self._new_market)
        self.add_mode("signals", lambda: SignalsScreen(self.client))
        self.add_mode("trade", lambda: TradeScreen(self.client, self._market_selection))

    def _new_market(self) -> MarketScreen:
        self._market = MarketScreen(self.client)
        return self._market

    def _market_selection(self) -> Instrument | None:
        """The Trade screen's manual trader starts on the instrument selected on the Market screen."""
        return self._market.selected if self._market is not None else None

    def on_mount(self) -> None:
        self.switch_mode("market")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_mode":
            # Hidden for the mode on show, and while a question waits for its answer.
            return parameters[:1] != (self.current_mode,) and not isinstance(self.screen, ModalScreen)
        return True

    async def on_unmount(self) -> None:
        await self.client.close()
