"""VigilApp: the Textual application; it owns the SDK client and switches between the Market and Signals modes."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen

from clients.sdk import DEFAULT_TARGET, VigilClient
from tui.screens.market import MarketScreen
from tui.screens.signals import SignalsScreen


class VigilApp(App[None]):
    """Each screen is a mode, so both keep running (and the signal feed keeps filling) while the other shows."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: Textual resolves a relative one beside a subclass
    TITLE = "Vigil"
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("m", "switch_mode('market')", "Market"),
        Binding("s", "switch_mode('signals')", "Signals"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, target: str = DEFAULT_TARGET, *, api_key: str | None = None) -> None:
        super().__init__()
        self.client = VigilClient(target, api_key=api_key)
        self.add_mode("market", lambda: MarketScreen(self.client))
        self.add_mode("signals", lambda: SignalsScreen(self.client))

    def on_mount(self) -> None:
        self.switch_mode("market")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_mode":
            # Hidden for the mode on show, and while a question waits for its answer.
            return parameters[:1] != (self.current_mode,) and not isinstance(self.screen, ModalScreen)
        return True

    async def on_unmount(self) -> None:
        await self.client.close()
