"""Exit codes of `vigil`, one per kind of outcome, so scripts can branch on them."""

from __future__ import annotations

from clients.sdk.errors import (
    AlreadyExistsError,
    AuthenticationError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnavailableError,
    VigilError,
)

OK = 0
FAILED = 1  # the server answered with an error not listed below
USAGE = 2  # bad command line (argparse uses 2 as well)
INVALID_ARGUMENT = 3
NOT_FOUND = 4
FAILED_PRECONDITION = 5
PERMISSION = 6  # missing or wrong API key, or a role that may not do this
UNAVAILABLE = 7  # no server at the target, or it cannot answer now
RESOURCE_EXHAUSTED = 8
ALREADY_EXISTS = 9

_BY_ERROR: tuple[tuple[type[VigilError], int], ...] = (
    (InvalidArgumentError, INVALID_ARGUMENT),
    (NotFoundError, NOT_FOUND),
    (FailedPreconditionError, FAILED_PRECONDITION),
    (AuthenticationError, PERMISSION),
    (PermissionDeniedError, PERMISSION),
    (UnavailableError, UNAVAILABLE),
    (ResourceExhaustedError, RESOURCE_EXHAUSTED),
    (AlreadyExistsError, ALREADY_EXISTS),
)


def for_error(error: VigilError) -> int:
    """The exit code for a server error."""
    for kind, code in _BY_ERROR:
        if isinstance(error, kind):
            return code
    return FAILED
