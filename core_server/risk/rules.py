"""RuleSet: one account's prop-firm risk rules (SPEC §6), validated whole on construction so none is half-applied.

Money is exact Decimal dollars, contracts are ints, times are America/Chicago wall clock. `None` switches a
rule off. A RuleSet is immutable: edit it with `dataclasses.replace(rules, field=value)`, which validates
again and raises InvalidArgument(field, reason) for an impossible or contradictory value.

Bounds (README "Limits"): dollar amounts are whole cents up to MAX_DOLLARS (the largest starting balance an
account can have); shares (micro weight, consistency) have at most SHARE_PLACES decimals; contract counts are at
most MAX_CONTRACTS (the paper engine's per-order ceiling); the other counts and durations have their own ceilings
below. Every risk computation then stays far inside Decimal's 28-digit context (an amount of 1e30 once made a
tick's evaluation raise DivisionImpossible and stopped the feed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from enum import IntEnum

from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS

_ZERO = Decimal(0)
_ONE = Decimal(1)
MAX_DOLLARS = Decimal(100_000_000)
DOLLAR_PLACES = 2
SHARE_PLACES = 4
MAX_CONTRACTS = 10_000
MAX_CONCURRENT_POSITIONS = 100
MAX_CONSECUTIVE_LOSSES = 1_000
MAX_COOLDOWN_MINUTES = 24 * 60
MAX_SCALING_TIERS = 20
MAX_SESSION_WINDOWS = 16
MAX_WINDOW_NAME_CHARS = 64


class BreachMode(IntEnum):
    SOFT = 1  # cancel, flatten and lock until the next CME trading day
    HARD = 2  # cancel, flatten and fail the account for good


class DrawdownMode(IntEnum):
    END_OF_DAY = 1  # the peak is the highest end-of-day equity (17:00 CT roll)
    INTRADAY_UNREALIZED = 2  # the peak is the highest equity seen on any tick, unrealised P&L included
    STATIC = 3  # the threshold never moves: starting balance - max drawdown


@dataclass(frozen=True, slots=True)
class ScalingTier:
    """While the end-of-day balance is below `below_balance`, at most `max_contracts` (mini equivalents)."""

    below_balance: Decimal
    max_contracts: int


@dataclass(frozen=True, slots=True)
class RuleSet:
    daily_loss_limit: Decimal | None = None  # dollars over the CME trading day, fees counted
    daily_loss_breach: BreachMode = BreachMode.SOFT
    max_drawdown: Decimal | None = None  # dollars below the peak
    drawdown_mode: DrawdownMode = DrawdownMode.END_OF_DAY
    # The threshold stops trailing once it reaches starting balance + offset; None: it trails for ever.
    drawdown_lock_offset: Decimal | None = _ZERO
    drawdown_breach: BreachMode = BreachMode.HARD
    max_contracts: int | None = None  # mini equivalents over every contract
    micro_weight: Decimal = Decimal("0.1")  # what one micro counts as, in minis
    scaling_tiers: tuple[ScalingTier, ...] = ()  # ascending; above the last tier, max_contracts applies
    max_position_size: int | None = None  # per contract, in that contract's own units
    # One order's quantity, in its contract's own units; None: the engine's default (VIGIL_MAX_ORDER_SIZE).
    max_order_size: int | None = None
    max_concurrent_positions: int | None = None  # contracts with a position (or an order that could open one)
    max_consecutive_losses: int | None = None  # losing round trips in a row; then locked for the trading day
    cooldown_after_loss_minutes: int = 0
    session_windows: frozenset[str] | None = None  # names of SessionWindows where new risk may open; None: any
    flat_by: time | None = None  # CT: flatten then, and no new risk until the next trading day
    consistency_limit: Decimal | None = None  # best day / total profit, e.g. 0.5; reported
    enforce_consistency: bool = False  # deny new risk while the share is above the limit

    def __post_init__(self) -> None:
        _validate(self)

    def contract_weight(self, root: str) -> Decimal:
        """What one contract of `root` counts toward max_contracts (a micro: micro_weight; a mini: 1)."""
        spec = INSTRUMENTS.get(root)
        return self.micro_weight if spec is not None and spec.micro_of is not None else _ONE

    def contracts_allowed(self, eod_balance: Decimal) -> int | None:
        """max_contracts after the scaling tier of the last end-of-day balance."""
        for tier in self.scaling_tiers:
            if eod_balance < tier.below_balance:
                return tier.max_contracts
        return self.max_contracts


def _money(field: str, value: object, *, positive: bool) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidArgument(field, f"must be a finite Decimal amount of dollars, not {value!r}")
    if value < 0 or (positive and value == 0):
        raise InvalidArgument(field, f"must be {'positive' if positive else 'zero or more'}, not {value}")
    if value > MAX_DOLLARS:
        raise InvalidArgument(field, f"must be at most ${MAX_DOLLARS:,}")
    if value != value.quantize(Decimal(1).scaleb(-DOLLAR_PLACES)):
        raise InvalidArgument(field, "must be whole cents")
    return value


def _share(field: str, value: object, *, what: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or not _ZERO < value <= _ONE:
        raise InvalidArgument(field, f"must be a Decimal {what} in (0, 1], not {value!r}")
    if value != value.quantize(Decimal(1).scaleb(-SHARE_PLACES)):
        raise InvalidArgument(field, f"at most {SHARE_PLACES} decimal places")


def _count(field: str, value: object, *, minimum: int = 1, maximum: int = MAX_CONTRACTS) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(field, f"must be a whole number, not {value!r}")
    if value < minimum:
        raise InvalidArgument(field, f"must be at least {minimum}, not {value}")
    if value > maximum:
        raise InvalidArgument(field, f"must be at most {maximum:,}, not {value}")
    return value


def _enum(field: str, value: object, kind: type[IntEnum]) -> None:
    if not isinstance(value, kind):
        raise InvalidArgument(field, f"must be one of {', '.join(m.name for m in kind)}, not {value!r}")


_COUNT_CEILINGS = (
    ("max_contracts", MAX_CONTRACTS),
    ("max_position_size", MAX_CONTRACTS),
    ("max_order_size", MAX_CONTRACTS),
    ("max_concurrent_positions", MAX_CONCURRENT_POSITIONS),
    ("max_consecutive_losses", MAX_CONSECUTIVE_LOSSES),
)


def _validate(r: RuleSet) -> None:
    _enum("daily_loss_breach", r.daily_loss_breach, BreachMode)
    _enum("drawdown_breach", r.drawdown_breach, BreachMode)
    _enum("drawdown_mode", r.drawdown_mode, DrawdownMode)
    if r.daily_loss_limit is not None:
        _money("daily_loss_limit", r.daily_loss_limit, positive=True)
    if r.max_drawdown is not None:
        _money("max_drawdown", r.max_drawdown, positive=True)
    if r.drawdown_lock_offset is not None:
        _money("drawdown_lock_offset", r.drawdown_lock_offset, positive=False)
    if r.daily_loss_limit is not None and r.max_drawdown is not None and r.daily_loss_limit > r.max_drawdown:
        raise InvalidArgument(
            "daily_loss_limit", f"${r.daily_loss_limit} is beyond the maximum drawdown ${r.max_drawdown}"
        )
    for name, maximum in _COUNT_CEILINGS:
        value = getattr(r, name)
        if value is not None:
            _count(name, value, maximum=maximum)
    _count("cooldown_after_loss_minutes", r.cooldown_after_loss_minutes, minimum=0, maximum=MAX_COOLDOWN_MINUTES)
    _share("micro_weight", r.micro_weight, what="weight")
    _validate_tiers(r)
    if r.session_windows is not None:
        if not isinstance(r.session_windows, frozenset) or not r.session_windows:
            raise InvalidArgument("session_windows", "must be a non-empty frozenset of window names (None: any)")
        if len(r.session_windows) > MAX_SESSION_WINDOWS:
            raise InvalidArgument("session_windows", f"at most {MAX_SESSION_WINDOWS} window names")
        if not all(isinstance(n, str) and n.strip() for n in r.session_windows):
            raise InvalidArgument("session_windows", "window names must be non-empty text")
        if any(len(n) > MAX_WINDOW_NAME_CHARS for n in r.session_windows):
            raise InvalidArgument("session_windows", f"window names have at most {MAX_WINDOW_NAME_CHARS} characters")
    if r.flat_by is not None and (not isinstance(r.flat_by, time) or r.flat_by.tzinfo is not None):
        raise InvalidArgument("flat_by", "must be a naive datetime.time read in America/Chicago")
    if r.consistency_limit is not None:
        _share("consistency_limit", r.consistency_limit, what="share")
    if not isinstance(r.enforce_consistency, bool):
        raise InvalidArgument("enforce_consistency", "must be true or false")
    if r.enforce_consistency and r.consistency_limit is None:
        raise InvalidArgument("enforce_consistency", "needs a consistency_limit to enforce")


def _validate_tiers(r: RuleSet) -> None:
    if not isinstance(r.scaling_tiers, tuple):
        raise InvalidArgument("scaling_tiers", "must be a tuple of ScalingTier")
    if len(r.scaling_tiers) > MAX_SCALING_TIERS:
        raise InvalidArgument("scaling_tiers", f"at most {MAX_SCALING_TIERS} tiers")
    if r.scaling_tiers and r.max_contracts is None:
        raise InvalidArgument("scaling_tiers", "need max_contracts for balances above the last tier")
    previous: ScalingTier | None = None
    for i, tier in enumerate(r.scaling_tiers):
        where = f"scaling_tiers[{i}]"
        if not isinstance(tier, ScalingTier):
            raise InvalidArgument(where, "must be a ScalingTier")
        _money(f"{where}.below_balance", tier.below_balance, positive=True)
        _count(f"{where}.max_contracts", tier.max_contracts)
        if previous is not None and tier.below_balance <= previous.below_balance:
            raise InvalidArgument(f"{where}.below_balance", "tiers must be in increasing balance order")
        if previous is not None and tier.max_contracts <= previous.max_contracts:
            raise InvalidArgument(f"{where}.max_contracts", "must increase from one tier to the next")
        if r.max_contracts is not None and tier.max_contracts > r.max_contracts:
            raise InvalidArgument(f"{where}.max_contracts", f"exceeds max_contracts {r.max_contracts}")
        previous = tier
