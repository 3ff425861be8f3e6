"""SignalService: thin translation between the wire and the SignalDesk.

Authentication: every SubmitSignal through the API counts as authentic (`authenticated=True`). The access
interceptor already vouches for the caller (a trader key at least), and the webhook bridge checks each alert's
shared secret (constant-time) before it calls SubmitSignal, so an alert with a wrong secret never gets here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from core_server.api import access, arguments
from core_server.api import signals_convert as convert
from core_server.api.errors import stream, unary
from core_server.api.resume import check_since_seq
from core_server.live.signal_desk import SignalDesk
from core_server.model.clock import Clock
from core_server.signals.model import SignalUpdate
from vigil.v1 import signals_pb2 as pb
from vigil.v1 import signals_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]

DEFAULT_LIST_LIMIT = 100
MAX_LIST_LIMIT = 1000


def _signal_id(value: str) -> str:
    return arguments.identifier(value, "signal_id")


RESUME_PAGE = 500  # events read from the store at a time


class SignalServicer(pb_grpc.SignalServiceServicer):
    def __init__(self, clock: Clock, engine: SignalDesk, *, signal_account: str = "") -> None:
        """`signal_account`: the account confirmed signals trade on ('' when they place no orders); a trader key
        limited to other accounts may not submit, approve or cancel signals."""
        self._clock = clock
        self._engine = engine
        self._signal_account = signal_account

    def _may_trade_signals(self) -> None:
        if self._signal_account:
            access.check_account(self._signal_account)

    @unary
    async def SubmitSignal(self, request: pb.SubmitSignalRequest, context: Ctx) -> pb.SubmitSignalResponse:
        self._may_trade_signals()
        signal_input = convert.signal_input_from_proto(request.input)
        result = await self._engine.submit(signal_input, authenticated=True, actor=access.actor())
        return pb.SubmitSignalResponse(signal=convert.signal_to_proto(result.signal), duplicate=result.duplicate)

    @unary
    async def GetSignal(self, request: pb.GetSignalRequest, context: Ctx) -> pb.GetSignalResponse:
        signal = await self._engine.get(_signal_id(request.signal_id))
        return pb.GetSignalResponse(signal=convert.signal_to_proto(signal))

    @unary
    async def ListSignals(self, request: pb.ListSignalsRequest, context: Ctx) -> pb.ListSignalsResponse:
        statuses = [convert.status_from_proto(s) for s in request.statuses]
        strategy = arguments.text(request.strategy, "strategy", convert.MAX_LABEL_CHARS)
        contract_id = arguments.optional_contract_id(request.symbol, self._clock.now_ns())
        arguments.time_range(request.from_ns, request.to_ns)
        limit = arguments.bounded(request.limit, "limit", DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)
        signals = await self._engine.list_signals(
            statuses=statuses,
            contract_id=contract_id,
            strategy=strategy,
            from_ns=request.from_ns,
            to_ns=request.to_ns,
            limit=limit,
        )
        return pb.ListSignalsResponse(signals=[convert.signal_to_proto(s) for s in signals])

    @stream
    async def StreamSignalEvents(
        self, request: pb.StreamSignalEventsRequest, context: Ctx
    ) -> AsyncIterator[pb.StreamSignalEventsResponse]:
        check_since_seq(request.since_seq, await self._engine.last_event_seq() if request.since_seq > 0 else 0)
        # Events are sent from the store's log, each with its seq: a resumed stream replays what it missed, and
        # the bus only says when there is more to read. `last` is read before subscribing, and the store is read
        # once more after, so nothing stored in between is missed.
        last = request.since_seq or await self._engine.last_event_seq()
        subscription = self._engine.subscribe()
        try:
            if request.send_pending:
                for signal in self._engine.live():
                    yield convert.update_to_proto(SignalUpdate(signal, signal.events[-1]))
            as_then: dict[tuple[str, int], SignalUpdate] = {}
            while True:
                while page := await self._engine.events_since(last, RESUME_PAGE):
                    for logged in page:
                        last = logged.stream_seq
                        # Live, the signal as it stood right after the event (the bus has it); replayed, as now.
                        update = as_then.pop((logged.event.signal_id, logged.index), None)
                        update = update or SignalUpdate(logged.signal, logged.event)
                        yield convert.update_to_proto(update, logged.stream_seq)
                as_then.clear()
                batch = await subscription.next_batch(100)
                if not batch:
                    return
                for update in batch:
                    as_then[(update.signal.signal_id, len(update.signal.events) - 1)] = update
        finally:
            subscription.close()

    @unary
    async def CancelSignal(self, request: pb.CancelSignalRequest, context: Ctx) -> pb.CancelSignalResponse:
        self._may_trade_signals()
        reason = arguments.text(request.reason, "reason", arguments.MAX_REASON_CHARS)
        signal = await self._engine.cancel(_signal_id(request.signal_id), reason, actor=access.actor())
        return pb.CancelSignalResponse(signal=convert.signal_to_proto(signal))

    @unary
    async def ApproveSignal(self, request: pb.ApproveSignalRequest, context: Ctx) -> pb.ApproveSignalResponse:
        self._may_trade_signals()
        signal = await self._engine.approve(_signal_id(request.signal_id), actor=access.actor())
        return pb.ApproveSignalResponse(signal=convert.signal_to_proto(signal))
