"""RPC metrics: latency of every unary call and the end of every stream, by method and status code.

It is the outermost interceptor, so calls refused by authentication count too (with their code).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from core_server.metrics.registry import ServerMetrics, split_method

Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[Any]]


def _code(context: grpc.aio.ServicerContext[Any, Any], failed: BaseException | None) -> str:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code.name
    if code is not None:
        return str(code)
    if failed is None:
        return "OK"
    return "CANCELLED" if isinstance(failed, asyncio.CancelledError) else "UNKNOWN"


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, metrics: ServerMetrics) -> None:
        self._metrics = metrics

    async def intercept_service(self, continuation: Continuation, details: grpc.HandlerCallDetails) -> Any:
        handler: Any = await continuation(details)
        if handler is None:
            return None
        service, method = split_method(details.method)
        metrics = self._metrics

        if handler.unary_unary is not None:
            inner_unary: Any = handler.unary_unary
            duration = metrics.rpc_duration

            async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
                started = time.perf_counter()
                failed: BaseException | None = None
                try:
                    return await inner_unary(request, context)
                except BaseException as exc:
                    failed = exc
                    raise
                finally:
                    code = _code(context, failed)
                    duration.labels(service, method, code).observe(time.perf_counter() - started)

            return grpc.unary_unary_rpc_method_handler(
                unary,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )

        if handler.unary_stream is not None:
            inner_stream: Any = handler.unary_stream
            active = metrics.rpc_streams_active.labels(service, method)
            messages = metrics.rpc_stream_messages.labels(service, method)

            async def streaming(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
                failed: BaseException | None = None
                active.inc()
                try:
                    async for item in inner_stream(request, context):
                        messages.inc()
                        yield item
                except BaseException as exc:  # a client that goes away cancels its stream: CANCELLED
                    failed = exc
                    raise
                finally:
                    active.dec()
                    metrics.rpc_streams.labels(service, method, _code(context, failed)).inc()

            return grpc.unary_stream_rpc_method_handler(
                streaming,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler
