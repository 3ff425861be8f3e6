"""A full evaluation of one account: price it, detect breaches, set its status, and rebuild its quiet bands.

Runs when a fill changes the account, a mark leaves a holding's band, the day rolls or the rules change.
The bands share the dollars left before the nearest level (a status boundary, a breach, the trailing
threshold, a new intraday peak) equally among the priced holdings, so while every mark stays strictly
inside its band nothing can have changed and a tick costs two integer comparisons per holding.
"""

from __future__ import annotations

from decimal import Decimal

from core_server.risk.evaluation import (
    NEVER,
    RiskFigures,
    consistency_share,
    drawdown_locked,
    drawdown_threshold,
    equity_levels,
    loss_used,
    slack,
    status_of,
    ticks_within,
)
from core_server.risk.events import RiskAction, RiskEvent, RiskEventKind, RiskStatus, Rule, close_out
from core_server.risk.rules import BreachMode, DrawdownMode
from core_server.risk.state import AccountState, MarkOf
from core_server.risk.wording import money, percent

Out = tuple[list[RiskEvent], list[RiskAction]]


def assess(state: AccountState, ts: int, mark_of: MarkOf, out: Out) -> None:
    if state.failed_rule is not None:
        _quiet(state)
        return
    rules = state.rules
    state.price(mark_of)
    equity = state.equity
    if rules.drawdown_mode is DrawdownMode.INTRADAY_UNREALIZED and equity > state.peak:
        state.peak = equity
    threshold = drawdown_threshold(rules, state.starting_balance, state.peak)
    used = loss_used(equity - state.day_start_equity)
    limit = rules.daily_loss_limit
    if threshold is not None and equity <= threshold and state.lock_rule is not Rule.TRAILING_DRAWDOWN:
        reason = f"trailing drawdown: equity {money(equity)} reached the threshold {money(threshold)}"
        numbers = (("equity", equity), ("threshold", threshold), ("peak", state.peak))
        _breach(state, Rule.TRAILING_DRAWDOWN, rules.drawdown_breach, reason, numbers, ts, out)
    elif limit is not None and used >= limit and state.lock_rule is not Rule.DAILY_LOSS:
        reason = f"daily loss: used {money(used)} of {money(limit)}"
        _breach(state, Rule.DAILY_LOSS, rules.daily_loss_breach, reason, (("used", used), ("limit", limit)), ts, out)
    if state.failed_rule is not None:
        status = RiskStatus.FAILED
    else:
        status = RiskStatus.LOCKED if state.lock_rule is not None else status_of(used, limit)
    if status is not state.status:
        share = f" ({percent(used / limit)} of the daily loss limit used)" if limit is not None else ""
        out[0].append(
            RiskEvent(
                RiskEventKind.STATUS_CHANGED, state.account_id, ts, Rule.DAILY_LOSS,
                f"status {state.status.name.lower()} -> {status.name.lower()}{share}",
                (("from", state.status.name.lower()), ("to", status.name.lower()), ("used", used)),
            )
        )  # fmt: skip
        state.status = status
    state.figures = figures_of(state, ts, threshold, used)
    if state.failed_rule is not None:
        _quiet(state)
        return
    # The intraday peak stays a level after the threshold has locked: it no longer moves the threshold, but it is
    # the high-water mark the account reports (Apex shows it), so it keeps tracking.
    intraday_peak = state.peak if rules.drawdown_mode is DrawdownMode.INTRADAY_UNREALIZED else None
    daily_start = state.day_start_equity if state.lock_rule is not Rule.DAILY_LOSS else None
    levels = equity_levels(rules, daily_start, threshold, intraday_peak)
    _set_bands(state, slack(equity, levels), mark_of)


def _breach(
    state: AccountState,
    rule: Rule,
    mode: BreachMode,
    reason: str,
    numbers: tuple[tuple[str, Decimal], ...],
    ts: int,
    out: Out,
) -> None:
    events, actions = out
    account_id = state.account_id
    events.append(RiskEvent(RiskEventKind.BREACH, account_id, ts, rule, reason, numbers))
    if mode is BreachMode.HARD:
        state.failed_rule, state.failed_reason = rule, reason
        events.append(RiskEvent(RiskEventKind.FAILED, account_id, ts, rule, f"account failed: {reason}", numbers))
    else:
        state.lock_rule, state.lock_reason = rule, f"{reason}; locked until the next trading day"
        events.append(RiskEvent(RiskEventKind.LOCKED, account_id, ts, rule, state.lock_reason, numbers))
    actions.extend(close_out(account_id))


def _quiet(state: AccountState) -> None:
    """A failed account is never evaluated on ticks again."""
    for h in state.holdings.values():
        h.lo, h.hi = -NEVER, NEVER


def _set_bands(state: AccountState, room: tuple[Decimal | None, Decimal | None], mark_of: MarkOf) -> None:
    down, up = room
    priced = [(h, mark_of(h.contract_id, h.net)) for h in state.holdings.values()]
    count = sum(1 for _, mark in priced if mark is not None)
    for h, mark in priced:
        if mark is None:
            h.lo, h.hi = NEVER, -NEVER  # the first mark evaluates
            continue
        per_tick = abs(h.net) * h.tick_value * count
        worse, better = ticks_within(down, per_tick), ticks_within(up, per_tick)
        if h.net > 0:
            h.lo, h.hi = mark - worse, mark + better
        else:
            h.lo, h.hi = mark - better, mark + worse


def figures_of(state: AccountState, ts: int, threshold: Decimal | None, used: Decimal) -> RiskFigures:
    rules = state.rules
    limit = rules.daily_loss_limit
    equity = state.equity
    return RiskFigures(
        account_id=state.account_id,
        ts_event=ts,
        trading_day=state.trading_day,
        status=state.status,
        balance=state.balance,
        unrealised=state.unrealised,
        equity=equity,
        day_pnl=equity - state.day_start_equity,
        daily_loss_used=used,
        daily_loss_limit=limit,
        daily_loss_share=used / limit if limit is not None else None,
        peak=state.peak,
        drawdown_threshold=threshold,
        drawdown_distance=equity - threshold if threshold is not None else None,
        drawdown_locked=threshold is not None and drawdown_locked(rules, state.starting_balance, threshold),
        contracts_allowed=rules.contracts_allowed(state.eod_balance),
        consecutive_losses=state.consecutive_losses,
        cooldown_until_ns=state.cooldown_until_ns,
        consistency=consistency_share(state.day_result_values()),
        locked=state.lock_rule is not None,
        failed=state.failed_rule is not None,
        lock_reason=state.failed_reason or state.lock_reason,
    )
