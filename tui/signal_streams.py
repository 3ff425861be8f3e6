"""Stream workers of the Signals screen: the signal event stream (resumed after a reconnect with since_seq)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from clients.sdk import VigilClient, VigilError
from tui.messages import SignalUpdated, StreamFailed


class SignalStreams:
    """Workers for a screen that sets `client`; each group is exclusive."""

    client: VigilClient

    if TYPE_CHECKING:

        def post_message(self, message: Message) -> bool: ...

    @work(exclusive=True, group="signal-events")
    async def run_signal_events(self) -> None:
        """Live signals first (send_pending), then every lifecycle event as it happens. The SDK resumes the
        stream after a reconnect with since_seq: the events of the outage are replayed, nothing is listed again."""
        try:
            async for update in self.client.stream_signal_events(send_pending=True):
                self.post_message(SignalUpdated(update))
        except VigilError as error:
            self.post_message(StreamFailed("signals", error))
