"""A strategy definition: what a strategy file (TOML) or a gRPC body (JSON) says, as frozen values.

Two kinds share one definition: `rules` (the declarative rule engine: conditions on candles and indicators)
and `first_hour_breakout` (SPEC §7's ladder of limits around the first hour's range, a scheduled strategy the
condition language cannot express: it places resting orders at levels derived from a window, not entries on a
condition). Prices and money are Decimal; every element remembers the path it was read from, so a finding or
an error names it (e.g. `rules.entry[0].when.all[2].right`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from core_server.execution.model import OrderSide, OrderType
from core_server.model.instruments import EASTERN_TZ
from core_server.model.market_data import Timeframe


class Kind(StrEnum):
    RULES = "rules"
    FIRST_HOUR_BREAKOUT = "first_hour_breakout"


class Op(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    CROSSES_ABOVE = "crosses_above"
    CROSSES_BELOW = "crosses_below"


CANDLE_FIELDS = ("open", "high", "low", "close", "volume")
# name -> (needs a period, is a price (compared with numbers given in price points))
INDICATORS: dict[str, tuple[bool, bool]] = {
    "sma": (True, True),
    "ema": (True, True),
    "rsi": (True, False),
    "atr": (True, True),
    "bb_upper": (True, True),
    "bb_middle": (True, True),
    "bb_lower": (True, True),
    "vwap": (False, True),
    "volume_avg": (True, False),
}


@dataclass(frozen=True, slots=True)
class FieldOperand:
    """A candle field of the `lookback`-th closed candle back (0: the one that just closed)."""

    name: str
    timeframe: Timeframe
    lookback: int = 0

    def __str__(self) -> str:
        return f"{self.name}[{self.lookback}]@{self.timeframe.label}"


@dataclass(frozen=True, slots=True)
class IndicatorOperand:
    name: str
    timeframe: Timeframe
    period: int = 0
    lookback: int = 0
    stddev: Decimal = Decimal(2)  # Bollinger bands only

    def __str__(self) -> str:
        return f"{self.name}({self.period})[{self.lookback}]@{self.timeframe.label}"

    @property
    def key(self) -> tuple[str, int, Decimal]:
        return self.name, self.period, self.stddev


@dataclass(frozen=True, slots=True)
class NumberOperand:
    value: Decimal

    def __str__(self) -> str:
        return str(self.value)


Operand = FieldOperand | IndicatorOperand | NumberOperand


@dataclass(frozen=True, slots=True)
class Condition:
    left: Operand
    op: Op
    right: Operand
    path: str

    def __str__(self) -> str:
        return f"{self.left} {self.op.value} {self.right}"


@dataclass(frozen=True, slots=True)
class Group:
    """`all` (every item holds) or `any` (at least one does)."""

    mode: str
    items: tuple[Condition | Group, ...]
    path: str


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Named session windows (SPEC §1), or a clock range [start, end) in a time zone (wrapping midnight if
    end <= start)."""

    sessions: tuple[str, ...] = ()
    start: time | None = None
    end: time | None = None
    tz: ZoneInfo = EASTERN_TZ


class DistanceUnit(StrEnum):
    TICKS = "ticks"
    POINTS = "points"
    R = "r"


@dataclass(frozen=True, slots=True)
class Distance:
    amount: Decimal
    unit: DistanceUnit


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """How an entry goes in: at market, a limit `offset_ticks` better than the close, or a stop beyond it."""

    order_type: OrderType = OrderType.MARKET
    offset_ticks: int = 0


@dataclass(frozen=True, slots=True)
class Entry:
    side: OrderSide
    when: Group
    order: OrderSpec
    path: str


@dataclass(frozen=True, slots=True)
class Sizing:
    """Fixed contracts, or as many as risk `risk_dollars` at most from the stop distance (at least one to trade)."""

    contracts: int = 1
    risk_dollars: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    max_trades_per_day: int | None = None
    max_concurrent_positions: int | None = None
    daily_loss: Decimal | None = None  # dollars, realised on the CME trading day, commissions included


@dataclass(frozen=True, slots=True)
class RuleSpec:
    timeframe: Timeframe  # entries and exits are evaluated when a candle of this timeframe closes
    entries: tuple[Entry, ...]
    stop: Distance
    target: Distance
    exit: Group | None = None
    window: TimeWindow | None = None
    flat_by: time | None = None  # ET wall clock; at the session's close if it closes earlier


@dataclass(frozen=True, slots=True)
class BreakoutSpec:
    """SPEC §7 first-hour breakout; every default is the SPEC's."""

    window_start: time = time(9, 30)
    window_end: time = time(10, 30)
    offsets: tuple[Decimal, ...] = tuple(Decimal(n) for n in (9, 18, 27, 36, 45))  # points
    stop_points: Decimal = Decimal(5)
    target_points: Decimal = Decimal(5)
    cancel_before_open_minutes: int = 5


@dataclass(frozen=True, slots=True)
class StrategyDefinition:
    name: str  # the strategy's id
    kind: Kind
    account: str
    instrument: str  # a root (ES: the host's contract of that root) or a contract id (ESZ2026)
    enabled: bool = False  # active as soon as it is loaded
    description: str = ""
    sizing: Sizing = field(default_factory=Sizing)
    limits: Limits = field(default_factory=Limits)
    rules: RuleSpec | None = None
    breakout: BreakoutSpec | None = None
