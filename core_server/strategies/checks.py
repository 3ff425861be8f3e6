"""Checks before activation: findings that name the rule (its path) and why. Errors refuse activation; warnings
are reported.

Errors: an instrument without a contract here; a session window that does not exist; a time window that
never opens; an `all` group whose conditions on one value contradict each other (close > 100 and close < 90),
or that compares a value with itself (close > close), or RSI outside 0..100; an exit that can never trigger;
stop or target distances off the instrument's tick grid; a risk budget that buys no contract at the stop
distance; a lookback or period longer than the history kept; a breakout window that ends before it starts.
Warnings: no exit condition (only the bracket and flat-by end a trade); a daily loss limit smaller than one
trade's risk; a flat-by time inside the entry window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from core_server.calendar.windows import SessionWindows
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import Contract, InstrumentSpec
from core_server.strategies.definition import (
    Condition,
    DistanceUnit,
    FieldOperand,
    Group,
    IndicatorOperand,
    Kind,
    NumberOperand,
    Op,
    Operand,
    StrategyDefinition,
    TimeWindow,
)
from core_server.strategies.series import WARM_CANDLES
from core_server.strategies.sizing import stop_ticks


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str  # "error" or "warning"
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message}"


def check(
    definition: StrategyDefinition, contracts: Iterable[Contract], windows: SessionWindows | None = None
) -> list[Finding]:
    found: list[Finding] = []
    contract = resolve_contract(definition.instrument, contracts)
    if contract is None:
        found.append(Finding("error", "instrument", f"no contract of {definition.instrument} is traded here"))
    spec = contract.spec if contract is not None else None
    if definition.kind is Kind.RULES:
        _rules(definition, spec, windows, found)
    else:
        _breakout(definition, spec, found)
    return found


def errors_of(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def resolve_contract(instrument: str, contracts: Iterable[Contract]) -> Contract | None:
    ordered = sorted(contracts, key=lambda c: c.id)
    for contract in ordered:
        if contract.id == instrument:
            return contract
    for contract in ordered:
        if contract.root == instrument:
            return contract
    return None


def _grid(spec: InstrumentSpec | None, amount: Decimal, unit: DistanceUnit, path: str, found: list[Finding]) -> None:
    if spec is None:
        return
    if unit is DistanceUnit.TICKS and amount != amount.to_integral_value():
        found.append(Finding("error", path, "a distance in ticks must be whole ticks"))
    elif unit is DistanceUnit.POINTS:
        try:
            spec.points_to_ticks(amount)
        except InvalidArgument as exc:
            found.append(Finding("error", path, exc.reason))


def _rules(
    definition: StrategyDefinition, spec: InstrumentSpec | None, windows: SessionWindows | None, found: list[Finding]
) -> None:
    rules = definition.rules
    assert rules is not None
    _grid(spec, rules.stop.amount, rules.stop.unit, "rules.stop", found)
    _grid(spec, rules.target.amount, rules.target.unit, "rules.target", found)
    for entry in rules.entries:
        _group(entry.when, found, "can never hold: the entry never triggers")
    if rules.exit is not None:
        _group(rules.exit, found, "can never hold: the exit can never trigger")
    else:
        found.append(Finding("warning", "rules.exit", "no exit conditions: only the bracket and flat-by end a trade"))
    window = rules.window
    if window is not None:
        if window.start is not None and window.start == window.end:
            found.append(Finding("error", "rules.window", "start equals end: the window never opens"))
        elif window.start is not None and window.end is not None and _inside_daily_halt(window):
            found.append(
                Finding("error", "rules.window", "lies inside CME's daily halt: the market never trades in it")
            )
        if windows is not None:
            known = set(windows.names)
            for i, name in enumerate(window.sessions):
                if name not in known:
                    why = f"unknown session {name!r}; use {sorted(known)}"
                    found.append(Finding("error", f"rules.window.sessions[{i}]", why))
        flat_by, start, end = rules.flat_by, window.start, window.end
        if flat_by is not None and start is not None and end is not None and start < flat_by < end:
            found.append(Finding("warning", "rules.flat_by", "falls inside the entry window"))
    if spec is not None and not [f for f in found if f.path.startswith("rules.stop")]:
        risk_ticks = stop_ticks(spec, rules.stop)
        per_contract = risk_ticks * spec.tick_value
        _sizing(definition, per_contract, found)


def _sizing(definition: StrategyDefinition, per_contract: Decimal, found: list[Finding]) -> None:
    risk = definition.sizing.risk_dollars
    if risk is not None and risk < per_contract:
        found.append(
            Finding("error", "sizing.risk_dollars", f"{risk} buys no contract: one contract risks {per_contract}")
        )
    loss = definition.limits.daily_loss
    trade_risk = per_contract * definition.sizing.contracts if risk is None else risk
    if loss is not None and loss < trade_risk:
        found.append(Finding("warning", "limits.daily_loss", f"smaller than one trade's risk ({trade_risk})"))


def _breakout(definition: StrategyDefinition, spec: InstrumentSpec | None, found: list[Finding]) -> None:
    b = definition.breakout
    assert b is not None
    if b.window_end <= b.window_start:
        found.append(Finding("error", "breakout.window_end", "must be after window_start: the window never closes"))
    _grid(spec, b.stop_points, DistanceUnit.POINTS, "breakout.stop_points", found)
    _grid(spec, b.target_points, DistanceUnit.POINTS, "breakout.target_points", found)
    for i, offset in enumerate(b.offsets):
        _grid(spec, offset, DistanceUnit.POINTS, f"breakout.offsets[{i}]", found)
    if spec is not None and not found:
        _sizing(definition, spec.points_to_ticks(b.stop_points) * spec.tick_value, found)


# -- contradictions ---------------------------------------------------------------------------------------------

_LOW_OPS = (Op.GT, Op.GE)
_HIGH_OPS = (Op.LT, Op.LE)


def _bounded(operand: Operand) -> tuple[Decimal, Decimal] | None:
    if isinstance(operand, IndicatorOperand) and operand.name == "rsi":
        return Decimal(0), Decimal(100)
    return None


def _group(group: Group, found: list[Finding], why: str) -> bool:
    """Whether the group can hold; records a finding for each group that cannot."""
    possible = [(_group(i, found, why) if isinstance(i, Group) else _condition(i, found)) for i in group.items]
    if group.mode == "any":
        return any(possible)
    ok = all(possible) and _intervals(group, found)
    if not ok:
        found.append(Finding("error", group.path, why))
    return ok


def _condition(condition: Condition, found: list[Finding]) -> bool:
    left, right = condition.left, condition.right
    if left == right:
        found.append(Finding("error", condition.path, f"{condition} compares a value with itself"))
        return False
    if isinstance(left, FieldOperand | IndicatorOperand) and left.lookback >= WARM_CANDLES:
        found.append(Finding("error", condition.path, f"lookback beyond the {WARM_CANDLES} candles kept"))
        return False
    bounds = _bounded(left)
    if bounds is not None and isinstance(right, NumberOperand) and not _satisfiable(condition.op, right.value, bounds):
        found.append(Finding("error", condition.path, f"{condition}: its value lies in {bounds[0]}..{bounds[1]}"))
        return False
    return True


def _satisfiable(op: Op, value: Decimal, bounds: tuple[Decimal, Decimal]) -> bool:
    low, high = bounds
    if op in (Op.GT, Op.CROSSES_ABOVE):
        return value < high
    if op is Op.GE:
        return value <= high
    if op in (Op.LT, Op.CROSSES_BELOW):
        return value > low
    return value >= low  # LE


def _intervals(group: Group, found: list[Finding]) -> bool:
    """In an `all` group: the comparisons of one value with numbers must leave some value possible."""
    ranges: dict[str, list[Condition]] = {}
    for item in group.items:
        if isinstance(item, Condition) and isinstance(item.right, NumberOperand) and item.op in (*_LOW_OPS, *_HIGH_OPS):
            ranges.setdefault(str(item.left), []).append(item)
    ok = True
    for conditions in ranges.values():
        low: tuple[Decimal, bool] | None = None  # (bound, inclusive)
        high: tuple[Decimal, bool] | None = None
        for c in conditions:
            assert isinstance(c.right, NumberOperand)
            v = c.right.value
            if c.op in _LOW_OPS:
                bound = (v, c.op is Op.GE)
                if low is None or v > low[0] or (v == low[0] and not bound[1]):
                    low = bound
            else:
                bound = (v, c.op is Op.LE)
                if high is None or v < high[0] or (v == high[0] and not bound[1]):
                    high = bound
        empty = (
            low is not None
            and high is not None
            and (low[0] > high[0] or (low[0] == high[0] and not (low[1] and high[1])))
        )
        if empty:
            text = " and ".join(str(c) for c in conditions)
            found.append(Finding("error", conditions[-1].path, f"{text} contradict each other"))
            ok = False
    return ok


_HALTS = {"America/New_York": (time(17, 0), time(18, 0)), "America/Chicago": (time(16, 0), time(17, 0))}


def _inside_daily_halt(window: TimeWindow) -> bool:
    """Whether a clock window (in New York or Chicago time) lies inside the 17:00-18:00 ET daily halt."""
    halt = _HALTS.get(window.tz.key)
    start, end = window.start, window.end
    if halt is None or start is None or end is None or end <= start:
        return False
    return halt[0] <= start and end <= halt[1]
