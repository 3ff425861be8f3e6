"""Which strategy a backtest runs, as a kernel StrategyStage: a built-in by name with its parameters, or a strategy
definition (TOML/JSON, strategies.parse) run by the same StrategyHost live trading uses.

Built in: `bracket-a-day` (backtest.bracket_a_day) and `first-hour-breakout` (SPEC §7 through the host; its
parameters are the definition's breakout and sizing values). Any other name is looked up among the strategies
loaded in the server (StrategyService, by BacktestJobs): its current version's definition runs, and the report
names that id and version. A definition's account and instrument are replaced by the backtest's, and it is
active from the start of the range.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import time
from decimal import Decimal
from typing import cast

from core_server.backtest.bracket_a_day import BracketADay
from core_server.backtest.config import BacktestConfig
from core_server.backtest.driver import Backtest
from core_server.backtest.report import RunInfo
from core_server.backtest_jobs.settings import RunSettings
from core_server.calendar.session_table import load_trading_calendar
from core_server.execution.model import OrderSide
from core_server.kernel.ports import StrategyStage
from core_server.model.errors import InvalidArgument, NotFound
from core_server.strategies.checks import errors_of
from core_server.strategies.host import History, StrategyHost
from core_server.strategies.parse import parse_text

Setup = Callable[[Backtest], None]  # run once the kernel is built and the account opened, before the ticks
NO_SETUP: Setup = lambda backtest: None  # noqa: E731
StageFactory = Callable[[RunSettings, BacktestConfig], tuple[StrategyStage, RunInfo, Setup]]


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidArgument(f"settings.params.{name}", f"{text[:40]!r} is not a whole number") from None
    if not low <= value <= high:
        raise InvalidArgument(f"settings.params.{name}", f"must be between {low} and {high}")
    return value


def _time(params: Mapping[str, str], name: str, default: time) -> time:
    text = params.get(name, "").strip()
    if not text:
        return default
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(f"settings.params.{name}", f"{text[:40]!r} is not a time HH:MM") from None


def bracket_a_day(settings: RunSettings, config: BacktestConfig) -> tuple[StrategyStage, RunInfo, Setup]:
    params = settings.params
    known = {"at", "distance_ticks", "quantity", "side"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidArgument(f"settings.params.{unknown[0][:40]}", f"unknown; bracket-a-day takes {sorted(known)}")
    side_text = params.get("side", "buy").strip().lower()
    if side_text not in ("buy", "sell"):
        raise InvalidArgument("settings.params.side", "buy or sell")
    stage = BracketADay(
        config.account_id, config.contracts[0].id, config.start_ns,
        at=_time(params, "at", time(9, 0)),
        distance_ticks=_int(params, "distance_ticks", 20, 1, 10_000),
        quantity=_int(params, "quantity", 1, 1, 100),
        side=OrderSide.BUY if side_text == "buy" else OrderSide.SELL,
    )  # fmt: skip
    return stage, RunInfo("bracket-a-day", 1), NO_SETUP


BREAKOUT_PARAMS = {
    "offsets": ("breakout", "offsets"), "stop_points": ("breakout", "stop_points"),
    "target_points": ("breakout", "target_points"), "window_start": ("breakout", "window_start"),
    "window_end": ("breakout", "window_end"),
    "cancel_before_open_minutes": ("breakout", "cancel_before_open_minutes"),
    "contracts": ("sizing", "contracts"), "risk_dollars": ("sizing", "risk_dollars"),
}  # fmt: skip


def breakout_definition(params: Mapping[str, str]) -> str:
    """The first-hour breakout's definition (TOML) with the given parameters over its defaults."""
    unknown = sorted(set(params) - set(BREAKOUT_PARAMS))
    if unknown:
        raise InvalidArgument(
            f"settings.params.{unknown[0][:40]}", f"unknown; first-hour-breakout takes {sorted(BREAKOUT_PARAMS)}"
        )
    tables: dict[str, dict[str, object]] = {"sizing": {}, "breakout": {}}
    for name, text in params.items():
        table, key = BREAKOUT_PARAMS[name]
        value: object
        if name == "offsets":
            value = [_number(v.strip(), name) for v in text.split(",") if v.strip()]
        elif name in ("window_start", "window_end"):
            value = text.strip()
        elif name in ("cancel_before_open_minutes", "contracts"):
            value = _int(params, name, 1, 0, 100_000)
        else:
            value = _number(text.strip(), name)
        tables[table][key] = value
    lines = ['name = "first-hour-breakout"', 'kind = "first_hour_breakout"', 'account = "backtest"',
             'instrument = "ES"', "enabled = true"]  # fmt: skip
    for table, values in tables.items():
        if values:
            lines.append(f"[{table}]")
            lines.extend(f"{key} = {_toml(value)}" for key, value in values.items())
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def _number(text: str, name: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise InvalidArgument(f"settings.params.{name}", f"{text[:40]!r} is not a number") from None
    if not value.is_finite():
        raise InvalidArgument(f"settings.params.{name}", "must be a finite number")
    return value


def hosted(text: str, field: str, config: BacktestConfig) -> tuple[StrategyStage, RunInfo, Setup]:
    """A definition run by a StrategyHost on the backtest's account and contract."""
    try:
        parsed = parse_text(text)
    except InvalidArgument as exc:
        raise InvalidArgument(f"{field}.{exc.field}" if exc.field != "definition" else field, exc.reason) from None
    contract = config.contracts[0]
    definition = replace(parsed, account=config.account_id, instrument=contract.id, enabled=True)
    host = StrategyHost(load_trading_calendar(), config.contracts)
    errors = errors_of(host.validate(definition))
    if errors:
        raise InvalidArgument(f"{field}.{errors[0].path}", errors[0].message)

    def setup(backtest: Backtest) -> None:
        kernel = backtest.kernel
        host.bind(kernel.execution, cast(History, kernel.market))
        host.load(definition, text, "json" if text.lstrip().startswith("{") else "toml", config.start_ns)
        kernel.commands.run_strategy_commands(config.start_ns)

    return host, RunInfo(definition.name, 1), setup


def first_hour_breakout(settings: RunSettings, config: BacktestConfig) -> tuple[StrategyStage, RunInfo, Setup]:
    return hosted(breakout_definition(settings.params), "settings.params", config)


BUILT_IN: dict[str, StageFactory] = {"bracket-a-day": bracket_a_day, "first-hour-breakout": first_hour_breakout}


def strategy_stage(settings: RunSettings, config: BacktestConfig) -> tuple[StrategyStage, RunInfo, Setup]:
    """The stage to run and what to do before the first tick; InvalidArgument / NotFound name the field."""
    name = settings.strategy.strip()
    if settings.definition.strip():
        if name and not settings.stored_version:
            raise InvalidArgument("settings.strategy", "give a strategy name or a definition, not both")
        if settings.params:
            raise InvalidArgument("settings.params", "parameters go into the definition itself")
        stage, info, setup = hosted(settings.definition, "settings.definition", config)
        if settings.stored_version:  # a stored strategy: the report names its id and the version that ran
            info = RunInfo(name, settings.stored_version)
        return stage, info, setup
    if not name:
        raise InvalidArgument("settings.strategy", f"name a strategy ({', '.join(BUILT_IN)}) or give a definition")
    factory = BUILT_IN.get(name)
    if factory is None:
        raise NotFound(
            "settings.strategy", f"no built-in or loaded strategy {name[:40]!r} (built in: {', '.join(BUILT_IN)})"
        )
    return factory(settings, config)
