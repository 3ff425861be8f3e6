"""Exceptions for invalid requests and broken invariants; the api layer maps each to one gRPC code."""

from __future__ import annotations


class VigilError(Exception):
    """Base of every error the core raises on purpose."""


class InvalidArgument(VigilError):
    """A request argument is malformed or out of range; names the offending field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(VigilError):
    """A named entity does not exist."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class AlreadyExists(VigilError):
    """Something with this identity (e.g. an account name) exists already; names the offending field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class FailedPrecondition(VigilError):
    """The request is well formed but the system is not in a state to accept it."""


class Unavailable(VigilError):
    """A dependency (the store, a broker) is down for now; the caller may retry later."""


class PermissionDenied(VigilError):
    """The caller is known but its role or grants do not allow this request."""


class ResourceExhausted(VigilError):
    """The caller is over a rate limit; it may retry after `retry_after_ns`."""

    def __init__(self, reason: str, retry_after_ns: int) -> None:
        super().__init__(reason)
        self.retry_after_ns = retry_after_ns
