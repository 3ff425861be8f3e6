"""Server interceptors: request context with one log line per RPC, and API-key authentication."""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc
import structlog

log = structlog.get_logger("core_server.rpc")

Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[Any]]

# Liveness probes and schema discovery stay open so grpcurl `list` and health checks work keyless.
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


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


class ApiKeyInterceptor(grpc.aio.ServerInterceptor):
    """Requires `authorization: Bearer <key>` matching one configured key (constant-time compare)."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = tuple(k.encode() for k in keys)

    def _allowed(self, details: grpc.HandlerCallDetails) -> bool:
        if details.method.startswith(OPEN_METHOD_PREFIXES):
            return True
        header = _metadata(details).get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        presented = token.strip().encode()
        return any(hmac.compare_digest(presented, key) for key in self._keys)

    async def intercept_service(self, continuation: Continuation, details: grpc.HandlerCallDetails) -> Any:
        handler: Any = await continuation(details)
        if handler is None or not self._keys or self._allowed(details):
            return handler
        message = "missing or invalid API key: send metadata 'authorization: Bearer <key>'"

        if handler.unary_stream is not None:

            async def deny_stream(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
                yield  # pragma: no cover  (makes this an async generator)

            return grpc.unary_stream_rpc_method_handler(
                deny_stream,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )

        async def deny(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

        return grpc.unary_unary_rpc_method_handler(
            deny, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )
