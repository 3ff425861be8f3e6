"""The risk line on every screen: the app's risk account's state, its daily loss, drawdown distance and stop."""

from __future__ import annotations

from rich.text import Text

from tui import risk_text
from tui.risk_messages import RiskSnapshot
from tui.widgets.packed_line import PackedLine


class RiskBanner(PackedLine):
    """Follows the app's `risk` reactive (a RiskSnapshot), which the app keeps fresh for every screen."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: RiskSnapshot | None = None

    def on_mount(self) -> None:
        super().on_mount()
        if hasattr(self.app, "risk"):  # a bare App (in a widget test) keeps no risk: the banner stays blank
            self.watch(self.app, "risk", self.show)

    def show(self, snapshot: RiskSnapshot | None) -> None:
        self.snapshot = snapshot
        self.redraw()

    def segments(self, narrow: bool) -> list[Text | None]:
        return list(risk_text.banner_segments(self.snapshot, narrow=narrow))
