"""VigilClient SignalService calls against a fake remote SignalService: typed values, exact prices, streams."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import pytest

from clients.sdk import (
    CheckOutcome,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    Signal,
    SignalDirection,
    SignalInput,
    SignalStatus,
    SignalUpdate,
    Timeframe,
    VigilClient,
    VigilSyncClient,
)
from tests.kit.eventually import eventually
from tests.kit.signal_service_fake import (
    NOW_NS,
    FakeSignalServer,
    FakeSignalService,
    start_fake_signal_server,
)
from vigil.v1 import common_pb2
from vigil.v1 import signals_pb2 as pb


def nq_buy(price: str = "25341.25", **overrides: object) -> SignalInput:
    fields: dict[str, object] = {
        "symbol": "NQ1!",
        "direction": SignalDirection.BULLISH,
        "signal_price": Decimal(price),
        "signal_time_ns": NOW_NS,
        "timeframe": Timeframe.M5,
        "strategy": "orb",
        "session": "NY AM",
        "htf_bias": "bullish",
        "quantity": 2,
    }
    fields.update(overrides)
    return SignalInput(**fields)  # type: ignore[arg-type]


class Reader:
    """Collects a stream in the background until stopped."""

    def __init__(self, client: VigilClient, send_pending: bool = True) -> None:
        self.items: list[SignalUpdate] = []
        self._task = asyncio.create_task(self._read(client, send_pending))

    async def _read(self, client: VigilClient, send_pending: bool) -> None:
        async for update in client.stream_signal_events(send_pending):
            self.items.append(update)

    def kinds(self) -> list[tuple[str, str]]:
        return [(u.event.signal_id, u.event.kind) for u in self.items]

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def test_submit_signal_sends_the_exact_input_and_returns_a_typed_pending_signal(
    signal_server: FakeSignalServer, signal_client: VigilClient
) -> None:
    given = nq_buy(idempotency_key="k-1", raw_payload='{"a":1}', bar_time_ns=NOW_NS - 300 * 10**9)
    result = await signal_client.submit_signal(given)

    sent = signal_server.service.submitted[0].input
    assert (sent.symbol, sent.signal_price, sent.signal_time_ns) == ("NQ1!", "25341.25", NOW_NS)
    assert sent.direction == pb.SIGNAL_DIRECTION_BULLISH and sent.timeframe == common_pb2.TIMEFRAME_5M
    assert (sent.quantity, sent.source, sent.idempotency_key, sent.raw_payload) == (2, "sdk", "k-1", '{"a":1}')
    assert sent.bar_time_ns == NOW_NS - 300 * 10**9
    signal = result.signal
    assert not result.duplicate and isinstance(signal, Signal)
    assert signal.status is SignalStatus.PENDING and signal.status.is_live
    assert signal.input == given
    assert signal.input.signal_price == Decimal("25341.25") and signal.direction is SignalDirection.BULLISH
    assert signal.contract_id == "NQZ2026" and signal.waiting_for == "1m close > 25341.25"
    assert [c.name for c in signal.checks][:2] == ["authentic_and_new", "staleness_price"]
    confirmation = signal.check("confirmation")
    assert confirmation is not None and confirmation.outcome is CheckOutcome.WAITING
    assert signal.entry_price is None and signal.stop_price is None and signal.signal_candle is None
    assert [e.kind for e in signal.events] == ["received", "pending"] and signal.time.tzinfo is not None


async def test_a_repeated_idempotency_key_returns_the_original_signal_marked_duplicate(
    signal_client: VigilClient,
) -> None:
    first = await signal_client.submit_signal(nq_buy(idempotency_key="same"))
    again = await signal_client.submit_signal(nq_buy(idempotency_key="same", quantity=5))

    assert again.duplicate and not first.duplicate
    assert again.signal.signal_id == first.signal.signal_id and again.signal.input.quantity == 2


async def test_a_rejected_signal_is_a_returned_decision_with_the_failed_check(
    signal_server: FakeSignalServer, signal_client: VigilClient
) -> None:
    signal_server.service.decide = lambda _: pb.SIGNAL_STATUS_REJECTED

    result = await signal_client.submit_signal(nq_buy("25400.00"))

    assert result.signal.status is SignalStatus.REJECTED and not result.signal.status.is_live
    failed = [c for c in result.signal.checks if c.outcome is CheckOutcome.FAILED]
    assert [c.name for c in failed] == ["staleness_price"] and "25400.00" in failed[0].detail
    assert result.signal.decided_ns == NOW_NS


async def test_the_core_refusing_a_symbol_raises_invalid_argument_naming_the_field(signal_client: VigilClient) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await signal_client.submit_signal(nq_buy(symbol="BOGUS"))

    assert caught.value.field == "input.symbol" and "BOGUS" in caught.value.reason


async def test_a_non_finite_or_float_price_is_refused_before_anything_is_sent(
    signal_server: FakeSignalServer, signal_client: VigilClient
) -> None:
    for price in (Decimal("NaN"), Decimal("Infinity"), 25341.25):
        with pytest.raises(InvalidArgumentError) as caught:
            await signal_client.submit_signal(nq_buy(signal_price=price))
        assert caught.value.field == "signal_price"
    with pytest.raises(InvalidArgumentError) as unknown:
        await signal_client.submit_signal(nq_buy(direction=SignalDirection.UNKNOWN))

    assert unknown.value.field == "direction"
    assert signal_server.service.submitted == []


async def test_get_signal_returns_the_record_and_an_unknown_id_is_not_found(signal_client: VigilClient) -> None:
    submitted = (await signal_client.submit_signal(nq_buy())).signal

    found = await signal_client.get_signal(submitted.signal_id)

    assert found == submitted and len(found.input.idempotency_key) == 64  # the key the server derived
    with pytest.raises(NotFoundError):
        await signal_client.get_signal("S999")


async def test_list_signals_filters_by_status_symbol_and_strategy_newest_first(
    signal_server: FakeSignalServer, signal_client: VigilClient
) -> None:
    a = (await signal_client.submit_signal(nq_buy("25341.25"))).signal
    b = (await signal_client.submit_signal(nq_buy("25342.25", symbol="ES1!", strategy="vwap"))).signal
    c = (await signal_client.submit_signal(nq_buy("25343.25"))).signal
    signal_server.service.move(c.signal_id, pb.SIGNAL_STATUS_EXPIRED)

    everything = await signal_client.list_signals()
    pending = await signal_client.list_signals([SignalStatus.PENDING])
    expired_by_text = await signal_client.list_signals(["expired"])
    es_only = await signal_client.list_signals(symbol="ES1!")
    orb_first = await signal_client.list_signals(strategy="orb", limit=1)

    assert [s.signal_id for s in everything] == [c.signal_id, b.signal_id, a.signal_id]
    assert [s.signal_id for s in pending] == [b.signal_id, a.signal_id]
    assert [s.status for s in expired_by_text] == [SignalStatus.EXPIRED]
    assert [s.signal_id for s in es_only] == [b.signal_id]
    assert [s.signal_id for s in orb_first] == [c.signal_id]
    with pytest.raises(InvalidArgumentError) as caught:
        await signal_client.list_signals(["maybe"])
    assert caught.value.field == "statuses"


async def test_approve_turns_an_awaiting_signal_into_a_confirmed_trade_with_exact_entry_and_stop(
    signal_server: FakeSignalServer, signal_client: VigilClient
) -> None:
    signal_server.service.decide = lambda _: pb.SIGNAL_STATUS_AWAITING_APPROVAL
    waiting = (await signal_client.submit_signal(nq_buy())).signal

    approved = await signal_client.approve_signal(waiting.signal_id)

    assert waiting.status is SignalStatus.AWAITING_APPROVAL
    assert (waiting.entry_price, waiting.stop_price, waiting.risk_points, waiting.pivot_price) == (
        Decimal("25342.00"),
        Decimal("25316.00"),
        Decimal("26.00"),
        Decimal("25341.00"),
    )
    assert waiting.signal_candle is not None and waiting.signal_candle.timeframe is Timeframe.M1
    assert waiting.signal_candle.close == Decimal("25341.25") and waiting.confirmation_candle is None
    assert approved.status is SignalStatus.CONFIRMED and approved.trade_id == f"T-{waiting.signal_id}"
    with pytest.raises(FailedPreconditionError):
        await signal_client.approve_signal(waiting.signal_id)


async def test_cancel_ends_a_pending_signal_once_and_records_the_reason(signal_client: VigilClient) -> None:
    live = (await signal_client.submit_signal(nq_buy())).signal

    cancelled = await signal_client.cancel_signal(live.signal_id, reason="news at 10:00")

    assert cancelled.status is SignalStatus.CANCELLED
    assert cancelled.events[-1].kind == "cancelled" and cancelled.events[-1].detail == "news at 10:00"
    with pytest.raises(FailedPreconditionError):
        await signal_client.cancel_signal(live.signal_id)


async def test_stream_signal_events_sends_pending_signals_first_then_live_events(
    signal_server: FakeSignalServer, signal_client: VigilClient
) -> None:
    earlier = (await signal_client.submit_signal(nq_buy("25300.00"))).signal
    reader = Reader(signal_client)
    await eventually(lambda: signal_server.service.subscriber_count == 1)
    later = (await signal_client.submit_signal(nq_buy("25310.00"))).signal
    signal_server.service.move(later.signal_id, pb.SIGNAL_STATUS_INVALIDATED, "closed below 25300.00")

    await eventually(lambda: len(reader.items) == 4)
    await reader.stop()

    assert reader.kinds() == [
        (earlier.signal_id, "pending"),
        (later.signal_id, "received"),
        (later.signal_id, "pending"),
        (later.signal_id, "invalidated"),
    ]
    last = reader.items[-1]
    assert last.event.status is SignalStatus.INVALIDATED and last.event.detail == "closed below 25300.00"
    assert last.signal is not None and last.signal.status is SignalStatus.INVALIDATED
    assert last.event.time.tzinfo is not None


async def test_stream_signal_events_survives_a_core_restart_and_asks_for_pending_signals_again() -> None:
    service = FakeSignalService()
    first = await start_fake_signal_server(service)
    client = VigilClient(first.address)
    reader = Reader(client, send_pending=False)
    second: FakeSignalServer | None = None
    try:
        await eventually(lambda: service.subscriber_count == 1)
        live = (await client.submit_signal(nq_buy())).signal
        await eventually(lambda: len(reader.items) == 2)
        await first.stop()
        second = await start_fake_signal_server(service, first.address)

        await eventually(lambda: len(reader.items) == 3, timeout=15)

        assert [r.send_pending for r in service.stream_requests] == [False, True]
        assert reader.kinds()[-1] == (live.signal_id, "pending")
    finally:
        await reader.stop()
        await client.close()
        await first.stop()
        if second is not None:
            await second.stop()


def test_signal_direction_and_status_parse_the_words_traders_use() -> None:
    assert {SignalDirection.parse(w) for w in ("buy", "LONG", " Bullish ")} == {SignalDirection.BULLISH}
    assert {SignalDirection.parse(w) for w in ("sell", "Short", "bearish")} == {SignalDirection.BEARISH}
    assert SignalStatus.parse("AWAITING_APPROVAL") is SignalStatus.AWAITING_APPROVAL
    for word in ("exit", "flat", ""):
        with pytest.raises(InvalidArgumentError):
            SignalDirection.parse(word)
    with pytest.raises(InvalidArgumentError):
        SignalStatus.parse("unknown")


def use_sync_client(address: str, service: FakeSignalService) -> None:
    with VigilSyncClient(address) as client:
        submitted = client.submit_signal(nq_buy())
        assert submitted.signal.status is SignalStatus.PENDING
        assert client.get_signal(submitted.signal.signal_id) == submitted.signal
        assert [s.signal_id for s in client.list_signals(["pending"])] == [submitted.signal.signal_id]
        assert client.cancel_signal(submitted.signal.signal_id, "done").status is SignalStatus.CANCELLED
        service.decide = lambda _: pb.SIGNAL_STATUS_AWAITING_APPROVAL
        waiting = client.submit_signal(nq_buy("25350.00")).signal
        assert client.approve_signal(waiting.signal_id).status is SignalStatus.CONFIRMED
        service.decide = lambda _: pb.SIGNAL_STATUS_PENDING
        live = client.submit_signal(nq_buy("25360.00")).signal
        stream = client.stream_signal_events()
        first = next(stream)
        stream.close()  # type: ignore[attr-defined]
        assert (first.event.signal_id, first.event.kind) == (live.signal_id, "pending")


async def test_the_sync_client_makes_the_same_signal_calls(signal_server: FakeSignalServer) -> None:
    await asyncio.to_thread(use_sync_client, signal_server.address, signal_server.service)
