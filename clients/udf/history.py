"""UDF /history: bars of a ticker and resolution from the core's stored and forming candles.

A range [from, to) returns every bar whose UDF time lies in it; with `countback`, `from` is ignored and the
`countback` bars before `to` are returned (paging back over gaps, weekends and contract rolls). With no bar in
the range, the answer is `no_data` with `nextTime`, the time of the closest earlier bar in milliseconds (the
unit of the library's HistoryMetadata.nextTime; the UDF adapter passes it through unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clients.sdk import Candle, Timeframe, VigilClient
from clients.udf.bars import NS_PER_DAY, bar_time_s, bucket_start_ns, first_start_from
from clients.udf.continuous import ContractChain
from clients.udf.errors import UdfRequestError
from clients.udf.symbols import Ticker

MAX_BARS = 20_000  # most bars one answer carries (a range or a countback)
WINDOW_BUCKETS = 10_000  # ListCandles serves at most 10,000 candles over at most 20,000 buckets per call
MAX_RANGE_BUCKETS = 400_000  # a range longer than this many buckets is refused before any call (1m: 277 days)
LOOKBACK_NS = 5 * 366 * NS_PER_DAY  # how far back an empty answer looks for an earlier bar
DAYS_PER_PROBE = 20


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    ticker: Ticker
    timeframe: Timeframe
    to_s: int
    from_s: int | None = None
    countback: int | None = None


class HistoryReader:
    """Reads bars through the SDK's list_candles, following a continuous ticker's contracts."""

    def __init__(self, client: VigilClient, chain: ContractChain) -> None:
        self._client = client
        self._chain = chain

    async def history(self, request: HistoryRequest) -> dict[str, Any]:
        """The UDF /history answer (s ok or no_data) for a validated request."""
        timeframe = request.timeframe
        end_ns = first_start_from(timeframe, request.to_s)
        if request.countback is not None:
            candles = await self._count_back(request.ticker, timeframe, end_ns, request.countback)
            return bar_table(timeframe, candles) if candles else {"s": "no_data"}
        assert request.from_s is not None
        start_ns = first_start_from(timeframe, request.from_s)
        candles = await self._range(request.ticker, timeframe, start_ns, end_ns) if start_ns < end_ns else []
        if candles:
            return bar_table(timeframe, candles)
        earlier = await self.last_before(request.ticker, timeframe, start_ns)
        if earlier is None:
            return {"s": "no_data"}
        return {"s": "no_data", "nextTime": bar_time_s(timeframe, earlier.start_ns) * 1000}

    async def last_before(self, ticker: Ticker, timeframe: Timeframe, end_ns: int) -> Candle | None:
        """The newest bar starting before `end_ns` (within the lookback), or None."""
        async for segment in self._chain.segments_back(ticker, end_ns, max(0, end_ns - LOOKBACK_NS)):
            found = await self._latest_in(segment.contract_id, timeframe, segment.start_ns, segment.end_ns)
            if found is not None:
                return found
        return None

    async def _range(self, ticker: Ticker, timeframe: Timeframe, start_ns: int, end_ns: int) -> list[Candle]:
        duration = timeframe.duration_ns
        if (end_ns - start_ns) // duration > MAX_RANGE_BUCKETS:
            raise UdfRequestError(
                "from",
                f"the range spans more than {MAX_RANGE_BUCKETS} bars of this resolution; narrow it or use countback",
            )
        found: list[Candle] = []
        for segment in await self._chain.segments(ticker, start_ns, end_ns):
            window_start = segment.start_ns
            while window_start < segment.end_ns:
                window_end = min(segment.end_ns, window_start + WINDOW_BUCKETS * duration)
                found += await self._candles(segment.contract_id, timeframe, window_start, window_end, WINDOW_BUCKETS)
                if len(found) > MAX_BARS:
                    raise UdfRequestError(
                        "from", f"the range holds more than {MAX_BARS} bars; narrow it or use countback"
                    )
                window_start = window_end
        return found

    async def _count_back(self, ticker: Ticker, timeframe: Timeframe, end_ns: int, count: int) -> list[Candle]:
        duration = timeframe.duration_ns
        chunks: list[list[Candle]] = []  # newest first
        total = 0
        async for segment in self._chain.segments_back(ticker, end_ns, max(0, end_ns - LOOKBACK_NS)):
            cursor = segment.end_ns
            while total < count and cursor > segment.start_ns:
                window_start = max(segment.start_ns, cursor - WINDOW_BUCKETS * duration)
                batch = await self._candles(
                    segment.contract_id, timeframe, window_start, cursor, min(WINDOW_BUCKETS, count - total)
                )
                if batch:
                    chunks.append(batch)
                    total += len(batch)
                    cursor = batch[0].start_ns
                    continue
                latest = await self._latest_in(segment.contract_id, timeframe, segment.start_ns, window_start)
                if latest is None:
                    break
                cursor = latest.start_ns + 1  # the next window ends just after it
            if total >= count:
                break
        candles = [c for chunk in reversed(chunks) for c in chunk]
        return candles[-count:]

    async def _latest_in(self, contract_id: str, timeframe: Timeframe, lo_ns: int, hi_ns: int) -> Candle | None:
        """The newest `timeframe` candle starting in [lo_ns, hi_ns). Every traded minute lies in a daily candle,
        so the newest daily candles say where to look, however long the gap before `hi_ns`."""
        if lo_ns >= hi_ns:
            return None
        day_floor = max(bucket_start_ns(Timeframe.D1, lo_ns), hi_ns - WINDOW_BUCKETS * NS_PER_DAY)
        if timeframe is Timeframe.D1:
            days = await self._candles(contract_id, Timeframe.D1, max(lo_ns, day_floor), hi_ns, 1)
            return days[-1] if days else None
        day_end = hi_ns
        while day_end > day_floor:
            days = await self._candles(contract_id, Timeframe.D1, day_floor, day_end, DAYS_PER_PROBE)
            if not days:
                return None
            for day in reversed(days):
                start, end = max(lo_ns, day.start_ns), min(day.end_ns, hi_ns)
                if start < end:
                    found = await self._candles(contract_id, timeframe, start, end, 1)
                    if found:
                        return found[-1]
            day_end = days[0].start_ns
        return None

    async def _candles(
        self, contract_id: str, timeframe: Timeframe, start_ns: int, end_ns: int, limit: int
    ) -> list[Candle]:
        if start_ns >= end_ns:
            return []
        return await self._client.list_candles(
            contract_id, timeframe, start_ns=start_ns, end_ns=end_ns, limit=limit, include_forming=True
        )


def bar_table(timeframe: Timeframe, candles: list[Candle]) -> dict[str, Any]:
    """UDF's response-as-a-table: one array per field, prices as exact Decimals (encoded as JSON numbers)."""
    return {
        "s": "ok",
        "t": [bar_time_s(timeframe, c.start_ns) for c in candles],
        "o": [c.open for c in candles],
        "h": [c.high for c in candles],
        "l": [c.low for c in candles],
        "c": [c.close for c in candles],
        "v": [c.volume for c in candles],
    }
