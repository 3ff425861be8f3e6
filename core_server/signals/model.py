"""Signal values: direction, status, check results, the submitted input, the signal record and its updates.

Enum numbers match vigil.v1 (signals.proto) so the api layer maps them 1:1; the proto's `_UNSPECIFIED = 0`
values have no counterpart here because the engine never produces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum

from core_server.model.errors import InvalidArgument
from core_server.model.market_data import Candle, Timeframe


class SignalDirection(IntEnum):
    NONE = 0  # an exit or cancel that names no side, or an add that takes the position's side
    BULLISH = 1
    BEARISH = 2

    @property
    def label(self) -> str:
        return self.name.lower()


_DIRECTION_WORDS = {
    "bullish": SignalDirection.BULLISH,
    "buy": SignalDirection.BULLISH,
    "long": SignalDirection.BULLISH,
    "bearish": SignalDirection.BEARISH,
    "sell": SignalDirection.BEARISH,
    "short": SignalDirection.BEARISH,
}


def parse_direction(text: str, field: str = "direction") -> SignalDirection:
    """bullish/buy/long or bearish/sell/short, any case; anything else (exit, flat, ...) is InvalidArgument."""
    direction = _DIRECTION_WORDS.get(text.strip().lower())
    if direction is None:
        raise InvalidArgument(field, f"unknown direction {text!r}; use one of {', '.join(_DIRECTION_WORDS)}")
    return direction


class SignalAction(IntEnum):
    """What an alert asks for (TradersPost `action`): open a position through the Signal Lab's checks (entry),
    close or reduce the strategy's position (exit), cancel its working orders and pending signals (cancel), or
    add to its open position in that position's direction (add, checked like an entry)."""

    ENTRY = 1
    EXIT = 2
    CANCEL = 3
    ADD = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def acts_at_once(self) -> bool:
        """Exits and cancels act when they arrive: no confirmation, no staleness, no session window."""
        return self in (SignalAction.EXIT, SignalAction.CANCEL)


class LegKind(IntEnum):
    """How a bracket leg from an alert is given (TradersPost stopLoss/takeProfit)."""

    PRICE = 1  # stopPrice / limitPrice: an absolute price
    POINTS = 2  # amount (futures: price points) or trailAmount: a distance from the entry's fill
    PERCENT = 3  # percent or trailPercent: a distance of that percent of the entry price


class LegType(IntEnum):
    """The order type the alert asked for its leg (stopLoss.type; a take-profit is always a limit)."""

    STOP = 1
    STOP_LIMIT = 2
    TRAILING_STOP = 3
    LIMIT = 4

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class BracketLeg:
    """A stop-loss or take-profit an alert carried; `value` is a price, points or a percent by `kind`.

    The paper bracket's stop-loss is a stop (market) order: a stop_limit leg's `limit_price` is recorded but
    the stop works at market, and a trailing stop starts at its distance and does not trail (both are named
    in the signal's trade_created event)."""

    kind: LegKind
    value: Decimal
    order_type: LegType = LegType.STOP
    limit_price: Decimal | None = None


class SignalStatus(IntEnum):
    REJECTED = 1  # failed a check; see checks
    PENDING = 2  # waiting for the signal candle, a confirming close or the entry open
    AWAITING_APPROVAL = 3  # confirmed with entry and stop; waits for one-key approval
    CONFIRMED = 4
    EXPIRED = 5  # no confirmation within the allowed number of candles
    INVALIDATED = 6  # a close beyond the signal candle's opposite extreme
    CANCELLED = 7
    EXECUTED = 8  # an exit, cancel or reversal was carried out at once
    NO_OP = 9  # an exit or cancel with nothing to act on (flat, no working orders); the reason is its event

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def is_live(self) -> bool:
        """Still able to change by itself or by approval (and so cancellable)."""
        return self in (SignalStatus.PENDING, SignalStatus.AWAITING_APPROVAL)


class CheckOutcome(IntEnum):
    PASSED = 1
    FAILED = 2
    WAITING = 3  # not decided yet (while the signal is pending)
    SKIPPED = 4  # not run: an earlier check failed, or the signal ended first

    @property
    def label(self) -> str:
        return self.name.lower()


class CheckName(StrEnum):
    """The validation rules of SPEC §3, in the order they run; the values are the wire names."""

    AUTHENTIC_AND_NEW = "authentic_and_new"
    STALENESS_PRICE = "staleness_price"
    STALENESS_AGE = "staleness_age"
    SESSION = "session"
    CONFIRMATION = "confirmation"
    PIVOT_STOP = "pivot_stop"
    ENTRY_RISK = "entry_risk"


CHECK_ORDER: tuple[CheckName, ...] = tuple(CheckName)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One rule's result; `detail` carries the numbers it was decided on; `decided_ns` is 0 while waiting."""

    name: CheckName
    outcome: CheckOutcome
    detail: str = ""
    decided_ns: int = 0


class SignalEventKind(StrEnum):
    RECEIVED = "received"
    REJECTED = "rejected"
    PENDING = "pending"
    AWAITING_APPROVAL = "awaiting_approval"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    INVALIDATED = "invalidated"
    CANCELLED = "cancelled"
    TRADE_CREATED = "trade_created"  # a confirmed signal's Signal Lab trade was recorded
    ORDER_REFUSED = "order_refused"  # the paper bracket of its trade was denied or rejected
    EXECUTED = "executed"  # an exit or cancel acted (the detail says what it closed or cancelled)
    NO_OP = "no_op"  # an exit or cancel found nothing to act on (the detail says why)
    POSITION_CLOSED = "position_closed"  # an entry closed the strategy's opposite position first
    COPIED = "copied"  # copy groups fanned the signal's orders out (the detail: each follower's outcome)


@dataclass(frozen=True, slots=True)
class SignalEvent:
    """A lifecycle step of one signal; `status` is the status it left the signal in."""

    signal_id: str
    kind: SignalEventKind
    ts_ns: int
    detail: str
    status: SignalStatus


@dataclass(frozen=True, slots=True)
class SignalInput:
    """The normalised content of an alert. The edge (bridge, api) resolves the symbol to `contract_id` and
    the price to whole ticks of that contract's instrument before the validator sees it."""

    contract_id: str  # canonical, e.g. "NQZ2025"
    direction: SignalDirection
    signal_price: int  # ticks
    signal_time_ns: int  # when the alert fired, UTC ns
    timeframe: Timeframe = Timeframe.M1
    htf_bias: str = ""
    session: str = ""  # the sender's session label; compared with the window, never enforced
    strategy: str = ""
    quantity: int = 1
    raw_payload: str = ""  # the alert body exactly as received
    source: str = ""  # webhook, sdk, manual
    idempotency_key: str = ""  # as submitted; empty means "derive it from the content"
    symbol: str = ""  # the symbol as submitted (NQ1!, CME_MINI:NQZ2025, ...), for display
    # Open time of the alert's bar (TradingView {{time}}); when set, the signal candle is the candle of
    # `timeframe` starting there instead of the one holding signal_time_ns. 0 = not given.
    bar_time_ns: int = 0
    action: SignalAction = SignalAction.ENTRY
    # The alert's own bracket legs (None: the pivot stop, and the take-profit at the configured R).
    stop_loss: BracketLeg | None = None
    take_profit: BracketLeg | None = None

    def __post_init__(self) -> None:
        if not self.contract_id:
            raise InvalidArgument("contract_id", "a contract is required")
        acts_at_once = self.action.acts_at_once
        if self.signal_price < 0 or (self.signal_price == 0 and not acts_at_once):
            raise InvalidArgument("signal_price", f"must be positive, got {self.signal_price} ticks")
        if self.signal_time_ns <= 0:
            raise InvalidArgument("signal_time_ns", "a signal time is required")
        if self.quantity < (0 if self.action is SignalAction.EXIT else 1):
            raise InvalidArgument("quantity", f"must be at least 1, got {self.quantity}")
        if self.direction is SignalDirection.NONE and self.action is SignalAction.ENTRY:
            raise InvalidArgument("direction", "an entry needs a direction (bullish or bearish)")
        if self.bar_time_ns < 0:
            raise InvalidArgument("bar_time_ns", "must not be negative (0 means not given)")


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal's record: the input, every check, where it stands, and the trade numbers once known.

    Prices are ticks of the contract's instrument. `risk_ticks` is entry - stop for bullish and stop - entry
    for bearish, so it equals |entry - stop| when the entry check passed and is <= 0 when it failed.
    Snapshots are immutable; each SignalUpdate carries the one taken right after its event.
    """

    signal_id: str
    input: SignalInput
    idempotency_key: str  # the effective key: the submitted one or the content hash
    status: SignalStatus
    checks: tuple[CheckResult, ...]  # always one per CheckName, in CHECK_ORDER
    received_ns: int
    decided_ns: int  # when it reached its current status; 0 while pending
    waiting_for: str  # while pending or awaiting approval, e.g. "5m close > 25341.25"
    expires_after_candles: int
    candles_waited: int = 0  # closed candles after the signal candle seen so far
    signal_candle: Candle | None = None  # None while it is still forming
    confirmation_candle: Candle | None = None
    pivot_price: int | None = None  # None when the fallback low/high gave the stop
    pivot_candle_start_ns: int | None = None
    stop_from_fallback: bool = False
    entry_price: int | None = None
    stop_price: int | None = None
    risk_ticks: int | None = None
    trade_id: str | None = None  # the Signal Lab trade a confirmed signal created
    events: tuple[SignalEvent, ...] = ()

    @property
    def contract_id(self) -> str:
        return self.input.contract_id

    @property
    def direction(self) -> SignalDirection:
        return self.input.direction

    @property
    def timeframe(self) -> Timeframe:
        return self.input.timeframe

    def check(self, name: CheckName) -> CheckResult:
        return self.checks[CHECK_ORDER.index(name)]


@dataclass(frozen=True, slots=True)
class SignalUpdate:
    """What the shell persists and publishes: one event and the signal as it stands after it."""

    signal: Signal
    event: SignalEvent


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The decision on a submission. For a duplicate, `signal` is the original and `updates` is empty."""

    signal: Signal
    duplicate: bool
    updates: tuple[SignalUpdate, ...]
