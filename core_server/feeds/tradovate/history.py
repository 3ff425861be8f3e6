"""Tick history for gap backfill: md/getChart requests, their packets, paged backwards and merged by tick id."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol

import structlog

from core_server.feeds.tradovate.config import TradovateConfig
from core_server.feeds.tradovate.connection import MdConnection, OnResponse, Response
from core_server.feeds.tradovate.framing import encode_body
from core_server.feeds.tradovate.messages import ChartTick, MalformedMessage, decode_tick_packet, iso_from_ns
from core_server.model.instruments import Contract, InstrumentSpec
from core_server.model.market_data import Tick

log = structlog.get_logger(__name__)

TICK_CHART = {"underlyingType": "Tick", "elementSize": 1, "elementSizeUnit": "UnderlyingUnits", "withHistogram": False}


def chart_request(symbol: str, as_far_as_ns: int, elements: int, closest_ns: int | None = None) -> dict[str, Any]:
    """The getChart body for the ticks from `as_far_as_ns` (inclusive) up to now or `closest_ns`, newest first
    when capped at `elements`."""
    time_range: dict[str, Any] = {"asFarAsTimestamp": iso_from_ns(as_far_as_ns), "asMuchAsElements": elements}
    if closest_ns is not None:
        time_range["closestTimestamp"] = iso_from_ns(closest_ns)
    return {"symbol": symbol, "chartDescription": TICK_CHART, "timeRange": time_range}


class ChartHistory:
    """Collects one getChart request's historical packets until its end-of-history packet.

    The response names a `historicalId` and a `realtimeId` (older servers: one `subscriptionId`);
    packets after `eoh`, or for the realtime id, are live updates and are ignored here.
    """

    def __init__(self, spec: InstrumentSpec) -> None:
        self._spec = spec
        self.historical_id: int | None = None
        self.realtime_id: int | None = None
        self.ticks: list[ChartTick] = []
        self.done = asyncio.Event()
        self.failed = False  # a packet could not be decoded: the history has a hole

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple({i for i in (self.historical_id, self.realtime_id) if i is not None})

    @property
    def cancel_id(self) -> int | None:
        """The id md/cancelChart is sent with: the realtime id, as the official tutorial does."""
        return self.realtime_id if self.realtime_id is not None else self.historical_id

    def on_response(self, data: Any) -> None:
        self.historical_id, self.realtime_id = chart_ids(data)

    def on_packet(self, packet: dict[str, Any]) -> None:
        if self.done.is_set() or packet.get("id") != self.historical_id:
            return
        if packet.get("eoh"):
            self.done.set()
        elif "tks" in packet:
            try:
                self.ticks.extend(decode_tick_packet(packet, self._spec))
            except MalformedMessage:
                self.failed = True
                raise


def merge_pages(pages: Sequence[Sequence[ChartTick]]) -> list[ChartTick]:
    """Ticks of overlapping pages once each (by tick id; by value when ids are missing), in time order.
    Ticks can arrive out of order, so sort by (timestamp, id)."""
    seen: set[object] = set()
    merged: list[ChartTick] = []
    for page in pages:
        page_keys: set[object] = set()
        for tick in page:
            key: object = tick.tick_id if tick.tick_id else tick
            if key in seen:
                continue
            page_keys.add(key)
            merged.append(tick)
        seen |= page_keys
    merged.sort(key=lambda tick: (tick.ts_ns, tick.tick_id))
    return merged


class DeliveredTail:
    """Per contract, the exchange time of the newest delivered tick and every tick delivered at it."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[int, list[Tick]]] = {}

    def record(self, ticks: Sequence[Tick]) -> None:
        last = self._last
        for tick in ticks:
            entry = last.get(tick.contract_id)
            if entry is None or tick.ts_event > entry[0]:
                last[tick.contract_id] = (tick.ts_event, [tick])
            elif tick.ts_event == entry[0]:
                entry[1].append(tick)

    def last_ts(self, contract_id: str) -> int:
        entry = self._last.get(contract_id)
        return entry[0] if entry else -1

    def tail(self, contract_id: str) -> list[Tick]:
        entry = self._last.get(contract_id)
        return list(entry[1]) if entry else []


class ChartPackets(Protocol):
    def on_packet(self, packet: dict[str, Any]) -> None: ...


class HistoryResult(NamedTuple):
    ticks: list[ChartTick] | None  # None: the gap could not be covered
    pages: int  # getChart requests made


class HistoryFetcher:
    """md/getChart over the current connection: charts are registered as their responses arrive (before
    the packets that follow in the same frame), pages are fetched backwards until the gap is covered."""

    def __init__(self, config: TradovateConfig, on_malformed: Callable[[str, Exception], None]) -> None:
        self._config = config
        self._on_malformed = on_malformed
        self._charts: dict[int, ChartPackets] = {}

    def forget_charts(self) -> None:
        self._charts.clear()

    async def fetch(
        self, conn: MdConnection, contract: Contract, start_ns: int, *, anchored: bool = True
    ) -> HistoryResult:
        """Tick history from `start_ns` to now, paging backwards with closestTimestamp until a page reaches
        `start_ns` (the newest print delivered before the gap, so history that reaches it covers the gap),
        de-duplicated by tick id. A server may cap a page below what was asked: a short page is not taken as
        the whole history. `ticks` is None when the gap cannot be covered: refused, timed out, undecodable,
        more pages than allowed, or history that ends before the gap's start. Without an anchor (no print was
        ever seen) a short page is the whole history."""
        config = self._config
        pages: list[list[ChartTick]] = []
        seen: set[object] = set()
        closest: int | None = None
        for number in range(1, config.history_max_pages + 1):
            chart = ChartHistory(contract.spec)
            body = chart_request(contract.tradovate_symbol, start_ns, config.history_page_size, closest)
            response = await conn.request("md/getChart", encode_body(body), on_response=self._opened(chart))
            if response.status != 200 or not chart.ids:
                log.warning("tradovate.history_refused", contract=contract.id, status=response.status)
                return HistoryResult(None, number)
            try:
                async with asyncio.timeout(config.history_timeout_s):
                    await chart.done.wait()
            except TimeoutError:
                log.warning("tradovate.history_timeout", contract=contract.id)
                return HistoryResult(None, number)
            finally:
                self._close(conn, chart)
            if chart.failed:
                return HistoryResult(None, number)
            page = chart.ticks
            pages.append(page)
            keys = {tick.tick_id if tick.tick_id else tick for tick in page}
            progressed = bool(keys - seen)
            seen |= keys
            if page and min(tick.ts_ns for tick in page) <= start_ns:
                return HistoryResult(merge_pages(pages), number)
            if not anchored and len(page) < config.history_page_size:
                return HistoryResult(merge_pages(pages), number)
            if not progressed:  # nothing older: the server's history ends after the gap's start
                log.warning("tradovate.history_short", contract=contract.id, pages=number)
                return HistoryResult(None, number)
            closest = min(tick.ts_ns for tick in page)
        log.warning("tradovate.history_too_long", contract=contract.id, pages=config.history_max_pages)
        return HistoryResult(None, config.history_max_pages)

    def register(self, chart_ids: Sequence[int], chart: ChartPackets) -> None:
        """Route this chart's packets (a live chart) until the connection ends."""
        for chart_id in chart_ids:
            self._charts[chart_id] = chart

    def on_charts(self, data: Any) -> None:
        """A `chart` event: route each packet to the chart it belongs to (others are ignored)."""
        charts = data.get("charts") if type(data) is dict else None
        if type(charts) is not list:
            raise MalformedMessage("chart event without a charts array")
        for packet in charts:
            if type(packet) is not dict:
                raise MalformedMessage("chart packet is not an object")
            chart_id: Any = packet.get("id")
            chart = self._charts.get(chart_id) if type(chart_id) is int else None  # a list is unhashable
            if chart is not None:
                chart.on_packet(packet)

    def _opened(self, chart: ChartHistory) -> OnResponse:
        def opened(response: Response) -> None:
            if response.status != 200:
                return
            try:
                chart.on_response(response.data)
            except MalformedMessage as exc:
                self._on_malformed("getChart response", exc)
                return
            for chart_id in chart.ids:
                self._charts[chart_id] = chart

        return opened

    def _close(self, conn: MdConnection, chart: ChartHistory) -> None:
        """Forget the chart and cancel its realtime part; the cancel's response is not awaited."""
        for chart_id in chart.ids:
            self._charts.pop(chart_id, None)
        if chart.cancel_id is not None:
            conn.send_soon("md/cancelChart", encode_body({"subscriptionId": chart.cancel_id}))


def chart_ids(data: Any) -> tuple[int, int | None]:
    """The historical and realtime chart ids of an md/getChart response (a legacy `subscriptionId` is both);
    the realtime id is None when the response names none."""
    if type(data) is not dict:
        raise MalformedMessage("getChart response without an object payload")
    historical, realtime, legacy = data.get("historicalId"), data.get("realtimeId"), data.get("subscriptionId")
    if type(historical) is int:
        return historical, realtime if type(realtime) is int else None
    if type(legacy) is int:
        return legacy, legacy
    raise MalformedMessage("getChart response names no chart id")
