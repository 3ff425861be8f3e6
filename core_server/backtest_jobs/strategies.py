"""Which strategy a backtest runs: a built-in by name with its parameters, as a kernel StrategyStage."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import time

from core_server.backtest.bracket_a_day import BracketADay
from core_server.backtest.config import BacktestConfig
from core_server.backtest.report import RunInfo
from core_server.backtest_jobs.settings import RunSettings
from core_server.execution.model import OrderSide
from core_server.kernel.ports import StrategyStage
from core_server.model.errors import InvalidArgument, NotFound

StageFactory = Callable[[RunSettings, BacktestConfig], tuple[StrategyStage, RunInfo]]


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


def bracket_a_day(settings: RunSettings, config: BacktestConfig) -> tuple[StrategyStage, RunInfo]:
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
    return stage, RunInfo("bracket-a-day", 1)


BUILT_IN: dict[str, StageFactory] = {"bracket-a-day": bracket_a_day}


def strategy_stage(settings: RunSettings, config: BacktestConfig) -> tuple[StrategyStage, RunInfo]:
    """The stage to run; InvalidArgument / NotFound name the field."""
    name = settings.strategy.strip()
    if settings.definition.strip():
        raise InvalidArgument("settings.definition", "inline definitions run once the strategies package is merged")
    if not name:
        raise InvalidArgument("settings.strategy", f"name a strategy ({', '.join(BUILT_IN)}) or give a definition")
    factory = BUILT_IN.get(name)
    if factory is None:
        raise NotFound("settings.strategy", f"no strategy {name[:40]!r} (built in: {', '.join(BUILT_IN)})")
    return factory(settings, config)
