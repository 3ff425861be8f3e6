"""Tradovate REST: access tokens (login, time penalties, renewal) and contract lookup."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn

import aiohttp
import structlog

from core_server.feeds.tradovate.config import TradovateConfig
from core_server.feeds.tradovate.framing import loads
from core_server.feeds.tradovate.messages import MalformedMessage, timestamp_ns
from core_server.model.clock import NS_PER_MINUTE, NS_PER_SECOND, Clock

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
ASSUMED_LIFETIME_NS = 80 * NS_PER_MINUTE  # the shorter documented lifetime, when expirationTime is unreadable
MAX_REASON = 200


class AuthFailure(Exception):
    """Tradovate refused the login (errorText) or demands a captcha: retrying soon will not help."""

    def __init__(self, reason: str, *, captcha: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.captcha = captcha


class RestUnavailable(Exception):
    """The REST API could not be reached or answered with a server error; worth retrying with backoff."""


class TokenRejected(Exception):
    """A bearer token was refused (expired or revoked); a fresh login is needed."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A session's tokens. The token strings never appear in repr, logs or status."""

    access_token: str = field(repr=False)
    md_access_token: str = field(repr=False)
    expiration_ns: int
    received_ns: int
    user_id: int = 0


class TradovateRest:
    """The few REST calls the market-data feed needs, over one aiohttp session."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        config: TradovateConfig,
        clock: Clock,
        *,
        sleep: Sleep = asyncio.sleep,
        on_wait: Callable[[str], None] = lambda detail: None,
    ) -> None:
        self._http = http
        self._config = config
        self._clock = clock
        self._sleep = sleep
        self._on_wait = on_wait

    async def request_access_token(self) -> AccessToken:
        """Log in. A time penalty is waited out and the request resent with its `p-ticket`."""
        status, payload = await self._call("POST", "/auth/accesstokenrequest", body=self._credentials())
        if status in (401, 403):
            raise AuthFailure(f"login refused (HTTP {status})")
        if status != 200:
            raise RestUnavailable(f"login: HTTP {status}")
        if type(payload) is not dict:
            raise RestUnavailable("login: the response is not a JSON object")
        error = payload.get("errorText")
        if error:
            raise AuthFailure(f"login rejected: {str(error)[:MAX_REASON]}")
        return self._token(payload)

    async def renew(self, token: AccessToken) -> AccessToken:
        """Extend the session (`/auth/renewaccesstoken`) without starting a new one."""
        status, payload = await self._call("GET", "/auth/renewaccesstoken", token=token.access_token)
        if status in (401, 403):
            raise TokenRejected(f"renewal refused (HTTP {status})")
        if status != 200 or type(payload) is not dict:
            raise RestUnavailable(f"renewal: HTTP {status}")
        if payload.get("errorText") or not payload.get("accessToken"):
            raise TokenRejected(f"renewal rejected: {str(payload.get('errorText', 'no accessToken'))[:MAX_REASON]}")
        return self._token(payload)

    async def find_contract(self, token: AccessToken, name: str) -> int | None:
        """Tradovate's id of the contract named `name` (e.g. NQZ6), or None when it does not exist."""
        status, payload = await self._call("GET", "/contract/find", token=token.access_token, query={"name": name})
        if status in (401, 403):
            raise TokenRejected(f"contract lookup refused (HTTP {status})")
        if status == 404:
            return None
        if status != 200:
            raise RestUnavailable(f"contract lookup: HTTP {status}")
        if type(payload) is not dict or payload.get("errorText"):
            return None
        found = payload.get("id")
        return found if type(found) is int and found > 0 else None

    def _credentials(self) -> dict[str, Any]:
        config = self._config
        body: dict[str, Any] = {
            "name": config.username,
            "password": config.password,
            "appId": config.app_id,
            "appVersion": config.app_version,
            # Typed string in the OpenAPI, sent as a number by every official sample.
            "cid": int(config.cid) if config.cid.isdigit() else config.cid,
            "sec": config.secret,
        }
        if config.device_id:
            body["deviceId"] = config.device_id
        return body

    def _token(self, payload: dict[str, Any]) -> AccessToken:
        access = payload.get("accessToken")
        if type(access) is not str or not access:
            status = payload.get("userStatus")
            raise AuthFailure(f"no access token in the response (userStatus {status})" if status else "no access token")
        now = self._clock.now_ns()
        try:
            expiration = timestamp_ns(payload.get("expirationTime"))
        except MalformedMessage:
            expiration = now + ASSUMED_LIFETIME_NS
        md = payload.get("mdAccessToken")
        user_id = payload.get("userId")
        # Renewal may not return an mdAccessToken; then the (new) accessToken also serves the md socket.
        return AccessToken(
            access,
            md if type(md) is str and md else access,
            expiration,
            now,
            user_id if type(user_id) is int else 0,
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        token: str = "",
        query: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One REST call, honouring time penalties: wait `p-time` s and resend with the `p-ticket`."""
        for _ in range(self._config.max_penalty_rounds + 1):
            status, payload = await self._send(method, path, body, token, query)
            if status != 200 or type(payload) is not dict or "p-ticket" not in payload:
                return status, payload
            if payload.get("p-captcha"):
                raise AuthFailure(
                    "Tradovate demands a captcha (usually after failed logins); it cannot be solved from an API "
                    "client: wait about an hour, check the credentials, or log in once on the Tradovate web site",
                    captcha=True,
                )
            wait = _seconds(payload.get("p-time"))
            log.warning("tradovate.time_penalty", path=path, wait_s=wait)
            self._on_wait(f"Tradovate time penalty on {path}: waiting {wait:g} s")
            await self._sleep(wait)
            if body is not None:
                body = {**body, "p-ticket": payload["p-ticket"]}
        raise AuthFailure(f"{path} kept receiving time penalties")

    async def _send(
        self, method: str, path: str, body: dict[str, Any] | None, token: str, query: dict[str, str] | None
    ) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        timeout = aiohttp.ClientTimeout(total=self._config.request_timeout_s)
        try:
            async with self._http.request(
                method, self._config.rest_url + path, json=body, params=query, headers=headers, timeout=timeout
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RestUnavailable(f"{path}: {type(exc).__name__}") from None
        try:
            payload = loads(text) if text.strip() else None
        except ValueError:
            if status == 200:
                raise RestUnavailable(f"{path}: the response is not JSON") from None
            payload = None
        return status, payload


def _seconds(value: Any) -> float:
    if type(value) in (int, Decimal):
        return max(0.0, float(value))
    return 1.0


class TokenKeeper:
    """Holds the session's tokens across reconnects and renews them before they expire."""

    def __init__(self, config: TradovateConfig, clock: Clock, *, sleep: Sleep = asyncio.sleep) -> None:
        self._config = config
        self._clock = clock
        self._sleep = sleep
        self.token: AccessToken | None = None
        self.logins = 0
        self.renewals = 0
        self.last_problem = ""

    async def current(self, rest: TradovateRest) -> AccessToken:
        """The valid token, logging in when there is none or it has expired."""
        token = self.token
        if token is None or token.expiration_ns <= self._clock.now_ns() + NS_PER_SECOND:
            token = self.token = await rest.request_access_token()
            self.logins += 1
            log.info("tradovate.logged_in", expires_in_s=self._remaining_s(token))
        return token

    def invalidate(self) -> None:
        self.token = None

    def renew_delay_s(self) -> float:
        token = self.token
        if token is None:
            return self._config.renew_min_interval_s
        lifetime = token.expiration_ns - token.received_ns
        margin = min(self._config.renew_margin_s * NS_PER_SECOND, lifetime / 2)
        delay = (token.expiration_ns - margin - self._clock.now_ns()) / NS_PER_SECOND
        return max(self._config.renew_min_interval_s, delay)

    async def keep_fresh(self, rest: TradovateRest) -> NoReturn:
        """Renew before expiry forever. A streaming socket stays usable while this works (or fails)."""
        while True:
            await self._sleep(self.renew_delay_s())
            token = self.token
            try:
                if token is None:
                    await self.current(rest)
                    continue
                try:
                    self.token = await rest.renew(token)
                    self.renewals += 1
                except TokenRejected:
                    self.token = await rest.request_access_token()
                    self.logins += 1
                self.last_problem = ""
                log.info("tradovate.token_renewed", expires_in_s=self._remaining_s(self.token))
            except (AuthFailure, RestUnavailable) as exc:
                self.last_problem = f"token renewal failed: {exc}"
                log.warning("tradovate.token_renewal_failed", reason=str(exc))
                if isinstance(exc, AuthFailure):  # a refused login must not be retried every few seconds
                    config = self._config
                    await self._sleep(config.captcha_wait_s if exc.captcha else config.auth_backoff_initial_s)

    def _remaining_s(self, token: AccessToken) -> float:
        return round((token.expiration_ns - self._clock.now_ns()) / NS_PER_SECOND, 1)
