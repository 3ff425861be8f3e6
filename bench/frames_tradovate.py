"""Tradovate md frames per second on one core, through the adapter's receive path after the websocket.

Each frame goes through `decode_frame` (JSON with exact Decimals), the md connection's dispatch, the
feed's event routing and `QuoteParser.parse` (or, for tick charts, `decode_tick_packet`), and the ticks
are delivered to a no-op sink. Frames are built the way the fake server builds them.
"""

from __future__ import annotations

import asyncio
import json
import time
from functools import cache
from typing import Any, Literal

from bench.null_sink import NullSink
from core_server.feeds.fakes.tradovate_md import chart_packets, iso_ms, quote_entries, snapshot_entries
from core_server.feeds.fakes.tradovate_script import TickScript
from core_server.feeds.tradovate.config import TradovateConfig
from core_server.feeds.tradovate.connection import MdConnection, Response
from core_server.feeds.tradovate.feed import TradovateFeed
from core_server.feeds.tradovate.framing import FrameKind, decode_frame
from core_server.feeds.tradovate.history import ChartHistory
from core_server.feeds.tradovate.prints import LiveChart
from core_server.model.clock import LiveClock
from core_server.model.instruments import Contract

Style = Literal["snapshot", "delta"]

NQ, ES = Contract("NQ", 2026, 12), Contract("ES", 2026, 12)
TRADOVATE_IDS = {NQ.id: 3_570_000, ES.id: 3_570_001}
MESSAGES = 100_000  # quote frames per pass
CHART_TICKS = 200_000  # prints per chart pass
CHART_PACKET_TICKS = 500  # as many prints per packet as the fake's history packets
START_MS = 1_795_000_000_000
START_PRICES = {"NQ": "25000", "ES": "6800"}


@cache
def _script(contract: Contract, prints: int) -> TickScript:
    start_price = contract.spec.ticks_from_price(START_PRICES[contract.root])
    tradovate_id = TRADOVATE_IDS[contract.id]
    return TickScript.random_walk(
        contract.tradovate_symbol,
        tradovate_id,
        contract.spec.tick_size,
        seed=tradovate_id,
        count=prints,
        start_ms=START_MS,
        start_price=start_price,
        mean_gap_ms=50.0,
    )


def _frame(messages: list[Any]) -> str:
    return "a" + json.dumps(messages, separators=(",", ":"))


@cache
def frames(style: Style, count: int = MESSAGES) -> tuple[str, ...]:
    """One md quote event per frame, NQ and ES interleaved in time: every entry ("snapshot", the fake's
    default) or only what changed since the previous print ("delta")."""
    timeline = []
    for script in (_script(NQ, count // 2), _script(ES, count - count // 2)):
        previous = script.opening
        for current in script.prints:
            entries = (
                snapshot_entries(script, current) if style == "snapshot" else quote_entries(script, previous, current)
            )
            quote = {"timestamp": iso_ms(current.ts_ms), "contractId": script.contract_id, "entries": entries}
            timeline.append((current.ts_ms, script.contract_id, _frame([{"e": "md", "d": {"quotes": [quote]}}])))
            previous = current
    timeline.sort(key=lambda item: item[:2])
    return tuple(frame for _, _, frame in timeline)


@cache
def chart_frames(ticks: int = CHART_TICKS, per_packet: int = CHART_PACKET_TICKS, chart_id: int = 1) -> tuple[str, ...]:
    """NQ tick-chart packets for `chart_id`, one packet per frame."""
    script = _script(NQ, ticks)
    packets = chart_packets(script, script.prints, chart_id, per_packet)
    return tuple(_frame([{"e": "chart", "d": {"charts": [packet]}}]) for packet in packets)


async def _receive(data: tuple[str, ...], feed: TradovateFeed) -> float:
    """Feed `data` through what `MdConnection.read` does with each frame after `ws.recv()`; returns seconds."""
    config = feed._config
    conn = MdConnection(None, config, feed._stats, feed._on_events)  # type: ignore[arg-type]
    max_bytes, stats, dispatch = config.max_frame_bytes, feed._stats, conn._dispatch
    started = time.perf_counter()
    for raw in data:
        frame = decode_frame(raw, max_bytes)
        if frame.kind is FrameKind.ARRAY:
            stats.record_message(len(frame.messages))
            dispatch(frame.messages)
    return time.perf_counter() - started


def _feed() -> TradovateFeed:
    feed = TradovateFeed(TradovateConfig("bench", "bench"), [NQ, ES], clock=LiveClock())
    feed._sink = NullSink()
    for contract in (NQ, ES):
        feed._tradovate_ids[contract.id] = TRADOVATE_IDS[contract.id]
        feed._parser.add_contract(TRADOVATE_IDS[contract.id], contract)
    return feed


def measure(style: Style = "snapshot", count: int = MESSAGES) -> tuple[int, float]:
    """(messages, seconds) for one pass of `count` quote frames through a fresh feed."""
    data = frames(style, count)
    feed = _feed()
    elapsed = asyncio.run(_receive(data, feed))
    if feed._stats.malformed_frames or not feed._stats.total_ticks:
        raise RuntimeError(f"tradovate bench frames were not understood: {feed._stats.malformed_frames} malformed")
    return len(data), elapsed


def measure_chart(ticks: int = CHART_TICKS) -> tuple[int, float]:
    """(prints, seconds) for one pass of tick-chart history packets through a fresh feed's chart routing."""
    data = chart_frames(ticks)
    feed = _feed()
    chart = ChartHistory(NQ.spec)
    feed._history._opened(chart)(Response(200, {"historicalId": 1, "realtimeId": 2}))
    elapsed = asyncio.run(_receive(data, feed))
    if feed._stats.malformed_frames or chart.failed or len(chart.ticks) != ticks:
        raise RuntimeError(f"tradovate chart frames were not understood: {len(chart.ticks)} of {ticks} decoded")
    return len(chart.ticks), elapsed


LIVE_PRINTS = 100_000  # prints per live-chart pass


def measure_live_chart(per_packet: int = 1, prints: int = LIVE_PRINTS) -> tuple[int, float]:
    """(prints, seconds) for live tick-chart packets of `per_packet` prints (realtime id 2) through the feed's
    whole live trade path: chart routing, decoding, tick-id marks, Trade ticks to the sink."""
    data = chart_frames(prints, per_packet, 2)
    feed = _feed()
    chart = LiveChart(NQ, feed._on_prints, feed._on_baseline)
    chart.on_response({"historicalId": 1, "realtimeId": 2})
    feed._history.register(chart.ids, chart)
    elapsed = asyncio.run(_receive(data, feed))
    if feed._stats.malformed_frames or feed._stats.total_ticks != prints:
        raise RuntimeError(f"tradovate live chart frames were not understood: {feed._stats.total_ticks} of {prints}")
    return prints, elapsed
