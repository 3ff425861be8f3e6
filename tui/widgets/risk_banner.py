"""One line on every screen: the risk state of the app's risk account, its daily loss, drawdown distance and stop."""

from __future__ import annotations

from textual.widgets import Static

from tui import risk_text
from tui.risk_messages import RiskSnapshot


class RiskBanner(Static):
    """Follows the app's `risk` reactive (a RiskSnapshot), which the app keeps fresh for every screen."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: RiskSnapshot | None = None
        self.plain = ""

    def on_mount(self) -> None:
        self.show(None)
        if hasattr(self.app, "risk"):  # a bare App (in a widget test) keeps no risk: the banner stays blank
            self.watch(self.app, "risk", self.show)

    def show(self, snapshot: RiskSnapshot | None) -> None:
        self.snapshot = snapshot
        line = risk_text.banner(snapshot)
        self.plain = line.plain
        self.update(line)
