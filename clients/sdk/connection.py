"""The client's gRPC channel: opened lazily, watched for connectivity, replaced on demand."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import grpc
import structlog

from clients.sdk.errors import VigilError
from clients.sdk.models import ConnectionState
from clients.sdk.tls import TlsSettings

# A library stays quiet unless the application configures logging: route through a stdlib logger
# (warnings and above only, by default), never straight to stdout.
log = structlog.wrap_logger(logging.getLogger(__name__))

StateCallback = Callable[[ConnectionState], None]

# The channel's own reconnect schedule matches the stream retry schedule: 0.5 s doubling to 10 s.
CHANNEL_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 500),
    ("grpc.min_reconnect_backoff_ms", 500),
    ("grpc.max_reconnect_backoff_ms", 10_000),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    # Channels share subchannels process-wide by default, so a fresh channel after replace() would inherit the
    # old one's reconnect backoff (seconds of UNAVAILABLE after a server restart); each channel owns its own.
    ("grpc.use_local_subchannel_pool", 1),
)


class Backoff:
    """Exponential retry delays, 0.5 s doubling to a 10 s cap; `reset()` once a stream delivers again."""

    def __init__(self, initial_s: float = 0.5, maximum_s: float = 10.0) -> None:
        self.initial_s = initial_s
        self.maximum_s = maximum_s
        self.attempt = 0

    def next_delay(self) -> float:
        delay = min(self.maximum_s, self.initial_s * 2.0**self.attempt)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0


class Connection:
    """Owns one channel at a time; `generation` counts replacements so streams can tell why a call died."""

    def __init__(
        self, target: str, on_state_change: StateCallback | None = None, tls: TlsSettings | None = None
    ) -> None:
        self.target = target
        self.tls = tls
        self._channel: grpc.aio.Channel | None = None
        self._monitor: asyncio.Task[None] | None = None
        self._generation = 0
        self._state = ConnectionState.IDLE
        self._callbacks: list[StateCallback] = [on_state_change] if on_state_change else []
        self._watchers: set[asyncio.Queue[ConnectionState]] = set()
        self._replaced = asyncio.Event()
        self._closed = False

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def closed(self) -> bool:
        return self._closed

    def channel(self) -> grpc.aio.Channel:
        """The current channel, opened on first use (inside the running event loop)."""
        if self._closed:
            raise VigilError("the client is closed")
        if self._channel is None:
            if self.tls is None:
                self._channel = grpc.aio.insecure_channel(self.target, options=CHANNEL_OPTIONS)
            else:
                options = CHANNEL_OPTIONS + self.tls.options()
                self._channel = grpc.aio.secure_channel(self.target, self.tls.credentials(), options=options)
            self._monitor = asyncio.get_running_loop().create_task(self._watch_channel(self._channel))
        return self._channel

    async def wait_ready(self) -> None:
        """Return once the channel is connected, with `state` already CONNECTED (not left to the monitor's turn)."""
        channel = self.channel()
        await channel.channel_ready()
        if channel is self._channel:
            self._publish(self._state_for(channel.get_state()))

    def add_callback(self, callback: StateCallback) -> Callable[[], None]:
        """Call `callback` on every state change; returns a function that removes it."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    async def watch(self) -> AsyncIterator[ConnectionState]:
        """The current state, then every change, until the connection is closed."""
        queue: asyncio.Queue[ConnectionState] = asyncio.Queue()
        self._watchers.add(queue)
        try:
            state = self._state
            while True:
                yield state
                if state is ConnectionState.CLOSED:
                    return
                state = await queue.get()
        finally:
            self._watchers.discard(queue)

    async def replace(self) -> None:
        """Drop the current channel (cancelling its calls) and open a fresh one, skipping any backoff."""
        old, monitor = self._channel, self._monitor
        self._channel, self._monitor = None, None
        self._generation += 1
        self._replaced.set()
        self._replaced = asyncio.Event()
        log.info("sdk.reconnect_requested", target=self.target, generation=self._generation)
        await _shut(old, monitor)
        self.channel()

    async def sleep(self, delay_s: float) -> None:
        """Sleep before a retry; `replace()` cuts the sleep short so a manual reconnect acts at once."""
        replaced = self._replaced
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(replaced.wait(), delay_s)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        old, monitor = self._channel, self._monitor
        self._channel, self._monitor = None, None
        self._replaced.set()
        await _shut(old, monitor)
        self._publish(ConnectionState.CLOSED)

    async def _watch_channel(self, channel: grpc.aio.Channel) -> None:
        connectivity = channel.get_state(try_to_connect=True)
        while True:
            self._publish(self._state_for(connectivity))
            if connectivity is grpc.ChannelConnectivity.SHUTDOWN:
                return
            await channel.wait_for_state_change(connectivity)
            connectivity = channel.get_state(try_to_connect=True)

    def _state_for(self, connectivity: grpc.ChannelConnectivity) -> ConnectionState:
        if connectivity is grpc.ChannelConnectivity.READY:
            return ConnectionState.CONNECTED
        if connectivity is grpc.ChannelConnectivity.TRANSIENT_FAILURE:
            return ConnectionState.RECONNECTING
        if connectivity is grpc.ChannelConnectivity.SHUTDOWN:
            return ConnectionState.CLOSED
        # IDLE or CONNECTING: a first attempt, or a retry once the link has been up or has failed.
        if self._state in (ConnectionState.CONNECTED, ConnectionState.RECONNECTING):
            return ConnectionState.RECONNECTING
        return ConnectionState.CONNECTING

    def _publish(self, state: ConnectionState) -> None:
        if state is self._state:
            return
        log.debug("sdk.connection_state", target=self.target, state=state.value, previous=self._state.value)
        self._state = state
        for queue in self._watchers:
            queue.put_nowait(state)
        for callback in list(self._callbacks):
            try:
                callback(state)
            except Exception:
                log.exception("sdk.state_callback_failed")


async def _shut(channel: grpc.aio.Channel | None, monitor: asyncio.Task[None] | None) -> None:
    if monitor is not None:
        monitor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await monitor
    if channel is not None:
        await channel.close(grace=None)
