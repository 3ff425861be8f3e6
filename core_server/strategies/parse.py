"""Reading a strategy definition from TOML (files) or JSON (the gRPC body): strict, exact, path-named errors.

Numbers are read as Decimal (tomllib and json both take parse_float=Decimal), never float. Every unknown key,
wrong type, unknown timeframe, indicator, operator or session is InvalidArgument naming the path of the field
(e.g. `rules.entry[0].when.all[2].timeframe`). Semantic findings that need the whole rule set (contradictions,
windows that never open) are checks.py's.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core_server.execution.model import OrderSide, OrderType
from core_server.model.errors import InvalidArgument
from core_server.model.market_data import Timeframe
from core_server.strategies.definition import (
    CANDLE_FIELDS,
    INDICATORS,
    BreakoutSpec,
    Condition,
    Distance,
    DistanceUnit,
    Entry,
    FieldOperand,
    Group,
    IndicatorOperand,
    Kind,
    Limits,
    NumberOperand,
    Op,
    Operand,
    OrderSpec,
    RuleSpec,
    Sizing,
    StrategyDefinition,
    TimeWindow,
)

MAX_TEXT_BYTES = 64 * 1024
MAX_ITEMS = 64  # entries, conditions per group, offsets
MAX_DEPTH = 6  # nested groups
MAX_PERIOD = 500
MAX_LOOKBACK = 200
MAX_CONTRACTS = 1000
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SIDES = {"buy": OrderSide.BUY, "long": OrderSide.BUY, "sell": OrderSide.SELL, "short": OrderSide.SELL}
_ORDER_TYPES = {"market": OrderType.MARKET, "limit": OrderType.LIMIT, "stop": OrderType.STOP}
_OPS = {op.value: op for op in Op} | {"above": Op.GT, "below": Op.LT}


def parse_text(text: str, fmt: str = "") -> StrategyDefinition:
    """A definition from TOML or JSON text (`fmt` "toml", "json", or "" to tell by the first character)."""
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise InvalidArgument("definition", f"longer than {MAX_TEXT_BYTES} bytes")
    fmt = fmt.strip().lower() or ("json" if text.lstrip().startswith("{") else "toml")
    try:
        if fmt == "json":
            data = json.loads(text, parse_float=Decimal)
        elif fmt == "toml":
            data = tomllib.loads(text, parse_float=Decimal)
        else:
            raise InvalidArgument("format", f"unknown format {fmt!r}; use toml or json")
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InvalidArgument("definition", f"not valid {fmt.upper()}: {exc}") from None
    if not isinstance(data, Mapping):
        raise InvalidArgument("definition", "must be a table/object")
    return parse_definition(data)


def parse_definition(data: Mapping[str, Any]) -> StrategyDefinition:
    r = _Reader(data, "")
    r.only("name", "kind", "account", "instrument", "enabled", "description", "sizing", "limits", "rules", "breakout")
    name = r.text("name", required=True)
    if not NAME_RE.match(name):
        raise InvalidArgument("name", "1-64 letters, digits, '_', '.', '-', starting with a letter or digit")
    kind_text = r.text("kind", default=Kind.RULES.value)
    try:
        kind = Kind(kind_text)
    except ValueError:
        raise InvalidArgument("kind", f"unknown kind {kind_text!r}; use {', '.join(k.value for k in Kind)}") from None
    account = r.text("account", required=True)
    instrument = r.text("instrument", required=True).upper()
    enabled = r.boolean("enabled", False)
    description = r.text("description", default="", limit=1000)
    sizing = _sizing(r.table("sizing"))
    limits = _limits(r.table("limits"))
    rules = breakout = None
    if kind is Kind.RULES:
        rules = _rules(r.table("rules", required=True))
        r.forbid("breakout", "only for kind = first_hour_breakout")
    else:
        breakout = _breakout(r.table("breakout"))
        r.forbid("rules", "only for kind = rules")
    r.done()
    return StrategyDefinition(name, kind, account, instrument, enabled, description, sizing, limits, rules, breakout)


class _Reader:
    """Reads the keys of one table, remembering which were used, so leftovers are unknown fields."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise InvalidArgument(path or "definition", "must be a table/object")
        self.data = data
        self.path = path
        self.used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Any:
        self.used.add(key)
        return self.data.get(key)

    def has(self, key: str) -> bool:
        return key in self.data

    def text(self, key: str, *, required: bool = False, default: str = "", limit: int = 128) -> str:
        value = self.get(key)
        if value is None:
            if required:
                raise InvalidArgument(self.at(key), "is required")
            return default
        if not isinstance(value, str):
            raise InvalidArgument(self.at(key), "must be text")
        value = value.strip()
        if required and not value:
            raise InvalidArgument(self.at(key), "must not be empty")
        if len(value) > limit:
            raise InvalidArgument(self.at(key), f"longer than {limit} characters")
        if "\x00" in value:
            raise InvalidArgument(self.at(key), "must not contain NUL characters")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise InvalidArgument(self.at(key), "must be true or false")
        return value

    def integer(self, key: str, low: int, high: int, default: int | None = None) -> int | None:
        value = self.get(key)
        if value is None:
            return default
        return _int(value, self.at(key), low, high)

    def decimal(self, key: str, *, positive: bool = True, default: Decimal | None = None) -> Decimal | None:
        value = self.get(key)
        if value is None:
            return default
        return _decimal(value, self.at(key), positive=positive)

    def table(self, key: str, *, required: bool = False) -> _Reader:
        value = self.get(key)
        if value is None:
            if required:
                raise InvalidArgument(self.at(key), "is required")
            value = {}
        return _Reader(value, self.at(key))

    def items(self, key: str, *, required: bool = False) -> list[tuple[str, Any]]:
        value = self.get(key)
        if value is None:
            if required:
                raise InvalidArgument(self.at(key), "is required")
            return []
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise InvalidArgument(self.at(key), "must be a list")
        if len(value) > MAX_ITEMS:
            raise InvalidArgument(self.at(key), f"more than {MAX_ITEMS} items")
        return [(f"{self.at(key)}[{i}]", item) for i, item in enumerate(value)]

    def only(self, *keys: str) -> None:
        """Unknown fields first: a typo is named before anything it may have caused is missing."""
        for key in self.data:
            if key not in keys:
                raise InvalidArgument(self.at(str(key)), "unknown field")

    def forbid(self, key: str, why: str) -> None:
        if key in self.data:
            raise InvalidArgument(self.at(key), why)

    def done(self) -> None:
        for key in self.data:
            if key not in self.used:
                raise InvalidArgument(self.at(str(key)), "unknown field")


def _int(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidArgument(path, "must be a whole number")
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise InvalidArgument(path, "must be a whole number")
        value = int(value)
    number = int(value)
    if not low <= number <= high:
        raise InvalidArgument(path, f"must be between {low} and {high}")
    return number


def _decimal(value: Any, path: str, *, positive: bool = True) -> Decimal:
    if isinstance(value, bool):
        raise InvalidArgument(path, "must be a number")
    try:
        if isinstance(value, str):
            number = Decimal(value.strip())
        elif isinstance(value, int | Decimal):
            number = Decimal(value)
        else:
            raise InvalidArgument(path, "must be a number")
    except InvalidOperation:
        raise InvalidArgument(path, "must be a number") from None
    if not number.is_finite() or abs(number) > Decimal("1e12") or number.as_tuple().exponent < -10:  # type: ignore[operator]
        raise InvalidArgument(path, "must be a finite number of at most 12 digits and 10 places")
    if positive and number <= 0:
        raise InvalidArgument(path, "must be greater than zero")
    return number


def _clock(value: Any, path: str) -> time:
    if not isinstance(value, str):
        raise InvalidArgument(path, 'must be a clock time "HH:MM"')
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise InvalidArgument(path, 'must be a clock time "HH:MM"') from None


def _timeframe(value: Any, path: str) -> Timeframe:
    if not isinstance(value, str):
        raise InvalidArgument(path, "must be a timeframe such as 5m")
    return Timeframe.parse(value, path)


def _sizing(r: _Reader) -> Sizing:
    r.only("contracts", "risk_dollars")
    contracts = r.integer("contracts", 1, MAX_CONTRACTS, 1)
    risk = r.decimal("risk_dollars")
    r.done()
    return Sizing(contracts or 1, risk)


def _limits(r: _Reader) -> Limits:
    r.only("max_trades_per_day", "max_concurrent_positions", "daily_loss")
    limits = Limits(
        r.integer("max_trades_per_day", 1, 1000),
        r.integer("max_concurrent_positions", 1, 1000),
        r.decimal("daily_loss"),
    )
    r.done()
    return limits


def _distance(r: _Reader, allow_r: bool) -> Distance:
    r.only(*(u.value for u in DistanceUnit))
    units = [u for u in DistanceUnit if r.has(u.value)]
    if len(units) != 1:
        allowed = "ticks, points or r" if allow_r else "ticks or points"
        raise InvalidArgument(r.path, f"give exactly one of {allowed}")
    unit = units[0]
    if unit is DistanceUnit.R and not allow_r:
        raise InvalidArgument(r.at("r"), "a stop is a distance in ticks or points")
    amount = r.decimal(unit.value)
    assert amount is not None
    r.done()
    return Distance(amount, unit)


def _window(r: _Reader) -> TimeWindow:
    r.only("sessions", "start", "end", "tz")
    sessions = []
    for path, item in r.items("sessions"):
        if not isinstance(item, str) or not item.strip() or len(item) > 64 or "\x00" in item:
            raise InvalidArgument(path, "must be a session window name")
        sessions.append(item.strip())
    start = _clock(r.get("start"), r.at("start")) if r.has("start") else None
    end = _clock(r.get("end"), r.at("end")) if r.has("end") else None
    tz_name = r.text("tz", default="America/New_York")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(r.at("tz"), f"unknown time zone {tz_name!r}") from None
    r.done()
    if (start is None) != (end is None):
        raise InvalidArgument(r.path, "give both start and end")
    if not sessions and start is None:
        raise InvalidArgument(r.path, "give sessions, or start and end")
    return TimeWindow(tuple(sessions), start, end, tz)


def _rules(r: _Reader) -> RuleSpec:
    r.only("timeframe", "entry", "stop", "target", "exit", "window", "flat_by")
    timeframe = _timeframe(r.get("timeframe") or "1m", r.at("timeframe"))
    stop = _distance(r.table("stop", required=True), allow_r=False)
    target = _distance(r.table("target", required=True), allow_r=True)
    entries = []
    for path, item in r.items("entry", required=True):
        entries.append(_entry(_Reader(item, path), timeframe))
    if not entries:
        raise InvalidArgument(r.at("entry"), "at least one entry")
    exit_group = _group(r.table("exit"), timeframe, 0) if r.has("exit") else None
    window = _window(r.table("window")) if r.has("window") else None
    flat_by = _clock(r.get("flat_by"), r.at("flat_by")) if r.has("flat_by") else None
    r.done()
    return RuleSpec(timeframe, tuple(entries), stop, target, exit_group, window, flat_by)


def _entry(r: _Reader, timeframe: Timeframe) -> Entry:
    r.only("side", "when", "order")
    side_text = r.text("side", required=True).lower()
    side = _SIDES.get(side_text)
    if side is None:
        raise InvalidArgument(r.at("side"), "must be buy or sell")
    when = _group(r.table("when", required=True), timeframe, 0)
    order = r.table("order")
    order.only("type", "offset_ticks")
    type_text = order.text("type", default="market").lower()
    order_type = _ORDER_TYPES.get(type_text)
    if order_type is None:
        raise InvalidArgument(order.at("type"), "must be market, limit or stop")
    offset = order.integer("offset_ticks", 0, 10_000, 0) or 0
    if order_type is OrderType.MARKET and offset:
        raise InvalidArgument(order.at("offset_ticks"), "a market entry has no offset")
    order.done()
    r.done()
    return Entry(side, when, OrderSpec(order_type, offset), r.path)


def _group(r: _Reader, timeframe: Timeframe, depth: int) -> Group:
    r.only("all", "any")
    if depth > MAX_DEPTH:
        raise InvalidArgument(r.path, f"groups nested deeper than {MAX_DEPTH}")
    modes = [m for m in ("all", "any") if r.has(m)]
    if len(modes) != 1:
        raise InvalidArgument(r.path, "give exactly one of all or any")
    mode = modes[0]
    items: list[Condition | Group] = []
    for path, item in r.items(mode, required=True):
        if isinstance(item, Mapping) and ("all" in item or "any" in item):
            items.append(_group(_Reader(item, path), timeframe, depth + 1))
        else:
            items.append(_condition(_Reader(item, path), timeframe))
    if not items:
        raise InvalidArgument(r.at(mode), "at least one condition")
    r.done()
    return Group(mode, tuple(items), r.at(mode))


def _condition(r: _Reader, timeframe: Timeframe) -> Condition:
    r.only("left", "op", "right", "timeframe")
    tf = _timeframe(r.get("timeframe"), r.at("timeframe")) if r.has("timeframe") else timeframe
    left = _operand(r.get("left"), r.at("left"), tf)
    op_text = r.text("op", required=True).lower()
    op = _OPS.get(op_text)
    if op is None:
        raise InvalidArgument(r.at("op"), f"unknown operator {op_text!r}; use {', '.join(o.value for o in Op)}")
    right = _operand(r.get("right"), r.at("right"), tf)
    r.done()
    if isinstance(left, NumberOperand):
        raise InvalidArgument(r.at("left"), "must be a candle field or an indicator")
    return Condition(left, op, right, r.path)


def _operand(value: Any, path: str, timeframe: Timeframe) -> Operand:
    if value is None:
        raise InvalidArgument(path, "is required")
    if not isinstance(value, Mapping):
        return NumberOperand(_decimal(value, path, positive=False))
    r = _Reader(value, path)
    r.only("field", "indicator", "period", "lookback", "timeframe", "stddev")
    tf = _timeframe(r.get("timeframe"), r.at("timeframe")) if r.has("timeframe") else timeframe
    lookback = r.integer("lookback", 0, MAX_LOOKBACK, 0) or 0
    if r.has("field") == r.has("indicator"):
        raise InvalidArgument(path, "give exactly one of field or indicator")
    if r.has("field"):
        name = r.text("field").lower()
        if name not in CANDLE_FIELDS:
            raise InvalidArgument(r.at("field"), f"unknown field {name!r}; use {', '.join(CANDLE_FIELDS)}")
        r.done()
        return FieldOperand(name, tf, lookback)
    name = r.text("indicator").lower()
    shape = INDICATORS.get(name)
    if shape is None:
        raise InvalidArgument(r.at("indicator"), f"unknown indicator {name!r}; use {', '.join(INDICATORS)}")
    needs_period, _ = shape
    period = r.integer("period", 1, MAX_PERIOD, 0) or 0
    if needs_period and not period:
        raise InvalidArgument(r.at("period"), f"{name} needs a period")
    if not needs_period and r.has("period"):
        raise InvalidArgument(r.at("period"), f"{name} has no period")
    stddev = Decimal(2)
    if name.startswith("bb_"):
        stddev = r.decimal("stddev", default=Decimal(2)) or Decimal(2)
    r.done()
    return IndicatorOperand(name, tf, period, lookback, stddev)


def _breakout(r: _Reader) -> BreakoutSpec:
    r.only("window_start", "window_end", "offsets", "stop_points", "target_points", "cancel_before_open_minutes")
    default = BreakoutSpec()
    start = _clock(r.get("window_start"), r.at("window_start")) if r.has("window_start") else default.window_start
    end = _clock(r.get("window_end"), r.at("window_end")) if r.has("window_end") else default.window_end
    offsets = default.offsets
    if r.has("offsets"):
        offsets = tuple(_decimal(v, p) for p, v in r.items("offsets"))
        if not offsets:
            raise InvalidArgument(r.at("offsets"), "at least one offset")
    stop = r.decimal("stop_points", default=default.stop_points)
    target = r.decimal("target_points", default=default.target_points)
    cancel = r.integer("cancel_before_open_minutes", 0, 600, default.cancel_before_open_minutes)
    r.done()
    assert stop is not None and target is not None and cancel is not None
    return BreakoutSpec(start, end, offsets, stop, target, cancel)
