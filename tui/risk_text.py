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


def to_drawdown(status: RiskStatus, *, short: bool = False) -> str:
    return f"to {'' if short else 'trailing '}drawdown {formatting.money(status.distance_to_threshold)}"


def banner_segments(snapshot: RiskSnapshot | None, *, narrow: bool = False) -> list[Text]:
    """The banner's parts: the state in its colour and the account, daily loss, distance to the drawdown, stop
    and reason (a status line packs them into one line, or more when narrow)."""
    status = snapshot.status if snapshot is not None else None
    if snapshot is None or status is None:
        head = Text(f" risk {formatting.BLANK}", style="dim")
        if snapshot is not None and snapshot.problem:
            head.append(f"  {snapshot.account_id}: {snapshot.problem}")
        return [head]
    head = Text(" ").append(f" {status.state.value.upper()} ", style=STATE_STYLE.get(status.state, "bold"))
    out = [
        head.append(f" {status.account_id}", style="bold"),
        Text(daily_loss(status), style=share_style(daily_loss_share(status))),
        Text(to_drawdown(status, short=narrow)),
    ]
    if status.emergency_stop:
        out.append(Text(" EMERGENCY STOP ", style="bold reverse red"))
    if status.state is not RiskState.SAFE and status.reason:
        out.append(Text(status.reason, style="italic"))
    return out


def banner(snapshot: RiskSnapshot | None) -> Text:
    """The banner on one line."""
    return Text("  │  ", style="dim").join(banner_segments(snapshot))


def order_question(status: RiskStatus | None, order: str) -> str | None:
    """The question to ask before sending `order` while the risk is elevated; None when it can go unasked."""
    if status is None or status.state not in ASK_BEFORE_ORDERS:
        return None
    share = daily_loss_share(status)
    used = f"{percent(share)} of the daily loss used" if share is not None else status.reason or "limits near"
    return f"Risk is {status.state.value.upper()}: {used}. Send the order ({order})?"
