"""What the strategy host hands the journal: log events, new immutable versions and each strategy's current row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
class VersionPnl:
    """One version's R, live (trades.model.RoundTrip.result_r and open_r: a trade's P&L in ticks over its initial
    risk, entry to initial stop x quantity, commissions not included), from the round trips its orders opened.
    Trades without a known initial stop have no R: they are left out of `realised_r`, and while one is open
    `unrealised_r` is None (the dollar figures still count them)."""

    version: int
    realised_r: Fraction  # since first loaded
    realised_r_today: Fraction  # on the strategy's trade date (the CME trading day of its dollar figures)
    unrealised_r: Fraction | None  # its open trades at the strategy's mark; None when flat, unmarked or without R
    open_qty: int  # contracts open in its trades
    trades: int  # round trips it opened
    r_trades: int  # of those, with a known initial stop


def total_unrealised_r(versions: Sequence[VersionPnl]) -> Fraction | None:
    """The open trades' R over every version: None when none is open, or one open is without R or a mark."""
    total = Fraction(0)
    open_any = False
    for v in versions:
        if v.open_qty:
            if v.unrealised_r is None:
                return None
            open_any = True
            total += v.unrealised_r
    return total if open_any else None


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
    mark: int | None = None  # the last trade price (ticks) its open trades are marked at; None before one
    versions: tuple[VersionPnl, ...] = ()  # R per version that traded, oldest first

    @property
    def realised_r(self) -> Fraction:
        return sum((v.realised_r for v in self.versions), Fraction(0))

    @property
    def realised_r_today(self) -> Fraction:
        return sum((v.realised_r_today for v in self.versions), Fraction(0))

    @property
    def unrealised_r(self) -> Fraction | None:
        return total_unrealised_r(self.versions)
