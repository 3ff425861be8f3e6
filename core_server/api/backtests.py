"""BacktestService: thin translation between the wire and BacktestJobs (core_server.backtest_jobs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal, InvalidOperation
from typing import Any

import grpc

from core_server.api import arguments, enums
from core_server.api.errors import stream, unary
from core_server.backtest.config import BacktestStatus, FillMode
from core_server.backtest.html_report import render_html
from core_server.backtest.report import ReportFormat, trades_csv
from core_server.backtest_jobs.jobs import BacktestJobs
from core_server.backtest_jobs.settings import RunSettings
from core_server.model.errors import InvalidArgument
from core_server.storage.backtests import RunRow
from vigil.v1 import backtests_pb2 as pb
from vigil.v1 import backtests_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]

MAX_TEXT = 200
MAX_DEFINITION = 64_000
DEFAULT_LIST, MAX_LIST = 50, 500
DEFAULT_TRADES, MAX_TRADES = 100, 1000
TRADE_INTS = ("entry_ns", "exit_ns")


def settings_from_proto(message: pb.BacktestSettings, field: str = "settings") -> RunSettings:
    def txt(name: str, limit: int = MAX_TEXT) -> str:
        return arguments.text(getattr(message, name), f"{field}.{name}", limit)

    fill = enums.FILL_MODE.from_proto.get(message.fill)
    if fill is None:
        raise InvalidArgument(f"{field}.fill", "FILL_MODE_THROUGH or FILL_MODE_TOUCH")
    params = {}
    for name, value in message.params.items():
        params[arguments.text(name, f"{field}.params", MAX_TEXT)] = arguments.text(value, f"{field}.params", MAX_TEXT)
    return RunSettings(
        symbol=txt("symbol"), from_date=txt("from_date"), to_date=txt("to_date"), strategy=txt("strategy").strip(),
        params=params, definition=txt("definition", MAX_DEFINITION), fill_on_touch=fill is FillMode.TOUCH,
        slippage_ticks=message.slippage_ticks, latency_min_ms=message.latency_min_ms,
        latency_max_ms=message.latency_max_ms, preset=txt("preset"), seed=message.seed,
        starting_balance=txt("starting_balance"), commission=txt("commission"),
    )  # fmt: skip


def settings_to_proto(s: dict[str, Any]) -> pb.BacktestSettings:
    return pb.BacktestSettings(
        symbol=s["symbol"], from_date=s["from_date"], to_date=s["to_date"], strategy=s["strategy"],
        params=s["params"], definition=s["definition"],
        fill=enums.FILL_MODE.to_proto[FillMode.TOUCH if s["fill_on_touch"] else FillMode.THROUGH],
        slippage_ticks=s["slippage_ticks"],
        latency_min_ms=s["latency_min_ms"], latency_max_ms=s["latency_max_ms"], preset=s["preset"], seed=s["seed"],
        starting_balance=s["starting_balance"], commission=s["commission"],
    )  # fmt: skip


def run_to_proto(row: RunRow) -> pb.BacktestRun:
    return pb.BacktestRun(
        run_id=row.run_id, sweep_id=row.sweep_id, status=enums.BACKTEST_STATUS.to_proto[BacktestStatus(row.status)],
        settings=settings_to_proto(row.settings),
        contract_id=row.contract_id, ticks_done=row.ticks_done, ticks_total=row.ticks_total,
        reached_ns=row.reached_ns, created_ns=row.created_ns, started_ns=row.started_ns,
        finished_ns=row.finished_ns, error=row.error, summary=row.summary,
    )  # fmt: skip


def trade_to_proto(row: dict[str, str]) -> pb.BacktestTrade:
    values: dict[str, Any] = {k: v for k, v in row.items() if k not in ("entry_time", "exit_time")}
    for name in TRADE_INTS:
        values[name] = int(values[name] or 0)
    return pb.BacktestTrade(**values)


def day_to_proto(day: dict[str, Any]) -> pb.BacktestDay:
    return pb.BacktestDay(
        date=day["date"], orders_placed=int(day["orders_placed"]), orders_filled=int(day["orders_filled"]),
        orders_cancelled=int(day["orders_cancelled"]), orders_denied=int(day["orders_denied"]),
        trades=int(day["trades"]), net=day["net"],
        notes=[pb.StrategyNote(ts_ns=int(n["ts_ns"]), kind=n["kind"], message=n["message"])
               for n in day["strategy_events"]],
    )  # fmt: skip


class BacktestServicer(pb_grpc.BacktestServiceServicer):
    def __init__(self, jobs: BacktestJobs) -> None:
        self._jobs = jobs

    @unary
    async def StartBacktest(self, request: pb.StartBacktestRequest, context: Ctx) -> pb.StartBacktestResponse:
        row = await self._jobs.start(settings_from_proto(request.settings))
        return pb.StartBacktestResponse(run=run_to_proto(row))

    @stream
    async def StreamBacktestProgress(
        self, request: pb.StreamBacktestProgressRequest, context: Ctx
    ) -> AsyncIterator[pb.StreamBacktestProgressResponse]:
        run_id = arguments.identifier(request.run_id, "run_id")
        async for row in self._jobs.follow(run_id):
            yield pb.StreamBacktestProgressResponse(run=run_to_proto(row))

    @unary
    async def CancelBacktest(self, request: pb.CancelBacktestRequest, context: Ctx) -> pb.CancelBacktestResponse:
        row = await self._jobs.cancel(arguments.identifier(request.run_id, "run_id"))
        return pb.CancelBacktestResponse(run=run_to_proto(row))

    @unary
    async def ListBacktests(self, request: pb.ListBacktestsRequest, context: Ctx) -> pb.ListBacktestsResponse:
        sweep_id = arguments.text(request.sweep_id, "sweep_id", arguments.MAX_ID_CHARS).strip()
        limit = arguments.bounded(request.limit, "limit", DEFAULT_LIST, MAX_LIST)
        rows = await self._jobs.list(sweep_id, limit)
        return pb.ListBacktestsResponse(runs=[run_to_proto(r) for r in rows])

    @unary
    async def GetBacktestResult(
        self, request: pb.GetBacktestResultRequest, context: Ctx
    ) -> pb.GetBacktestResultResponse:
        row, report, _ = await self._jobs.report(arguments.identifier(request.run_id, "run_id"))
        return pb.GetBacktestResultResponse(
            run=run_to_proto(row),
            days=[day_to_proto(d) for d in report["days"]],
            equity=[
                pb.EquityPoint(
                    ts_ns=int(p["ts_ns"]), trade_id=p["trade_id"], equity=p["equity"], drawdown=p["drawdown"]
                )
                for p in report["equity"]
            ],
            failed_day=report["risk"]["failed_day"],
            failed_reason=report["risk"]["failed_reason"],
            ticks=int(report["data"]["ticks"]),
        )

    @unary
    async def ListBacktestTrades(
        self, request: pb.ListBacktestTradesRequest, context: Ctx
    ) -> pb.ListBacktestTradesResponse:
        run_id = arguments.identifier(request.run_id, "run_id")
        if request.offset < 0:
            raise InvalidArgument("offset", "must not be negative")
        limit = arguments.bounded(request.limit, "limit", DEFAULT_TRADES, MAX_TRADES)
        _, report, _ = await self._jobs.report(run_id)
        trades = report["trades"]
        page = trades[request.offset : request.offset + limit]
        return pb.ListBacktestTradesResponse(trades=[trade_to_proto(t) for t in page], total=len(trades))

    @unary
    async def GetBacktestReport(
        self, request: pb.GetBacktestReportRequest, context: Ctx
    ) -> pb.GetBacktestReportResponse:
        run_id = arguments.identifier(request.run_id, "run_id")
        fmt = enums.REPORT_FORMAT.from_proto.get(request.format)
        if fmt is None:
            raise InvalidArgument("format", "REPORT_FORMAT_JSON, REPORT_FORMAT_CSV or REPORT_FORMAT_HTML")
        _, report, text = await self._jobs.report(run_id)
        if fmt is ReportFormat.CSV:
            return pb.GetBacktestReportResponse(content=trades_csv(report), filename=f"backtest-{run_id}.csv")
        if fmt is ReportFormat.HTML:
            return pb.GetBacktestReportResponse(content=render_html(report), filename=f"backtest-{run_id}.html")
        return pb.GetBacktestReportResponse(content=text, filename=f"backtest-{run_id}.json")

    @unary
    async def StartSweep(self, request: pb.StartSweepRequest, context: Ctx) -> pb.StartSweepResponse:
        base = settings_from_proto(request.base, "base")
        grid = []
        for i, parameter in enumerate(request.grid):
            name = arguments.text(parameter.name, f"grid[{i}].name", MAX_TEXT).strip()
            if not name:
                raise InvalidArgument(f"grid[{i}].name", "name the parameter")
            values = [arguments.text(v, f"grid[{i}].values", MAX_TEXT).strip() for v in parameter.values]
            grid.append((name, values))
        sweep_id, rows = await self._jobs.start_sweep(base, grid)
        return pb.StartSweepResponse(sweep_id=sweep_id, runs=[run_to_proto(r) for r in rows])

    @unary
    async def GetSweep(self, request: pb.GetSweepRequest, context: Ctx) -> pb.GetSweepResponse:
        sweep_id = arguments.identifier(request.sweep_id, "sweep_id")
        sort_by = arguments.text(request.sort_by, "sort_by", MAX_TEXT).strip() or "net"
        rows = await self._jobs.list(sweep_id, 1000)
        if not rows:
            raise InvalidArgument("sweep_id", f"no sweep {sweep_id[:40]!r}")
        known = {key for r in rows for key in r.summary}
        if known and sort_by not in known:
            raise InvalidArgument("sort_by", f"one of {', '.join(sorted(known))}")
        ordered = sorted(rows, key=lambda r: _sort_key(r, sort_by), reverse=not request.ascending)
        done = sum(1 for r in rows if r.status == BacktestStatus.DONE)
        return pb.GetSweepResponse(
            sweep_id=sweep_id, rows=[pb.SweepRow(params=r.params, run=run_to_proto(r)) for r in ordered], done=done,
            total=len(rows),
        )  # fmt: skip


def _sort_key(row: RunRow, name: str) -> tuple[int, object]:
    """Runs with the figure first (by value), then those without it (unfinished, or no trades)."""
    text = row.summary.get(name, "")
    try:
        return (1, Decimal(text))
    except (InvalidOperation, ValueError):
        return (0, Decimal(0))
