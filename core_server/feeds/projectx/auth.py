"""ProjectX session tokens: log in with the API key, refresh via Auth/validate well before expiry.

The token is a JWT; when its `exp` claim is readable the refresh is scheduled halfway to it,
otherwise after a fixed interval (the lifetime is reported as 24 h but not documented). Secrets
live only in this object and the config; `redact` scrubs them from any text bound for logs.

One keeper serves every ProjectX session: the market-data feed (feeds/projectx/feed.py) and the broker
adapter (brokers/projectx.py) each hold one and run its `keep_fresh` loop beside their connection.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable, Iterable

import msgspec
import structlog

from core_server.feeds.projectx.config import ProjectXConfig
from core_server.feeds.projectx.rest import AuthRejected, ProjectXError, ProjectXRest, TokenRejected
from core_server.model.clock import NS_PER_SECOND, Clock

log = structlog.get_logger(__name__)


class _Claims(msgspec.Struct):
    exp: float | None = None


def jwt_expiry_ns(token: str) -> int | None:
    """The `exp` claim of a JWT in UTC ns, or None when the token is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    body = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = msgspec.json.decode(base64.urlsafe_b64decode(body), type=_Claims)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    return None if claims.exp is None else int(claims.exp * NS_PER_SECOND)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "<redacted>")
    return text


class TokenKeeper:
    """Holds the current session token and knows when to refresh it."""

    def __init__(self, rest: ProjectXRest, config: ProjectXConfig, clock: Clock) -> None:
        self._rest = rest
        self._config = config
        self._clock = clock
        self._token: str | None = None
        self._obtained_ns = 0
        self._expires_ns: int | None = None
        self._lock = asyncio.Lock()  # the refresher and a reconnect must not log in twice at once
        self.logins = 0
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"TokenKeeper(has_token={self._token is not None})"

    @property
    def has_token(self) -> bool:
        return self._token is not None

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._config.api_key, self._token or "")

    async def token(self) -> str:
        """The current token, logging in first if there is none (raises AuthRejected on refusal)."""
        if self._token is None or self._expired():
            async with self._lock:
                if self._token is None or self._expired():
                    await self._login()
        assert self._token is not None
        return self._token

    async def login(self) -> None:
        async with self._lock:
            await self._login()

    async def _login(self) -> None:
        token = await self._rest.login_key(self._config.username, self._config.api_key)
        self._install(token)
        self.logins += 1
        log.info("projectx.logged_in", user=self._config.username, expires_in_s=self._expires_in_s())

    async def refresh(self) -> None:
        """Trade the token for a fresh one via Auth/validate; log in again if that is refused."""
        async with self._lock:
            await self._refresh()

    async def _refresh(self) -> None:
        if self._token is None:
            await self._login()
            return
        try:
            fresh = await self._rest.validate(self._token)
        except TokenRejected:
            log.info("projectx.token_refused", action="login")
            await self._login()
            return
        if fresh is None:
            await self._login()  # no newToken: only a new login resets the lifetime
            return
        self._install(fresh)
        self.refreshes += 1
        log.info("projectx.token_refreshed", expires_in_s=self._expires_in_s())

    async def replace(self, refused: str) -> str:
        """A token to use instead of `refused` (a call was answered HTTP 401 with it): a fresh login, unless a
        concurrent caller or the refresher already replaced it. Calls refused together log in once."""
        async with self._lock:
            if self._token is None or self._token == refused:
                log.info("projectx.token_refused", action="login")
                await self._login()
        assert self._token is not None
        return self._token

    async def keep_fresh(self, sleep: Callable[[float], Awaitable[None]], owner: str) -> None:
        """Refresh the token whenever it is due, for as long as the caller runs this (a background task)."""
        while True:
            if self._token is None:
                await sleep(self._config.token_refresh_min_s)  # the connection logs in first
                continue
            wait_s = (self.refresh_due_ns() - self._clock.now_ns()) / NS_PER_SECOND
            if wait_s > 0:
                await sleep(wait_s)
                continue  # the token may have been replaced meanwhile (a reconnect's login)
            try:
                await self.refresh()
            except AuthRejected as exc:
                log.error("projectx.token_refresh_rejected", owner=owner, reason=redact(str(exc), self.secrets))
                await sleep(self._config.auth_retry_s)
            except ProjectXError as exc:
                log.warning("projectx.token_refresh_failed", owner=owner, reason=redact(str(exc), self.secrets))
                await sleep(self._config.token_refresh_min_s)

    def invalidate(self) -> None:
        """Forget the token (the hub or a call refused it); the next `token()` logs in."""
        self._token = None

    def refresh_due_ns(self) -> int:
        interval = int(self._config.token_refresh_s * NS_PER_SECOND)
        if self._expires_ns is not None:
            interval = min(interval, (self._expires_ns - self._obtained_ns) // 2)
        return self._obtained_ns + max(interval, int(self._config.token_refresh_min_s * NS_PER_SECOND))

    def _install(self, token: str) -> None:
        self._token = token
        self._obtained_ns = self._clock.now_ns()
        self._expires_ns = jwt_expiry_ns(token)

    def _expired(self) -> bool:
        return self._expires_ns is not None and self._clock.now_ns() >= self._expires_ns

    def _expires_in_s(self) -> float | None:
        if self._expires_ns is None:
            return None
        return round((self._expires_ns - self._clock.now_ns()) / NS_PER_SECOND, 3)
