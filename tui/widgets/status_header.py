"""The header of every screen: the server link (connected, retrying or refused), each feed's health, the store."""

from __future__ import annotations

from rich.text import Text

from clients.sdk import ConnectionState, FeedState, FeedStatus, FeedStatusReport
from tui import formatting
from tui.link_status import LinkStatus
from tui.widgets.packed_line import LINE_BREAK, PackedLine

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


class StatusHeader(PackedLine):
    """First the link and each feed's state, rate and last tick age; then each feed's health figures (uptime,
    reconnects, latency, messages/s, malformed frames, gaps, anomalies) and the store. Under 100 columns: short
    words, and the health figures only while something is wrong. Segments wrap whole. It follows the app's
    `link` reactive, which one set of workers keeps fresh."""

    SHORT_WHEN_SHORTER = False  # the short form also drops the health figures: on a wide screen they stay

    def __init__(self, target: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.target = target
        self.link = LinkStatus()

    def on_mount(self) -> None:
        super().on_mount()
        if hasattr(self.app, "link"):  # a bare App (in a widget test) keeps no link: the header shows `starting`
            self.watch(self.app, "link", self.show)

    def show(self, link: LinkStatus) -> None:
        self.link = link
        self.redraw()

    def segments(self, narrow: bool) -> list[Text | None]:
        link = self.link
        report = link.report if link.connection is ConnectionState.CONNECTED and not link.refused else None
        head = Text(" Vigil ", style="bold reverse")
        head.append(" " if narrow else "  server ", style="").append(f"{self.target} ")
        if link.refused:
            head.append(f"refused: {link.refusal}", style="bold red")
        else:
            state = link.connection
            head.append(formatting.CONNECTION_TEXT[state], style=_CONNECTION_STYLE.get(state, "yellow"))
        out: list[Text | None] = [head]
        if report is None or not report.feeds:
            out.append(Text("feed " + formatting.BLANK, style="dim"))
        else:
            out.extend(_feed_line(feed, narrow) for feed in report.feeds)
        if link.problem and not link.refused:
            out.append(Text(link.problem, style="bold red"))
        if report is not None and (not narrow or _troubled(report)):  # narrow: the details only when they matter
            out.append(LINE_BREAK)
            for feed in report.feeds:
                out.extend(_health(feed, report.server_time_ns, narrow))
            out.append(_store(report, narrow))
        return out


def _troubled(report: FeedStatusReport) -> bool:
    """Anything in the health figures a trader should see now: reconnects, bad frames, lost ticks, no store."""
    return not report.store.available or any(
        f.reconnect_count or f.malformed_frames or f.gaps_unfilled or f.anomalies for f in report.feeds
    )


def _feed_line(feed: FeedStatus, narrow: bool) -> Text:
    line = Text("" if narrow else "feed ").append(f"{feed.name} ")
    line.append(feed.state.value, style=_FEED_STYLE.get(feed.state, ""))
    rate, age = formatting.rate(feed.ticks_per_second), formatting.age(feed.last_tick_age_ns)
    return line.append(f" {rate} t/s last {age}" if narrow else f"  {rate} ticks/s  last tick {age}")


def _health(feed: FeedStatus, now_ns: int, narrow: bool) -> list[Text | None]:
    up = formatting.age(now_ns - feed.connected_since_ns) if feed.connected_since_ns else formatting.BLANK
    last = formatting.age(now_ns - feed.last_message_ns) if feed.last_message_ns else formatting.BLANK
    p50, p99 = formatting.millis(feed.latency_p50_ns), formatting.millis(feed.latency_p99_ns)
    gaps = Text(f"gaps {feed.gaps_filled} filled ", style="dim").append(
        f"{feed.gaps_unfilled} unfilled", style="bold yellow" if feed.gaps_unfilled else ""
    )
    malformed = Text().append(f"malformed {feed.malformed_frames}", style="yellow" if feed.malformed_frames else "dim")
    if narrow:
        return [
            Text(f"up {up} reconnects {feed.reconnect_count}", style="dim"),
            Text(f"p99 {p99}", style="dim"),
            malformed.append(f" gaps {feed.gaps_filled}/", style="dim").append(
                str(feed.gaps_unfilled), style="bold yellow" if feed.gaps_unfilled else "dim"
            ),
        ]
    return [
        Text(f"{feed.name}: up {up}  reconnects {feed.reconnect_count}", style="dim"),
        Text(f"latency p50 {p50} p99 {p99}", style="dim"),
        Text(f"{formatting.rate(feed.messages_per_second)} msg/s  last msg {last}", style="dim"),
        malformed.append("  ").append_text(gaps).append(f"  anomalies {feed.anomalies}", style="dim"),
    ]


def _store(report: FeedStatusReport, narrow: bool) -> Text:
    store = report.store
    if not store.available:
        return Text(f"store unavailable, {formatting.volume(store.buffered_ticks)} ticks buffered", style="bold red")
    if narrow:
        return Text("store ok", style="dim")
    return Text(f"store {store.mode} ok, {formatting.volume(store.written_ticks)} ticks written", style="dim")
