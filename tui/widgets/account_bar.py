"""The shown paper account: its name, balance, equity, P&L and commissions (short words when narrow), and what it
pays per contract per side on the ticket's instrument (its commission rate, all-in)."""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text

from clients.sdk import Account
from tui import formatting
from tui.widgets.packed_line import NARROW_BELOW, PackedLine

# label, short label (under 100 columns), whether the value is coloured by its sign
FIGURES = (
    ("Balance", "Bal", False),
    ("Equity", "Eq", False),
    ("Realised", "Real", True),
    ("Unrealised", "Unr", True),
    ("Commissions", "Comm", False),
)


MODE_STYLES = {"PAPER": "bold black on green", "BOUND": "bold black on yellow", "LIVE": "bold white on red"}


class AccountBar(PackedLine):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.account: Account | None = None
        self.position_of = (0, 0)  # (index, count) among the server's accounts
        self.rates: dict[str, tuple[Decimal, bool]] = {}  # root -> (per side, the account's own rate)
        self.root = ""  # the ticket's instrument
        self.mode = ""  # PAPER, BOUND (bound to a broker, nothing sent) or LIVE; "" unknown
        self.broker = ""

    def show_rates(self, rates: dict[str, tuple[Decimal, bool]]) -> None:
        self.rates = rates
        self.redraw()

    def show_root(self, root: str) -> None:
        self.root = root
        self.redraw()

    def show_mode(self, mode: str, broker: str = "") -> None:
        self.mode, self.broker = mode, broker
        self.redraw()

    def show(self, account: Account | None, index: int = 0, count: int = 0) -> None:
        if account is None or self.account is None or account.account_id != self.account.account_id:
            self.mode = self.broker = ""  # another account: its mode comes with its own load
        self.account = account
        self.position_of = (index, count)
        self.redraw()

    def segments(self, narrow: bool) -> list[Text | None]:
        account = self.account
        head = Text("" if narrow else "Account ", style="bold")
        if account is None:
            return [head.append("account loading…" if narrow else "loading…", style="dim")]
        index, count = self.position_of
        head.append(account.name, style="bold cyan")
        if count > 1:
            head.append(f" {index + 1}/{count}", style="dim")
        if self.mode:  # every order placed from this screen goes where this says
            head.append(" ")
            head.append(f" {self.mode} ", style=MODE_STYLES.get(self.mode, "bold"))
            if self.broker:
                head.append(f" {self.broker}", style="dim")
        out: list[Text | None] = [head]
        values = (account.balance, account.equity, account.realized_pnl, account.unrealized_pnl, account.commissions)
        for (label, short, signed), value in zip(FIGURES, values, strict=True):
            if label == "Commissions" and self.app.size.width < NARROW_BELOW:
                continue  # the balance already counts them, and each fill shows its own
            style = formatting.pnl_style(value) if signed else "bold"
            out.append(Text(f"{short if narrow else label} ").append(formatting.money(value), style=style))
        rate = self.rates.get(self.root)
        if rate is not None:
            fee = Text(f"{self.root} " if narrow else f"Fee {self.root} ")
            fee.append(f"${rate[0]:f}", style="bold")  # exact: a rate may have 4 decimals
            out.append(fee.append("/side" + (" (own)" if rate[1] and not narrow else "")))
        return out
