"""One SignalR connection to the market hub: URL, optional negotiate, handshake, invocations, pings, reads.

The read loop is the only reader of the socket. It answers nothing itself (SignalR pings need no
reply) but sends its own ping every `ping_interval_s` and ends the connection when nothing at all
has arrived for `idle_timeout_s` (the server pings every 15 s by default, so silence means dead).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
import msgspec
import structlog
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from core_server.feeds.projectx import signalr
from core_server.feeds.projectx.config import ProjectXConfig
from core_server.feeds.stats import FeedStats

log = structlog.get_logger(__name__)

MALFORMED_LOG_FIRST = 20  # then one line per MALFORMED_LOG_EVERY, so a flood cannot flood the log
MALFORMED_LOG_EVERY = 1000
MESSAGE_TOO_BIG = 1009  # the close code websockets sends when a frame exceeds max_size


_ACCESS_TOKEN = re.compile(r"(access_token=)[^&\s\"']+")


class _TokenQueryFilter(logging.Filter):
    """Scrubs `access_token=` from the websocket library's own (debug) log lines, which print the URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "access_token=" in message:
            record.msg, record.args = _ACCESS_TOKEN.sub(r"\1<redacted>", message), ()
        return True


WEBSOCKET_LOG = logging.getLogger("core_server.feeds.projectx.websocket")
WEBSOCKET_LOG.addFilter(_TokenQueryFilter())


class HubEnded(Exception):
    """The connection is over; `token_refused` when the server turned our token away."""

    def __init__(self, reason: str, *, token_refused: bool = False) -> None:
        super().__init__(reason)
        self.token_refused = token_refused


class InvocationFailed(Exception):
    """The hub completed an invocation with an error (e.g. an unknown contract)."""


class _NegotiateResponse(msgspec.Struct):
    connectionToken: str | None = None
    connectionId: str | None = None
    error: str | None = None


def hub_ws_url(hub_url: str, token: str, connection_token: str | None = None) -> str:
    """ws(s) URL of the hub with `access_token` (and `id` after a negotiate) in the query."""
    parts = urlsplit(hub_url)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    query = [(k, v) for k, v in _query_pairs(parts.query) if k not in ("access_token", "id")]
    if connection_token is not None:
        query.append(("id", connection_token))
    query.append(("access_token", token))
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), ""))


def _query_pairs(query: str) -> list[tuple[str, str]]:
    pairs = []
    for item in query.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((key, value))
    return pairs


async def negotiate(session: aiohttp.ClientSession, hub_url: str, token: str, timeout_s: float) -> str:
    """POST <hub>/negotiate?negotiateVersion=1; the connection token to connect with."""
    parts = urlsplit(hub_url)
    scheme = {"wss": "https", "ws": "http"}.get(parts.scheme, parts.scheme)
    url = urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/negotiate", "negotiateVersion=1", ""))
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with session.post(url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)) as response:
            status, body = response.status, await response.read()
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise HubEnded(f"negotiate failed: {type(exc).__name__}") from None
    if status in (401, 403):
        raise HubEnded(f"negotiate refused: HTTP {status}", token_refused=True)
    if status != 200:
        raise HubEnded(f"negotiate failed: HTTP {status}")
    try:
        reply = msgspec.json.decode(body, type=_NegotiateResponse)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise HubEnded("negotiate answer unreadable") from None
    connection = reply.connectionToken or reply.connectionId
    if reply.error or not connection:
        raise HubEnded(f"negotiate refused: {reply.error or 'no connection token'}")
    return connection


class HubConnection:
    """SignalR client protocol over an open websocket; invocations go to `on_invocations` per frame."""

    def __init__(
        self,
        ws: ClientConnection,
        config: ProjectXConfig,
        stats: FeedStats,
        on_invocations: Callable[[list[signalr.HubMessage]], None],
    ) -> None:
        self._ws = ws
        self._config = config
        self._stats = stats
        self._on_invocations = on_invocations
        self._reader = signalr.RecordReader(config.max_message_bytes)
        self._pending: dict[str, asyncio.Future[None]] = {}
        self._ids = itertools.count()
        self.malformed = 0

    async def handshake(self) -> None:
        await self._ws.send(signalr.HANDSHAKE_REQUEST)
        records: list[str] = []
        try:
            async with asyncio.timeout(self._config.handshake_timeout_s):
                while not records:
                    records = self._reader.feed(self._text(await self._ws.recv()))
        except TimeoutError:
            raise HubEnded("no handshake response") from None
        except ConnectionClosed as exc:
            raise HubEnded(f"closed during handshake (code {exc.rcvd.code if exc.rcvd else 'none'})") from None
        error = signalr.handshake_error(records[0])
        if error is not None:
            raise HubEnded(f"handshake refused: {error[:200]}")
        self._handle(records[1:])

    async def invoke_all(self, calls: list[tuple[str, str]]) -> list[str]:
        """Send every (target, argument) invocation, then await their completions; the errors."""
        futures = []
        loop = asyncio.get_running_loop()
        for target, argument in calls:
            invocation_id = str(next(self._ids))
            future: asyncio.Future[None] = loop.create_future()
            self._pending[invocation_id] = future
            futures.append(future)
            await self._ws.send(signalr.encode_invocation(invocation_id, target, argument))
        try:
            async with asyncio.timeout(self._config.subscribe_timeout_s):
                results = await asyncio.gather(*futures, return_exceptions=True)
        except TimeoutError:
            raise HubEnded("no completion for the subscriptions") from None
        errors = []
        for (target, argument), result in zip(calls, results, strict=True):
            if isinstance(result, HubEnded):
                raise result
            if isinstance(result, BaseException):
                errors.append(f"{target}({argument}): {result}")
        return errors

    async def ping_loop(self) -> None:
        while True:
            await asyncio.sleep(self._config.ping_interval_s)
            try:
                await self._ws.send(signalr.PING_RECORD)
            except ConnectionClosed:
                return  # the read loop reports the end

    async def read_loop(self) -> None:
        """Read until the connection ends; always raises HubEnded."""
        try:
            while True:
                try:
                    async with asyncio.timeout(self._config.idle_timeout_s):
                        frame = await self._ws.recv()
                except TimeoutError:
                    raise HubEnded(f"no message for {self._config.idle_timeout_s:g}s") from None
                except ConnectionClosed as exc:
                    if exc.sent is not None and exc.sent.code == MESSAGE_TOO_BIG:
                        self.report_malformed("frame larger than max_frame_bytes")
                    code = exc.rcvd.code if exc.rcvd else "none"
                    raise HubEnded(f"connection closed (code {code})") from None
                dropped = self._reader.dropped
                records = self._reader.feed(self._text(frame))
                for _ in range(self._reader.dropped - dropped):
                    self.report_malformed("record larger than max_message_bytes")
                self._handle(records)
        except HubEnded as ended:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ended)
            self._pending.clear()
            raise

    def _text(self, frame: str | bytes) -> str:
        if isinstance(frame, str):
            return frame
        try:
            return frame.decode()
        except UnicodeDecodeError:
            self.report_malformed("binary frame that is not UTF-8")
            return ""

    def _handle(self, records: list[str]) -> None:
        if not records:
            return
        self._stats.record_message(len(records))
        invocations: list[signalr.HubMessage] = []
        closed: HubEnded | None = None
        for record in records:
            try:
                message = signalr.decode_message(record)
            except signalr.ProtocolError as exc:
                self.report_malformed(f"unreadable record: {exc}")
                continue
            kind = message.type
            if kind == signalr.INVOCATION:
                invocations.append(message)
            elif kind == signalr.PING:
                pass
            elif kind == signalr.COMPLETION:
                self._complete(message)
            elif kind == signalr.CLOSE:
                reason = f"server closed the hub: {(message.error or 'no error')[:200]}"
                closed = HubEnded(reason, token_refused=message.error is not None)
                log.info(
                    "projectx.hub_close", error=(message.error or "")[:200], allow_reconnect=message.allowReconnect
                )
                break
            else:
                self.report_malformed(f"unexpected message type {kind}")
        if invocations:
            self._on_invocations(invocations)
        if closed is not None:
            raise closed

    def _complete(self, message: signalr.HubMessage) -> None:
        future = self._pending.pop(message.invocationId or "", None)
        if future is None or future.done():
            self.report_malformed("completion for an unknown invocation")
        elif message.error is not None:
            future.set_exception(InvocationFailed(message.error[:200]))
        else:
            future.set_result(None)

    def report_malformed(self, reason: str) -> None:
        self._stats.record_malformed()
        self.malformed += 1
        if self.malformed <= MALFORMED_LOG_FIRST or self.malformed % MALFORMED_LOG_EVERY == 0:
            log.warning("feed.malformed_frame", feed=self._stats.name, reason=reason[:200], count=self.malformed)
