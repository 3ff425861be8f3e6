"""Messages the stream workers post to the screens; tick-rate ones coalesce when the UI lags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.message import Message

from clients.sdk import (
    Candle,
    ConnectionState,
    FeedStatusReport,
    Instrument,
    Quote,
    Signal,
    SignalUpdate,
    Timeframe,
)


class ConnectionChanged(Message, bubble=False):
    def __init__(self, state: ConnectionState) -> None:
        super().__init__()
        self.state = state


class FeedStatusChanged(Message, bubble=False):
    def __init__(self, report: FeedStatusReport) -> None:
        super().__init__()
        self.report = report

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FeedStatusChanged)


class InstrumentsLoaded(Message, bubble=False):
    def __init__(self, instruments: Sequence[Instrument]) -> None:
        super().__init__()
        self.instruments = tuple(instruments)


class QuotesChanged(Message, bubble=False):
    """The latest quote of every contract seen so far, so a newer message can stand in for an older one."""

    def __init__(self, quotes: Mapping[str, Quote]) -> None:
        super().__init__()
        self.quotes = dict(quotes)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, QuotesChanged)


class DayBarsChanged(Message, bubble=False):
    """The forming (or last) trading-day candle of every streaming contract."""

    def __init__(self, bars: Mapping[str, Candle]) -> None:
        super().__init__()
        self.bars = dict(bars)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DayBarsChanged)


class CandleHistoryLoaded(Message, bubble=False):
    def __init__(self, contract_id: str, timeframe: Timeframe, candles: Sequence[Candle]) -> None:
        super().__init__()
        self.contract_id = contract_id
        self.timeframe = timeframe
        self.candles = tuple(candles)


class FormingCandlesChanged(Message, bubble=False):
    """The forming candle of each streamed timeframe of one contract."""

    def __init__(self, contract_id: str, forming: Mapping[Timeframe, Candle]) -> None:
        super().__init__()
        self.contract_id = contract_id
        self.forming = dict(forming)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FormingCandlesChanged) and message.contract_id == self.contract_id


class CandleClosed(Message, bubble=False):
    """A final candle; never coalesced, so the recent-candles table misses none."""

    def __init__(self, candle: Candle) -> None:
        super().__init__()
        self.candle = candle


class StreamFailed(Message, bubble=False):
    """A stream stopped on an error that retrying will not fix (bad key, bad request, server bug)."""

    def __init__(self, stream: str, error: BaseException) -> None:
        super().__init__()
        self.stream = stream
        self.error = error


class SignalUpdated(Message, bubble=False):
    """One signal lifecycle event; never coalesced, because every decision belongs in the feed."""

    def __init__(self, update: SignalUpdate) -> None:
        super().__init__()
        self.update = update


class LiveSignalsLoaded(Message, bubble=False):
    """Every live signal after a reconnect, so rows of signals settled during the outage can go."""

    def __init__(self, signals: Sequence[Signal]) -> None:
        super().__init__()
        self.signals = tuple(signals)
