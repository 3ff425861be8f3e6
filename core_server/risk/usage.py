"""What the Risk screen shows: an account's effective state, how long a lock lasts, and each rule's usage."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core_server.execution.model import AccountId
from core_server.execution.ports import ExecutionView
from core_server.risk.evaluation import RiskFigures
from core_server.risk.events import RiskStatus
from core_server.risk.exposure import exposures
from core_server.risk.pre_trade import root_of
from core_server.risk.rules import RuleSet
from core_server.risk.saved import SavedAccount
from core_server.risk.wording import contracts, money

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class RuleUsage:
    rule: str
    current: str
    limit: str
    used: Decimal | None  # share of the limit used; None when not meaningful


@dataclass(frozen=True, slots=True)
class AccountRisk:
    """One account's risk as the API reports it."""

    figures: RiskFigures
    rules: RuleSet
    preset: str
    state: RiskStatus  # the figures' status, raised to LOCKED by a cooldown, flat-by or an emergency stop
    locked_until_ns: int  # 0: not locked, or not until a known time (failed, over 90 %, emergency stop)
    reason: str
    emergency_stop: bool
    usage: tuple[RuleUsage, ...]


def account_risk(
    figures: RiskFigures,
    saved: SavedAccount,
    rules: RuleSet,
    preset: str,
    view: ExecutionView,
    emergency_stop: bool,
    now_ns: int,
    *,
    next_day_ns: int,
    market_hours: RuleUsage | None = None,
) -> AccountRisk:
    """`next_day_ns`: when the current CME trading day ends (a soft lock lifts); `market_hours`: the market-hours
    rule's row (RiskEngine.market_hours_usage), listed first."""
    next_day = next_day_ns
    state, until, reason = figures.status, 0, figures.lock_reason
    if figures.failed:
        state = RiskStatus.FAILED
    elif figures.locked or saved.flat_by_done:
        state, until = RiskStatus.LOCKED, next_day
        reason = reason or "flat-by passed: no new risk until the next trading day"
    elif saved.held_reason:
        state, reason = RiskStatus.LOCKED, f"held: {saved.held_reason}"
    elif figures.cooldown_until_ns > now_ns:
        state, until = RiskStatus.LOCKED, figures.cooldown_until_ns
        reason = "cooldown after a loss"
    elif emergency_stop:
        state, reason = RiskStatus.LOCKED, "emergency stop: new risk is blocked until resumed"
    elif state is RiskStatus.LOCKED:
        reason = "daily loss above 90% of the limit: new risk is blocked"
    usage = usage_of(figures, rules, view, saved)
    if market_hours is not None:
        usage = (market_hours, *usage)
    return AccountRisk(figures, rules, preset, state, until, reason, emergency_stop, usage)


def usage_of(figures: RiskFigures, rules: RuleSet, view: ExecutionView, saved: SavedAccount) -> tuple[RuleUsage, ...]:
    rows: list[RuleUsage] = []
    if figures.daily_loss_limit is not None:
        rows.append(
            RuleUsage("daily_loss", money(figures.daily_loss_used), money(figures.daily_loss_limit),
                      _share(figures.daily_loss_share))
        )  # fmt: skip
    if figures.drawdown_threshold is not None and rules.max_drawdown is not None:
        distance = figures.drawdown_distance or _ZERO
        used = (rules.max_drawdown - distance) / rules.max_drawdown
        rows.append(
            RuleUsage("trailing_drawdown", money(figures.equity), money(figures.drawdown_threshold),
                      _share(max(_ZERO, used)))
        )  # fmt: skip
    account_id = AccountId(figures.account_id)
    book = exposures(view.positions(account_id), view.open_orders(account_id))
    if figures.contracts_allowed is not None:
        total = sum((rules.contract_weight(root_of(c)) * e.worst for c, e in book.items()), _ZERO)
        rows.append(
            RuleUsage("max_contracts", contracts(total), str(figures.contracts_allowed),
                      _share(total / figures.contracts_allowed))
        )  # fmt: skip
    if rules.max_position_size is not None:
        worst = max((e.worst for e in book.values()), default=0)
        limit = rules.max_position_size
        rows.append(RuleUsage("max_position_size", str(worst), str(limit), _share(Decimal(worst) / limit)))
    if rules.max_concurrent_positions is not None:
        count = sum(1 for e in book.values() if e.worst > 0)
        limit = rules.max_concurrent_positions
        rows.append(RuleUsage("max_concurrent_positions", str(count), str(limit), _share(Decimal(count) / limit)))
    if rules.max_consecutive_losses is not None:
        losses, limit = figures.consecutive_losses, rules.max_consecutive_losses
        rows.append(RuleUsage("consecutive_losses", str(losses), str(limit), _share(Decimal(losses) / limit)))
    if rules.consistency_limit is not None:
        share = figures.consistency
        current = "" if share is None else str(share.quantize(Decimal("0.0001")))
        ratio = None if share is None else share / rules.consistency_limit
        rows.append(RuleUsage("consistency", current, str(rules.consistency_limit), _share(ratio)))
    return tuple(rows)


def _share(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.0001"))
