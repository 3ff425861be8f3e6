"""Stream workers of the Market screen: each runs one SDK call and posts Messages to the screen."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from textual import work
from textual.message import Message

from clients.sdk import (
    Candle,
    DeadlineExceededError,
    Instrument,
    NotFoundError,
    Quote,
    Timeframe,
    UnavailableError,
    VigilClient,
    VigilError,
)
from tui.messages import (
    CandleClosed,
    CandleHistoryLoaded,
    ConnectionChanged,
    DayBarsChanged,
    FormingCandlesChanged,
    InstrumentsLoaded,
    QuotesChanged,
    StreamFailed,
)

_T = TypeVar("_T")

HISTORY_CANDLES = 120  # enough for the chart; the table shows the last 20
RETRY_MAX_S = 5.0
INSTRUMENTS_RECHECK_S = 60.0  # how often the instruments are listed again (a front month rolls at 17:00 CT)
REPAINT_INTERVAL_S = 0.1  # tick-rate state reaches the screen at most ten times a second


class Pacer:
    """Calls `publish` at most once per interval, and only after `mark()`: a flood of ticks becomes a
    steady repaint rate, and the newest state is never held back longer than one interval."""

    def __init__(self, publish: Callable[[], object], interval_s: float = REPAINT_INTERVAL_S) -> None:
        self._publish = publish
        self._interval_s = interval_s
        self._dirty = False
        self._task: asyncio.Task[None] | None = None

    def mark(self) -> None:
        self._dirty = True
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            if self._dirty:
                self._dirty = False
                self._publish()
            await asyncio.sleep(self._interval_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class MarketStreams:
    """Workers for a screen that sets `client`. Each group is exclusive: starting one cancels its predecessor.

    The SDK already resumes streams after connection loss; these workers only retry one-shot calls
    and report errors that retrying cannot fix.
    """

    client: VigilClient

    if TYPE_CHECKING:

        def post_message(self, message: Message) -> bool: ...

    @work(exclusive=True, group="connection")
    async def run_connection(self) -> None:
        async for state in self.client.watch_connection():
            self.post_message(ConnectionChanged(state))

    @work(exclusive=True, group="instruments")
    async def run_instruments(self) -> None:
        """The instruments, then again whenever a front month or what streams changes (a roll while the TUI runs:
        the server streams the new month), checked every INSTRUMENTS_RECHECK_S."""
        shown: tuple[tuple[str, str, bool], ...] | None = None
        while True:
            try:
                instruments = await self._until_answered(self.client.list_instruments)
            except VigilError as error:
                if shown is None:
                    self.post_message(StreamFailed("instruments", error))
                    return
                instruments = None  # a later check that fails: the next one tries again
            if instruments is not None:
                fronts = tuple((i.root, i.front_contract.contract_id, i.streaming) for i in instruments)
                if fronts != shown:
                    shown = fronts
                    self.post_message(InstrumentsLoaded(instruments))
            await asyncio.sleep(INSTRUMENTS_RECHECK_S)

    @work(exclusive=True, group="quotes")
    async def run_quotes(self, contract_ids: tuple[str, ...]) -> None:
        latest: dict[str, Quote] = {}
        pacer = Pacer(lambda: self.post_message(QuotesChanged(latest)))
        try:
            # The last known quote of each contract first: a quiet market still shows its prices at once.
            for contract_id in contract_ids:
                try:
                    latest[contract_id] = (await self.client.get_quote(contract_id)).quote
                except NotFoundError:  # nothing quoted yet: the stream brings the first one
                    continue
                except VigilError:  # the server cannot answer now: the stream reports it and retries
                    break
            if latest:
                pacer.mark()
            async for batch in self.client.stream_quotes(contract_ids):
                for quote in batch.quotes:
                    latest[quote.contract_id] = quote
                if batch.quotes:
                    pacer.mark()
        except VigilError as error:
            self.post_message(StreamFailed("quotes", error))
        finally:
            await pacer.stop()

    @work(exclusive=True, group="day-bars")
    async def run_day_bars(self, contract_ids: tuple[str, ...]) -> None:
        """The trading-day candle of each contract: its open gives the change, its volume the day's volume."""
        bars: dict[str, Candle] = {}
        pacer = Pacer(lambda: self.post_message(DayBarsChanged(bars)))

        async def follow(contract_id: str) -> None:
            async for candles in self.client.stream_candles(contract_id, [Timeframe.D1]):
                for candle in candles:
                    known = bars.get(candle.contract_id)
                    if known is None or candle.start_ns >= known.start_ns:
                        bars[candle.contract_id] = candle
                pacer.mark()

        try:
            async with asyncio.TaskGroup() as group:
                for contract_id in contract_ids:
                    group.create_task(follow(contract_id))
        except* VigilError as failures:
            self.post_message(StreamFailed("day candles", failures.exceptions[0]))
        finally:
            await pacer.stop()

    @work(exclusive=True, group="candles")
    async def run_candles(self, instrument: Instrument, timeframe: Timeframe) -> None:
        """History of `timeframe`, then its closed candles and its forming candle."""
        contract_id = instrument.front_contract.contract_id
        forming: dict[Timeframe, Candle] = {}
        pacer = Pacer(lambda: self.post_message(FormingCandlesChanged(contract_id, forming)))
        try:
            if not instrument.streaming:
                await self._post_history(contract_id, timeframe)
                return
            first = True
            async for candles in self.client.stream_candles(contract_id, [timeframe]):
                if first:
                    # History after the snapshot arrives: a candle closing meanwhile comes twice, never zero times.
                    await self._post_history(contract_id, timeframe)
                    first = False
                for candle in candles:
                    if not candle.closed:
                        forming[candle.timeframe] = candle
                        pacer.mark()
                    else:
                        self.post_message(CandleClosed(candle))
        except VigilError as error:
            self.post_message(StreamFailed("candles", error))
        finally:
            await pacer.stop()

    async def _post_history(self, contract_id: str, timeframe: Timeframe) -> None:
        history = await self._until_answered(
            lambda: self.client.list_candles(contract_id, timeframe, limit=HISTORY_CANDLES)
        )
        self.post_message(CandleHistoryLoaded(contract_id, timeframe, history))

    async def _until_answered(self, call: Callable[[], Awaitable[_T]]) -> _T:
        """Retry a one-shot call while the server is away or slow; other errors propagate."""
        delay = 0.5
        while True:
            try:
                return await call()
            except (UnavailableError, DeadlineExceededError):
                await asyncio.sleep(delay)
                delay = min(RETRY_MAX_S, delay * 2)
