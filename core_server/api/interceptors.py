"""Server interceptors: request context with one log line per RPC, and authentication with roles (api.access)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import structlog

from core_server.access.keyring import KeyRing
from core_server.access.rate import RateLimiter
from core_server.api import access
from core_server.api.errors import rate_limited

log = structlog.get_logger("core_server.rpc")

Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[Any]]

MISSING_KEY = "missing API key: send metadata 'authorization: Bearer <key>'"


def _metadata(details: grpc.HandlerCallDetails) -> dict[str, str]:
    pairs = details.invocation_metadata or ()
    return {str(k).lower(): v if isinstance(v, str) else v.decode(errors="replace") for k, v in pairs}


def _code_name(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    code = context.code()
    if code is None:
        return "OK"
    return code.name if isinstance(code, grpc.StatusCode) else str(code)


class RequestContextInterceptor(grpc.aio.ServerInterceptor):
    """Binds a request id (from `x-request-id` or new) into the log context; logs each RPC once."""

    async def intercept_service(self, continuation: Continuation, details: grpc.HandlerCallDetails) -> Any:
        handler: Any = await continuation(details)
        if handler is None:
            return None
        method = details.method
        request_id = _metadata(details).get("x-request-id") or uuid.uuid4().hex[:16]

        if handler.unary_unary is not None:
            inner_unary: Any = handler.unary_unary

            async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
                structlog.contextvars.bind_contextvars(request_id=request_id)
                started = time.perf_counter_ns()
                outcome = "OK"
                try:
                    return await inner_unary(request, context)
                except BaseException:
                    outcome = "ERROR"
                    raise
                finally:
                    code = _code_name(context) if outcome == "ERROR" else "OK"
                    log.info(
                        "rpc", method=method, code=code, duration_ms=round((time.perf_counter_ns() - started) / 1e6, 3)
                    )
                    structlog.contextvars.unbind_contextvars("request_id")

            return grpc.unary_unary_rpc_method_handler(
                unary,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )

        if handler.unary_stream is not None:
            inner_stream: Any = handler.unary_stream

            async def streaming(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
                structlog.contextvars.bind_contextvars(request_id=request_id)
                started = time.perf_counter_ns()
                sent = 0
                code = "OK"
                try:
                    async for item in inner_stream(request, context):
                        sent += 1
                        yield item
                except BaseException as exc:
                    code = _code_name(context) if context.code() else type(exc).__name__
                    raise
                finally:
                    log.info(
                        "rpc",
                        method=method,
                        code=code,
                        messages=sent,
                        duration_ms=round((time.perf_counter_ns() - started) / 1e6, 3),
                    )
                    structlog.contextvars.unbind_contextvars("request_id")

            return grpc.unary_stream_rpc_method_handler(
                streaming,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler


class AccessInterceptor(grpc.aio.ServerInterceptor):
    """Authenticates every call (`authorization: Bearer <key>`) and checks its role against the access table.

    No key presented: in no-key mode (`open_mode`: loopback, no VIGIL_API_KEYS, VIGIL_REQUIRE_KEYS unset) the
    caller is the local admin ("local"); otherwise UNAUTHENTICATED. A presented key is always checked (a wrong
    one is refused, never treated as no key). A role below the RPC's least role, an RPC missing from the
    table, or a trader key on an account it is not granted: PERMISSION_DENIED.
    """

    def __init__(
        self,
        keys: KeyRing,
        *,
        open_mode: bool,
        limiter: RateLimiter | None = None,
        now_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        """`limiter`: each caller's token bucket on the RPCs that place orders (access.RATE_LIMITED)."""
        self._keys = keys
        self._open_mode = open_mode
        self._limiter = limiter if limiter is not None and limiter.enabled else None
        self._now_ns = now_ns

    def _decide(self, details: grpc.HandlerCallDetails) -> access.Call | tuple[grpc.StatusCode, str]:
        method = details.method
        header = _metadata(details).get("authorization", "")
        if not header.strip():
            if not self._open_mode:
                return grpc.StatusCode.UNAUTHENTICATED, MISSING_KEY
            caller = access.LOCAL_CALL.caller
        else:
            scheme, _, token = header.partition(" ")
            identified = self._keys.identify(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
            if identified is None:
                return grpc.StatusCode.UNAUTHENTICATED, "invalid API key (revoked, mistyped, or not of this server)"
            caller = identified
        least = access.least_role(method)
        if least is None:
            return grpc.StatusCode.PERMISSION_DENIED, f"{method} is not in the access table: refused for every key"
        if caller.role < least:
            return (
                grpc.StatusCode.PERMISSION_DENIED,
                f"{method.rsplit('/', 1)[-1]} needs the {least.label} role; {caller.actor} is {caller.role.label}",
            )
        return access.Call(caller, least)

    async def intercept_service(self, continuation: Continuation, details: grpc.HandlerCallDetails) -> Any:
        handler: Any = await continuation(details)
        if handler is None or access.is_open(details.method):
            return handler
        decision = self._decide(details)

        if handler.unary_stream is not None:
            inner_stream: Any = handler.unary_stream

            async def streaming(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
                if not isinstance(decision, access.Call):
                    await context.abort(*decision)
                access.enter(decision)
                async for item in inner_stream(request, context):
                    yield item

            return grpc.unary_stream_rpc_method_handler(
                streaming,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_stream is not None:  # DataService.UploadTicks
            inner_bidi: Any = handler.stream_stream

            async def bidi(requests: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
                if not isinstance(decision, access.Call):
                    await context.abort(*decision)
                access.enter(decision)
                async for item in inner_bidi(requests, context):
                    yield item

            return grpc.stream_stream_rpc_method_handler(
                bidi,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_unary is None:
            return None  # Vigil has unary, server-streaming and (uploads) bidirectional RPCs only
        inner_unary: Any = handler.unary_unary
        limiter = self._limiter if details.method in access.RATE_LIMITED else None

        async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            if not isinstance(decision, access.Call):
                await context.abort(*decision)
            if limiter is not None:
                actor = decision.caller.actor
                wait_ns = limiter.take(actor, self._now_ns())
                if wait_ns:
                    code, message, trailing = rate_limited(
                        f"{actor} is over its order rate ({limiter.rate_per_s}/s, burst {limiter.burst})", wait_ns
                    )
                    await context.abort(code, message, trailing_metadata=trailing)
            access.enter(decision)
            return await inner_unary(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )
