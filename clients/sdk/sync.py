"""VigilSyncClient: a blocking facade over VigilClient for scripts, on its own event-loop thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Generator, Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from clients.sdk.access import ApiKey, CreatedKey, Identity, Role
from clients.sdk.analytics_sync import AnalyticsSyncCalls
from clients.sdk.backtest_sync import BacktestSyncCalls
from clients.sdk.broker_sync import BrokerSyncCalls
from clients.sdk.client import VigilClient
from clients.sdk.commissions import CommissionRate
from clients.sdk.copy_sync import CopySyncCalls
from clients.sdk.data import DataCoverageDay, ImportOptions, ImportProgress
from clients.sdk.execution import (
    Account,
    BracketBatchResult,
    BracketResult,
    BracketSpec,
    CancelAllResult,
    Fill,
    OcoResult,
    Order,
    OrderEvent,
    OrderResult,
    OrderSpec,
    Position,
)
from clients.sdk.execution_calls import DEFAULT_STARTING_BALANCE
from clients.sdk.models import (
    Candle,
    ConnectionState,
    Contract,
    FeedStatusReport,
    Instrument,
    QuoteBatch,
    QuoteSnapshot,
    ServingStatus,
    SessionCalendar,
    Tick,
    Timeframe,
)
from clients.sdk.notification_calls import NotificationSyncCalls
from clients.sdk.risk import EmergencyStopResult, RiskEventUpdate, RiskRules, RiskStatus
from clients.sdk.signals import Signal, SignalInput, SignalStatus, SignalUpdate, SubmitResult
from clients.sdk.strategies import (
    StrategyDetail,
    StrategyInfo,
    StrategyLoadResult,
    StrategyUpdate,
    StrategyValidation,
)
from clients.sdk.trades import TrackedTrade, TradeUpdate

_T = TypeVar("_T")


class VigilSyncClient(AnalyticsSyncCalls, NotificationSyncCalls, BacktestSyncCalls, CopySyncCalls, BrokerSyncCalls):
    """The same calls as VigilClient, blocking; streams are plain iterators (close them, or break out)."""

    def __init__(
        self,
        target: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        reconnect: bool = True,
        tls: bool | None = None,
        tls_ca: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        tls_server_name: str | None = None,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="vigil-sdk-loop", daemon=True)
        self._thread.start()
        self._closed = False

        async def make() -> VigilClient:
            return VigilClient(
                target, api_key=api_key, timeout=timeout, reconnect=reconnect, tls=tls, tls_ca=tls_ca,
                tls_cert=tls_cert, tls_key=tls_key, tls_server_name=tls_server_name,
            )  # fmt: skip

        self._client = self._run(make())

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"VigilSyncClient(target={self._client.target!r}, state={self.connection_state.value})"

    @property
    def target(self) -> str:
        """The server address: the argument, else VIGIL_TARGET, else 127.0.0.1:50051."""
        return self._client.target

    @property
    def connection_state(self) -> ConnectionState:
        return self._client.connection_state

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._run(self._client.close())
        self._run(self._loop.shutdown_asyncgens())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """True once connected to the server; False if `timeout` seconds passed first."""
        future = asyncio.run_coroutine_threadsafe(self._client.wait_connected(), self._loop)
        try:
            future.result(timeout)
        except TimeoutError:
            future.cancel()
            return False
        return True

    def health(self, service: str = "") -> ServingStatus:
        return self._run(self._client.health(service))

    def list_instruments(self) -> list[Instrument]:
        return self._run(self._client.list_instruments())

    def resolve_symbol(self, symbol: str, at_ns: int = 0) -> Contract:
        return self._run(self._client.resolve_symbol(symbol, at_ns))

    def get_quote(self, symbol: str) -> QuoteSnapshot:
        return self._run(self._client.get_quote(symbol))

    def list_candles(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        start_ns: int = 0,
        end_ns: int = 0,
        limit: int = 500,
        include_forming: bool = False,
    ) -> list[Candle]:
        return self._run(self._client.list_candles(symbol, timeframe, start_ns, end_ns, limit, include_forming))

    def list_recent_ticks(self, symbol: str, limit: int = 100, trades_only: bool = False) -> list[Tick]:
        return self._run(self._client.list_recent_ticks(symbol, limit, trades_only))

    def get_feed_status(self) -> FeedStatusReport:
        return self._run(self._client.get_feed_status())

    def list_sessions(self, from_date: date | str | None = None, to_date: date | str | None = None) -> SessionCalendar:
        return self._run(self._client.list_sessions(from_date, to_date))

    def stream_quotes(
        self, symbols: Iterable[str] = (), include_trades: bool = False, max_batch: int = 500
    ) -> Generator[QuoteBatch, None, None]:
        return self._iterate(self._client.stream_quotes(tuple(symbols), include_trades, max_batch))

    def stream_candles(
        self,
        symbol: str,
        timeframes: Iterable[Timeframe | str] = (),
        closed_only: bool = False,
        send_snapshot: bool = True,
    ) -> Generator[list[Candle], None, None]:
        return self._iterate(self._client.stream_candles(symbol, tuple(timeframes), closed_only, send_snapshot))

    def stream_feed_status(self, interval_ms: int = 1000) -> Generator[FeedStatusReport, None, None]:
        return self._iterate(self._client.stream_feed_status(interval_ms))

    def submit_signal(self, signal_input: SignalInput) -> SubmitResult:
        return self._run(self._client.submit_signal(signal_input))

    def get_signal(self, signal_id: str) -> Signal:
        return self._run(self._client.get_signal(signal_id))

    def list_signals(
        self,
        statuses: Iterable[SignalStatus | str] = (),
        symbol: str = "",
        strategy: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> list[Signal]:
        return self._run(self._client.list_signals(tuple(statuses), symbol, strategy, from_ns, to_ns, limit))

    def cancel_signal(self, signal_id: str, reason: str = "") -> Signal:
        return self._run(self._client.cancel_signal(signal_id, reason))

    def approve_signal(self, signal_id: str) -> Signal:
        return self._run(self._client.approve_signal(signal_id))

    def stream_signal_events(
        self, send_pending: bool = True, since_seq: int = 0
    ) -> Generator[SignalUpdate, None, None]:
        return self._iterate(self._client.stream_signal_events(send_pending, since_seq))

    # -- execution ------------------------------------------------------------------------------------

    def create_account(self, name: str, starting_balance: Decimal = DEFAULT_STARTING_BALANCE) -> Account:
        return self._run(self._client.create_account(name, starting_balance))

    def list_accounts(self) -> list[Account]:
        return self._run(self._client.list_accounts())

    def get_account(self, account_id: str) -> Account:
        return self._run(self._client.get_account(account_id))

    def reset_account(self, account_id: str) -> Account:
        return self._run(self._client.reset_account(account_id))

    def submit_order(self, account_id: str, spec: OrderSpec) -> OrderResult:
        return self._run(self._client.submit_order(account_id, spec))

    def submit_bracket(self, account_id: str, bracket: BracketSpec) -> BracketResult:
        return self._run(self._client.submit_bracket(account_id, bracket))

    def submit_bracket_batch(self, account_id: str, brackets: Iterable[BracketSpec]) -> BracketBatchResult:
        return self._run(self._client.submit_bracket_batch(account_id, tuple(brackets)))

    def submit_oco(self, account_id: str, first: OrderSpec, second: OrderSpec) -> OcoResult:
        return self._run(self._client.submit_oco(account_id, first, second))

    def modify_order(
        self, order_id: str, quantity: int = 0, limit_price: Decimal | None = None, stop_price: Decimal | None = None
    ) -> OrderResult:
        return self._run(self._client.modify_order(order_id, quantity, limit_price, stop_price))

    def cancel_order(self, order_id: str) -> OrderResult:
        return self._run(self._client.cancel_order(order_id))

    def cancel_all_orders(self, account_id: str, symbol: str = "") -> CancelAllResult:
        return self._run(self._client.cancel_all_orders(account_id, symbol))

    def close_position(self, account_id: str, symbol: str) -> tuple[OrderEvent, ...]:
        return self._run(self._client.close_position(account_id, symbol))

    def flatten_account(self, account_id: str) -> tuple[OrderEvent, ...]:
        return self._run(self._client.flatten_account(account_id))

    def reverse_position(self, account_id: str, symbol: str) -> tuple[OrderEvent, ...]:
        return self._run(self._client.reverse_position(account_id, symbol))

    def list_orders(self, account_id: str, open_only: bool = False, symbol: str = "", limit: int = 200) -> list[Order]:
        return self._run(self._client.list_orders(account_id, open_only, symbol, limit))

    def list_fills(self, account_id: str, from_ns: int = 0, to_ns: int = 0, limit: int = 200) -> list[Fill]:
        return self._run(self._client.list_fills(account_id, from_ns, to_ns, limit))

    def list_positions(self, account_id: str) -> list[Position]:
        return self._run(self._client.list_positions(account_id))

    def stream_order_events(self, account_id: str = "", since_seq: int = 0) -> Generator[OrderEvent, None, None]:
        return self._iterate(self._client.stream_order_events(account_id, since_seq))

    def stream_account(self, account_id: str, max_rate: int = 4) -> Generator[Account, None, None]:
        return self._iterate(self._client.stream_account(account_id, max_rate))

    # -- trades ---------------------------------------------------------------------------------------

    def list_trades(
        self,
        open_only: bool = False,
        closed_only: bool = False,
        symbol: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
        account_id: str = "",
        strategy_id: str = "",
    ) -> list[TrackedTrade]:
        return self._run(
            self._client.list_trades(open_only, closed_only, symbol, from_ns, to_ns, limit, account_id, strategy_id)
        )

    def get_trade(self, trade_id: str) -> TrackedTrade:
        return self._run(self._client.get_trade(trade_id))

    def stream_trade_updates(self, send_open: bool = True, since_seq: int = 0) -> Generator[TradeUpdate, None, None]:
        return self._iterate(self._client.stream_trade_updates(send_open, since_seq))

    # -- risk -----------------------------------------------------------------------------------------

    def get_risk_status(self, account_id: str = "") -> list[RiskStatus]:
        return self._run(self._client.get_risk_status(account_id))

    def get_rules(self, account_id: str) -> RiskRules:
        return self._run(self._client.get_rules(account_id))

    def set_rules(self, account_id: str, preset: str = "", rules: RiskRules | None = None) -> RiskRules:
        return self._run(self._client.set_rules(account_id, preset, rules))

    def get_commission_rates(self, account_id: str) -> list[CommissionRate]:
        return self._run(self._client.get_commission_rates(account_id))

    def set_commission_rates(
        self,
        account_id: str,
        rates: Mapping[str, Decimal | str] | None = None,
        *,
        reset: Iterable[str] = (),
        reset_all: bool = False,
    ) -> list[CommissionRate]:
        return self._run(self._client.set_commission_rates(account_id, rates, reset=reset, reset_all=reset_all))

    def list_presets(self) -> list[RiskRules]:
        return self._run(self._client.list_presets())

    def emergency_stop(self, reason: str = "") -> EmergencyStopResult:
        return self._run(self._client.emergency_stop(reason))

    def resume(self) -> int:
        return self._run(self._client.resume())

    def stream_risk_events(
        self, account_id: str = "", replay: int = 0, since_seq: int = 0
    ) -> Generator[RiskEventUpdate, None, None]:
        return self._iterate(self._client.stream_risk_events(account_id, replay, since_seq))

    # -- access ---------------------------------------------------------------------------------------

    def create_api_key(self, name: str, role: Role | str, accounts: Iterable[str] = ()) -> CreatedKey:
        return self._run(self._client.create_api_key(name, role, accounts))

    def list_api_keys(self, include_revoked: bool = False) -> list[ApiKey]:
        return self._run(self._client.list_api_keys(include_revoked))

    def revoke_api_key(self, name: str) -> ApiKey:
        return self._run(self._client.revoke_api_key(name))

    def who_am_i(self) -> Identity:
        return self._run(self._client.who_am_i())

    # -- plumbing -------------------------------------------------------------------------------------

    # -- strategies -----------------------------------------------------------------------------------

    def list_strategies(self) -> list[StrategyInfo]:
        return self._run(self._client.list_strategies())

    def get_strategy(self, strategy_id: str, events: int = 50) -> StrategyDetail:
        return self._run(self._client.get_strategy(strategy_id, events))

    def validate_strategy(self, definition: str, format: str = "") -> StrategyValidation:
        return self._run(self._client.validate_strategy(definition, format))

    def load_strategy(self, definition: str, format: str = "") -> StrategyLoadResult:
        return self._run(self._client.load_strategy(definition, format))

    def activate_strategy(self, strategy_id: str) -> StrategyInfo:
        return self._run(self._client.activate_strategy(strategy_id))

    def deactivate_strategy(self, strategy_id: str) -> StrategyInfo:
        return self._run(self._client.deactivate_strategy(strategy_id))

    def emergency_stop_strategy(self, strategy_id: str) -> StrategyInfo:
        return self._run(self._client.emergency_stop_strategy(strategy_id))

    def stream_strategy_events(
        self, strategy_id: str = "", replay: int = 0, include_updates: bool = False, since_seq: int = 0
    ) -> Generator[StrategyUpdate, None, None]:
        return self._iterate(self._client.stream_strategy_events(strategy_id, replay, include_updates, since_seq))

    # -- DataService --

    def import_ticks(
        self, path: str | Path, options: ImportOptions | None = None
    ) -> Generator[ImportProgress, None, None]:
        return self._iterate(self._client.import_ticks(path, options))

    def upload_ticks(
        self, path: str | Path, options: ImportOptions | None = None, *, file_name: str = ""
    ) -> Generator[ImportProgress, None, None]:
        return self._iterate(self._client.upload_ticks(path, options, file_name=file_name))

    def list_data_coverage(
        self,
        symbol: str = "",
        from_date: date | str | None = None,
        to_date: date | str | None = None,
        min_gap_seconds: int = 0,
    ) -> list[DataCoverageDay]:
        return self._run(self._client.list_data_coverage(symbol, from_date, to_date, min_gap_seconds))

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def _iterate(self, stream: AsyncIterator[_T]) -> Generator[_T, None, None]:
        async def step() -> tuple[bool, _T | None]:
            try:
                return True, await anext(stream)
            except StopAsyncIteration:
                return False, None

        try:
            while True:
                more, item = self._run(step())
                if not more:
                    return
                yield item  # type: ignore[misc]
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None and not self._loop.is_closed():
                self._run(close())
