"""A hand-written fake of the remote SignalService (in memory, no database) for SDK and webhook-bridge tests.

It speaks the real generated gRPC API on a real grpc.aio server, so clients exercise their wire code; the
decisions are scripted (`decide`), not the real validator's. Tests of the real server live beside the server.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from vigil.v1 import common_pb2, market_data_pb2
from vigil.v1 import signals_pb2 as pb
from vigil.v1 import signals_pb2_grpc as pb_grpc

NOW_NS = 1_764_255_600_000_000_000  # 2025-11-27T15:00:00Z, the fake's clock
CHECK_NAMES = (
    "authentic_and_new",
    "staleness_price",
    "staleness_age",
    "session",
    "confirmation",
    "pivot_stop",
    "entry_risk",
)
LIVE = (pb.SIGNAL_STATUS_PENDING, pb.SIGNAL_STATUS_AWAITING_APPROVAL)
KINDS = {
    pb.SIGNAL_STATUS_REJECTED: "rejected",
    pb.SIGNAL_STATUS_PENDING: "pending",
    pb.SIGNAL_STATUS_AWAITING_APPROVAL: "awaiting_approval",
    pb.SIGNAL_STATUS_CONFIRMED: "confirmed",
    pb.SIGNAL_STATUS_EXPIRED: "expired",
    pb.SIGNAL_STATUS_INVALIDATED: "invalidated",
    pb.SIGNAL_STATUS_CANCELLED: "cancelled",
}
UNKNOWN_SYMBOL = "BOGUS"


def pending(_: pb.SignalInput) -> pb.SignalStatus.ValueType:
    return pb.SIGNAL_STATUS_PENDING


def _checks(status: int, price: str) -> list[pb.SignalCheck]:
    if status == pb.SIGNAL_STATUS_REJECTED:
        outcomes = [pb.CHECK_OUTCOME_PASSED, pb.CHECK_OUTCOME_FAILED] + [pb.CHECK_OUTCOME_SKIPPED] * 5
        details = ["new alert", f"|{price} - 25000.00| > 5"] + ["not run"] * 5
    elif status == pb.SIGNAL_STATUS_PENDING:
        outcomes = [pb.CHECK_OUTCOME_PASSED] * 4 + [pb.CHECK_OUTCOME_WAITING] * 3
        details = ["new alert", f"|{price} - {price}| = 0 <= 5", "0 s old", "NY AM", "", "", ""]
    else:
        outcomes = [pb.CHECK_OUTCOME_PASSED] * 7
        details = ["new alert", "ok", "ok", "NY AM", "closed above", "pivot 24990.00", "risk 10.00"]
    return [
        pb.SignalCheck(name=n, outcome=o, detail=d, decided_ns=0 if o == pb.CHECK_OUTCOME_WAITING else NOW_NS)
        for n, o, d in zip(CHECK_NAMES, outcomes, details, strict=True)
    ]


async def _abort_invalid(context: grpc.aio.ServicerContext[Any, Any], fieldname: str, reason: str) -> None:
    violation = error_details_pb2.BadRequest.FieldViolation(field=fieldname, description=reason)
    packed = any_pb2.Any()
    packed.Pack(error_details_pb2.BadRequest(field_violations=[violation]))
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=f"{fieldname}: {reason}", details=[packed])
    await context.abort(
        grpc.StatusCode.INVALID_ARGUMENT,
        f"{fieldname}: {reason}",
        trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),),
    )


class FakeSignalService(pb_grpc.SignalServiceServicer):
    """In-memory SignalService. Records every request; `decide` picks the status of a new signal; an unset
    `gate` Event holds SubmitSignal until it is set (a slow core)."""

    def __init__(self, decide: Callable[[pb.SignalInput], pb.SignalStatus.ValueType] = pending) -> None:
        self.decide = decide
        self.submitted: list[pb.SubmitSignalRequest] = []
        self.stream_requests: list[pb.StreamSignalEventsRequest] = []
        self.authorizations: list[str] = []
        self.signals: dict[str, pb.Signal] = {}
        self.gate: asyncio.Event | None = None
        self._by_key: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._subscribers: set[asyncio.Queue[pb.StreamSignalEventsResponse]] = set()

    # -- scripting ----------------------------------------------------------------------------------

    def move(self, signal_id: str, status: pb.SignalStatus.ValueType, detail: str = "") -> pb.Signal:
        """Move a signal to `status` as the real core would on a candle close, and publish the event."""
        signal = self.signals[signal_id]
        signal.status = status
        signal.decided_ns = NOW_NS
        if status == pb.SIGNAL_STATUS_CONFIRMED and not signal.trade_id:
            signal.trade_id = f"T-{signal_id}"
        self._publish(signal, KINDS[status], detail)
        return signal

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    # -- the service --------------------------------------------------------------------------------

    async def SubmitSignal(
        self, request: pb.SubmitSignalRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.SubmitSignalResponse:
        self.submitted.append(request)
        self.authorizations.append(dict(context.invocation_metadata() or ()).get("authorization", ""))
        if self.gate is not None:
            await self.gate.wait()
        given = request.input
        if not given.symbol or given.symbol.upper() == UNKNOWN_SYMBOL:
            await _abort_invalid(context, "input.symbol", f"unknown symbol {given.symbol!r}")
        if given.direction == pb.SIGNAL_DIRECTION_UNSPECIFIED:
            await _abort_invalid(context, "input.direction", "a direction is required")
        try:
            valid_price = Decimal(given.signal_price) > 0
        except InvalidOperation:
            valid_price = False
        if not valid_price:
            await _abort_invalid(context, "input.signal_price", f"not a price: {given.signal_price!r}")
        key = given.idempotency_key or hashlib.sha256(given.SerializeToString(deterministic=True)).hexdigest()
        if key in self._by_key:
            return pb.SubmitSignalResponse(signal=self.signals[self._by_key[key]], duplicate=True)
        signal_id = f"S{next(self._ids)}"
        status = self.decide(given)
        used = pb.SignalInput()
        used.CopyFrom(given)
        used.idempotency_key = key  # a returned signal carries the key actually used
        signal = pb.Signal(
            signal_id=signal_id,
            input=used,
            contract_id=_contract_of(given.symbol),
            status=status,
            checks=_checks(status, given.signal_price),
            received_ns=NOW_NS,
            decided_ns=0 if status in LIVE else NOW_NS,
            waiting_for=f"1m close > {given.signal_price}" if status == pb.SIGNAL_STATUS_PENDING else "",
            expires_after_candles=5,
        )
        if status == pb.SIGNAL_STATUS_AWAITING_APPROVAL:
            signal.signal_candle.CopyFrom(_candle(signal.contract_id, given.signal_price))
            signal.entry_price, signal.stop_price, signal.risk_points = "25342.00", "25316.00", "26.00"
            signal.pivot_price, signal.pivot_candle_start_ns = "25341.00", NOW_NS - 60 * 10**9
        self.signals[signal_id] = signal
        self._by_key[key] = signal_id
        self._publish(signal, "received", "")
        self._publish(signal, KINDS[status], "")
        return pb.SubmitSignalResponse(signal=signal, duplicate=False)

    async def GetSignal(
        self, request: pb.GetSignalRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetSignalResponse:
        signal = self.signals.get(request.signal_id)
        if signal is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no signal {request.signal_id!r}")
        return pb.GetSignalResponse(signal=signal)

    async def ListSignals(
        self, request: pb.ListSignalsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListSignalsResponse:
        found = [
            s
            for s in reversed(self.signals.values())
            if (not request.statuses or s.status in request.statuses)
            and (not request.symbol or s.input.symbol == request.symbol)
            and (not request.strategy or s.input.strategy == request.strategy)
            and (not request.from_ns or s.received_ns >= request.from_ns)
            and (not request.to_ns or s.received_ns < request.to_ns)
        ]
        return pb.ListSignalsResponse(signals=found[: request.limit or 100])

    async def StreamSignalEvents(
        self, request: pb.StreamSignalEventsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[pb.StreamSignalEventsResponse]:
        self.stream_requests.append(request)
        queue: asyncio.Queue[pb.StreamSignalEventsResponse] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            if request.send_pending:
                for signal in self.signals.values():
                    if signal.status in LIVE:
                        yield _update(signal, KINDS[signal.status], "still live")
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)

    async def CancelSignal(
        self, request: pb.CancelSignalRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.CancelSignalResponse:
        signal = self.signals.get(request.signal_id)
        if signal is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no signal {request.signal_id!r}")
        if signal.status not in LIVE:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"{request.signal_id} is no longer live")
        return pb.CancelSignalResponse(signal=self.move(request.signal_id, pb.SIGNAL_STATUS_CANCELLED, request.reason))

    async def ApproveSignal(
        self, request: pb.ApproveSignalRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ApproveSignalResponse:
        signal = self.signals.get(request.signal_id)
        if signal is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no signal {request.signal_id!r}")
        if signal.status != pb.SIGNAL_STATUS_AWAITING_APPROVAL:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"{request.signal_id} is not awaiting approval")
        return pb.ApproveSignalResponse(signal=self.move(request.signal_id, pb.SIGNAL_STATUS_CONFIRMED, "approved"))

    def _publish(self, signal: pb.Signal, kind: str, detail: str) -> None:
        event = pb.SignalEvent(signal_id=signal.signal_id, kind=kind, ts_ns=NOW_NS, detail=detail, status=signal.status)
        signal.events.append(event)
        for queue in self._subscribers:
            queue.put_nowait(pb.StreamSignalEventsResponse(event=event, signal=signal))


def _update(signal: pb.Signal, kind: str, detail: str) -> pb.StreamSignalEventsResponse:
    event = pb.SignalEvent(signal_id=signal.signal_id, kind=kind, ts_ns=NOW_NS, detail=detail, status=signal.status)
    return pb.StreamSignalEventsResponse(event=event, signal=signal)


def _contract_of(symbol: str) -> str:
    root = "".join(itertools.takewhile(str.isalpha, symbol.rsplit(":", 1)[-1].upper()))
    return f"{root or 'NQ'}Z2026"


def _candle(contract_id: str, price: str) -> market_data_pb2.Candle:
    return market_data_pb2.Candle(
        contract_id=contract_id,
        timeframe=common_pb2.TIMEFRAME_1M,
        start_ns=NOW_NS - 60 * 10**9,
        end_ns=NOW_NS,
        open=price,
        high=price,
        low=price,
        close=price,
        volume=10,
        tick_count=10,
        closed=True,
        complete=True,
    )


@dataclass
class FakeSignalServer:
    """A grpc.aio server on 127.0.0.1 with the fake SignalService and a SERVING health service."""

    service: FakeSignalService
    health: health.aio.HealthServicer
    server: grpc.aio.Server
    address: str
    _stopped: bool = field(default=False, repr=False)

    async def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            await self.server.stop(None)


async def start_fake_signal_server(
    service: FakeSignalService | None = None, address: str = "127.0.0.1:0"
) -> FakeSignalServer:
    service = service or FakeSignalService()
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    pb_grpc.add_SignalServiceServicer_to_server(service, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port(address)
    await server.start()
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    return FakeSignalServer(service, health_servicer, server, f"127.0.0.1:{port}")
