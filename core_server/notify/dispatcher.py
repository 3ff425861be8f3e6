"""The notifier: each channel has its own bounded queue and one sender task, so a slow or failing service never
holds up another channel, and publishing never waits (the kernel and the desks call it from their own loop).

A send that fails (connection error, timeout, HTTP 429 or 5xx) is tried again after a backoff that doubles from
`backoff_s` up to `max_backoff_s`, at most `attempts` times in all; a 4xx other than 429 is a configuration
mistake and is not retried. Every channel counts what it sent, retried, failed and dropped (queue full), with
its last error, for GetNotificationStatus.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from core_server.model.clock import Clock
from core_server.notify.channels import Channel, request_of
from core_server.notify.events import Notification

log = structlog.get_logger(__name__)

Poster = Callable[[str, dict[str, Any]], Awaitable[int]]  # POST JSON, return the HTTP status (raise on no answer)
QUEUE_SIZE = 1000


@dataclass(slots=True)
class ChannelStatus:
    name: str
    kind: str
    target: str
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    last_error: str = ""
    last_error_ns: int = 0
    queued: int = 0


class SendError(Exception):
    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.retry = retry


class Notifier:
    def __init__(
        self,
        channels: Sequence[Channel],
        post: Poster,
        clock: Clock,
        *,
        attempts: int = 5,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.channels = tuple(channels)
        self._post = post
        self._clock = clock
        self._attempts, self._backoff_s, self._max_backoff_s = attempts, backoff_s, max_backoff_s
        self._sleep = sleep
        self._queues = {c.name: asyncio.Queue[Notification](queue_size) for c in self.channels}
        self.status = {c.name: ChannelStatus(c.name, c.kind.value, c.target) for c in self.channels}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for channel in self.channels:
            self._tasks.append(asyncio.create_task(self._run(channel), name=f"notify-{channel.name}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def publish(self, notification: Notification) -> None:
        """Queue it for every channel that wants its kind; a full queue drops it (counted). Never waits."""
        for channel in self.channels:
            if not channel.wants(notification):
                continue
            try:
                self._queues[channel.name].put_nowait(notification)
            except asyncio.QueueFull:
                self.status[channel.name].dropped += 1

    def publish_to_all(self, notification: Notification) -> None:
        """Queue it for every channel whatever its event filter (a test message)."""
        for channel in self.channels:
            try:
                self._queues[channel.name].put_nowait(notification)
            except asyncio.QueueFull:
                self.status[channel.name].dropped += 1

    def statuses(self) -> list[ChannelStatus]:
        for name, queue in self._queues.items():
            self.status[name].queued = queue.qsize()
        return list(self.status.values())

    async def drained(self) -> None:
        """Wait until every queued notification was sent or given up (tests, shutdown)."""
        for queue in self._queues.values():
            await queue.join()

    async def _run(self, channel: Channel) -> None:
        queue = self._queues[channel.name]
        while True:
            notification = await queue.get()
            try:
                await self._deliver(channel, notification)
            finally:
                queue.task_done()

    async def _deliver(self, channel: Channel, notification: Notification) -> None:
        status = self.status[channel.name]
        url, body = request_of(channel, notification)
        delay = self._backoff_s
        for attempt in range(1, self._attempts + 1):
            try:
                await self._send(url, body)
                status.sent += 1
                return
            except SendError as error:
                status.last_error, status.last_error_ns = str(error), self._clock.now_ns()
                if not error.retry or attempt == self._attempts:
                    status.failed += 1
                    log.warning("notify.failed", channel=channel.name, kind=notification.kind, reason=str(error))
                    return
                status.retried += 1
                await self._sleep(delay)
                delay = min(delay * 2, self._max_backoff_s)

    async def _send(self, url: str, body: dict[str, Any]) -> None:
        try:
            code = await self._post(url, body)
        except (OSError, TimeoutError) as error:
            raise SendError(f"no answer: {type(error).__name__}", retry=True) from None
        except Exception as error:
            raise SendError(f"no answer: {type(error).__name__}", retry=True) from None
        if 200 <= code < 300:
            return
        raise SendError(f"HTTP {code}", retry=code == 429 or code >= 500)


def aiohttp_poster(timeout_s: float = 10.0) -> tuple[Poster, Callable[[], Awaitable[None]]]:
    """A Poster over one aiohttp session, and the function that closes it."""
    import aiohttp

    session: aiohttp.ClientSession | None = None

    async def post(url: str, body: dict[str, Any]) -> int:
        nonlocal session
        if session is None:
            session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s))
        async with session.post(url, json=body) as response:
            await response.read()
            return response.status

    async def close() -> None:
        if session is not None:
            await session.close()

    return post, close
