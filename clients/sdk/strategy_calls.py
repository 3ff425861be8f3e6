"""StrategyCalls: VigilClient's StrategyService methods (load, validate, activate, stop, the event log)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from clients.sdk import convert_strategies as convert
from clients.sdk.strategies import (
    StrategyDetail,
    StrategyInfo,
    StrategyLoadResult,
    StrategyUpdate,
    StrategyValidation,
)
from clients.sdk.transport import Transport
from vigil.v1 import strategies_pb2 as pb
from vigil.v1 import strategies_pb2_grpc

if TYPE_CHECKING:
    from clients.sdk.transport import Call


class StrategyCalls(Transport):
    """One method per StrategyService RPC."""

    async def list_strategies(self) -> list[StrategyInfo]:
        response = await self._unary(self._strategy_stub().ListStrategies, pb.ListStrategiesRequest())
        return [convert.strategy_from_pb(s) for s in response.strategies]

    async def get_strategy(self, strategy_id: str, events: int = 50) -> StrategyDetail:
        """The strategy with its versions and its last `events` log entries."""
        request = pb.GetStrategyRequest(strategy_id=strategy_id, events=events)
        return convert.detail_from_pb(await self._unary(self._strategy_stub().GetStrategy, request))

    async def validate_strategy(self, definition: str, format: str = "") -> StrategyValidation:
        """Findings for a definition (TOML or JSON text); nothing is saved. InvalidArgumentError names the field."""
        request = pb.ValidateStrategyRequest(definition=definition, format=format)
        response = await self._unary(self._strategy_stub().ValidateStrategy, request)
        return StrategyValidation(tuple(convert.finding_from_pb(f) for f in response.findings), response.ok)

    async def load_strategy(self, definition: str, format: str = "") -> StrategyLoadResult:
        """Create or update a strategy (a new version when the text differs); inactive unless it says enabled."""
        request = pb.LoadStrategyRequest(definition=definition, format=format)
        response = await self._unary(self._strategy_stub().LoadStrategy, request)
        return StrategyLoadResult(convert.strategy_from_pb(response.strategy), response.changed)

    async def activate_strategy(self, strategy_id: str) -> StrategyInfo:
        """FailedPreconditionError with the findings while an error stands."""
        request = pb.ActivateStrategyRequest(strategy_id=strategy_id)
        response = await self._unary(self._strategy_stub().ActivateStrategy, request)
        return convert.strategy_from_pb(response.strategy)

    async def deactivate_strategy(self, strategy_id: str) -> StrategyInfo:
        request = pb.DeactivateStrategyRequest(strategy_id=strategy_id)
        response = await self._unary(self._strategy_stub().DeactivateStrategy, request)
        return convert.strategy_from_pb(response.strategy)

    async def emergency_stop_strategy(self, strategy_id: str) -> StrategyInfo:
        """Cancel the strategy's orders and close its position at market, now."""
        request = pb.EmergencyStopStrategyRequest(strategy_id=strategy_id)
        response = await self._unary(self._strategy_stub().EmergencyStopStrategy, request)
        return convert.strategy_from_pb(response.strategy)

    def stream_strategy_events(
        self, strategy_id: str = "", replay: int = 0, include_updates: bool = False, since_seq: int = 0
    ) -> AsyncGenerator[StrategyUpdate, None]:
        """The event log: the last `replay` stored events (or every one after `since_seq`), then new ones as they
        are stored ("" = every strategy); with `include_updates`, also the strategy (position, P&L, status)
        whenever it changes. Each update holds one of `event` or `strategy`. After a reconnect the request is
        re-sent with `since_seq` set to the last event seq delivered: the events stored meanwhile come first,
        with no gap and no duplicate."""

        def open_call(since: int, resumed: bool) -> Call[pb.StreamStrategyEventsResponse]:
            request = pb.StreamStrategyEventsRequest(
                strategy_id=strategy_id,
                replay=0 if resumed or since else replay,
                include_updates=include_updates,
                since_seq=since,
            )
            return self._strategy_stub().StreamStrategyEvents(
                request, metadata=self._metadata, wait_for_ready=self.reconnect_streams
            )

        return self._resuming_stream(
            "StreamStrategyEvents", open_call, convert.update_from_pb, lambda r: r.event.seq, since_seq
        )

    def _strategy_stub(self) -> strategies_pb2_grpc.StrategyServiceAsyncStub:
        return strategies_pb2_grpc.StrategyServiceStub(self._channel())
