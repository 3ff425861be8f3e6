"""Signal values the SDK sends and returns: inputs, checks, lifecycle events and signal records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from clients.sdk.errors import InvalidArgumentError
from clients.sdk.models import Candle, Timeframe, datetime_from_ns


class SignalDirection(Enum):
    UNKNOWN = "unknown"  # the server sent a direction this SDK does not know
    NONE = "none"  # an exit or cancel naming no side, an add taking its position's side
    BULLISH = "bullish"
    BEARISH = "bearish"

    @classmethod
    def parse(cls, value: SignalDirection | str, field: str = "direction") -> SignalDirection:
        """bullish/buy/long or bearish/sell/short in any case; anything else is an InvalidArgumentError."""
        text = value.value if isinstance(value, SignalDirection) else str(value)
        found = _DIRECTION_WORDS.get(text.strip().lower())
        if found is None:
            raise InvalidArgumentError(field, f"unknown direction {value!r}; use one of {', '.join(_DIRECTION_WORDS)}")
        return found

    def __str__(self) -> str:
        return self.value


_DIRECTION_WORDS = {
    "bullish": SignalDirection.BULLISH,
    "buy": SignalDirection.BULLISH,
    "long": SignalDirection.BULLISH,
    "bearish": SignalDirection.BEARISH,
    "sell": SignalDirection.BEARISH,
    "short": SignalDirection.BEARISH,
    "none": SignalDirection.NONE,
}


class SignalAction(Enum):
    """What an alert asks for (TradersPost `action`); see the README's webhook section for each one."""

    UNKNOWN = "unknown"  # the server sent an action this SDK does not know
    ENTRY = "entry"  # open through the Signal Lab's checks; an open opposite position is closed first
    EXIT = "exit"  # close the strategy's position (quantity > 0: reduce by that many); never reverses
    CANCEL = "cancel"  # cancel the strategy's pending signals and opening orders in the contract
    ADD = "add"  # add to the open position in its direction; refused when flat

    def __str__(self) -> str:
        return self.value


class LegKind(Enum):
    PRICE = "price"  # an absolute price (stopPrice, limitPrice)
    POINTS = "points"  # price points from the entry's fill (amount, trailAmount)
    PERCENT = "percent"  # percent of the entry price, as whole ticks from the fill (percent, trailPercent)

    def __str__(self) -> str:
        return self.value


class LegType(Enum):
    STOP = "stop"
    STOP_LIMIT = "stop_limit"  # recorded; the paper bracket's stop works at market
    TRAILING_STOP = "trailing_stop"  # recorded; starts at its distance and does not trail
    LIMIT = "limit"  # a take-profit

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class BracketLeg:
    """An alert's own stop-loss or take-profit (TradersPost stopLoss / takeProfit)."""

    kind: LegKind
    value: Decimal  # a price, points or a percent, by kind
    order_type: LegType | None = None  # None: stop for a stop-loss, limit for a take-profit
    limit_price: Decimal | None = None  # a stop_limit stop-loss's limit


class SignalStatus(Enum):
    UNKNOWN = "unknown"  # the server sent a status this SDK does not know
    REJECTED = "rejected"  # failed a check; see checks
    PENDING = "pending"  # waiting for a confirming candle close
    AWAITING_APPROVAL = "awaiting_approval"  # confirmed with entry and stop; waits for approve_signal
    CONFIRMED = "confirmed"  # a trade record was created
    EXPIRED = "expired"  # no confirmation within the allowed number of candles
    INVALIDATED = "invalidated"  # a close beyond the signal candle's opposite extreme
    CANCELLED = "cancelled"
    EXECUTED = "executed"  # an exit or cancel was carried out at once
    NO_OP = "no_op"  # an exit or cancel with nothing to act on; the reason is its last event

    @classmethod
    def parse(cls, value: SignalStatus | str, field: str = "statuses") -> SignalStatus:
        """The status for a member or its text ("pending", "AWAITING_APPROVAL")."""
        text = (value.value if isinstance(value, SignalStatus) else str(value)).strip().lower()
        for status in cls:
            if status.value == text and status is not SignalStatus.UNKNOWN:
                return status
        choices = ", ".join(s.value for s in cls if s is not SignalStatus.UNKNOWN)
        raise InvalidArgumentError(field, f"unknown signal status {value!r}; use one of {choices}")

    @property
    def is_live(self) -> bool:
        """Can still change by itself or by approval (and so can be cancelled)."""
        return self in (SignalStatus.PENDING, SignalStatus.AWAITING_APPROVAL)

    def __str__(self) -> str:
        return self.value


class CheckOutcome(Enum):
    UNKNOWN = "unknown"  # the server sent an outcome this SDK does not know
    PASSED = "passed"
    FAILED = "failed"
    WAITING = "waiting"  # not decided yet (confirmation while pending)
    SKIPPED = "skipped"  # not run because an earlier check failed

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class SignalInput:
    """The normalised content of an alert, as submitted. Any symbol form works (NQ1!, NQZ2026, CME_MINI:NQ1!).

    Equal `idempotency_key`s mean the same alert: the server answers a repeat with the original decision.
    Leave it empty to let the server derive one from the content. `signal_time_ns` is when the alert fired
    (staleness by age is measured from it); `bar_time_ns`, when set, picks the signal candle instead.
    """

    symbol: str
    direction: SignalDirection
    signal_price: Decimal
    signal_time_ns: int  # when the alert fired, UTC ns
    timeframe: Timeframe = Timeframe.M1
    htf_bias: str = ""
    session: str = ""
    strategy: str = ""
    quantity: int = 1  # contracts
    raw_payload: str = ""  # the alert body exactly as received
    source: str = "sdk"  # webhook, sdk, manual
    idempotency_key: str = ""  # on a returned signal: the key the server used
    bar_time_ns: int = 0  # open of the bar that fired (TradingView {{time}}); 0: the bar containing signal_time
    action: SignalAction = SignalAction.ENTRY  # exit/cancel may use direction NONE and signal_price 0
    stop_loss: BracketLeg | None = None  # None: the signal's pivot stop
    take_profit: BracketLeg | None = None  # None: the configured R from the fill

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.signal_time_ns)


@dataclass(frozen=True, slots=True)
class SignalCheck:
    """One validation rule's result; `detail` carries the numbers, `decided_ns` is 0 while waiting."""

    name: str  # authentic_and_new, staleness_price, staleness_age, session, confirmation, pivot_stop, entry_risk
    outcome: CheckOutcome
    detail: str
    decided_ns: int


@dataclass(frozen=True, slots=True)
class SignalEvent:
    """A lifecycle step of one signal; `status` is the status it left the signal in."""

    signal_id: str
    kind: str  # received, rejected, pending, awaiting_approval, confirmed, expired, invalidated, cancelled, ...
    ts_ns: int
    detail: str
    status: SignalStatus
    seq: int = 0  # its place in the server's log of signal events (streams; 0 elsewhere)

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.ts_ns)


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal with every check, where it stands, and the trade numbers once known (None until then)."""

    signal_id: str
    input: SignalInput
    contract_id: str
    status: SignalStatus
    checks: tuple[SignalCheck, ...]
    received_ns: int
    decided_ns: int  # when it reached its current status; 0 while pending
    waiting_for: str  # while pending, e.g. "5m close > 25341.25"
    signal_candle: Candle | None
    confirmation_candle: Candle | None
    pivot_price: Decimal | None  # None when the fallback low/high gave the stop
    pivot_candle_start_ns: int
    stop_from_fallback: bool
    entry_price: Decimal | None
    stop_price: Decimal | None
    risk_points: Decimal | None
    candles_waited: int
    expires_after_candles: int
    trade_id: str
    events: tuple[SignalEvent, ...]

    @property
    def direction(self) -> SignalDirection:
        return self.input.direction

    @property
    def time(self) -> datetime:
        """When the server received it."""
        return datetime_from_ns(self.received_ns)

    @property
    def action(self) -> SignalAction:
        return self.input.action

    @property
    def outcome(self) -> str:
        """How it stands in words: the detail of its latest event (what an exit closed, why it was a no-op)."""
        return self.events[-1].detail if self.events else ""

    def check(self, name: str) -> SignalCheck | None:
        """The result of the check called `name`, if the server reported it."""
        return next((c for c in self.checks if c.name == name), None)


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The decision on a submission; for a repeated delivery `duplicate` is True and `signal` is the original."""

    signal: Signal
    duplicate: bool


@dataclass(frozen=True, slots=True)
class SignalUpdate:
    """One StreamSignalEvents message: an event and, when the server sent it, the signal right after it."""

    event: SignalEvent
    signal: Signal | None
