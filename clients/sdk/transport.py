"""Transport: the channel, API key and deadline shared by every call group; typed errors, resilient streams."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
import structlog

from clients.sdk.connection import Backoff, Connection, StateCallback
from clients.sdk.errors import UnavailableError, error_from_rpc
from clients.sdk.tls import resolve_tls

# A library stays quiet unless the application configures logging: route through a stdlib logger
# (warnings and above only, by default), never straight to stdout.
log = structlog.wrap_logger(logging.getLogger(__name__))

DEFAULT_TARGET = "127.0.0.1:50051"
TARGET_ENV = "VIGIL_TARGET"
API_KEY_ENV = "VIGIL_API_KEY"


def resolve_target(target: str | None) -> str:
    """The explicit target, else VIGIL_TARGET, else 127.0.0.1:50051 (the TUI and the bridge read the same)."""
    if target:
        return target
    return os.environ.get(TARGET_ENV, "").strip() or DEFAULT_TARGET


_Resp = TypeVar("_Resp")
_T = TypeVar("_T")
if TYPE_CHECKING:
    from typing import TypeAlias

    Call: TypeAlias = grpc.aio.UnaryStreamCall[Any, _Resp]


class Transport:
    """What the per-service call groups build on: one Connection, the API key, the default deadline.

    Unary calls fail fast with a typed VigilError. With `reconnect=True` streams survive server restarts and
    connection loss: they wait for the server, back off 0.5 s doubling to 10 s, and re-send their request.
    """

    def __init__(
        self,
        target: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        reconnect: bool = True,
        on_state_change: StateCallback | None = None,
        tls: bool | None = None,
        tls_ca: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        tls_server_name: str | None = None,
    ) -> None:
        self.target = resolve_target(target)
        self.timeout = timeout
        self.reconnect_streams = reconnect
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        # Where the key came from (never the key itself): "argument", "VIGIL_API_KEY", or "" for none.
        self.api_key_source = "" if not key else "argument" if api_key is not None else API_KEY_ENV
        self._metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {key}"),) if key else ()
        tls_settings = resolve_tls(tls, tls_ca, tls_cert, tls_key, tls_server_name)
        self.tls = tls_settings is not None
        self._connection = Connection(self.target, on_state_change, tls_settings)

    def _channel(self) -> grpc.aio.Channel:
        return self._connection.channel()

    async def _unary(self, method: Callable[..., Awaitable[_Resp]], request: object) -> _Resp:
        try:
            return await method(request, timeout=self.timeout, metadata=self._metadata)
        except grpc.aio.AioRpcError as error:
            raise error_from_rpc(error) from None
        except asyncio.CancelledError:
            # reconnect() or close() closed the channel under this call: not a cancellation of the caller.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            raise UnavailableError("the connection was closed during the call") from None

    async def _resilient_stream(
        self,
        name: str,
        open_call: Callable[[bool], Call[_Resp]],
        to_model: Callable[[_Resp], _T],
        restart: Callable[[], None] | None = None,
    ) -> AsyncGenerator[_T, None]:
        """Reopens the call after UNAVAILABLE (with backoff) or a reconnect. A resumed call the server refuses with
        INVALID_ARGUMENT means its log no longer reaches the seq resumed from (the store was replaced, e.g. restored
        from a backup): `restart` forgets that seq and the stream goes on from the server's present."""
        backoff = Backoff()
        resumed = False
        restarted = False  # a refused resume was restarted and nothing has arrived since
        while True:
            generation = self._connection.generation
            call = open_call(resumed)
            reason = "ended"
            try:
                async for response in call:
                    backoff.reset()
                    restarted = False
                    yield to_model(response)
            except grpc.aio.AioRpcError as error:
                stale = resumed and restart is not None and error.code() is grpc.StatusCode.INVALID_ARGUMENT
                if stale and restart is not None and not restarted:  # once: a second refusal is the caller's
                    log.warning("sdk.stream_restarted", stream=name, reason=error.details() or "")
                    restart()
                    restarted = True
                    continue
                if not (self.reconnect_streams and error.code() is grpc.StatusCode.UNAVAILABLE):
                    raise error_from_rpc(error) from None
                reason = error.details() or "unavailable"
            except asyncio.CancelledError:
                # Closing the channel cancels its calls; only a cancellation of our own task propagates.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                if self._connection.closed:
                    return
                if self._connection.generation == generation:
                    raise
                reason = "reconnect requested"
            finally:
                call.cancel()
            if not self.reconnect_streams or self._connection.closed:
                return
            if self._connection.generation == generation:
                delay = backoff.next_delay()
                log.info("sdk.stream_reconnecting", stream=name, reason=reason, delay_s=delay)
                await self._connection.sleep(delay)
            resumed = True

    async def _resuming_stream(
        self,
        name: str,
        open_call: Callable[[int, bool], Call[_Resp]],
        to_model: Callable[[_Resp], _T],
        seq_of: Callable[[_Resp], int],
        since_seq: int = 0,
    ) -> AsyncGenerator[_T, None]:
        """A reconnecting stream whose server resumes after a seq: each reopen asks for what came after the last seq
        delivered (`open_call(since_seq, resumed)`), and anything at or below it is skipped, so an outage loses no
        event and repeats none. Messages with seq 0 (snapshots) pass as they are."""
        last = since_seq

        def reopen(resumed: bool) -> Call[_Resp]:
            return open_call(last, resumed)

        def remember(response: _Resp) -> tuple[int, _T]:
            return seq_of(response), to_model(response)

        def restart() -> None:
            nonlocal last
            last = 0

        updates = self._resilient_stream(name, reopen, remember, restart)
        try:
            async for seq, model in updates:
                if seq:
                    if seq <= last:
                        continue
                    last = seq
                yield model
        finally:
            await updates.aclose()
