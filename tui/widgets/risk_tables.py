"""The Risk screen's tables: each rule's current value against its limit, and the audit log, newest on top."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from clients.sdk import RiskEvent, RiskState, RuleUsage
from tui import formatting, risk_text
from tui.widgets.keyed_table import KeyedTable, cell

LOG_ROWS = 200
KIND_STYLE = {
    "order_allowed": "green",
    "order_denied": "bold red",
    "breach": "bold red",
    "locked": "bold red",
    "failed": "bold reverse red",
    "unlocked": "green",
    "emergency_stop": "bold reverse red",
    "resumed": "green",
    "status_changed": "yellow",
}


class RuleUsageTable(KeyedTable):
    """One row per rule the server reports, keyed by rule name; cells change in place."""

    COLUMNS = (
        ("rule", "Rule", 24),
        ("current", "Current", 12),
        ("limit", "Limit", 12),
        ("used", "Used", 6),
    )

    def apply(self, rules: Sequence[RuleUsage]) -> None:
        for usage in rules:
            style = risk_text.share_style(usage.used)
            self.upsert(
                usage.rule,
                [
                    cell(usage.rule.replace("_", " "), "bold"),
                    cell(usage.current or formatting.BLANK, right=True),
                    cell(usage.limit or formatting.BLANK, right=True),
                    cell(risk_text.percent(usage.used), style, right=True),
                ],
            )
        self.drop_all_but(u.rule for u in rules)


class _Stamp(Text):
    """The time cell; it carries the event's sequence number, by which the rows are sorted newest first."""

    def __init__(self, text: str, order: tuple[int, int]) -> None:
        super().__init__(text)
        self.order = order


def _order(value: object) -> tuple[int, int]:
    return value.order if isinstance(value, _Stamp) else (-1, -1)


class RiskEventLog(KeyedTable):
    """Rows keyed by seq and time, so events replayed again (after a stream is reopened) show once; bounded."""

    COLUMNS = (
        ("time", "UTC", 8),
        ("kind", "Event", 14),
        ("rule", "Rule", 20),
        ("state", "State", 7),
        ("reason", "Reason", 80),
    )

    def __init__(self, *, id: str | None = None, limit: int = LOG_ROWS) -> None:
        super().__init__(id=id)
        self.limit = limit
        self.events: dict[str, RiskEvent] = {}

    @property
    def newest_first(self) -> list[RiskEvent]:
        return sorted(self.events.values(), key=lambda e: (e.ts_ns, e.seq), reverse=True)

    def add(self, event: RiskEvent) -> None:
        key = f"{event.seq}|{event.ts_ns}"
        if key in self.events:
            return
        self.events[key] = event
        self.upsert(
            key,
            [
                _Stamp(formatting.clock(event.ts_ns), (event.ts_ns, event.seq)),
                cell(event.kind, KIND_STYLE.get(event.kind, "")),
                cell(event.rule.replace("_", " ") or formatting.BLANK),
                cell(event.state.value, _state_style(event.state)),
                cell(event.reason),
            ],
        )
        for oldest in self.newest_first[self.limit :]:
            old_key = f"{oldest.seq}|{oldest.ts_ns}"
            del self.events[old_key]
            self.drop(old_key)
        self.sort("time", key=_order, reverse=True)

    def clear_events(self) -> None:
        self.events.clear()
        self.shown.clear()
        self.clear()


def _state_style(state: RiskState) -> str:
    return risk_text.STATE_STYLE.get(state, "").replace("reverse ", "")
