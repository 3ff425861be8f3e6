"""Values the SDK returns: frozen dataclasses with Decimal prices and UTC-nanosecond times."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import TypeVar

from clients.sdk.errors import InvalidArgumentError

_E = TypeVar("_E", bound=Enum)

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_HOUR = 60 * NS_PER_MINUTE
NS_PER_DAY = 24 * NS_PER_HOUR


def datetime_from_ns(ts_ns: int) -> datetime:
    """An aware UTC datetime for a nanosecond timestamp (microsecond precision)."""
    seconds, rem = divmod(ts_ns, NS_PER_SECOND)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rem // 1_000)


def parse_enum(kind: type[_E], value: _E | str, field: str, noun: str, aliases: dict[str, _E] | None = None) -> _E:
    """The member of `kind` for a member or its text in any case ("stop_limit", "STOP-LIMIT"), or an alias.

    UNKNOWN (what the SDK shows for a value it does not know) is never a valid choice; anything else that does
    not match is an InvalidArgumentError naming `field`.
    """
    if isinstance(value, kind) and value.name != "UNKNOWN":
        return value
    text = (value.value if isinstance(value, Enum) else str(value)).strip().lower().replace("-", "_").replace(" ", "_")
    words = {m.value: m for m in kind if m.name != "UNKNOWN"} | (aliases or {})
    found = words.get(text)
    if found is None:
        choices = ", ".join(m.value for m in kind if m.name != "UNKNOWN")
        raise InvalidArgumentError(field, f"unknown {noun} {value!r}; use one of {choices}")
    return found


class Timeframe(Enum):
    """Candle length; intraday buckets align to the CME trading-day start (17:00 America/Chicago)."""

    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"  # the CME trading day, 17:00 CT to 17:00 CT

    @property
    def duration_ns(self) -> int:
        return _DURATIONS[self]

    @classmethod
    def parse(cls, value: Timeframe | str, field: str = "timeframe") -> Timeframe:
        """The timeframe for a member or its text ("5m", "1H"); anything else is an InvalidArgumentError."""
        if isinstance(value, Timeframe):
            return value
        text = str(value).strip().lower()
        for tf in cls:
            if tf.value == text:
                return tf
        choices = ", ".join(tf.value for tf in cls)
        raise InvalidArgumentError(field, f"unknown timeframe {value!r}; use one of {choices}")

    def __str__(self) -> str:
        return self.value


_DURATIONS = {
    Timeframe.M1: NS_PER_MINUTE,
    Timeframe.M5: 5 * NS_PER_MINUTE,
    Timeframe.M15: 15 * NS_PER_MINUTE,
    Timeframe.H1: NS_PER_HOUR,
    Timeframe.H4: 4 * NS_PER_HOUR,
    Timeframe.D1: NS_PER_DAY,
}


class Aggressor(Enum):
    """Which side initiated a trade; NONE when the feed does not know."""

    NONE = "none"
    BUY = "buy"
    SELL = "sell"


class FeedState(Enum):
    UNKNOWN = "unknown"  # the server sent a state this SDK does not know
    STARTING = "starting"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"
    STALE = "stale"  # connected, but silent longer than the idle timeout
    AUTH_FAILED = "auth_failed"
    STOPPED = "stopped"
    FINISHED = "finished"  # a finite replay reached its end


class ConnectionState(Enum):
    """This client's link to the server, as its gRPC channel reports it."""

    IDLE = "idle"  # not started yet
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # the link failed and the channel is retrying
    CLOSED = "closed"


class ServingStatus(Enum):
    """Answer of the standard grpc.health.v1 service."""

    UNKNOWN = "unknown"
    SERVING = "serving"
    NOT_SERVING = "not_serving"
    SERVICE_UNKNOWN = "service_unknown"


@dataclass(frozen=True, slots=True)
class Contract:
    """One dated contract and its names at each venue."""

    contract_id: str  # canonical, e.g. NQZ2026
    root: str
    year: int
    month: int
    month_code: str
    expiry_ns: int  # last trade: 09:30 ET on the third Friday of the month
    roll_ns: int  # the next contract leads from this instant
    tradovate_symbol: str
    tradingview_symbol: str
    projectx_contract_id: str

    @property
    def expiry(self) -> datetime:
        return datetime_from_ns(self.expiry_ns)

    @property
    def roll(self) -> datetime:
        return datetime_from_ns(self.roll_ns)


@dataclass(frozen=True, slots=True)
class Instrument:
    """A futures product, its contract specification and its current front month."""

    root: str
    description: str
    exchange: str
    tick_size: Decimal
    point_value: Decimal  # dollars per full point
    tick_value: Decimal  # dollars per tick
    front_contract: Contract
    anomaly_points: Decimal
    streaming: bool  # a running feed delivers the front month
    micro_of: str | None  # for a micro, the root of the mini it mirrors


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book."""

    contract_id: str
    ts_event_ns: int  # when it happened at the source
    ts_init_ns: int  # when the server created it
    bid: Decimal
    ask: Decimal
    bid_size: int
    ask_size: int

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.ts_event_ns)

    @property
    def spread(self) -> Decimal:
        return self.ask - self.bid


@dataclass(frozen=True, slots=True)
class Trade:
    """A trade print."""

    contract_id: str
    ts_event_ns: int
    ts_init_ns: int
    price: Decimal
    size: int
    aggressor: Aggressor

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.ts_event_ns)


Tick = Quote | Trade


@dataclass(frozen=True, slots=True)
class QuoteSnapshot:
    """GetQuote's answer: the latest quote, the last trade if any, and the day's volume so far."""

    quote: Quote
    last_trade: Trade | None
    day_volume: int


@dataclass(frozen=True, slots=True)
class Candle:
    """An OHLC bar over [start_ns, end_ns). `closed`: final. `complete`: no feed gap overlapped it."""

    contract_id: str
    timeframe: Timeframe
    start_ns: int
    end_ns: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    tick_count: int
    closed: bool
    complete: bool

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.start_ns)


@dataclass(frozen=True, slots=True)
class QuoteBatch:
    """One StreamQuotes message. `conflated` counts quotes replaced while this reader lagged, cumulative
    per server stream (it restarts from zero after a reconnect)."""

    quotes: tuple[Quote, ...]
    trades: tuple[Trade, ...]
    conflated: int


@dataclass(frozen=True, slots=True)
class FeedGap:
    """A period in which a feed may have missed ticks; `contract_id` is empty when the whole feed was hit."""

    contract_id: str
    start_ns: int
    end_ns: int
    filled: bool
    backfilled_ticks: int = 0  # prints the backfill delivered for it
    pages: int = 0  # history requests it took

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.start_ns)


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """Health of one feed. Rates are plain floats: they are measurements, not prices."""

    name: str
    kind: str  # simulated, replay, tradovate, projectx, trade_manager
    state: FeedState
    detail: str
    contract_ids: tuple[str, ...]
    connected_since_ns: int
    reconnect_count: int
    last_message_ns: int
    last_tick_ns: int
    last_tick_age_ns: int  # 0 when no tick yet
    ticks_per_second: float
    messages_per_second: float
    total_ticks: int
    malformed_frames: int
    gaps_filled: int
    gaps_unfilled: int
    anomalies: int
    latency_p50_ns: int
    latency_p99_ns: int
    recent_gaps: tuple[FeedGap, ...]
    stage_errors: int = 0  # per-tick stages that failed on the server (logged there, isolated); > 0 is a bug
    # The adapter's own counters by name, e.g. coalesced_prints, history_pages, backfilled_ticks (README)
    counters: dict[str, str] = field(default_factory=dict)

    @property
    def time(self) -> datetime:
        """When the last tick arrived."""
        return datetime_from_ns(self.last_tick_ns)


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """Health of the tick and candle store."""

    available: bool
    mode: str  # embedded or external
    buffered_ticks: int
    written_ticks: int
    dropped_ticks: int
    last_flush_ns: int
    last_error: str

    @property
    def time(self) -> datetime:
        """When the store last flushed."""
        return datetime_from_ns(self.last_flush_ns)


@dataclass(frozen=True, slots=True)
class FeedStatusReport:
    """Every feed and the store, as of `server_time_ns`."""

    feeds: tuple[FeedStatus, ...]
    store: StoreStatus
    server_time_ns: int

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.server_time_ns)


@dataclass(frozen=True, slots=True)
class TradingSession:
    """One CME trade date: trading in [open_ns, close_ns) except inside each [start, end) halt."""

    trade_date: date
    open_ns: int
    close_ns: int
    halts: tuple[tuple[int, int], ...]
    early_close: bool  # closes before the regular 16:00 America/Chicago
    note: str  # why it is unusual (holiday, early close); empty for a regular session

    @property
    def open(self) -> datetime:
        return datetime_from_ns(self.open_ns)

    @property
    def close(self) -> datetime:
        return datetime_from_ns(self.close_ns)


@dataclass(frozen=True, slots=True)
class SessionCalendar:
    """ListSessions' answer: the sessions of a range of trade dates and the weekdays closed in it."""

    sessions: tuple[TradingSession, ...]
    closed_dates: tuple[date, ...]  # weekdays without a session of their own (exchange holidays)
    first_trade_date: date  # what the server's calendar covers
    last_trade_date: date
    time_zone: str  # America/Chicago
