"""The blocking mirror of BacktestCalls, mixed into VigilSyncClient."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from clients.sdk.backtests import BacktestResult, BacktestRun, BacktestSettings, Report, ReportFormat, Sweep, TradePage

if TYPE_CHECKING:
    from clients.sdk.client import VigilClient

_T = TypeVar("_T")


class BacktestSyncCalls:
    _client: VigilClient

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        raise NotImplementedError

    def _iterate(self, stream: AsyncIterator[_T]) -> Generator[_T, None, None]:
        raise NotImplementedError

    def start_backtest(self, settings: BacktestSettings) -> BacktestRun:
        return self._run(self._client.start_backtest(settings))

    def stream_backtest_progress(self, run_id: str) -> Generator[BacktestRun, None, None]:
        return self._iterate(self._client.stream_backtest_progress(run_id))

    def cancel_backtest(self, run_id: str) -> BacktestRun:
        return self._run(self._client.cancel_backtest(run_id))

    def list_backtests(self, sweep_id: str = "", limit: int = 0) -> list[BacktestRun]:
        return self._run(self._client.list_backtests(sweep_id, limit))

    def get_backtest_result(self, run_id: str) -> BacktestResult:
        return self._run(self._client.get_backtest_result(run_id))

    def list_backtest_trades(self, run_id: str, offset: int = 0, limit: int = 0) -> TradePage:
        return self._run(self._client.list_backtest_trades(run_id, offset, limit))

    def get_backtest_report(self, run_id: str, format: ReportFormat | str = ReportFormat.JSON) -> Report:
        return self._run(self._client.get_backtest_report(run_id, format))

    def start_sweep(self, base: BacktestSettings, grid: Mapping[str, Sequence[str]]) -> tuple[str, list[BacktestRun]]:
        return self._run(self._client.start_sweep(base, grid))

    def get_sweep(self, sweep_id: str, sort_by: str = "net", ascending: bool = False) -> Sweep:
        return self._run(self._client.get_sweep(sweep_id, sort_by, ascending))
