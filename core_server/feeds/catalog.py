"""Chooses and builds the configured feed (VIGIL_FEED) with its own settings from the environment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from core_server.config import Config, ConfigError
from core_server.feeds.replay_sources import TickHistory
from core_server.model.clock import Clock
from core_server.model.instruments import Contract
from core_server.ports import MarketDataFeed


@dataclass(frozen=True, slots=True)
class FeedPlan:
    feed: MarketDataFeed
    realtime: bool  # candles close on the wall clock (false for replays, which run on event time)
    quote_only: bool  # candles come from a quote price, the feed has no trades
    store_ticks: bool = True  # replays do not store their ticks again (they came from the store or a file)


def plan_feed(
    config: Config,
    clock: Clock,
    contracts: Sequence[Contract],
    tick_repository: TickHistory,
    last_prices: Mapping[str, Decimal] | None = None,
) -> FeedPlan:
    """`last_prices`: the last stored price per contract id; the simulator continues from them after a restart
    (a contract without one starts at its seed price)."""
    kind = config.feed
    if kind == "simulated":
        from core_server.feeds.simulated import SimulatedFeed

        calendar = None
        if config.sim_hours == "exchange":
            from core_server.calendar.session_table import load_trading_calendar

            calendar = load_trading_calendar()
        hours: Literal["always", "exchange"] = "exchange" if config.sim_hours == "exchange" else "always"
        feed = SimulatedFeed(
            contracts,
            clock,
            seed=config.sim_seed,
            rate=config.sim_rate,
            hours=hours,
            calendar=calendar,
            start_prices=last_prices,
        )
        return FeedPlan(feed, realtime=True, quote_only=False)
    if kind == "replay":
        return _replay(config, clock, contracts, tick_repository)
    if kind == "tradovate":
        from core_server.feeds.tradovate.config import TradovateConfig
        from core_server.feeds.tradovate.feed import TradovateFeed

        tradovate = TradovateFeed(TradovateConfig.from_env(config.env), contracts, clock=clock)
        return FeedPlan(tradovate, realtime=True, quote_only=False)
    if kind == "projectx":
        from core_server.feeds.projectx.config import ProjectXConfig
        from core_server.feeds.projectx.feed import ProjectXFeed

        return FeedPlan(
            ProjectXFeed(ProjectXConfig.from_env(config.env), contracts, clock), realtime=True, quote_only=False
        )
    if kind == "trade_manager":
        from core_server.feeds.trade_manager.config import TradeManagerConfig
        from core_server.feeds.trade_manager.feed import TradeManagerFeed

        quotes_only = TradeManagerFeed(TradeManagerConfig.from_env(config.env), contracts, clock)
        return FeedPlan(quotes_only, realtime=True, quote_only=True)
    raise ConfigError("VIGIL_FEED", f"the {kind} feed is not available in this build")


def _replay(config: Config, clock: Clock, contracts: Sequence[Contract], tick_repository: TickHistory) -> FeedPlan:
    from core_server.feeds.replay import CsvTickSource, DatabaseTickSource, ReplayFeed
    from core_server.feeds.tick_csv import parse_ts_ns

    source: CsvTickSource | DatabaseTickSource
    if config.replay_file is not None:
        if not config.replay_file.is_file():
            raise ConfigError("VIGIL_REPLAY_FILE", f"no such file: {config.replay_file}")
        source = CsvTickSource(config.replay_file)
    else:
        try:
            start_ns = parse_ts_ns(config.replay_from)
            end_ns = parse_ts_ns(config.replay_to) if config.replay_to else clock.now_ns()
        except ValueError as exc:
            raise ConfigError("VIGIL_REPLAY_FROM", f"not a time: {exc}") from None
        if start_ns >= end_ns:
            raise ConfigError("VIGIL_REPLAY_FROM", "must be before VIGIL_REPLAY_TO")
        source = DatabaseTickSource(tick_repository, [c.id for c in contracts], start_ns, end_ns)
    feed = ReplayFeed(source, clock, speed=config.replay_speed)
    return FeedPlan(feed, realtime=False, quote_only=False, store_ticks=False)
