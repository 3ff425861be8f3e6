"""Typed exceptions for server errors, and the one table that maps gRPC status codes onto them."""

from __future__ import annotations

import re
from dataclasses import dataclass

import grpc
from google.rpc import error_details_pb2, status_pb2

_DETAILS_KEY = "grpc-status-details-bin"
_ERROR_ID = re.compile(r"(?:error[ _-]?id[\s:=]+|internal error )([\w-]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    reason: str


class VigilError(Exception):
    """Base of every error the SDK raises; `code` is the gRPC status name (e.g. "NOT_FOUND")."""

    code: str = "UNKNOWN"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgumentError(VigilError, ValueError):
    """A request argument is malformed or out of range; `field` names it (the first, when several)."""

    code = "INVALID_ARGUMENT"

    def __init__(self, field: str, reason: str, violations: tuple[FieldViolation, ...] = ()) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason
        self.violations = violations or ((FieldViolation(field, reason),) if field else ())


class NotFoundError(VigilError):
    code = "NOT_FOUND"


class UnavailableError(VigilError):
    """The server, or a dependency of it such as the store, cannot answer now; retrying later may work."""

    code = "UNAVAILABLE"


class AuthenticationError(VigilError):
    """The API key is missing or wrong."""

    code = "UNAUTHENTICATED"


class PermissionDeniedError(VigilError):
    code = "PERMISSION_DENIED"


class AlreadyExistsError(VigilError):
    """Something with this identity exists already (e.g. an account name)."""

    code = "ALREADY_EXISTS"


class FailedPreconditionError(VigilError):
    """The request is well formed but the server is not in a state to accept it."""

    code = "FAILED_PRECONDITION"


class ResourceExhaustedError(VigilError):
    """This reader fell too far behind a stream that never drops items, or a limit was reached."""

    code = "RESOURCE_EXHAUSTED"


class DeadlineExceededError(VigilError):
    code = "DEADLINE_EXCEEDED"


class InternalError(VigilError):
    """A server bug; `error_id` finds the matching server log entry."""

    code = "INTERNAL"

    def __init__(self, message: str, error_id: str | None = None) -> None:
        super().__init__(message)
        self.error_id = error_id


_BY_CODE: dict[grpc.StatusCode, type[VigilError]] = {
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
}


def error_from_rpc(error: grpc.aio.AioRpcError) -> VigilError:
    """The typed exception for a failed call, with field violations read from its google.rpc.Status."""
    code = error.code()
    message = error.details() or code.name
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        violations = _field_violations(error)
        if violations:
            first = violations[0]
            return InvalidArgumentError(first.field, first.reason, violations)
        return InvalidArgumentError("", message)
    if code is grpc.StatusCode.INTERNAL:
        found = _ERROR_ID.search(message)
        return InternalError(message, found.group(1) if found else None)
    kind = _BY_CODE.get(code)
    if kind is not None:
        return kind(message)
    unknown = VigilError(message)
    unknown.code = code.name
    return unknown


def _field_violations(error: grpc.aio.AioRpcError) -> tuple[FieldViolation, ...]:
    for key, value in error.trailing_metadata() or ():
        if key != _DETAILS_KEY or not isinstance(value, bytes):
            continue
        status = status_pb2.Status.FromString(value)
        found: list[FieldViolation] = []
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                found.extend(FieldViolation(v.field, v.description) for v in bad_request.field_violations)
        return tuple(found)
    return ()
