"""Stream workers of the Signals screen: the signal event stream, and a resync of live signals after a reconnect."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from clients.sdk import ConnectionState, SignalStatus, VigilClient, VigilError
from tui.messages import LiveSignalsLoaded, SignalUpdated, StreamFailed

LIVE_STATUSES = (SignalStatus.PENDING, SignalStatus.AWAITING_APPROVAL)
LIVE_LIMIT = 1000  # far more live signals than any trader runs at once


class SignalStreams:
    """Workers for a screen that sets `client`; each group is exclusive."""

    client: VigilClient

    if TYPE_CHECKING:

        def post_message(self, message: Message) -> bool: ...

    @work(exclusive=True, group="signal-events")
    async def run_signal_events(self) -> None:
        """Live signals first (send_pending), then every lifecycle event as it happens. The SDK resumes the
        stream after a reconnect and asks for the live signals again."""
        try:
            async for update in self.client.stream_signal_events(send_pending=True):
                self.post_message(SignalUpdated(update))
        except VigilError as error:
            self.post_message(StreamFailed("signals", error))

    @work(exclusive=True, group="signal-connection")
    async def run_signal_resync(self) -> None:
        """After each reconnect, list the live signals: events missed while away are not replayed, so a signal
        that settled meanwhile would otherwise stay in the live table."""
        was_down = False
        async for state in self.client.watch_connection():
            if state is ConnectionState.RECONNECTING:
                was_down = True
            elif state is ConnectionState.CONNECTED and was_down:
                was_down = False
                try:
                    live = await self.client.list_signals(LIVE_STATUSES, limit=LIVE_LIMIT)
                except VigilError as error:
                    self.post_message(StreamFailed("live signals", error))
                    continue
                self.post_message(LiveSignalsLoaded(live))
