"""VigilApp: the Textual application; it owns the SDK client and opens the Market screen."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from clients.sdk import DEFAULT_TARGET, VigilClient
from tui.screens.market import MarketScreen


class VigilApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "Vigil"
    BINDINGS = [Binding("q", "quit", "Quit")]  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)

    def __init__(self, target: str = DEFAULT_TARGET, *, api_key: str | None = None) -> None:
        super().__init__()
        self.client = VigilClient(target, api_key=api_key)

    def on_mount(self) -> None:
        self.push_screen(MarketScreen(self.client))

    async def on_unmount(self) -> None:
        await self.client.close()
