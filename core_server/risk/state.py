"""Per-account risk state: the day's baseline, the trailing peak, locks, loss streak, and open holdings.

The engine mirrors what it needs from execution events (positions, balance) so a tick is priced from
integer ticks without asking the execution engine anything. Mutable on purpose: it lives inside RiskEngine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from core_server.calendar.trading_day import DAY_ROLL
from core_server.execution.model import AccountId
from core_server.model.clock import NS_PER_MINUTE, ns_from_datetime
from core_server.model.instruments import EXCHANGE_TZ
from core_server.risk.evaluation import NEVER, RiskFigures
from core_server.risk.events import RiskEvent, RiskEventKind, RiskStatus, Rule
from core_server.risk.rules import DrawdownMode, RuleSet

_ZERO = Decimal(0)

MarkOf = Callable[[str, int], int | None]  # (contract id, net qty) -> the mark price in ticks, or None


@dataclass(slots=True, eq=False)
class Holding:
    """One open position as the hot path needs it; unrealised ticks = mark * net - signed_cost."""

    account: AccountState
    contract_id: str
    net: int
    signed_cost: int  # open cost for a long, minus it for a short
    tick_value: Decimal
    lo: int = NEVER  # the quiet band: a mark strictly inside (lo, hi) changes nothing
    hi: int = -NEVER

    def unrealised(self, mark: int) -> Decimal:
        return self.tick_value * (mark * self.net - self.signed_cost)


@dataclass(slots=True, eq=False)
class AccountState:
    account_id: AccountId
    rules: RuleSet
    starting_balance: Decimal
    balance: Decimal
    trading_day: date
    day_start_equity: Decimal
    peak: Decimal
    eod_balance: Decimal  # the last end-of-day balance: picks the scaling tier
    holdings: dict[str, Holding] = field(default_factory=dict)
    trips: dict[str, list[Decimal]] = field(default_factory=dict)  # contract -> [realised, fees] of the open trip
    day_results: list[tuple[date, Decimal]] = field(default_factory=list)  # closed trading days
    unrealised: Decimal = _ZERO
    status: RiskStatus = RiskStatus.SAFE
    lock_rule: Rule | None = None  # soft lock until the next trading day
    lock_reason: str = ""
    failed_rule: Rule | None = None  # set: failed for good
    failed_reason: str = ""
    held_reason: str = ""  # set: held by an operator lock (a failing stage) until released
    consecutive_losses: int = 0
    cooldown_until_ns: int = 0
    flat_by_ns: int = NEVER  # this trading day's flat-by instant
    flat_by_done: bool = False
    figures: RiskFigures | None = None

    @property
    def failed(self) -> bool:
        return self.failed_rule is not None

    @property
    def equity(self) -> Decimal:
        return self.balance + self.unrealised

    def price(self, mark_of: MarkOf) -> Decimal:
        """Recompute unrealised P&L from every holding's mark (no mark yet: counts zero, as the paper engine)."""
        total = _ZERO
        for h in self.holdings.values():
            mark = mark_of(h.contract_id, h.net)
            if mark is not None:
                total += h.unrealised(mark)
        self.unrealised = total
        return total

    def start_day(self, day: date, flat_by_ns: int) -> None:
        """Begin trading day `day` at the current equity: daily counters reset, soft locks lifted; `flat_by_ns` is
        the day's flat-by instant (RiskDays.flat_by_ns)."""
        self.trading_day = day
        self.day_start_equity = self.equity
        self.consecutive_losses = 0
        self.cooldown_until_ns = 0
        self.lock_rule = None
        self.lock_reason = ""
        self.flat_by_ns = flat_by_ns
        self.flat_by_done = False

    def close_day(self) -> Decimal:
        """The end-of-day step before `start_day`: book the day's result, trail the EOD peak, pick the tier."""
        result = self.equity - self.day_start_equity
        self.day_results.append((self.trading_day, result))
        if self.rules.drawdown_mode is DrawdownMode.END_OF_DAY and self.equity > self.peak:
            self.peak = self.equity
        self.eod_balance = self.balance
        return result

    def book_trip(self, result: Decimal, ts: int) -> RiskEvent | None:
        """A round trip closed with `result` (realised - fees): streak, cooldown, and the lock it may cause."""
        rules = self.rules
        if result >= 0:
            self.consecutive_losses = 0
            return None
        self.consecutive_losses += 1
        if rules.cooldown_after_loss_minutes:
            self.cooldown_until_ns = ts + rules.cooldown_after_loss_minutes * NS_PER_MINUTE
        limit = rules.max_consecutive_losses
        if limit is None or self.consecutive_losses < limit or self.lock_rule is not None:
            return None
        self.lock_rule = Rule.CONSECUTIVE_LOSSES
        self.lock_reason = (
            f"consecutive losses: {self.consecutive_losses} of {limit}; locked until the next trading day"
        )
        numbers = (("losses", self.consecutive_losses), ("limit", limit), ("last_result", result))
        return RiskEvent(RiskEventKind.LOCKED, self.account_id, ts, Rule.CONSECUTIVE_LOSSES, self.lock_reason, numbers)

    def day_result_values(self) -> list[Decimal]:
        """Closed days plus today so far (the consistency share counts the running day)."""
        return [r for _, r in self.day_results] + [self.equity - self.day_start_equity]


def flat_by_instant(rules: RuleSet, day: date) -> int:
    """UTC ns of the flat-by wall clock inside trading day `day` (NEVER when the rule is off), before any early
    close moves it (RiskDays.flat_by_ns)."""
    if rules.flat_by is None:
        return NEVER
    # A time from 17:00 CT on falls on the evening the trading day started.
    local_date = day - timedelta(days=1) if rules.flat_by >= DAY_ROLL else day
    return ns_from_datetime(datetime.combine(local_date, rules.flat_by, EXCHANGE_TZ))
