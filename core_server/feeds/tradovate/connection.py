"""One market-data socket: the frame reader, client heartbeats, and requests matched to their responses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn

import structlog
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from core_server.feeds.stats import FeedStats
from core_server.feeds.tradovate.config import TradovateConfig
from core_server.feeds.tradovate.framing import HEARTBEAT, FrameError, FrameKind, decode_frame, encode_request

log = structlog.get_logger(__name__)


class ConnectionLost(Exception):
    """The socket closed, went silent past the idle timeout, or the server sent a close frame."""


class Response(NamedTuple):
    """`{"i": id, "s": status, "d": data}`; on error `d` is usually a JSON string with the reason."""

    status: int
    data: Any


OnResponse = Callable[[Response], None]


class MdConnection:
    """Wraps an open websocket. `read()` and `heartbeat()` run as tasks until the connection is lost;
    events (`{"e": ...}`) go to `on_events` one frame at a time, after that frame's responses."""

    def __init__(
        self, ws: ClientConnection, config: TradovateConfig, stats: FeedStats, on_events: Callable[[list[Any]], None]
    ) -> None:
        self._ws = ws
        self._config = config
        self._stats = stats
        self._on_events = on_events
        self._loop = asyncio.get_running_loop()
        self._pending: dict[int, tuple[asyncio.Future[Response], OnResponse | None]] = {}
        self._next_id = 0
        self._opened = asyncio.Event()
        self._last_sent = self._loop.time()
        self._background: set[asyncio.Task[None]] = set()
        self._unawaited: set[int] = set()

    async def wait_open(self) -> None:
        """The server's `o` frame, which says it is ready for `authorize`."""
        try:
            async with asyncio.timeout(self._config.idle_timeout_s):
                await self._opened.wait()
        except TimeoutError:
            raise ConnectionLost(f"no open frame within {self._config.idle_timeout_s:g} s") from None

    async def request(
        self, endpoint: str, body: str = "", query: str = "", *, on_response: OnResponse | None = None
    ) -> Response:
        """Send one request and wait for its response. `on_response` runs inside the reader as the
        response arrives, before the events that follow it in the same frame."""
        request_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[Response] = self._loop.create_future()
        self._pending[request_id] = (future, on_response)
        try:
            await self._send(encode_request(endpoint, request_id, body, query))
            async with asyncio.timeout(self._config.request_timeout_s):
                return await future
        except TimeoutError:
            raise ConnectionLost(f"no response to {endpoint} within {self._config.request_timeout_s:g} s") from None
        finally:
            self._pending.pop(request_id, None)

    def send_soon(self, endpoint: str, body: str = "") -> None:
        """Send a request whose response nobody waits for (it is dropped when it arrives)."""
        request_id = self._next_id
        self._next_id += 1
        self._unawaited.add(request_id)
        task = self._loop.create_task(self._send_quietly(encode_request(endpoint, request_id, body)))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _send_quietly(self, text: str) -> None:
        with contextlib.suppress(ConnectionLost):  # the reader reports the loss
            await self._send(text)

    async def heartbeat(self) -> NoReturn:
        """Send `[]` whenever nothing else was sent for one heartbeat interval."""
        interval = self._config.heartbeat_interval_s
        while True:
            delay = self._last_sent + interval - self._loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            await self._send(HEARTBEAT)

    async def read(self) -> NoReturn:
        """Read frames until the connection is lost; raises ConnectionLost with the reason."""
        idle = self._config.idle_timeout_s
        max_bytes = self._config.max_frame_bytes
        stats = self._stats
        while True:
            try:
                async with asyncio.timeout(idle):
                    raw = await self._ws.recv()
            except TimeoutError:
                raise ConnectionLost(f"no frames for {idle:g} s (server heartbeats stopped)") from None
            except ConnectionClosed as exc:
                raise ConnectionLost(f"socket closed: {str(exc)[:200]}") from None
            try:
                frame = decode_frame(raw, max_bytes)
            except FrameError as exc:
                stats.record_malformed()
                log.warning("tradovate.malformed_frame", reason=str(exc), length=len(raw))
                continue
            kind = frame.kind
            if kind is FrameKind.ARRAY:
                stats.record_message(len(frame.messages))
                self._dispatch(frame.messages)
            elif kind is FrameKind.HEARTBEAT:
                stats.record_message()
            elif kind is FrameKind.OPEN:
                stats.record_message()
                self._opened.set()
            else:
                raise ConnectionLost(f"server closed the session: {frame.close_code} {frame.close_reason}".rstrip())

    def fail_pending(self, reason: str) -> None:
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionLost(reason))
        self._pending.clear()

    def _dispatch(self, messages: list[Any]) -> None:
        events: list[Any] = []
        for message in messages:
            if type(message) is not dict:
                self._malformed("message is not an object")
            elif "e" in message:
                events.append(message)
            elif type(message.get("i")) is int and type(message.get("s")) is int:
                pending = self._pending.get(message["i"])
                if pending is None:
                    if message["i"] in self._unawaited:
                        self._unawaited.discard(message["i"])
                        continue
                    log.debug("tradovate.unexpected_response", request_id=message["i"], status=message["s"])
                    continue
                future, on_response = pending
                response = Response(message["s"], message.get("d"))
                if on_response is not None:
                    on_response(response)
                if not future.done():
                    future.set_result(response)
            else:
                self._malformed("message is neither a response nor an event")
        if events:
            self._on_events(events)

    def _malformed(self, reason: str) -> None:
        self._stats.record_malformed()
        log.warning("tradovate.malformed_message", reason=reason)

    async def _send(self, text: str) -> None:
        try:
            await self._ws.send(text)
        except ConnectionClosed as exc:
            raise ConnectionLost(f"socket closed: {str(exc)[:200]}") from None
        self._last_sent = self._loop.time()
