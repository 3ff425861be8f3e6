"""After the link drops and comes back, the Trade and Signals screens list nothing again: the SDK resumes their
event streams with since_seq, so the outage's order events, trade updates and signal events arrive on the streams
(tests/integration/ops/test_*_stream_resume.py prove the replay). Pilot, on the fake client."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from clients.sdk import ConnectionState
from tests.tui import fake_data
from tests.tui.fake_client import FakeVigilClient
from tests.tui.layout_kit import show
from tui.app import VigilApp


class DroppingLink(FakeVigilClient):
    """The fake client, whose connection drops and comes back when `drop()` is called; list calls are counted."""

    def __init__(self) -> None:
        super().__init__()
        self.listed: Counter[str] = Counter()
        self._queues: list[asyncio.Queue[ConnectionState]] = []  # one per watcher

    async def _connected(self) -> AsyncIterator[ConnectionState]:
        queue: asyncio.Queue[ConnectionState] = asyncio.Queue()
        self._queues.append(queue)
        yield ConnectionState.CONNECTED
        while True:
            yield await queue.get()

    def drop(self) -> None:
        for queue in self._queues:
            queue.put_nowait(ConnectionState.RECONNECTING)
            queue.put_nowait(ConnectionState.CONNECTED)

    async def list_orders(self, *args: Any, **kwargs: Any) -> Any:
        self.listed["orders"] += 1
        return await super().list_orders(*args, **kwargs)

    async def list_trades(self, *args: Any, **kwargs: Any) -> Any:
        self.listed["open trades" if kwargs.get("open_only") or (args and args[0]) else "trades"] += 1
        return await super().list_trades(*args, **kwargs)

    async def list_signals(self, *args: Any, **kwargs: Any) -> Any:
        self.listed["signals"] += 1
        return await super().list_signals(*args, **kwargs)


async def _dropped(screen: str) -> tuple[Counter[str], Counter[str]]:
    """What was listed with `screen` shown, before and after the link dropped and came back."""
    client = DroppingLink()
    app = VigilApp(client=client, clock=lambda: fake_data.NOW_NS)
    async with app.run_test(size=(120, 40)) as pilot:
        await show(pilot, screen)
        before = Counter(client.listed)
        client.drop()
        await pilot.pause(0.5)  # the reconnect's messages reach the screen
        return before, Counter(client.listed)


async def test_the_trade_screen_lists_no_orders_or_open_trades_again_after_a_dropped_link() -> None:
    before, after = await _dropped("trade")
    assert before["orders"] >= 1  # the screen's first listing
    assert (after["orders"], after["open trades"]) == (before["orders"], before["open trades"])


async def test_the_signals_screen_lists_no_signals_again_after_a_dropped_link() -> None:
    before, after = await _dropped("signals")
    assert after["signals"] == before["signals"]
