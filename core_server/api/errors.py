"""One table from core exceptions to gRPC status codes, with google.rpc details for bad fields."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import grpc
import structlog
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from core_server.bus import SlowConsumer
from core_server.model.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
)

log = structlog.get_logger(__name__)

Req = TypeVar("Req")
Resp = TypeVar("Resp")
Self = TypeVar("Self")

# Messages quote what the caller sent; a status travels in trailing metadata, which peers cap (8 KiB by
# default), so a message built from a huge argument would turn a clear refusal into a transport error. The
# message goes out twice (grpc-message, percent-encoded: up to 12 bytes a character; and in the details).
MAX_MESSAGE_CHARS = 240


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def _status(
    code: grpc.StatusCode, message: str, detail: Any | None = None
) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str | bytes], ...]]:
    rpc_code = getattr(code_pb2, code.name)
    message = _clip(message)
    status = status_pb2.Status(code=rpc_code, message=message)
    if detail is not None:
        packed = any_pb2.Any()
        packed.Pack(detail)
        status.details.append(packed)
    return code, message, (("grpc-status-details-bin", status.SerializeToString()),)


def rate_limited(message: str, retry_after_ns: int) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str | bytes], ...]]:
    """RESOURCE_EXHAUSTED with the wait in the message, in a google.rpc.RetryInfo detail and in a plain
    `retry-after-ms` trailer (for clients that do not decode details)."""
    wait_ms = max(1, -(-retry_after_ns // 1_000_000))
    retry = error_details_pb2.RetryInfo()
    retry.retry_delay.FromNanoseconds(retry_after_ns)
    code, text, trailing = _status(grpc.StatusCode.RESOURCE_EXHAUSTED, f"{message}; retry in {wait_ms} ms", retry)
    return code, text, (*trailing, ("retry-after-ms", str(wait_ms)))


def status_for(exc: BaseException) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str | bytes], ...]]:
    """The gRPC status (code, message, trailing metadata) for an exception raised by core code."""
    if isinstance(exc, InvalidArgument):
        violation = error_details_pb2.BadRequest.FieldViolation(field=_clip(exc.field), description=_clip(exc.reason))
        return _status(
            grpc.StatusCode.INVALID_ARGUMENT, str(exc), error_details_pb2.BadRequest(field_violations=[violation])
        )
    if isinstance(exc, NotFound):
        return _status(grpc.StatusCode.NOT_FOUND, str(exc))
    if isinstance(exc, AlreadyExists):
        return _status(grpc.StatusCode.ALREADY_EXISTS, str(exc))
    if isinstance(exc, FailedPrecondition):
        return _status(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
    if isinstance(exc, Unavailable):
        return _status(grpc.StatusCode.UNAVAILABLE, str(exc))
    if isinstance(exc, PermissionDenied):
        return _status(grpc.StatusCode.PERMISSION_DENIED, str(exc))
    if isinstance(exc, ResourceExhausted):
        return rate_limited(str(exc), exc.retry_after_ns)
    if isinstance(exc, SlowConsumer):
        return _status(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
    error_id = uuid.uuid4().hex[:12]
    log.error("rpc.internal_error", error_id=error_id, exc_info=exc)
    return _status(grpc.StatusCode.INTERNAL, f"internal error {error_id}; the server log has the details")


async def abort_for(context: grpc.aio.ServicerContext[Any, Any], exc: BaseException) -> NoReturn:
    code, message, trailing = status_for(exc)
    await context.abort(code, message, trailing_metadata=trailing)
    raise AssertionError("abort returned")  # pragma: no cover


_MAPPED = (
    InvalidArgument, NotFound, AlreadyExists, FailedPrecondition, Unavailable, PermissionDenied, ResourceExhausted,
    SlowConsumer, Exception,
)  # fmt: skip


def unary(
    method: Callable[[Self, Req, grpc.aio.ServicerContext[Req, Resp]], Awaitable[Resp]],
) -> Callable[[Self, Req, grpc.aio.ServicerContext[Req, Resp]], Awaitable[Resp]]:
    """Map exceptions of a unary handler to statuses. CancelledError and aborts pass through."""

    @functools.wraps(method)
    async def wrapper(self: Self, request: Req, context: grpc.aio.ServicerContext[Req, Resp]) -> Resp:
        try:
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except _MAPPED as exc:
            await abort_for(context, exc)

    return wrapper


def stream(
    method: Callable[[Self, Req, grpc.aio.ServicerContext[Req, Resp]], AsyncIterator[Resp]],
) -> Callable[[Self, Req, grpc.aio.ServicerContext[Req, Resp]], AsyncIterator[Resp]]:
    """Map exceptions of a server-streaming handler to statuses."""

    @functools.wraps(method)
    async def wrapper(self: Self, request: Req, context: grpc.aio.ServicerContext[Req, Resp]) -> AsyncIterator[Resp]:
        try:
            async for item in method(self, request, context):
                yield item
        except grpc.aio.AbortError:
            raise
        except _MAPPED as exc:
            await abort_for(context, exc)

    return wrapper
