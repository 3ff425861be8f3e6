"""BacktestCalls: VigilClient's BacktestService methods (start, progress, cancel, results, reports, sweeps)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING

from clients.sdk import convert_backtests as convert
from clients.sdk.backtests import BacktestResult, BacktestRun, BacktestSettings, Report, ReportFormat, Sweep, TradePage
from clients.sdk.transport import Transport
from vigil.v1 import backtests_pb2 as pb
from vigil.v1 import backtests_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from clients.sdk.transport import Call


class BacktestCalls(Transport):
    """One method per BacktestService RPC."""

    async def start_backtest(self, settings: BacktestSettings) -> BacktestRun:
        """Queue a backtest; it runs in a worker process on the server as soon as one is free."""
        request = pb.StartBacktestRequest(settings=convert.settings_to_pb(settings))
        return convert.run_from_pb((await self._unary(self._backtest_stub().StartBacktest, request)).run)

    def stream_backtest_progress(self, run_id: str) -> AsyncGenerator[BacktestRun, None]:
        """The run now, then each change of progress or status, ending once it is done, failed or cancelled."""

        def open_call(resumed: bool) -> Call[pb.StreamBacktestProgressResponse]:
            request = pb.StreamBacktestProgressRequest(run_id=run_id)
            return self._backtest_stub().StreamBacktestProgress(
                request, metadata=self._metadata, wait_for_ready=self.reconnect_streams
            )

        async def until_finished() -> AsyncGenerator[BacktestRun, None]:
            async for run in self._resilient_stream(
                "StreamBacktestProgress", open_call, lambda m: convert.run_from_pb(m.run)
            ):
                yield run
                if run.finished:
                    return

        return until_finished()

    async def cancel_backtest(self, run_id: str) -> BacktestRun:
        request = pb.CancelBacktestRequest(run_id=run_id)
        return convert.run_from_pb((await self._unary(self._backtest_stub().CancelBacktest, request)).run)

    async def list_backtests(self, sweep_id: str = "", limit: int = 0) -> list[BacktestRun]:
        """Runs, newest first (a sweep's in the order they were queued)."""
        request = pb.ListBacktestsRequest(sweep_id=sweep_id, limit=limit)
        response = await self._unary(self._backtest_stub().ListBacktests, request)
        return [convert.run_from_pb(r) for r in response.runs]

    async def get_backtest_result(self, run_id: str) -> BacktestResult:
        request = pb.GetBacktestResultRequest(run_id=run_id)
        return convert.result_from_pb(await self._unary(self._backtest_stub().GetBacktestResult, request))

    async def list_backtest_trades(self, run_id: str, offset: int = 0, limit: int = 0) -> TradePage:
        """A page of a finished run's trades in the order they closed, with how many there are in all."""
        request = pb.ListBacktestTradesRequest(run_id=run_id, offset=offset, limit=limit)
        response = await self._unary(self._backtest_stub().ListBacktestTrades, request)
        return TradePage(tuple(convert.trade_from_pb(t) for t in response.trades), response.total)

    async def get_backtest_report(self, run_id: str, format: ReportFormat | str = ReportFormat.JSON) -> Report:
        """The report as JSON (exact decimal strings), CSV (trades) or a self-contained HTML page."""
        request = pb.GetBacktestReportRequest(run_id=run_id, format=convert.report_format_to_pb(format))
        response = await self._unary(self._backtest_stub().GetBacktestReport, request)
        return Report(response.content, response.filename)

    async def start_sweep(
        self, base: BacktestSettings, grid: Mapping[str, Sequence[str]]
    ) -> tuple[str, list[BacktestRun]]:
        """Queue one run per combination of the grid's values (strategy parameters); returns the sweep id."""
        request = pb.StartSweepRequest(
            base=convert.settings_to_pb(base),
            grid=[pb.SweepParameter(name=k, values=[str(v) for v in values]) for k, values in grid.items()],
        )
        response = await self._unary(self._backtest_stub().StartSweep, request)
        return response.sweep_id, [convert.run_from_pb(r) for r in response.runs]

    async def get_sweep(self, sweep_id: str, sort_by: str = "net", ascending: bool = False) -> Sweep:
        request = pb.GetSweepRequest(sweep_id=sweep_id, sort_by=sort_by, ascending=ascending)
        return convert.sweep_from_pb(await self._unary(self._backtest_stub().GetSweep, request))

    def _backtest_stub(self) -> pb_grpc.BacktestServiceAsyncStub:
        return pb_grpc.BacktestServiceStub(self._channel())
