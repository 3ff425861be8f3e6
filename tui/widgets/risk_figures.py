"""The Risk screen's figures of one account: state, rules in force, equity, peak, daily loss, drawdown, lock."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui import formatting, risk_text
from tui.risk_messages import RiskSnapshot


class RiskFigures(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: RiskSnapshot | None = None
        self.rules_name = ""  # the preset the account's rules started from, "" for custom or unknown
        self.plain = ""

    def on_mount(self) -> None:
        self._render_lines()

    def show(self, snapshot: RiskSnapshot | None, rules_name: str | None = None) -> None:
        self.snapshot = snapshot
        if rules_name is not None:
            self.rules_name = rules_name
        self._render_lines()

    def _render_lines(self) -> None:
        text = Text()
        snapshot = self.snapshot
        status = snapshot.status if snapshot is not None else None
        if snapshot is None or status is None:
            text.append("Account ", style="bold").append(snapshot.account_id if snapshot else formatting.BLANK)
            text.append(f"\nrisk {formatting.BLANK}  {snapshot.problem if snapshot else ''}", style="dim")
        else:
            text.append("Account ", style="bold").append(status.account_id, style="bold cyan")
            text.append("  state ").append(
                f" {status.state.value.upper()} ", style=risk_text.STATE_STYLE.get(status.state, "bold")
            )
            text.append(f"  rules {self.rules_name or 'custom'}")
            text.append(f"\nTrading day {status.trading_day}  equity {formatting.money(status.equity)}  ")
            text.append(f"peak {formatting.money(status.peak_balance)}")
            text.append("\n").append(
                risk_text.daily_loss(status), style=risk_text.share_style(risk_text.daily_loss_share(status))
            )
            text.append(f"\nDrawdown threshold {formatting.money(status.drawdown_threshold)}  ")
            text.append(risk_text.to_drawdown(status))
            locked = f"locked until {formatting.clock(status.locked_until_ns)} UTC" if status.locked_until_ns else ""
            text.append(f"\n{locked}  " if locked else "\n")
            if status.emergency_stop:
                text.append(" EMERGENCY STOP ", style="bold reverse red").append("  U resumes  ")
            text.append(status.reason, style="italic")
        self.plain = text.plain
        self.update(text)
