"""The asyncpg connection pool: opened once at start with a bounded wait, and DSNs made safe to log."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import structlog

from core_server.backoff import Backoff
from core_server.storage.failures import StoreUnreachable, is_connection_failure, short_reason

__all__ = ["StoreUnreachable", "connect_pool", "describe_dsn"]

log = structlog.get_logger(__name__)

DEFAULT_CONNECT_TIMEOUT_S = 5.0
_FIRST_RETRY_S = 0.1
_LAST_RETRY_S = 1.0
_SECRET_PARAMS = frozenset({"password", "sslpassword"})
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def describe_dsn(dsn: str) -> str:
    """The DSN without any password, for logs and error messages."""
    if "://" not in dsn:
        return _KEYWORD_PASSWORD.sub(r"\1***", dsn)
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "<unparseable database URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hosts = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{hosts}" if user else hosts
    query = [(key, value) for key, value in parse_qsl(parts.query) if key.lower() not in _SECRET_PARAMS]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="/"), ""))


async def connect_pool(
    dsn: str,
    min_size: int = 1,
    max_size: int = 10,
    *,
    timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
) -> asyncpg.Pool:
    """Open the pool, retrying a server that is not up yet for at most `timeout_s`.

    Raises StoreUnreachable with a human message (never a password) when that fails. `timeout_s` also
    bounds every later reconnect the pool makes.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    backoff = Backoff(initial_s=_FIRST_RETRY_S, maximum_s=_LAST_RETRY_S, jitter=0.0)
    while True:
        remaining = deadline - loop.time()
        try:
            async with asyncio.timeout(max(remaining, 0.0)):
                pool = await asyncpg.create_pool(
                    dsn,
                    min_size=min_size,
                    max_size=max_size,
                    timeout=timeout_s,
                    server_settings={"application_name": "vigil"},
                )
        except Exception as exc:
            retryable = is_connection_failure(exc) and not isinstance(
                exc,
                asyncpg.exceptions.InvalidCatalogNameError | asyncpg.exceptions.InvalidAuthorizationSpecificationError,
            )
            delay = backoff.next_delay()
            if retryable and loop.time() + delay < deadline:
                log.debug("store.connect_retry", dsn=describe_dsn(dsn), reason=short_reason(exc))
                await asyncio.sleep(delay)
                continue
            raise _unreachable(dsn, exc, timeout_s, waited=retryable) from exc
        log.info("store.connected", dsn=describe_dsn(dsn), min_size=min_size, max_size=max_size)
        return pool


def _unreachable(dsn: str, exc: BaseException, timeout_s: float, *, waited: bool) -> StoreUnreachable:
    where = describe_dsn(dsn)
    reason = short_reason(exc)
    if waited:
        return StoreUnreachable(
            f"cannot reach PostgreSQL at {where}: {reason} (gave up after {timeout_s:g} s); "
            "check that the server is running and the database URL is right"
        )
    return StoreUnreachable(f"cannot use PostgreSQL at {where}: {reason}; check the database URL and its credentials")
