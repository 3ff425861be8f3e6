"""Text forms of risk: state styles, the banner's line, shares of limits, and the Trade screen's order question."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from rich.text import Text

from clients.sdk import RiskState, RiskStatus
from tui import formatting
from tui.risk_messages import RiskSnapshot

STATE_STYLE = {
    RiskState.SAFE: "bold green",
    RiskState.WARNING: "bold yellow",
    RiskState.DANGER: "bold dark_orange",
    RiskState.LOCKED: "bold reverse red",
    RiskState.FAILED: "bold reverse red",
}
ASK_BEFORE_ORDERS = (RiskState.WARNING, RiskState.DANGER)  # LOCKED and FAILED: the server denies, and says why


def percent(share: Decimal | None) -> str:
    """A share of a limit as a whole percentage: Decimal("0.4216") -> 42%."""
    if share is None:
        return formatting.BLANK
    return f"{(share * 100).quantize(Decimal(1), ROUND_HALF_UP)}%"


def share_style(share: Decimal | None) -> str:
    """The colour of a share of a limit, by the same thresholds as the daily loss states."""
    if share is None:
        return ""
    if share < Decimal("0.5"):
        return "green"
    if share < Decimal("0.7"):
        return "yellow"
    if share < Decimal("0.9"):
        return "dark_orange"
    return "bold red"


def daily_loss_share(status: RiskStatus) -> Decimal | None:
    limit = status.daily_loss_limit
    return status.daily_loss_used / limit if limit else None


def daily_loss(status: RiskStatus) -> str:
    """`daily loss $420.00 / $1,000.00 (42%)`, or `daily loss $12.50 (no limit)`."""
    used = formatting.money(status.daily_loss_used)
    if status.daily_loss_limit is None:
        return f"daily loss {used} (no limit)"
    share = percent(daily_loss_share(status))
    return f"daily loss {used} / {formatting.money(status.daily_loss_limit)} ({share})"


def to_drawdown(status: RiskStatus) -> str:
    return f"to trailing drawdown {formatting.money(status.distance_to_threshold)}"


def banner(snapshot: RiskSnapshot | None) -> Text:
    """The banner's one line: the state in its colour, daily loss, distance to the drawdown, stop and reason."""
    line = Text(" ")
    status = snapshot.status if snapshot is not None else None
    if snapshot is None or status is None:
        line.append(f"risk {formatting.BLANK}", style="dim")
        if snapshot is not None and snapshot.problem:
            line.append(f"  {snapshot.account_id}: {snapshot.problem}", style="dim")
        return line
    line.append(f" {status.state.value.upper()} ", style=STATE_STYLE.get(status.state, "bold"))
    line.append(f" {status.account_id}", style="bold")
    line.append("  │  ", style="dim").append(daily_loss(status), style=share_style(daily_loss_share(status)))
    line.append("  │  ", style="dim").append(to_drawdown(status))
    if status.emergency_stop:
        line.append("  │  ", style="dim").append(" EMERGENCY STOP ", style="bold reverse red")
    if status.state is not RiskState.SAFE and status.reason:
        line.append("  │  ", style="dim").append(status.reason, style="italic")
    return line


def order_question(status: RiskStatus | None, order: str) -> str | None:
    """The question to ask before sending `order` while the risk is elevated; None when it can go unasked."""
    if status is None or status.state not in ASK_BEFORE_ORDERS:
        return None
    share = daily_loss_share(status)
    used = f"{percent(share)} of the daily loss used" if share is not None else status.reason or "limits near"
    return f"Risk is {status.state.value.upper()}: {used}. Send the order ({order})?"
