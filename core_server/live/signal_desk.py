"""SignalDesk: the Signal Lab for the servicers: submissions, approvals and cancellations as kernel commands.

Every decision is stored before it is answered; if the store is down the decision stands in memory and stays
queued (a retry of the same alert returns it), and the caller gets Unavailable. Stored updates are published
on `signals.events` (SignalUpdate; reliable subscribers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from core_server.bus import Bus, Subscription
from core_server.kernel.kernel import TradingKernel
from core_server.live.journal import SIGNALS_TOPIC
from core_server.live.shell import LiveKernel
from core_server.model.errors import FailedPrecondition, NotFound
from core_server.signals.idempotency import idempotency_key
from core_server.signals.model import Signal, SignalInput, SignalStatus, SignalUpdate, SubmitResult
from core_server.signals.ports import LoggedSignalEvent, SignalStore
from core_server.signals.validator import SignalValidator

EVENT_QUEUE = 10_000


class SignalDesk:
    def __init__(self, shell: LiveKernel, bus: Bus, store: SignalStore) -> None:
        self._shell = shell
        self._bus = bus
        self._store = store

    @property
    def validator(self) -> SignalValidator:
        validator = self._shell.kernel.signals
        assert validator is not None
        return validator

    # -- commands -------------------------------------------------------------------------------------------

    async def submit(self, signal_input: SignalInput, *, authenticated: bool, actor: str = "") -> SubmitResult:
        """The decision on a new signal, stored before it is returned; a repeat returns the original."""
        if authenticated:
            key = idempotency_key(signal_input)
            held = self.validator.find_by_key(key)
            if held is None:  # settled and stored, then forgotten (or settled before the last restart)
                stored = await self._store.find_by_key(key)
                if stored is not None:
                    return SubmitResult(stored, True, ())
            else:  # the original as it stands, once stored (a retry during an outage waits for the queue)
                return await self._shell.command(lambda kernel, _now: _repeat(kernel, key, held), keep=True)
        return await self._shell.command(
            lambda kernel, now: kernel.submit_signal(signal_input, authenticated=authenticated, now_ns=now),
            keep=True,
            actor=actor,
        )

    async def approve(self, signal_id: str, *, actor: str = "") -> Signal:
        await self._must_be_live(signal_id)
        await self._shell.command(lambda kernel, now: kernel.approve_signal(signal_id, now), keep=True, actor=actor)
        return self.validator.get(signal_id)

    async def cancel(self, signal_id: str, reason: str, *, actor: str = "") -> Signal:
        await self._must_be_live(signal_id)
        await self._shell.command(
            lambda kernel, now: kernel.cancel_signal(signal_id, reason, now), keep=True, actor=actor
        )
        return self.validator.get(signal_id)

    # -- queries --------------------------------------------------------------------------------------------

    async def get(self, signal_id: str) -> Signal:
        """The signal as it stands (memory first: it has the candles waited so far); NotFound if unknown."""
        with contextlib.suppress(NotFound):
            return self.validator.get(signal_id)
        stored = await self._store.get(signal_id)
        if stored is None:
            raise NotFound("signal_id", f"no signal {signal_id!r}")
        return stored

    async def list_signals(
        self,
        *,
        statuses: Sequence[SignalStatus] = (),
        contract_id: str = "",
        strategy: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> list[Signal]:
        """Stored signals newest first; live ones as they stand in memory."""
        stored = await self._store.list(
            statuses=statuses, contract_id=contract_id, strategy=strategy, from_ns=from_ns, to_ns=to_ns, limit=limit
        )
        current = []
        for signal in stored:
            if signal.status.is_live:
                with contextlib.suppress(NotFound):
                    signal = self.validator.get(signal.signal_id)
            current.append(signal)
        return current

    def live(self) -> list[Signal]:
        """Pending and approval-waiting signals, oldest first."""
        return self.validator.live()

    def subscribe(self) -> Subscription[SignalUpdate]:
        """Stored updates as they happen (reliable: closed with SlowConsumer when too slow)."""
        return self._bus.subscribe(SIGNALS_TOPIC, maxsize=EVENT_QUEUE)

    async def last_event_seq(self) -> int:
        return await self._store.last_event_seq()

    async def events_since(self, stream_seq: int, limit: int) -> list[LoggedSignalEvent]:
        """Stored events after `stream_seq` (the log a resumed stream replays), oldest first."""
        return await self._store.events_since(stream_seq, limit)

    async def _must_be_live(self, signal_id: str) -> None:
        """Every live signal is in memory; one only the store knows has settled (or never existed)."""
        with contextlib.suppress(NotFound):
            self.validator.get(signal_id)
            return
        stored = await self._store.get(signal_id)
        if stored is None:
            raise NotFound("signal_id", f"no signal {signal_id!r}")
        raise FailedPrecondition(f"signal {signal_id} is {stored.status.label}: it has already settled")


def _repeat(kernel: TradingKernel, key: str, held: Signal) -> SubmitResult:
    """A repeated alert's answer: the original now (it may have been forgotten since the desk looked, once
    stored; then as it was seen)."""
    validator = kernel.signals
    current = validator.find_by_key(key) if validator is not None else None
    return SubmitResult(current or held, True, ())
