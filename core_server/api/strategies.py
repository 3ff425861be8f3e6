"""StrategyService: thin translation between the wire and the StrategyDesk."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc

from core_server.api import access, arguments
from core_server.api import strategies_convert as convert
from core_server.api.errors import stream, unary
from core_server.api.resume import replay_then_live
from core_server.live.strategy_desk import StrategyDesk
from core_server.model.errors import InvalidArgument
from core_server.strategies.checks import errors_of
from core_server.strategies.events import LoggedEvent, StrategyRecord
from core_server.strategies.parse import MAX_TEXT_BYTES
from vigil.v1 import strategies_pb2 as pb
from vigil.v1 import strategies_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]

DEFAULT_EVENTS = 50
MAX_EVENTS = 1000
FORMATS = ("", "toml", "json")


def _definition(request: pb.ValidateStrategyRequest | pb.LoadStrategyRequest) -> tuple[str, str]:
    text = arguments.text(request.definition, "definition", MAX_TEXT_BYTES)
    if not text.strip():
        raise InvalidArgument("definition", "a strategy definition (TOML or JSON text) is required")
    fmt = request.format.strip().lower()
    if fmt not in FORMATS:
        raise InvalidArgument("format", "toml or json (empty: json when the text starts with '{')")
    return text, fmt


class StrategyServicer(pb_grpc.StrategyServiceServicer):
    def __init__(self, strategies: StrategyDesk) -> None:
        self._desk = strategies

    def _granted(self, value: str) -> str:
        """The strategy's id, once the caller may change its account (PermissionDenied otherwise)."""
        strategy_id = arguments.identifier(value, "strategy_id")
        access.check_account(self._desk.view(strategy_id).record.account_id)
        return strategy_id

    @unary
    async def ListStrategies(self, request: pb.ListStrategiesRequest, context: Ctx) -> pb.ListStrategiesResponse:
        return pb.ListStrategiesResponse(strategies=[convert.strategy_to_proto(v) for v in self._desk.all()])

    @unary
    async def GetStrategy(self, request: pb.GetStrategyRequest, context: Ctx) -> pb.GetStrategyResponse:
        strategy_id = arguments.identifier(request.strategy_id, "strategy_id")
        limit = arguments.bounded(request.events, "events", DEFAULT_EVENTS, MAX_EVENTS)
        view = self._desk.view(strategy_id)
        versions = await self._desk.versions(strategy_id)
        events = await self._desk.events(strategy_id, limit)
        results = await self._desk.results(strategy_id)
        return pb.GetStrategyResponse(
            strategy=convert.strategy_to_proto(view),
            versions=[convert.version_to_proto(v) for v in versions],
            events=[convert.event_to_proto(e) for e in events],
            results=[convert.result_to_proto(r) for r in results],
        )

    @unary
    async def ValidateStrategy(self, request: pb.ValidateStrategyRequest, context: Ctx) -> pb.ValidateStrategyResponse:
        _, findings = self._desk.validate(*_definition(request))
        return pb.ValidateStrategyResponse(
            findings=[convert.finding_to_proto(f) for f in findings], ok=not errors_of(findings)
        )

    @unary
    async def LoadStrategy(self, request: pb.LoadStrategyRequest, context: Ctx) -> pb.LoadStrategyResponse:
        text, fmt = _definition(request)
        access.check_account(self._desk.parse(text, fmt).account)  # a trader loads only on its own accounts
        loaded = await self._desk.load(text, fmt)
        return pb.LoadStrategyResponse(strategy=convert.strategy_to_proto(loaded.view), changed=loaded.changed)

    @unary
    async def ActivateStrategy(self, request: pb.ActivateStrategyRequest, context: Ctx) -> pb.ActivateStrategyResponse:
        view = await self._desk.activate(self._granted(request.strategy_id))
        return pb.ActivateStrategyResponse(strategy=convert.strategy_to_proto(view))

    @unary
    async def DeactivateStrategy(
        self, request: pb.DeactivateStrategyRequest, context: Ctx
    ) -> pb.DeactivateStrategyResponse:
        view = await self._desk.deactivate(self._granted(request.strategy_id))
        return pb.DeactivateStrategyResponse(strategy=convert.strategy_to_proto(view))

    @unary
    async def EmergencyStopStrategy(
        self, request: pb.EmergencyStopStrategyRequest, context: Ctx
    ) -> pb.EmergencyStopStrategyResponse:
        view = await self._desk.emergency_stop(self._granted(request.strategy_id))
        return pb.EmergencyStopStrategyResponse(strategy=convert.strategy_to_proto(view))

    @stream
    async def StreamStrategyEvents(
        self, request: pb.StreamStrategyEventsRequest, context: Ctx
    ) -> AsyncIterator[pb.StreamStrategyEventsResponse]:
        strategy_id = arguments.text(request.strategy_id, "strategy_id", arguments.MAX_ID_CHARS).strip()
        if not 0 <= request.replay <= MAX_EVENTS:
            raise InvalidArgument("replay", f"0 to {MAX_EVENTS}")
        if strategy_id:
            self._desk.view(strategy_id)  # NotFound

        def keep(item: object) -> bool:
            if isinstance(item, StrategyRecord):
                return request.include_updates and strategy_id in ("", item.strategy_id)
            return isinstance(item, LoggedEvent) and strategy_id in ("", item.event.strategy_id)

        async def recent() -> Sequence[object]:
            return await self._desk.events(strategy_id, request.replay)

        async def stored_after(seq: int, limit: int) -> Sequence[object]:
            return await self._desk.events_after(strategy_id, seq, limit)

        entries = replay_then_live(
            self._desk.subscribe,
            request.since_seq,
            latest=self._desk.last_event_seq,
            stored_after=stored_after,
            seq_of=lambda item: item.seq if isinstance(item, LoggedEvent) else 0,
            recent=recent,
            keep=keep,
        )
        async with contextlib.aclosing(entries):
            async for item in entries:
                if isinstance(item, LoggedEvent):
                    yield pb.StreamStrategyEventsResponse(event=convert.event_to_proto(item))
                elif isinstance(item, StrategyRecord):
                    view = self._desk.find(item.strategy_id)
                    if view is not None:
                        yield pb.StreamStrategyEventsResponse(strategy=convert.strategy_to_proto(view))
