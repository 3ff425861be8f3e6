"""The Signals screen driven through the app: a real server for live, rejected and cancelled signals, the
hand-written fake SignalService for approval (the real core needs closed candles to reach that state)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from textual import events

from clients.sdk import SignalDirection, SignalInput, SignalStatus, Timeframe
from core_server.app import RunningServer
from core_server.live.journal import SIGNALS_TOPIC as EVENTS_TOPIC
from tests.kit.eventually import eventually
from tests.kit.signal_service_fake import NOW_NS as SIGNAL_NOW_NS
from tests.kit.signal_service_fake import FakeSignalServer, FakeSignalService, start_fake_signal_server
from tests.tui.conftest import SIGNAL_TIME_NS
from tui.app import VigilApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.market import MarketScreen
from tui.screens.signals import SignalsScreen
from tui.widgets.pending_signals import PendingSignalsTable
from tui.widgets.signal_detail import SignalDetail
from tui.widgets.signal_feed import SignalFeed
from vigil.v1 import signals_pb2 as pb

SIZE = (160, 45)


class RecordingApp(VigilApp):
    """The app, with every notification's text kept for the test to read."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.notes: list[str] = []

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.notes.append(message)
        super().notify(message, *args, **kwargs)


def press(app: VigilApp, *keys: str) -> None:
    """Send keys without Pilot's wait-for-idle (the server shares this process); tests wait for outcomes."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


def signal_input(price: str, **changes: Any) -> SignalInput:
    fields: dict[str, Any] = {
        "symbol": "NQ1!",
        "direction": SignalDirection.BULLISH,
        "signal_price": Decimal(price),
        "signal_time_ns": SIGNAL_TIME_NS,
        "timeframe": Timeframe.M1,
        "strategy": "orb",
    }
    fields.update(changes)
    return SignalInput(**fields)


async def open_signals(app: VigilApp) -> SignalsScreen:
    await eventually(lambda: isinstance(app.screen, MarketScreen))
    press(app, "g")
    screen = await eventually(lambda: app.screen if isinstance(app.screen, SignalsScreen) else None)
    assert isinstance(screen, SignalsScreen)
    await eventually(lambda: screen.query(PendingSignalsTable) and screen.query_one(PendingSignalsTable).has_focus)
    return screen


async def open_signals_streaming(app: VigilApp, server: RunningServer) -> SignalsScreen:
    """The Signals screen, once its event stream is subscribed on the server (so no decision is missed)."""
    screen = await open_signals(app)
    await eventually(lambda: server.bus.has_subscribers(EVENTS_TOPIC))
    return screen


async def test_s_opens_the_signals_screen_and_m_returns_to_the_same_market_screen(signal_server: RunningServer) -> None:
    app = VigilApp(signal_server.address)
    async with app.run_test(size=SIZE):
        market = await eventually(lambda: app.screen if isinstance(app.screen, MarketScreen) else None)
        assert app.check_action("switch_mode", ("signals",)) and not app.check_action("switch_mode", ("market",))
        signals = await open_signals(app)
        assert app.check_action("switch_mode", ("market",)) and not app.check_action("switch_mode", ("signals",))
        press(app, "m")
        await eventually(lambda: app.screen is market)
        press(app, "g")
        await eventually(lambda: app.screen is signals)  # the same screen: its feed kept filling meanwhile


async def test_a_pending_signal_appears_in_the_live_table_with_what_it_waits_for(signal_server: RunningServer) -> None:
    app = VigilApp(signal_server.address)
    async with app.run_test(size=SIZE):
        screen = await open_signals_streaming(app, signal_server)
        result = await app.client.submit_signal(signal_input("25340.25"))
        signal_id = result.signal.signal_id
        assert result.signal.status is SignalStatus.PENDING

        table = screen.query_one(PendingSignalsTable)
        await eventually(lambda: signal_id in table.signals)
        assert str(table.get_cell(signal_id, "waiting_for")) == "1m signal candle to close"
        assert str(table.get_cell(signal_id, "symbol")) == "NQZ2026"
        assert str(table.get_cell(signal_id, "status")) == "pending"
        assert str(table.get_cell(signal_id, "strategy")) == "orb"
        assert str(table.get_cell(signal_id, "received")) == "15:30:52"
        feed = screen.query_one(SignalFeed)
        await eventually(lambda: feed.kinds_of(signal_id) == ["pending", "received"])
        detail = screen.query_one(SignalDetail)
        await eventually(lambda: detail.signal is not None and detail.signal.signal_id == signal_id)
        assert "staleness_price" in detail.plain and "|25340.25 - 25340.00 (last trade)| = 0.25 <= 5" in detail.plain
        assert "waiting for 1m signal candle to close" in detail.plain


async def test_a_rejected_signal_appears_in_the_feed_with_the_failed_check_and_its_numbers(
    signal_server: RunningServer,
) -> None:
    app = VigilApp(signal_server.address)
    async with app.run_test(size=SIZE):
        screen = await open_signals_streaming(app, signal_server)
        result = await app.client.submit_signal(signal_input("25350.00"))
        signal_id = result.signal.signal_id
        assert result.signal.status is SignalStatus.REJECTED

        feed = screen.query_one(SignalFeed)
        await eventually(lambda: "rejected" in feed.kinds_of(signal_id))
        key = f"{signal_id}|rejected|{result.signal.decided_ns}"
        assert str(feed.get_cell(key, "reason")) == "staleness_price: |25350.00 - 25340.00 (last trade)| = 10.00 > 5"
        assert str(feed.get_cell(key, "symbol")) == "NQZ2026"
        assert feed.rows_in_order[-1] == key and feed.get_row_index(key) == 0  # newest on top
        assert signal_id not in screen.query_one(PendingSignalsTable).signals


async def test_cancel_asks_first_then_removes_the_signal_and_the_feed_says_cancelled(
    signal_server: RunningServer,
) -> None:
    app = RecordingApp(signal_server.address)
    async with app.run_test(size=SIZE):
        screen = await open_signals_streaming(app, signal_server)
        signal_id = (await app.client.submit_signal(signal_input("25340.25"))).signal.signal_id
        table = screen.query_one(PendingSignalsTable)
        await eventually(lambda: table.selected is not None and table.selected.signal_id == signal_id)

        press(app, "c")
        await eventually(lambda: isinstance(app.screen, ConfirmScreen))
        press(app, "n")
        await eventually(lambda: app.screen is screen)
        assert signal_id in table.signals
        assert (await app.client.get_signal(signal_id)).status is SignalStatus.PENDING

        press(app, "c")
        await eventually(lambda: isinstance(app.screen, ConfirmScreen))
        press(app, "y")
        await eventually(lambda: signal_id not in table.signals and table.row_count == 0)
        feed = screen.query_one(SignalFeed)
        await eventually(lambda: feed.kinds_of(signal_id)[:1] == ["cancelled"])
        assert (await app.client.get_signal(signal_id)).status is SignalStatus.CANCELLED
        detail = screen.query_one(SignalDetail)
        assert detail.signal is not None and detail.signal.status is SignalStatus.CANCELLED

        press(app, "c")  # nothing live is selected any more: a warning, not a crash
        await eventually(lambda: any("no longer live" in note for note in app.notes))
        assert app.is_running


@pytest.fixture
async def approval_server() -> AsyncIterator[FakeSignalServer]:
    """The fake SignalService, deciding every new signal is confirmed and awaiting approval."""
    running = await start_fake_signal_server(FakeSignalService(decide=lambda _: pb.SIGNAL_STATUS_AWAITING_APPROVAL))
    try:
        yield running
    finally:
        await running.stop()


async def test_a_approves_an_awaiting_approval_signal_and_shows_entry_stop_and_risk_until_then(
    approval_server: FakeSignalServer,
) -> None:
    app = RecordingApp(approval_server.address)
    async with app.run_test(size=SIZE):
        screen = await open_signals(app)
        await eventually(lambda: approval_server.service.subscriber_count == 1)
        signal_id = (await app.client.submit_signal(signal_input("25341.00"))).signal.signal_id
        table = screen.query_one(PendingSignalsTable)
        await eventually(lambda: signal_id in table.signals)
        assert [str(table.get_cell(signal_id, c)) for c in ("status", "waiting_for", "entry", "stop", "risk")] == [
            "approve?",
            "approval",
            "25342.00",
            "25316.00",
            "26.00",
        ]
        detail = screen.query_one(SignalDetail)
        assert "pivot                25341.00" in detail.plain

        press(app, "a")
        await eventually(lambda: signal_id not in table.signals)
        assert approval_server.service.signals[signal_id].status == pb.SIGNAL_STATUS_CONFIRMED
        feed = screen.query_one(SignalFeed)
        await eventually(lambda: feed.kinds_of(signal_id)[:1] == ["confirmed"])
        assert str(feed.get_cell(f"{signal_id}|confirmed|{SIGNAL_NOW_NS}", "reason")) == "approved"


async def test_an_sdk_error_on_approve_is_a_notification_and_the_app_keeps_running(
    approval_server: FakeSignalServer,
) -> None:
    app = RecordingApp(approval_server.address)
    async with app.run_test(size=SIZE):
        screen = await open_signals(app)
        await eventually(lambda: approval_server.service.subscriber_count == 1)
        signal_id = (await app.client.submit_signal(signal_input("25341.00"))).signal.signal_id
        table = screen.query_one(PendingSignalsTable)
        await eventually(lambda: signal_id in table.signals)
        approval_server.service.signals[signal_id].status = pb.SIGNAL_STATUS_EXPIRED  # settled, not yet told

        press(app, "a")
        await eventually(lambda: any("not awaiting approval" in note for note in app.notes))
        assert app.is_running and app.screen is screen
        assert signal_id in table.signals
