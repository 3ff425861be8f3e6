"""Prop-firm risk values the SDK sends and returns: rule sets, account risk status and audit-log events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from clients.sdk.models import datetime_from_ns, parse_enum


class RiskState(Enum):
    UNKNOWN = "unknown"  # the server sent a state this SDK does not know
    SAFE = "safe"  # under 50 % of the daily loss limit used
    WARNING = "warning"
    DANGER = "danger"
    LOCKED = "locked"  # new risk blocked: over 90 % used, soft breach, cooldown, flat-by or emergency stop
    FAILED = "failed"  # a hard breach: the account failed

    @classmethod
    def parse(cls, value: RiskState | str, field: str = "state") -> RiskState:
        return parse_enum(cls, value, field, "risk state")

    @property
    def allows_new_risk(self) -> bool:
        return self in (RiskState.SAFE, RiskState.WARNING, RiskState.DANGER)

    def __str__(self) -> str:
        return self.value


class BreachMode(Enum):
    UNKNOWN = "unknown"  # the server sent a mode this SDK does not know
    SOFT = "soft"  # flatten, cancel and lock until the next trading day
    HARD = "hard"  # the account fails

    @classmethod
    def parse(cls, value: BreachMode | str, field: str = "daily_loss_breach") -> BreachMode:
        return parse_enum(cls, value, field, "breach mode")

    def __str__(self) -> str:
        return self.value


class TrailingMode(Enum):
    UNKNOWN = "unknown"  # the server sent a mode this SDK does not know
    END_OF_DAY = "end_of_day"  # the threshold trails the end-of-day balance peak
    INTRADAY = "intraday"  # the threshold trails the intraday peak including unrealised P&L
    STATIC = "static"  # a fixed threshold below the starting balance

    @classmethod
    def parse(cls, value: TrailingMode | str, field: str = "trailing_mode") -> TrailingMode:
        """end_of_day (eod), intraday or static in any case."""
        return parse_enum(cls, value, field, "trailing mode", {"eod": TrailingMode.END_OF_DAY})

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class ScalingTier:
    """Above `min_balance` (end of day), at most `max_contracts`."""

    min_balance: Decimal
    max_contracts: int


@dataclass(frozen=True, slots=True)
class RiskRules:
    """A rule set; None (or empty) means "no such rule". Money is in dollars.

    Passed to set_rules together with a preset, only the fields that are set override the preset's.
    """

    preset: str = ""  # the preset these rules started from, if any
    starting_balance: Decimal | None = None
    daily_loss_limit: Decimal | None = None
    daily_loss_breach: BreachMode | None = None
    trailing_drawdown: Decimal | None = None
    trailing_mode: TrailingMode | None = None
    trailing_lock_offset: Decimal | None = None  # the threshold stops trailing at starting balance + this
    max_contracts: int | None = None  # in minis; a micro counts as `micro_fraction` of a mini
    micro_fraction: Decimal | None = None
    scaling_tiers: tuple[ScalingTier, ...] = ()
    max_position_size: int | None = None
    max_order_size: int | None = None  # contracts per order; None: the server's default (VIGIL_MAX_ORDER_SIZE)
    max_concurrent_positions: int | None = None
    max_consecutive_losses: int | None = None
    cooldown_minutes: int | None = None
    trading_windows: tuple[str, ...] = ()  # named session windows; empty: any time the market is open
    flat_by: str | None = None  # HH:MM America/Chicago
    consistency_limit: Decimal | None = None  # best day as a share of total profit, e.g. Decimal("0.5")
    consistency_enforced: bool = False


@dataclass(frozen=True, slots=True)
class RuleUsage:
    """One rule's current value against its limit, as display text; `used` is the share of the limit used."""

    rule: str
    current: str
    limit: str
    used: Decimal | None  # e.g. Decimal("0.42"); None when not meaningful


@dataclass(frozen=True, slots=True)
class RiskStatus:
    """Where one account stands against its rules on the current CME trading day."""

    account_id: str
    state: RiskState
    trading_day: str  # e.g. 2026-11-23
    daily_loss_used: Decimal  # realised (after fees) plus unrealised loss today, positive
    daily_loss_limit: Decimal | None
    drawdown_threshold: Decimal | None  # balance level at which the trailing drawdown is breached
    distance_to_threshold: Decimal | None  # from equity
    peak_balance: Decimal
    equity: Decimal
    locked_until_ns: int  # 0 when not locked
    reason: str
    emergency_stop: bool
    rules: tuple[RuleUsage, ...]
    updated_ns: int

    def usage(self, rule: str) -> RuleUsage | None:
        """The usage line of the rule called `rule`, if the server reported it."""
        return next((r for r in self.rules if r.rule == rule), None)

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.updated_ns)


@dataclass(frozen=True, slots=True)
class RiskEvent:
    """An entry of the server's append-only risk audit log."""

    seq: int
    kind: str  # order_allowed, order_denied, status_changed, breach, locked, unlocked, failed, emergency_stop, ...
    account_id: str
    ts_ns: int
    rule: str
    reason: str
    state: RiskState
    actor: str = ""  # who caused it ("key:<name>", "static-key", "local"); '' the market or the clock

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.ts_ns)


@dataclass(frozen=True, slots=True)
class RiskEventUpdate:
    """One StreamRiskEvents message: the event and the account's status right after it, as it stood then (a replayed
    entry carries its own time's status); None for engine-wide entries."""

    event: RiskEvent
    status: RiskStatus | None


@dataclass(frozen=True, slots=True)
class EmergencyStopResult:
    """What an emergency stop did across all accounts."""

    orders_cancelled: int
    positions_flattened: int
    ts_ns: int
