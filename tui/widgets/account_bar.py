"""One line about the shown paper account: its name, balance, equity, P&L and commissions."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from clients.sdk import Account
from tui import formatting


class AccountBar(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.account: Account | None = None
        self.position_of = (0, 0)  # (index, count) among the server's accounts
        self.plain = ""

    def on_mount(self) -> None:
        self._render_line()

    def show(self, account: Account | None, index: int = 0, count: int = 0) -> None:
        self.account = account
        self.position_of = (index, count)
        self._render_line()

    def _render_line(self) -> None:
        account = self.account
        line = Text()
        if account is None:
            line.append("Account ", style="bold").append("loading…", style="dim")
        else:
            index, count = self.position_of
            line.append("Account ", style="bold").append(account.name, style="bold cyan")
            if count > 1:
                line.append(f" {index + 1}/{count}", style="dim")
            for label, value, styled in (
                ("Balance", account.balance, False),
                ("Equity", account.equity, False),
                ("Realised", account.realized_pnl, True),
                ("Unrealised", account.unrealized_pnl, True),
                ("Commissions", account.commissions, False),
            ):
                line.append("  │ ", style="dim").append(f"{label} ")
                line.append(formatting.money(value), style=formatting.pnl_style(value) if styled else "bold")
        self.plain = line.plain
        self.update(line)
