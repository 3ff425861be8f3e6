"""The pre-trade decision: which rule, if any, refuses an order, with the numbers behind the refusal.

Orders that reduce risk (exposure.py) always pass, and so do reduce-only orders. Everything else is checked
in a fixed order, the first refusal wins: emergency stop, failed, operator hold, soft lock, daily loss above
90 %, trailing threshold, trading hours, flat-by, cooldown, consistency, max order size, max position size,
max contracts (micros weighted),
concurrent positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core_server.calendar.windows import SessionWindows
from core_server.execution.model import Order
from core_server.execution.ports import ExecutionView
from core_server.risk.days import MarketHours, RiskDays
from core_server.risk.evaluation import drawdown_threshold, loss_used, status_of
from core_server.risk.events import Number, RiskStatus, Rule
from core_server.risk.exposure import Exposure, exposures
from core_server.risk.rules import RuleSet
from core_server.risk.state import AccountState
from core_server.risk.wording import contracts, ct_time, money, percent

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Denial:
    rule: Rule
    reason: str
    numbers: tuple[tuple[str, Number], ...] = ()


def root_of(contract_id: str) -> str:
    """NQZ2026 -> NQ (canonical contract ids end in a month code and a four-digit year)."""
    return contract_id[:-5]


def reduces_risk(order: Order, view: ExecutionView) -> bool:
    if order.reduce_only:  # the paper engine never lets it open or add to a position (execution/exits.py)
        return True
    account_id, contract_id = order.account_id, order.contract_id
    exposure = exposures((view.position(account_id, contract_id),), view.open_orders(account_id, contract_id)).get(
        contract_id, Exposure()
    )
    return exposure.reduced_by(order)


def denial_of(
    order: Order,
    view: ExecutionView,
    state: AccountState,
    now_ns: int,
    *,
    windows: SessionWindows,
    days: RiskDays,
    default_max_order_size: int | None = None,
) -> Denial | None:
    """The first rule that refuses `order` (a risk-increasing one), or None. `default_max_order_size` applies
    when the rules set no max_order_size of their own (None: no limit)."""
    rules = state.rules
    if state.failed_rule is not None:
        return Denial(state.failed_rule, f"{state.failed_rule.label.replace('_', ' ')}: account failed")
    equity = view.equity(order.account_id)
    found = _locks(state, rules, equity) or _time_rules(state, rules, now_ns, windows, days)
    found = found or _consistency(state, rules, equity)
    return found or _order_size(order, rules, default_max_order_size) or _size_rules(order, view, state, rules)


def _order_size(order: Order, rules: RuleSet, default: int | None) -> Denial | None:
    """A fat-finger guard on one order's quantity (a modify counts its new total)."""
    limit = rules.max_order_size if rules.max_order_size is not None else default
    if limit is None or order.quantity <= limit:
        return None
    reason = f"max order size: {order.quantity} {root_of(order.contract_id)} exceeds {limit} contracts per order"
    return Denial(Rule.MAX_ORDER_SIZE, reason, (("quantity", order.quantity), ("limit", limit)))


def _locks(state: AccountState, rules: RuleSet, equity: Decimal) -> Denial | None:
    if state.held_reason:
        return Denial(Rule.STAGE_FAILURE, f"held: {state.held_reason}")
    used = loss_used(equity - state.day_start_equity)
    limit = rules.daily_loss_limit
    numbers: tuple[tuple[str, Number], ...] = (("used", used), ("limit", limit)) if limit is not None else ()
    if state.lock_rule is Rule.DAILY_LOSS:
        detail = f" (used {money(used)} of {money(limit)})" if limit is not None else ""
        return Denial(Rule.DAILY_LOSS, f"daily loss: locked until the next trading day{detail}", numbers)
    if state.lock_rule is not None:
        return Denial(state.lock_rule, state.lock_reason)
    if limit is not None and status_of(used, limit) is RiskStatus.LOCKED:
        reason = f"daily loss: {percent(used / limit)} of the limit used ({money(used)} of {money(limit)}); "
        return Denial(Rule.DAILY_LOSS, reason + "new risk is blocked above 90%", numbers)
    threshold = drawdown_threshold(rules, state.starting_balance, state.peak)
    if threshold is not None and equity <= threshold:
        reason = f"trailing drawdown: equity {money(equity)} is at or below the threshold {money(threshold)}"
        return Denial(Rule.TRAILING_DRAWDOWN, reason, (("equity", equity), ("threshold", threshold)))
    return None


def _time_rules(
    state: AccountState, rules: RuleSet, now_ns: int, windows: SessionWindows, days: RiskDays
) -> Denial | None:
    if days.market_hours is MarketHours.EXCHANGE and not days.exchange_open(now_ns):
        return Denial(Rule.TRADING_HOURS, f"trading hours: the market is closed at {ct_time(now_ns)}")
    if rules.session_windows is not None and not windows.in_any(now_ns, rules.session_windows):
        enabled = ", ".join(sorted(rules.session_windows))
        reason = f"trading hours: {ct_time(now_ns)} is outside the enabled session windows ({enabled})"
        return Denial(Rule.TRADING_HOURS, reason)
    if now_ns >= state.flat_by_ns:
        return Denial(Rule.FLAT_BY, f"flat-by {ct_time(state.flat_by_ns)} passed")
    if now_ns < state.cooldown_until_ns:
        reason = f"cooldown after a loss until {ct_time(state.cooldown_until_ns)}"
        return Denial(Rule.COOLDOWN, reason, (("until_ns", state.cooldown_until_ns),))
    return None


def _consistency(state: AccountState, rules: RuleSet, equity: Decimal) -> Denial | None:
    """Enforced consistency stops today from becoming the outlier: while the closed days are in profit, no new
    risk once today's profit is above the limit's share of the total (closed days + today). Day one is free,
    since any profit on it is 100 % of the total."""
    limit = rules.consistency_limit
    if not rules.enforce_consistency or limit is None:
        return None
    closed = sum((r for _, r in state.day_results), _ZERO)
    today = equity - state.day_start_equity
    total = closed + today
    if closed <= 0 or today <= limit * total:
        return None
    reason = (
        f"consistency: today's profit {money(today)} is {percent(today / total)} of the total profit "
        f"{money(total)}, above {percent(limit)}"
    )
    return Denial(Rule.CONSISTENCY, reason, (("today", today), ("total", total), ("limit", limit)))


def _size_rules(order: Order, view: ExecutionView, state: AccountState, rules: RuleSet) -> Denial | None:
    allowed = rules.contracts_allowed(state.eod_balance)
    if allowed is None and rules.max_position_size is None and rules.max_concurrent_positions is None:
        return None
    account_id = order.account_id
    book = exposures(view.positions(account_id), view.open_orders(account_id))
    book.setdefault(order.contract_id, Exposure()).add(order.side, order.leaves_qty)
    worst = book[order.contract_id].worst
    if rules.max_position_size is not None and worst > rules.max_position_size:
        reason = f"max position size: {worst} {root_of(order.contract_id)} would exceed {rules.max_position_size}"
        return Denial(Rule.MAX_POSITION_SIZE, reason, (("would_be", worst), ("limit", rules.max_position_size)))
    if allowed is not None:
        total = sum((rules.contract_weight(root_of(c)) * e.worst for c, e in book.items()), _ZERO)
        if total > allowed:
            reason = f"max contracts: {contracts(total)} would exceed {allowed}"
            return Denial(Rule.MAX_CONTRACTS, reason, (("would_be", total), ("limit", allowed)))
    if rules.max_concurrent_positions is not None:
        count = sum(1 for e in book.values() if e.worst > 0)
        if count > rules.max_concurrent_positions:
            reason = f"max concurrent positions: {count} would exceed {rules.max_concurrent_positions}"
            numbers: tuple[tuple[str, Number], ...] = (("would_be", count), ("limit", rules.max_concurrent_positions))
            return Denial(Rule.MAX_CONCURRENT_POSITIONS, reason, numbers)
    return None
