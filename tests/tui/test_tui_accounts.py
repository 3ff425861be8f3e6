"""The Accounts screen against a real server and the fake Tradovate: modes, broker state, live on after y/n."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from clients.sdk import VigilClient
from clients.sdk.brokers import AccountMode, Broker
from core_server.app import RunningServer, start
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, FakeTradovateBroker
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.tui.test_tui_trade_screen import SIZE, RecordingApp, press
from tui.screens.accounts import AccountsScreen
from tui.screens.confirm import ConfirmScreen


@pytest.fixture
async def broker_server(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RunningServer]:
    fake = FakeTradovateBroker()
    await fake.start()
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    running = await start(server_config(database_url))
    try:
        yield running
    finally:
        await running.stop()
        await fake.close()


async def test_live_routing_is_switched_on_after_a_question_and_shown(broker_server: RunningServer) -> None:
    async with VigilClient(broker_server.address) as client:
        await client.bind_account("paper", Broker.TRADOVATE, DEFAULT_ACCOUNT)
    app = RecordingApp(broker_server.address)
    async with app.run_test(size=SIZE):
        press(app, "K")
        screen = await eventually(lambda: app.screen if isinstance(app.screen, AccountsScreen) else None)
        assert isinstance(screen, AccountsScreen)
        await eventually(lambda: screen.accounts.get("paper") is not None)
        assert screen.accounts["paper"].mode is AccountMode.BOUND
        press(app, "L")
        await eventually(lambda: isinstance(app.screen, ConfirmScreen))
        assert DEFAULT_ACCOUNT in app.screen.question and "LIVE" in app.screen.question  # type: ignore[attr-defined]
        press(app, "y")
        await eventually(lambda: screen.accounts["paper"].mode is AccountMode.LIVE)
        assert any("LIVE" in note for note in app.notes)
        press(app, "o")
        await eventually(lambda: screen.accounts["paper"].mode is AccountMode.BOUND)
