"""Prints how many market-hub messages per second one core turns into ticks (not a test; never asserted).

Run: .venv/bin/python -m tests.unit.feeds.projectx.bench_projectx_parse
Measures the adapter's whole receive path after the websocket: record splitting, SignalR decoding,
payload decoding to Decimal, tick conversion, quote merging and delivery to a no-op sink.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from core_server.feeds.fakes.market_script import MarketScript
from core_server.feeds.projectx import ProjectXConfig, ProjectXFeed
from core_server.feeds.projectx.hub import HubConnection
from core_server.model.clock import NS_PER_SECOND, LiveClock
from core_server.model.feed_status import FeedState
from core_server.model.instruments import Contract
from core_server.model.market_data import FeedGap, Tick

NQ = Contract("NQ", 2026, 12)


class NullSink:
    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        pass

    def on_gap(self, gap: FeedGap) -> None:
        pass

    def on_state(self, state: FeedState, detail: str) -> None:
        pass


def frames(count: int) -> list[str]:
    script = MarketScript.generate([NQ], seed=1, start_ns=1_795_000_000 * NS_PER_SECOND, duration_s=count / 50, rate=50)
    px, fmt, out = NQ.projectx_id, NQ.spec.format_ticks, []
    last = None
    for e in script.events[:count]:
        seconds = e.ts_ns // NS_PER_SECOND
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{e.ts_ns % NS_PER_SECOND // 1000:06d}Z"
        if e.is_trade:
            out.append(
                f'{{"type":1,"target":"GatewayTrade","arguments":["{px}",[{{"symbolId":"F.US.ENQ",'
                f'"price":{fmt(e.price)},"timestamp":"{stamp}","type":{e.side},"volume":{e.size}}}]]}}\x1e'
            )
        else:
            side = f'"bestBid":{fmt(e.bid)},' if last is None or last[0] != e.bid else ""
            side += f'"bestAsk":{fmt(e.ask)},' if last is None or last[1] != e.ask else ""
            last = (e.bid, e.ask)
            out.append(
                f'{{"type":1,"target":"GatewayQuote","arguments":["{px}",{{"symbol":"F.US.ENQ","symbolName":"/NQ",'
                f'"lastPrice":{fmt(e.bid)},{side}"volume":{e.volume},"lastUpdated":"{stamp}","timestamp":"{stamp}"}}]}}\x1e'
            )
    return out


def main() -> None:
    config = ProjectXConfig("bench", "bench")
    feed = ProjectXFeed(config, [NQ], LiveClock())
    feed._sink = NullSink()
    feed._parser.add_contract(NQ.projectx_id, NQ.id, NQ.spec)
    hub = HubConnection(None, config, feed._stats, feed._on_invocations)  # type: ignore[arg-type]
    data = frames(200_000)
    for _ in range(2):
        started = time.perf_counter()
        for frame in data:
            hub._handle(hub._reader.feed(frame))
        elapsed = time.perf_counter() - started
        print(f"projectx: {len(data) / elapsed:,.0f} messages/s ({elapsed / len(data) * 1e6:.2f} us each)")
    print(f"  ticks {feed._stats.total_ticks:,}, malformed {feed._stats.malformed_frames}")


if __name__ == "__main__":
    main()
