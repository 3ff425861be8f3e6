"""ProjectX Gateway REST calls (aiohttp): loginKey, validate, Contract/search, History/retrieveBars.

Every call is `POST /api/<Controller>/<action>` with JSON and a bearer token; a 200 answer can
still carry `success: false`, so the envelope is always checked. Responses decode with msgspec into
exact Decimals. Tokens and keys are passed in, never kept or logged here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
import msgspec

from core_server.model.clock import datetime_from_ns

LOGIN_ERRORS = {
    1: "UserNotFound",
    2: "PasswordVerificationFailed",
    3: "InvalidCredentials",
    4: "AppNotFound",
    5: "AppVerificationFailed",
    6: "InvalidDevice",
    7: "AgreementsNotSigned",
    8: "UnknownError",
    9: "ApiSubscriptionNotFound",
    10: "ApiKeyAuthenticationDisabled",
}
BAR_ERRORS = {1: "ContractNotFound", 2: "UnitInvalid", 3: "UnitNumberInvalid", 4: "LimitInvalid"}
UNIT_SECOND = 1  # AggregateBarUnit: 1 Second, 2 Minute, 3 Hour, 4 Day, 5 Week, 6 Month


class ProjectXError(Exception):
    """Base of the adapter's REST failures. Messages never contain a token or key."""


class AuthRejected(ProjectXError):
    """The gateway refused the credentials: retrying soon will not help."""


class TokenRejected(ProjectXError):
    """A call was refused for its token (expired or revoked): log in again."""


class GatewayUnavailable(ProjectXError):
    """Network error, timeout, 5xx, 429 or an unreadable answer: retry with backoff."""


class RequestRejected(ProjectXError):
    """The gateway answered `success: false` to a well-formed call."""

    def __init__(self, message: str, error_code: int) -> None:
        super().__init__(message)
        self.error_code = error_code


class _Envelope(msgspec.Struct):
    success: bool = False
    errorCode: int = 0
    errorMessage: str | None = None


class _LoginResponse(_Envelope):
    token: str | None = None


class _ValidateResponse(_Envelope):
    newToken: str | None = None


class ContractModel(msgspec.Struct):
    id: str
    name: str = ""
    description: str = ""
    tickSize: Decimal | None = None
    tickValue: Decimal | None = None
    activeContract: bool = False
    symbolId: str | None = None


class _ContractsResponse(_Envelope):
    contracts: list[ContractModel] | None = None


class BarModel(msgspec.Struct):
    t: str
    o: Decimal
    h: Decimal
    l: Decimal  # noqa: E741 - wire name
    c: Decimal
    v: int


class _BarsResponse(_Envelope):
    bars: list[BarModel] | None = None


_R = TypeVar("_R", bound=_Envelope)


def iso_utc(ts_ns: int) -> str:
    """The gateway's request time format (UTC, `Z`)."""
    return datetime_from_ns(ts_ns).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(slots=True)
class ProjectXRest:
    """Thin typed client over one aiohttp session (the caller owns the session)."""

    session: aiohttp.ClientSession
    base_url: str
    live: bool = False
    timeout_s: float = 15.0

    async def login_key(self, username: str, api_key: str) -> str:
        try:
            reply = await self._post(
                "/api/Auth/loginKey", {"userName": username, "apiKey": api_key}, None, _LoginResponse
            )
        except TokenRejected:
            raise AuthRejected("loginKey refused with HTTP 401: check PROJECTX_USERNAME and PROJECTX_API_KEY") from None
        if not reply.success or not reply.token:
            reason = LOGIN_ERRORS.get(reply.errorCode, f"errorCode {reply.errorCode}")
            hint = "check PROJECTX_USERNAME and PROJECTX_API_KEY"
            raise AuthRejected(f"loginKey rejected: {reason} (errorCode {reply.errorCode}); {hint}")
        return reply.token

    async def validate(self, token: str) -> str | None:
        """A fresh token for `token`, or None when the gateway confirms the session without one."""
        reply = await self._post("/api/Auth/validate", None, token, _ValidateResponse)
        if not reply.success:
            raise TokenRejected(f"validate refused (errorCode {reply.errorCode})")
        return reply.newToken or None

    async def search_contracts(self, token: str, text: str) -> list[ContractModel]:
        body = {"searchText": text, "live": self.live}
        reply = await self._post("/api/Contract/search", body, token, _ContractsResponse)
        if not reply.success:
            raise RequestRejected(
                f"Contract/search {text!r} failed: {reply.errorMessage or reply.errorCode}", reply.errorCode
            )
        return reply.contracts or []

    async def retrieve_bars(
        self, token: str, contract_id: str, start_ns: int, end_ns: int, *, unit: int = UNIT_SECOND, limit: int
    ) -> list[BarModel]:
        body = {
            "contractId": contract_id,
            "live": self.live,
            "startTime": iso_utc(start_ns),
            "endTime": iso_utc(end_ns),
            "unit": unit,
            "unitNumber": 1,
            "limit": limit,
            "includePartialBar": False,
        }
        reply = await self._post("/api/History/retrieveBars", body, token, _BarsResponse)
        if not reply.success:
            reason = BAR_ERRORS.get(reply.errorCode, reply.errorMessage or f"errorCode {reply.errorCode}")
            raise RequestRejected(f"History/retrieveBars failed: {reason}", reply.errorCode)
        return reply.bars or []

    async def _post(self, path: str, body: Any, token: str | None, kind: type[_R]) -> _R:
        headers = {"accept": "text/plain", "Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = b"" if body is None else msgspec.json.encode(body)
        try:
            async with self.session.post(
                self.base_url + path, data=data, headers=headers, timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            ) as response:
                status = response.status
                payload = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise GatewayUnavailable(f"{path}: {type(exc).__name__}") from None
        if status in (401, 403):
            raise TokenRejected(f"{path}: HTTP {status}")
        if status != 200:
            raise GatewayUnavailable(f"{path}: HTTP {status}")
        try:
            return msgspec.json.decode(payload, type=kind)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise GatewayUnavailable(f"{path}: unreadable answer ({exc})") from None
