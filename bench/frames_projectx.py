"""ProjectX market-hub messages per second on one core, through the adapter's receive path after the websocket.

Covers record splitting, SignalR decoding, payload decoding to Decimal, tick conversion, quote merging and
delivery to a no-op sink.
"""

from __future__ import annotations

import time
from functools import cache

from bench.null_sink import NullSink
from core_server.feeds.fakes.market_script import MarketScript
from core_server.feeds.projectx import ProjectXConfig, ProjectXFeed
from core_server.feeds.projectx.hub import HubConnection
from core_server.model.clock import NS_PER_SECOND, LiveClock
from core_server.model.instruments import Contract

NQ = Contract("NQ", 2026, 12)
MESSAGES = 100_000


@cache
def frames(count: int = MESSAGES) -> tuple[str, ...]:
    """GatewayTrade and GatewayQuote invocations as the hub sends them (quotes carry only the side that moved)."""
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
    return tuple(out)


def measure(count: int = MESSAGES) -> tuple[int, float]:
    """(messages, seconds) for one pass of `count` messages through a fresh feed."""
    data = frames(count)
    config = ProjectXConfig("bench", "bench")
    feed = ProjectXFeed(config, [NQ], LiveClock())
    feed._sink = NullSink()
    feed._parser.add_contract(NQ.projectx_id, NQ.id, NQ.spec)
    hub = HubConnection(None, config, feed._stats, feed._on_invocations)  # type: ignore[arg-type]
    handle, reader = hub._handle, hub._reader
    started = time.perf_counter()
    for frame in data:
        handle(reader.feed(frame))
    elapsed = time.perf_counter() - started
    if feed._stats.malformed_frames or not feed._stats.total_ticks:
        raise RuntimeError(f"projectx bench frames were not understood: {feed._stats.malformed_frames} malformed")
    return len(data), elapsed
