"""What the strategy host hands the journal: log events, new immutable versions and each strategy's current row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction


class Status(StrEnum):
    INACTIVE = "inactive"  # loaded, not trading
    ACTIVE = "active"
    FAILED = "failed"  # raised at run time: isolated, its account held; an operator re-activates it
    STOPPED = "stopped"  # emergency-stopped: orders cancelled, position closed


@dataclass(frozen=True, slots=True)
class StrategyEvent:
    """One line of a strategy's append-only event log."""

    strategy_id: str
    version: int
    ts_ns: int
    kind: str  # loaded, activated, deactivated, emergency_stop, entry, exit, skipped, placed, cancelled, refused, ...
    message: str


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """A stored event with its place in the log (seq), as the bus and the event stream carry it."""

    seq: int
    event: StrategyEvent


@dataclass(frozen=True, slots=True)
class StrategyVersion:
    """An immutable version of a definition, as its text."""

    strategy_id: str
    version: int
    source: str
    fmt: str  # toml or json
    created_ns: int


@dataclass(frozen=True, slots=True)
class VersionResult:
    """The closed trades one version opened: count, wins, net dollars, summed R (of the trades with a stop)."""

    version: int
    trades: int
    wins: int
    net: Decimal
    r: Fraction
    r_trades: int


@dataclass(frozen=True, slots=True)
class StrategyRecord:
    """A strategy's current state: the row that lets it continue after a restart."""

    strategy_id: str
    version: int
    status: Status
    account_id: str
    contract_id: str
    state: Mapping[str, object]  # the strategy's own state (JSON-able)
    position: int  # its own net position, signed contracts
    cost_ticks: str  # open cost of that position in ticks x contracts, exact (a fraction "n/d" after uneven exits)
    realised: Decimal  # dollars, commissions included, since it was first loaded
    trade_date: str  # the CME trade date the daily figures below belong to (ISO), "" before the first fill
    realised_today: Decimal
    trades_today: int  # entries filled today
    trades: int
    errors: int  # run-time failures, counted
    last_error: str
    updated_ns: int
