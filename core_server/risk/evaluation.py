"""Pure risk arithmetic: status thresholds, the trailing threshold, consistency, and the per-tick quiet bands.

Boundaries (SPEC §6 "safe < 50 %, warning 50-70 %, danger 70-90 %, locked > 90 %"): exactly 50 % is warning,
exactly 70 % danger, exactly 90 % still danger, anything above 90 % locked (new risk blocked). A breach is
*reaching* the limit: daily loss used >= the limit, or equity <= the trailing threshold (the firms say
"hit" / "touch").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core_server.execution.model import AccountId
from core_server.risk.events import RiskStatus
from core_server.risk.rules import DrawdownMode, RuleSet

_ZERO = Decimal(0)
# Shares of the daily loss limit where the status can change; 1 is the breach.
STATUS_SHARES = (Decimal("0.5"), Decimal("0.7"), Decimal("0.9"), Decimal(1))
NEVER = 1 << 62  # a price no tick reaches: the band edge when a side has no threshold


def status_of(used: Decimal, limit: Decimal | None) -> RiskStatus:
    """The status for `used` dollars of daily loss (>= 0) against `limit` (None: no daily limit, safe)."""
    if limit is None:
        return RiskStatus.SAFE
    if used * 10 > limit * 9:
        return RiskStatus.LOCKED
    if used * 10 >= limit * 7:
        return RiskStatus.DANGER
    if used * 2 >= limit:
        return RiskStatus.WARNING
    return RiskStatus.SAFE


def loss_used(day_pnl: Decimal) -> Decimal:
    """Daily loss used: the negative part of the day's P&L (realised - fees + unrealised change)."""
    return -day_pnl if day_pnl < 0 else _ZERO


def drawdown_threshold(rules: RuleSet, starting_balance: Decimal, peak: Decimal) -> Decimal | None:
    """Equity at or below which the trailing drawdown is breached; it stops trailing at the lock level."""
    if rules.max_drawdown is None:
        return None
    if rules.drawdown_mode is DrawdownMode.STATIC:
        return starting_balance - rules.max_drawdown
    level = peak - rules.max_drawdown
    if rules.drawdown_lock_offset is not None:
        level = min(level, starting_balance + rules.drawdown_lock_offset)
    return level


def drawdown_locked(rules: RuleSet, starting_balance: Decimal, threshold: Decimal | None) -> bool:
    """Whether the threshold has stopped trailing (static thresholds never trail)."""
    if threshold is None or rules.drawdown_mode is DrawdownMode.STATIC:
        return True
    offset = rules.drawdown_lock_offset
    return offset is not None and threshold >= starting_balance + offset


def consistency_share(day_results: Iterable[Decimal]) -> Decimal | None:
    """Best day / total profit over the given day results; None while the total is not positive."""
    results = list(day_results)
    total = sum(results, _ZERO)
    if total <= 0:
        return None
    return max(results) / total


def equity_levels(
    rules: RuleSet, day_start_equity: Decimal | None, threshold: Decimal | None, peak: Decimal | None
) -> tuple[Decimal, ...]:
    """Every equity at which a full evaluation must run: status boundaries, the breach, the trailing threshold
    and (intraday trailing) the peak. No day start (None): the daily levels are left out (already locked)."""
    levels: list[Decimal] = []
    limit = rules.daily_loss_limit
    if limit is not None and day_start_equity is not None:
        levels.extend(day_start_equity - share * limit for share in STATUS_SHARES)
    if threshold is not None:
        levels.append(threshold)
    if peak is not None:
        levels.append(peak)
    return tuple(levels)


def slack(equity: Decimal, levels: Iterable[Decimal]) -> tuple[Decimal | None, Decimal | None]:
    """(dollars down to the nearest level at or below equity, dollars up to the nearest at or above); None: none."""
    down: Decimal | None = None
    up: Decimal | None = None
    for level in levels:
        if level <= equity and (down is None or equity - level < down):
            down = equity - level
        if level >= equity and (up is None or level - equity < up):
            up = level - equity
    return down, up


def ticks_within(dollars: Decimal | None, per_tick: Decimal) -> int:
    """The smallest number of ticks whose move of `per_tick` dollars each reaches `dollars` (ceil)."""
    if dollars is None or dollars >= per_tick * NEVER:  # beyond any price a tick can reach
        return NEVER
    whole, rest = divmod(dollars, per_tick)
    return int(whole) + (1 if rest else 0)


@dataclass(frozen=True, slots=True)
class RiskFigures:
    """One account's risk numbers as of its last evaluation (what the UI shows and the audit log quotes)."""

    account_id: AccountId
    ts_event: int
    trading_day: date
    status: RiskStatus
    balance: Decimal
    unrealised: Decimal
    equity: Decimal
    day_pnl: Decimal  # equity now - equity at the day's start (realised - fees + unrealised change)
    daily_loss_used: Decimal
    daily_loss_limit: Decimal | None
    daily_loss_share: Decimal | None  # used / limit
    peak: Decimal
    drawdown_threshold: Decimal | None
    drawdown_distance: Decimal | None  # equity - threshold: dollars left before the breach
    drawdown_locked: bool  # the threshold has stopped trailing
    contracts_allowed: int | None  # max_contracts after the scaling tier
    consecutive_losses: int
    cooldown_until_ns: int
    consistency: Decimal | None  # best day / total profit, today included
    locked: bool
    failed: bool
    lock_reason: str
