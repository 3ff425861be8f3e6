"""SignalCalls: VigilClient's SignalService methods (submit, inspect, cancel, approve, stream signals)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from clients.sdk import convert_signals
from clients.sdk.signals import Signal, SignalInput, SignalStatus, SignalUpdate, SubmitResult
from clients.sdk.transport import Transport
from vigil.v1 import signals_pb2, signals_pb2_grpc

if TYPE_CHECKING:
    from clients.sdk.transport import Call


class SignalCalls(Transport):
    """One method per SignalService RPC."""

    async def submit_signal(self, signal_input: SignalInput) -> SubmitResult:
        """Validate a new signal. A rejection is a decision in the result (status REJECTED, see checks), not an
        error; a repeat of an earlier idempotency key returns the original signal with `duplicate=True`."""
        request = signals_pb2.SubmitSignalRequest(input=convert_signals.signal_input_to_pb(signal_input))
        response = await self._unary(self._signal_stub().SubmitSignal, request)
        return convert_signals.submit_result_from_pb(response)

    async def get_signal(self, signal_id: str) -> Signal:
        """One signal with its checks and lifecycle events."""
        request = signals_pb2.GetSignalRequest(signal_id=signal_id)
        response = await self._unary(self._signal_stub().GetSignal, request)
        return convert_signals.signal_from_pb(response.signal)

    async def list_signals(
        self,
        statuses: Iterable[SignalStatus | str] = (),
        symbol: str = "",
        strategy: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> list[Signal]:
        """Signals received in [from_ns, to_ns) (0: unbounded), newest first; empty filters match all."""
        request = signals_pb2.ListSignalsRequest(
            statuses=[convert_signals.status_to_pb(s) for s in statuses],
            symbol=symbol,
            strategy=strategy,
            from_ns=from_ns,
            to_ns=to_ns,
            limit=limit,
        )
        response = await self._unary(self._signal_stub().ListSignals, request)
        return [convert_signals.signal_from_pb(s) for s in response.signals]

    async def cancel_signal(self, signal_id: str, reason: str = "") -> Signal:
        """Cancel a pending or approval-waiting signal; the signal as it stands afterwards."""
        request = signals_pb2.CancelSignalRequest(signal_id=signal_id, reason=reason)
        response = await self._unary(self._signal_stub().CancelSignal, request)
        return convert_signals.signal_from_pb(response.signal)

    async def approve_signal(self, signal_id: str) -> Signal:
        """Approve a confirmed signal that waits for manual approval; the signal as it stands afterwards."""
        request = signals_pb2.ApproveSignalRequest(signal_id=signal_id)
        response = await self._unary(self._signal_stub().ApproveSignal, request)
        return convert_signals.signal_from_pb(response.signal)

    async def stream_signal_events(
        self, send_pending: bool = True, since_seq: int = 0
    ) -> AsyncGenerator[SignalUpdate, None]:
        """Signal lifecycle events as they happen (each event's `seq` is its place in the server's log), first
        the current pending signals if `send_pending`; with `since_seq`, every event stored after it first.

        After a reconnect the request is re-sent with `since_seq` set to the last seq delivered: the server
        replays every event stored meanwhile, then continues live, with no gap and no duplicate.
        """
        last = since_seq

        def open_call(resumed: bool) -> Call[signals_pb2.StreamSignalEventsResponse]:
            # Resumed after an event was seen: replay from it. Resumed before any: resync the pending signals.
            pending = (send_pending and not resumed) or (resumed and not last)
            request = signals_pb2.StreamSignalEventsRequest(send_pending=pending, since_seq=last)
            return self._signal_stub().StreamSignalEvents(
                request, metadata=self._metadata, wait_for_ready=self.reconnect_streams
            )

        def restart() -> None:
            nonlocal last
            last = 0

        updates = self._resilient_stream(
            "StreamSignalEvents", open_call, convert_signals.signal_update_from_pb, restart
        )
        try:
            async for update in updates:
                seq = update.event.seq
                if seq:
                    if seq <= last:
                        continue
                    last = seq
                yield update
        finally:
            await updates.aclose()

    def _signal_stub(self) -> signals_pb2_grpc.SignalServiceAsyncStub:
        return signals_pb2_grpc.SignalServiceStub(self._channel())
