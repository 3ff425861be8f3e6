"""Strategy models (StrategyService): exact Decimal money, nanosecond timestamps."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum


class StrategyStatus(Enum):
    UNSPECIFIED = "unspecified"
    INACTIVE = "inactive"
    ACTIVE = "active"
    FAILED = "failed"  # raised at run time: its account is held until an operator resumes it
    STOPPED = "stopped"  # emergency-stopped


@dataclass(frozen=True, slots=True)
class StrategyFinding:
    severity: str  # "error" (activation refused) or "warning"
    path: str  # the rule it concerns, e.g. rules.entry[0].when.all[1]
    message: str


@dataclass(frozen=True, slots=True)
class StrategyVersionPnl:
    """One version's P&L in R: what the round trips its orders opened realised, and its open trades marked at the
    last trade print. R is the trade journal's (P&L over the initial risk, entry to stop x quantity), to 4 places;
    None for unrealised when flat, before a print, or when an open trade has no known stop (no R)."""

    version: int
    realised_r: Decimal
    realised_r_today: Decimal
    unrealised_r: Decimal | None
    open_qty: int
    trades: int  # round trips it opened
    r_trades: int  # of those, with a known initial stop (counted in R)


@dataclass(frozen=True, slots=True)
class StrategyInfo:
    strategy_id: str
    version: int
    kind: str  # rules or first_hour_breakout
    status: StrategyStatus
    account_id: str
    contract_id: str
    description: str
    position: int  # its own net position, signed contracts
    realised: Decimal  # dollars since first loaded, commissions included
    realised_today: Decimal  # on the current CME trading day
    unrealised: Decimal | None  # its position at the last trade; None when flat or without a price
    trades_today: int
    trades: int
    errors: int  # run-time failures
    last_error: str
    updated_ns: int
    findings: tuple[StrategyFinding, ...]
    state_json: str
    # P&L in R, live (the sums of version_pnl): realised (all time, today) and its open trades at the last print;
    # unrealised_r None when flat, before a print, or when an open trade has no known stop
    realised_r: Decimal = Decimal(0)
    realised_r_today: Decimal = Decimal(0)
    unrealised_r: Decimal | None = None
    version_pnl: tuple[StrategyVersionPnl, ...] = ()  # per version that traded, oldest first


@dataclass(frozen=True, slots=True)
class StrategyVersionInfo:
    version: int
    source: str  # the definition text as loaded
    format: str  # toml or json
    created_ns: int


@dataclass(frozen=True, slots=True)
class StrategyEventInfo:
    seq: int
    strategy_id: str
    version: int
    ts_ns: int
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class StrategyUpdate:
    """One message of the event stream: a stored log event, or (with include_updates) the strategy after a
    change of its figures."""

    event: StrategyEventInfo | None
    strategy: StrategyInfo | None


@dataclass(frozen=True, slots=True)
class VersionResult:
    """The closed trades one version of a strategy opened."""

    version: int
    trades: int
    wins: int
    net: Decimal  # dollars, commissions included
    r: Decimal  # summed R of the trades with a known stop, to 4 places
    r_trades: int


@dataclass(frozen=True, slots=True)
class StrategyDetail:
    strategy: StrategyInfo
    versions: tuple[StrategyVersionInfo, ...]
    events: tuple[StrategyEventInfo, ...]  # oldest first
    results: tuple[VersionResult, ...] = ()  # closed trades per version


@dataclass(frozen=True, slots=True)
class StrategyValidation:
    findings: tuple[StrategyFinding, ...]
    ok: bool  # no error among the findings: it could be activated


@dataclass(frozen=True, slots=True)
class StrategyLoadResult:
    strategy: StrategyInfo
    changed: bool  # False: the same definition was already the current version
