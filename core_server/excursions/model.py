"""Excursion values: trade direction, the tracked trade, its status, events and snapshots. Prices are ticks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum
from fractions import Fraction

from core_server.excursions.r_multiples import ExactR, exact_r
from core_server.model.errors import InvalidArgument


class Direction(IntEnum):
    """Numbers match SignalDirection (BULLISH = 1, BEARISH = 2), so `Direction(signal.direction)` maps 1:1."""

    LONG = 1
    SHORT = 2

    @property
    def sign(self) -> int:
        """+1 for a long, -1 for a short: favourable ticks = (price - entry) * sign."""
        return 1 if self is Direction.LONG else -1

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str, field: str = "direction") -> Direction:
        """long/buy/bullish or short/sell/bearish, any case."""
        word = text.strip().lower()
        if word in ("long", "buy", "bullish"):
            return cls.LONG
        if word in ("short", "sell", "bearish"):
            return cls.SHORT
        raise InvalidArgument(field, f"unknown direction {text!r}; use long or short")


@dataclass(frozen=True, slots=True)
class TradeSpec:
    """A trade to track, as opened: entry and initial stop in ticks, risk > 0 on the correct side.

    An optional target is given in R (`target_r`, e.g. Fraction(2)) and/or as a price (`target_price`,
    ticks); with both, the nearer one is the target. A target in R that falls between two ticks is
    rounded away from entry to the first tick that reaches it.
    """

    trade_id: str
    contract_id: str
    direction: Direction
    quantity: int
    entry: int
    stop: int
    opened_ns: int
    target_r: ExactR | None = None
    target_price: int | None = None

    def __post_init__(self) -> None:
        if not self.trade_id:
            raise InvalidArgument("trade_id", "a trade id is required")
        if not self.contract_id:
            raise InvalidArgument("contract_id", "a contract is required")
        if not isinstance(self.direction, Direction):
            raise InvalidArgument("direction", f"must be a Direction, got {self.direction!r}")
        if self.quantity < 1:
            raise InvalidArgument("quantity", f"must be at least 1, got {self.quantity}")
        if self.entry <= 0:
            raise InvalidArgument("entry", f"must be positive, got {self.entry} ticks")
        if self.risk_ticks <= 0:
            side = "below" if self.direction is Direction.LONG else "above"
            raise InvalidArgument(
                "stop", f"a {self.direction.label} stop must be {side} entry {self.entry}, got {self.stop} ticks"
            )
        if self.target_r is not None and exact_r(self.target_r, "target_r") <= 0:
            raise InvalidArgument("target_r", f"must be above 0R, got {self.target_r!r}")
        if self.target_price is not None and (self.target_price - self.entry) * self.direction.sign <= 0:
            raise InvalidArgument(
                "target_price", f"must be beyond entry {self.entry} in the trade's favour, got {self.target_price}"
            )

    @property
    def risk_ticks(self) -> int:
        """entry - stop for a long, stop - entry for a short: 1R in ticks."""
        return (self.entry - self.stop) * self.direction.sign


class TradeStatus(StrEnum):
    OPEN = "open"
    STOPPED_OUT = "stopped_out"  # the initial stop was hit: booked at -1R, even through a gap
    BREAK_EVEN = "break_even"  # the break-even stop was hit: booked at 0R, or the offset's R
    TARGET_HIT = "target_hit"
    CLOSED = "closed"  # closed by hand or by something outside the tracker, at the price it gave


class ExcursionEventKind(StrEnum):
    NEW_HIGH = "new_high"  # a new MFE
    NEW_LOW = "new_low"  # a new MAE
    BREAK_EVEN_TRIGGERED = "break_even_triggered"
    STOP_HIT = "stop_hit"
    TARGET_HIT = "target_hit"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ExcursionEvent:
    """One step of a trade's history: when, at what price (ticks), its R there, and the stop after it.

    For stop_hit and target_hit the price is the observed one that hit, even when the market gapped beyond the
    level (the trade's result is booked at the level: see tracker.py). For break_even_triggered the price is
    the one that reached the trigger and `stop` is the new stop.
    """

    trade_id: str
    kind: ExcursionEventKind
    ts_ns: int
    price: int
    r: Fraction
    stop: int


@dataclass(frozen=True, slots=True)
class ExcursionState:
    """What a trade's excursion has come to, in ticks: enough to continue tracking it after a restart.

    `stop` is the current stop price; MFE/MAE are favourable ticks from entry. `result_ticks` and `closed_ns`
    are None while the trade is open.
    """

    status: TradeStatus
    stop: int
    mfe_ticks: int
    mae_ticks: int
    mfe_ns: int
    mae_ns: int
    result_ticks: int | None = None
    closed_ns: int | None = None


@dataclass(frozen=True, slots=True)
class ExcursionSnapshot:
    """A trade's excursion as it stands: open, or final once `status` is not OPEN.

    MFE/MAE are in exact R, in ticks from entry (favourable positive) and in exact points. `mfe_ns` and
    `mae_ns` are when they were reached (`opened_ns` while still 0R). `result_*`, `exit_price` and
    `closed_ns` are None while open.
    """

    spec: TradeSpec
    status: TradeStatus
    stop: int
    target: int | None
    break_even_triggered: bool
    mfe_r: Fraction
    mae_r: Fraction
    mfe_ticks: int
    mae_ticks: int
    mfe_points: Decimal
    mae_points: Decimal
    mfe_ns: int
    mae_ns: int
    result_r: Fraction | None
    result_ticks: int | None
    result_points: Decimal | None
    exit_price: int | None
    closed_ns: int | None
    events: tuple[ExcursionEvent, ...]

    @property
    def trade_id(self) -> str:
        return self.spec.trade_id

    @property
    def is_open(self) -> bool:
        return self.status is TradeStatus.OPEN

    @property
    def state(self) -> ExcursionState:
        """The stored form of this snapshot (ExcursionTracker.restore continues from it)."""
        return ExcursionState(
            self.status,
            self.stop,
            self.mfe_ticks,
            self.mae_ticks,
            self.mfe_ns,
            self.mae_ns,
            self.result_ticks,
            self.closed_ns,
        )
