"""Which database failures mean "the store is down", and how they reach callers as short reasons."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from core_server.model.errors import Unavailable

_REASON_MAX_CHARS = 160

# Failures of the connection or the server rather than of the statement: retrying later may succeed.
CONNECTION_FAILURES: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, socket file gone
    TimeoutError,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, connection does not exist
    asyncpg.InterfaceError,  # pool closing/closed, connection closed
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: disk full, too many connections
    asyncpg.exceptions.InvalidCatalogNameError,  # the database is gone
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,  # the login is refused
)

# Failures caused by the rows themselves: retrying the same rows fails the same way.
ROW_FAILURES: tuple[type[BaseException], ...] = (
    asyncpg.DataError,  # class 22, also asyncpg's client-side encoding errors
    asyncpg.IntegrityConstraintViolationError,  # class 23: NOT NULL, CHECK
    TypeError,
    ValueError,
    OverflowError,
)


class StoreUnreachable(Unavailable):
    """The store could not be reached or started at all; the message says what to check."""


def is_connection_failure(exc: BaseException) -> bool:
    return isinstance(exc, CONNECTION_FAILURES) and not isinstance(exc, asyncpg.exceptions.ClientConfigurationError)


def short_reason(exc: BaseException) -> str:
    """One line for logs, status and users: never a traceback."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, FileNotFoundError):
        return "no server socket"
    if isinstance(exc, Unavailable):
        return str(exc)
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line[:_REASON_MAX_CHARS]


@contextmanager
def unavailable_on_connection_failure() -> Iterator[None]:
    """Turn a lost store into Unavailable with a short reason; statement errors pass through unchanged."""
    try:
        yield
    except Unavailable:
        raise
    except Exception as exc:
        if is_connection_failure(exc):
            raise Unavailable(f"store unavailable: {short_reason(exc)}") from exc
        raise
