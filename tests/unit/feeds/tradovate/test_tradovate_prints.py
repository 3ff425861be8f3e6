"""Every print once (issue 13 §4): the live tick chart's baseline and live prints, de-duplication by tick id, and
a backfill that pages backwards through a server's cap until it reaches the newest delivered print."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from typing import Any

import pytest

from core_server.feeds.tradovate.config import TradovateConfig
from core_server.feeds.tradovate.connection import OnResponse, Response
from core_server.feeds.tradovate.history import HistoryFetcher
from core_server.feeds.tradovate.messages import ChartTick, timestamp_ns
from core_server.feeds.tradovate.prints import LiveChart, PrintMarks
from core_server.model.instruments import Contract

NQ = Contract("NQ", 2026, 12)
MS = 1_000_000
BASE_MS = 1_795_000_000_000  # 2026-11-18
PRINTS = [ChartTick((BASE_MS + i // 2) * MS, 500 + i, 101_300 + i % 7, 1 + i % 3) for i in range(100)]


def packet(chart_id: int, ticks: list[ChartTick]) -> dict[str, Any]:
    bt, bp = ticks[0].ts_ns // MS, ticks[0].price
    return {
        "id": chart_id, "bp": bp, "bt": bt, "ts": Decimal("0.25"),
        "tks": [{"t": t.ts_ns // MS - bt, "p": t.price - bp, "s": t.size, "id": t.tick_id} for t in ticks],
    }  # fmt: skip


class CappedServer:
    """A stand-in md connection serving getChart from PRINTS, at most `cap` newest ticks per request."""

    def __init__(self, fetcher: HistoryFetcher, prints: list[ChartTick], cap: int) -> None:
        self.fetcher, self.prints, self.cap = fetcher, prints, cap
        self.requests: list[dict[str, Any]] = []
        self.cancels = 0
        self._ids = 10

    async def request(self, endpoint: str, body: str = "", *, on_response: OnResponse | None = None) -> Response:
        payload = json.loads(body)
        self.requests.append(payload)
        time_range = payload["timeRange"]
        far = timestamp_ns(time_range["asFarAsTimestamp"])
        closest = timestamp_ns(time_range["closestTimestamp"]) if "closestTimestamp" in time_range else None
        found = [t for t in self.prints if t.ts_ns >= far and (closest is None or t.ts_ns <= closest)]
        found = found[-min(self.cap, time_range["asMuchAsElements"]) :]
        self._ids += 2
        response = Response(200, {"historicalId": self._ids, "realtimeId": self._ids + 1})
        assert on_response is not None
        on_response(response)
        charts = [packet(self._ids, found[i : i + 7]) for i in range(0, len(found), 7)]
        self.fetcher.on_charts({"charts": [*charts, {"id": self._ids, "eoh": True}]})
        return response

    def send_soon(self, endpoint: str, body: str = "") -> None:
        self.cancels += 1


def fetcher(**overrides: Any) -> HistoryFetcher:
    config = dataclasses.replace(TradovateConfig(username="u", password="p"), **overrides)
    return HistoryFetcher(config, lambda what, error: None)


async def test_a_capped_server_is_paged_back_until_the_newest_delivered_print_is_reached() -> None:
    history = fetcher(history_page_size=5000, history_max_pages=50)
    server = CappedServer(history, PRINTS, cap=9)
    start = PRINTS[20].ts_ns  # the newest print delivered before the gap
    result = await history.fetch(server, NQ, start)  # type: ignore[arg-type]
    assert result.ticks is not None
    assert [t.tick_id for t in result.ticks] == [t.tick_id for t in PRINTS if t.ts_ns >= start]
    assert result.pages == len(server.requests) == server.cancels and result.pages >= 80 // 9
    assert all("closestTimestamp" in r["timeRange"] for r in server.requests[1:])


async def test_history_that_ends_before_the_gap_start_is_not_a_covered_gap() -> None:
    history = fetcher(history_page_size=5000, history_max_pages=50)
    server = CappedServer(history, PRINTS[40:], cap=9)  # the server no longer has prints 0..39
    result = await history.fetch(server, NQ, PRINTS[20].ts_ns)  # type: ignore[arg-type]
    assert result.ticks is None


async def test_more_pages_than_allowed_is_not_a_covered_gap() -> None:
    history = fetcher(history_page_size=5000, history_max_pages=3)
    server = CappedServer(history, PRINTS, cap=9)
    result = await history.fetch(server, NQ, PRINTS[0].ts_ns)  # type: ignore[arg-type]
    assert (result.ticks, result.pages) == (None, 3)


async def test_without_an_anchor_a_short_page_is_the_whole_history() -> None:
    history = fetcher(history_page_size=50, history_max_pages=5)
    server = CappedServer(history, PRINTS[60:], cap=100)
    result = await history.fetch(server, NQ, PRINTS[10].ts_ns, anchored=False)  # type: ignore[arg-type]
    assert result.ticks is not None and len(result.ticks) == 40 and result.pages == 1


def test_marks_admit_each_print_once_by_id_even_at_the_same_millisecond() -> None:
    marks = PrintMarks()
    assert marks.admit(NQ.id, PRINTS[:5]) == PRINTS[:5]
    # PRINTS[4] and [5] share a millisecond: the live [5] is new, the re-sent [4] is not
    assert marks.admit(NQ.id, [PRINTS[4], PRINTS[5], PRINTS[5], PRINTS[3]]) == [PRINTS[5]]
    assert marks.last_ts(NQ.id) == PRINTS[5].ts_ns


def test_a_baseline_anchors_a_backfill_but_is_never_delivered() -> None:
    marks = PrintMarks()
    marks.set_baseline(NQ.id, PRINTS[10])
    assert marks.known(NQ.id) and marks.last_ts(NQ.id) == PRINTS[10].ts_ns
    assert marks.admit(NQ.id, PRINTS[9:13]) == [PRINTS[11], PRINTS[12]]
    marks.set_baseline(NQ.id, PRINTS[1])  # only the first baseline counts
    assert marks.last_ts(NQ.id) == PRINTS[12].ts_ns


@pytest.mark.parametrize("split", [True, False])
def test_the_live_chart_takes_its_history_as_baseline_and_the_rest_as_live_prints(split: bool) -> None:
    live: list[ChartTick] = []
    baselines: list[ChartTick] = []
    chart = LiveChart(NQ, lambda c, ticks: live.extend(ticks), lambda c, tick: baselines.append(tick))
    chart.on_response({"historicalId": 7, "realtimeId": 8} if split else {"subscriptionId": 7})
    chart.on_packet(packet(7, PRINTS[30:31]))
    chart.on_packet({"id": 7, "eoh": True})
    chart.on_packet(packet(8 if split else 7, PRINTS[31:35]))
    assert baselines == [PRINTS[30]] and live == PRINTS[31:35]
