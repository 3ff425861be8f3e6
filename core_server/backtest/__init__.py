"""Backtests: the one TradingKernel driven over recorded ticks in event time, and the reports of what it did.

Pure and synchronous like the kernel (no grpc, asyncpg or storage here): `driver.Backtest` takes a tick source
(`source.TickSource`), optional strategies (any kernel.ports.StrategyStage, e.g. strategies.host.StrategyHost)
and scheduled commands, and returns a `recorder.BacktestRecord`; `report` turns that into the trade-by-trade,
per-day and summary report (JSON with exact decimal strings, CSV, self-contained HTML).
"""
