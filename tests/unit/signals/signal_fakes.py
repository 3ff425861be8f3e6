"""Fakes and builders for the signal validator: a market, a candle history, counting ids, NQ candles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from core_server.calendar.session_table import load_trading_calendar
from core_server.calendar.sessions import TradingCalendar
from core_server.calendar.windows import SessionWindows
from core_server.candles.buckets import bucket_of
from core_server.model.clock import NS_PER_SECOND
from core_server.model.instruments import INSTRUMENTS
from core_server.model.market_data import Aggressor, Candle, Quote, Timeframe, Trade
from core_server.signals.model import SignalDirection, SignalInput
from core_server.signals.settings import SignalSettings
from core_server.signals.validator import SignalValidator

NQ = "NQZ2025"
NQ_SPEC = INSTRUMENTS["NQ"]
S = NS_PER_SECOND


def px(price: str) -> int:
    """NQ ticks of a decimal price."""
    return NQ_SPEC.ticks_from_price(price)


@cache
def calendar() -> TradingCalendar:
    return load_trading_calendar()


class FakeMarket:
    """A MarketView whose latest trade and quote the test sets."""

    def __init__(self) -> None:
        self.trades: dict[str, Trade] = {}
        self.quotes: dict[str, Quote] = {}

    def trade(self, price: str, contract_id: str = NQ) -> None:
        self.trades[contract_id] = Trade(contract_id, 0, 0, px(price), 1, Aggressor.NONE)

    def quote(self, bid: str, ask: str, contract_id: str = NQ) -> None:
        self.quotes[contract_id] = Quote(contract_id, 0, 0, px(bid), px(ask), 1, 1)

    def last_trade(self, contract_id: str) -> Trade | None:
        return self.trades.get(contract_id)

    def last_quote(self, contract_id: str) -> Quote | None:
        return self.quotes.get(contract_id)


class FakeHistory:
    """A CandleHistory over lists the test fills; `close` moves a candle from forming to closed."""

    def __init__(self) -> None:
        self.closed: dict[tuple[str, Timeframe], list[Candle]] = {}
        self.forming_now: dict[tuple[str, Timeframe], Candle] = {}
        self.range_queries = 0

    def add(self, *candles: Candle) -> None:
        for candle in candles:
            series = self.closed.setdefault((candle.contract_id, candle.timeframe), [])
            series.append(candle)
            series.sort(key=lambda c: c.start_ns)

    def form(self, candle: Candle) -> None:
        self.forming_now[(candle.contract_id, candle.timeframe)] = candle._replace(closed=False)

    def closed_candles(
        self, contract_id: str, timeframe: Timeframe, start_from_ns: int, start_to_ns: int
    ) -> Sequence[Candle]:
        self.range_queries += 1
        series = self.closed.get((contract_id, timeframe), [])
        return [c for c in series if start_from_ns <= c.start_ns < start_to_ns]

    def closed_before(self, contract_id: str, timeframe: Timeframe, start_ns: int) -> Candle | None:
        earlier = [c for c in self.closed.get((contract_id, timeframe), []) if c.start_ns < start_ns]
        return earlier[-1] if earlier else None

    def forming(self, contract_id: str, timeframe: Timeframe) -> Candle | None:
        return self.forming_now.get((contract_id, timeframe))


class CountingIds:
    """sig-1, sig-2, ...: the injected id factory of the tests."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"sig-{self.n}"


def bar(start_ns: int, o: str, h: str, lo: str, c: str, tf: Timeframe = Timeframe.M5, contract: str = NQ) -> Candle:
    """A closed NQ candle of `tf` starting at `start_ns` (which must be a bucket start)."""
    start, end = bucket_of(tf, start_ns)
    assert start == start_ns, "not a bucket start"
    return Candle(contract, tf, start, end, px(o), px(h), px(lo), px(c), 10, 10, True, True)


def signal_input(
    time_ns: int,
    price: str,
    direction: SignalDirection = SignalDirection.BULLISH,
    tf: Timeframe = Timeframe.M5,
    contract: str = NQ,
    **fields: object,
) -> SignalInput:
    labels: dict[str, object] = {"strategy": "orb", "source": "webhook", **fields}
    return SignalInput(
        contract_id=contract,
        direction=direction,
        signal_price=px(price),
        signal_time_ns=time_ns,
        timeframe=tf,
        **labels,  # type: ignore[arg-type]
    )


class Rig:
    """A validator wired to fakes, as the shell would wire it to the engine and the store."""

    def __init__(
        self, settings: Mapping[str, SignalSettings] | None = None, windows: SessionWindows | None = None
    ) -> None:
        self.market = FakeMarket()
        self.history = FakeHistory()
        self.ids = CountingIds()
        self.validator = SignalValidator(
            calendar=calendar(),
            market=self.market,
            history=self.history,
            id_factory=self.ids,
            settings=settings,
            windows=windows,
        )
