"""What the notifier sends: one Notification per event a trader may want on their phone or in a chat."""

from __future__ import annotations

from dataclasses import dataclass

# fill: a fill on a paper account; strategy: a strategy's action; signal: a signal decision; risk: an account's
# risk state changed (warning, danger, locked, failed); feed: the market-data feed went down or came back;
# daily_report: the day's report at the trading-day roll; coaching: a coaching rule fired.
EVENT_KINDS = ("fill", "strategy", "signal", "risk", "feed", "daily_report", "coaching")


@dataclass(frozen=True, slots=True)
class Notification:
    kind: str
    title: str
    text: str = ""
    ts_ns: int = 0
    account_id: str = ""
    data: tuple[tuple[str, str], ...] = ()  # exact figures as text, for the JSON webhook
