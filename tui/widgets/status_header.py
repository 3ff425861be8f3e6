"""The header: server connection, each feed's state and health figures, and the tick store's state."""

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
    """Two lines. First: `Vigil  server <target> <state>  │  feed <name> <state> <n> ticks/s last tick <age>`.
    Second: for each feed, uptime, reconnects, latency, messages/s, malformed frames, gaps and
    anomalies; then the store (ok with ticks written, or unavailable with ticks buffered)."""

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
        if self.problem:
            line.append("  │  ")
            line.append(self.problem, style="bold red")
        line.append("\n")
        line.append_text(self._health_line())
        return line

    def _health_line(self) -> Text:
        line = Text(" ", style="dim")
        if self.report is None:
            return line
        now = self.report.server_time_ns
        for feed in self.report.feeds:
            up = formatting.age(now - feed.connected_since_ns) if feed.connected_since_ns else formatting.BLANK
            line.append(
                f"{feed.name}: up {up}  reconnects {feed.reconnect_count}  "
                f"latency p50 {formatting.millis(feed.latency_p50_ns)} p99 {formatting.millis(feed.latency_p99_ns)}  "
                f"{formatting.rate(feed.messages_per_second)} msg/s  "
                f"last msg {formatting.age(now - feed.last_message_ns) if feed.last_message_ns else formatting.BLANK}  "
            )
            line.append(f"malformed {feed.malformed_frames}", style="yellow" if feed.malformed_frames else "")
            line.append(f"  gaps {feed.gaps_filled} filled ")
            line.append(f"{feed.gaps_unfilled} unfilled", style="bold yellow" if feed.gaps_unfilled else "")
            line.append(f"  anomalies {feed.anomalies}  │  ")
        store = self.report.store
        if store.available:
            line.append(f"store {store.mode} ok, {formatting.volume(store.written_ticks)} ticks written")
        else:
            line.append(
                f"store unavailable, {formatting.volume(store.buffered_ticks)} ticks buffered", style="bold red"
            )
        return line
