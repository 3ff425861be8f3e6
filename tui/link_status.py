"""The app's link to the server as every header shows it: the connection, the feed report, and any refusal."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from clients.sdk import AuthenticationError, ConnectionState, FeedStatusReport, VigilClient, VigilError
from tui.messages import ConnectionChanged, FeedStatusChanged, StreamFailed

RETRY_SECONDS = 5.0  # a refused or failed feed-status stream is opened again this often


@dataclass(frozen=True, slots=True)
class LinkStatus:
    connection: ConnectionState = ConnectionState.IDLE
    report: FeedStatusReport | None = None  # None while unknown (not connected, refused, or no answer yet)
    refusal: str = ""  # why the server refuses this client ("bad API key"); "" while it answers
    problem: str = ""  # the last feed-status failure that retrying did not fix

    @property
    def refused(self) -> bool:
        return bool(self.refusal) and self.connection is ConnectionState.CONNECTED


class AccessRefused(Message, bubble=False):
    """The server answered UNAUTHENTICATED: the API key is wrong or missing."""

    def __init__(self, error: AuthenticationError) -> None:
        super().__init__()
        self.error = error


def refusal_text(client: VigilClient) -> str:
    """What the header says after UNAUTHENTICATED: a key was sent and is wrong, or none was sent."""
    return "bad API key" if client.api_key_source else "no API key (set VIGIL_API_KEY)"


def is_refusal(error: BaseException) -> bool:
    """A failure the header already shows as refused, so screens need not notify it once per stream."""
    return isinstance(error, AuthenticationError)


class LinkStreams:
    """The app's workers (the app sets `client`): the channel's state and the feed-status stream."""

    client: VigilClient

    if TYPE_CHECKING:

        def post_message(self, message: Message) -> bool: ...

    @work(exclusive=True, group="link-connection")
    async def run_link_connection(self) -> None:
        async for state in self.client.watch_connection():
            self.post_message(ConnectionChanged(state))

    @work(exclusive=True, group="link-feed")
    async def run_link_feed(self) -> None:
        """Feed reports every second. The SDK rides out connection loss; a refusal or another error it gives up
        on is reported and the stream opened again a little later (the key may be fixed on the server)."""
        while True:
            try:
                async for report in self.client.stream_feed_status(1000):
                    self.post_message(FeedStatusChanged(report))
            except AuthenticationError as error:
                self.post_message(AccessRefused(error))
            except VigilError as error:
                self.post_message(StreamFailed("feed status", error))
            await asyncio.sleep(RETRY_SECONDS)
