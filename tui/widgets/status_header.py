"""The header line: server connection state and each feed's state, tick rate and last-tick age."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from clients.sdk import ConnectionState, FeedState, FeedStatusReport
from tui import formatting

_FEED_STYLE = {
    FeedState.STREAMING: "green",
    FeedState.STALE: "yellow",
    FeedState.RECONNECTING: "yellow",
    FeedState.CONNECTING: "yellow",
    FeedState.STARTING: "yellow",
    FeedState.AUTH_FAILED: "bold red",
    FeedState.STOPPED: "red",
}
_CONNECTION_STYLE = {
    ConnectionState.CONNECTED: "green",
    ConnectionState.RECONNECTING: "bold red",
    ConnectionState.CLOSED: "red",
}


class StatusHeader(Static):
    """One line: `Vigil  server <target> <state>  │  feed <name> <state> <n> ticks/s last tick <age>`."""

    def __init__(self, target: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.target = target
        self.connection = ConnectionState.IDLE
        self.report: FeedStatusReport | None = None
        self.problem = ""

    def on_mount(self) -> None:
        self._render_line()

    def set_connection(self, state: ConnectionState) -> None:
        self.connection = state
        if state is not ConnectionState.CONNECTED:
            self.report = None  # feed figures from before the link dropped would mislead
        self._render_line()

    def set_feed_status(self, report: FeedStatusReport) -> None:
        if self.connection is not ConnectionState.CONNECTED:
            return  # a report still in flight when the link dropped describes a server we cannot see
        self.report = report
        self._render_line()

    def set_problem(self, text: str) -> None:
        self.problem = text
        self._render_line()

    @property
    def plain(self) -> str:
        return self._line().plain

    def _render_line(self) -> None:
        self.update(self._line())

    def _line(self) -> Text:
        line = Text()
        line.append(" Vigil ", style="bold reverse")
        line.append(f"  server {self.target} ")
        line.append(formatting.CONNECTION_TEXT[self.connection], style=_CONNECTION_STYLE.get(self.connection, "yellow"))
        line.append("  │  ")
        if self.report is None or not self.report.feeds:
            line.append("feed " + formatting.BLANK, style="dim")
        for i, feed in enumerate(self.report.feeds if self.report else ()):
            if i:
                line.append("; ")
            line.append(f"feed {feed.name} ")
            line.append(feed.state.value, style=_FEED_STYLE.get(feed.state, ""))
            line.append(
                f"  {formatting.rate(feed.ticks_per_second)} ticks/s  last tick {formatting.age(feed.last_tick_age_ns)}"
            )
        if self.report is not None and not self.report.store.available:
            line.append("  │  ")
            line.append("store unavailable", style="bold red")
        if self.problem:
            line.append("  │  ")
            line.append(self.problem, style="bold red")
        return line
