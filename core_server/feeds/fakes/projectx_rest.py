"""The fake ProjectX Gateway's REST side: JWT-shaped tokens, Auth, Contract/search and History/retrieveBars.

Answers as PROTOCOLS.md §2.2-2.3 describe: POST JSON, an envelope with success/errorCode/errorMessage
(HTTP 200 even for refusals), plain-text HTTP 401 for a missing or expired bearer token, bars newest
first with `+00:00` stamps and 9-decimal prices written from exact decimal text.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from core_server.feeds.fakes.market_script import MarketScript
from core_server.model.clock import NS_PER_SECOND, datetime_from_ns, ns_from_datetime
from core_server.model.instruments import Contract

UNIT_NS = {1: NS_PER_SECOND, 2: 60 * NS_PER_SECOND, 3: 3600 * NS_PER_SECOND, 4: 86400 * NS_PER_SECOND}
UNIT_NS[5] = 7 * UNIT_NS[4]
REST_PATHS = (
    "Auth/loginKey",
    "Auth/validate",
    "Auth/logout",
    "Contract/search",
    "Contract/searchById",
    "History/retrieveBars",
)


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else None


class FakeTokens:
    """Issued tokens and their expiry (wall-clock epoch seconds, as a JWT `exp` is)."""

    def __init__(self, lifetime_s: float) -> None:
        self.lifetime_s = lifetime_s
        self.expiry: dict[str, float] = {}
        self._serial = itertools.count(1)

    def issue(self, username: str) -> str:
        serial = next(self._serial)
        exp = time.time() + self.lifetime_s
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
        claims = json.dumps({"sub": username, "exp": round(exp, 3), "jti": serial}).encode()
        body = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
        token = f"{header}.{body}.fakesig{serial:06d}"
        self.expiry[token] = exp
        return token

    def valid(self, token: str | None) -> bool:
        return token is not None and self.expiry.get(token, 0.0) > time.time()

    def expire_all(self) -> None:
        now = time.time()
        for token, exp in self.expiry.items():
            self.expiry[token] = min(exp, now)


class FakeGatewayRest:
    """The REST controllers; `now_ns` and `complete` tell which bars exist yet."""

    def __init__(
        self,
        script: MarketScript,
        tokens: FakeTokens,
        calls: Counter[str],
        *,
        username: str,
        api_key: str,
        now_ns: Callable[[], int],
        complete: Callable[[], bool],
    ) -> None:
        self.script = script
        self.tokens = tokens
        self.calls = calls
        self.username = username
        self.api_key = api_key
        self.reject_logins = False
        self.fail_bars = False  # History/retrieveBars answers HTTP 500
        self.history_from_ns: int | None = None  # no bars before this instant (a short history)
        self.bars_cap: int | None = None  # at most this many bars per retrieveBars, whatever `limit` asks
        self.bar_requests = 0
        self._now_ns = now_ns
        self._complete = complete
        self._contracts = {c.projectx_id: c for c in script.contracts}

    def add_routes(self, app: web.Application) -> None:
        for path in REST_PATHS:
            app.router.add_post(f"/api/{path}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        path = request.path
        self.calls[path] += 1
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return web.Response(status=400, text="invalid JSON")
        if path == "/api/Auth/loginKey":
            if self.reject_logins or body.get("userName") != self.username or body.get("apiKey") != self.api_key:
                return _envelope(token=None, success=False, errorCode=3, errorMessage=None)
            return _envelope(token=self.tokens.issue(self.username))
        if not self.tokens.valid(bearer(request)):
            return web.Response(status=401, text="Error: response status is 401")
        if path == "/api/Auth/validate":
            return _envelope(newToken=self.tokens.issue(self.username))
        if path == "/api/Auth/logout":
            return _envelope()
        if path in ("/api/Contract/search", "/api/Contract/searchById"):
            return self._contracts_reply(path, body)
        return self._bars_reply(body)

    def _contract_model(self, contract: Contract) -> str:
        spec = contract.spec
        px = contract.projectx_id
        return (
            f'{{"id":"{px}","name":"{spec.projectx_code}{contract.month_code}{contract.year % 100:02d}",'
            f'"description":"{spec.description}","tickSize":{spec.tick_size},"tickValue":{spec.tick_value},'
            f'"activeContract":true,"symbolId":"{px[4:-4]}"}}'
        )

    def _contracts_reply(self, path: str, body: dict[str, Any]) -> web.Response:
        if path.endswith("searchById"):
            contract = self._contracts.get(str(body.get("contractId")))
            if contract is None:
                return _raw('{"contract":null,"success":false,"errorCode":1,"errorMessage":null}')
            return _raw(
                f'{{"contract":{self._contract_model(contract)},"success":true,"errorCode":0,"errorMessage":null}}'
            )
        text = str(body.get("searchText", "")).upper()
        found = [c for c in self.script.contracts if text in c.projectx_id or text in c.root]
        models = ",".join(self._contract_model(c) for c in found[:20])
        return _raw(f'{{"contracts":[{models}],"success":true,"errorCode":0,"errorMessage":null}}')

    def _bars_reply(self, body: dict[str, Any]) -> web.Response:
        if self.fail_bars:
            return web.Response(status=500, text="Internal Server Error")
        required = ("contractId", "live", "startTime", "endTime", "unit", "unitNumber", "limit", "includePartialBar")
        if any(k not in body for k in required):
            return web.Response(status=400, text="One or more validation errors occurred.")
        contract = self._contracts.get(str(body["contractId"]))
        if contract is None:
            return _envelope(bars=None, success=False, errorCode=1, errorMessage="Contract not found")
        unit_ns = UNIT_NS.get(int(body["unit"]))
        if unit_ns is None:
            return _envelope(bars=None, success=False, errorCode=2, errorMessage="Unit invalid")
        if int(body["unitNumber"]) < 1:
            return _envelope(bars=None, success=False, errorCode=3, errorMessage="Unit number invalid")
        if int(body["limit"]) < 1:
            return _envelope(bars=None, success=False, errorCode=4, errorMessage="Limit invalid")
        unit_ns *= int(body["unitNumber"])
        start = ns_from_datetime(datetime.fromisoformat(body["startTime"]))
        end = ns_from_datetime(datetime.fromisoformat(body["endTime"]))
        now = self._now_ns()
        if self.history_from_ns is not None:
            start = max(start, self.history_from_ns)
        rows = self.script.bars(contract.id, start, end, unit_ns, now)
        if not body["includePartialBar"]:
            complete = self._complete()  # a finished test market has no forming bar
            rows = [r for r in rows if complete or r.start_ns + unit_ns <= now]
        limit = int(body["limit"]) if self.bars_cap is None else min(int(body["limit"]), self.bars_cap)
        rows = rows[::-1][:limit]  # newest first
        self.bar_requests += 1
        fmt = contract.spec.price_from_ticks
        bars = ",".join(
            f'{{"t":"{datetime_from_ns(r.start_ns).strftime("%Y-%m-%dT%H:%M:%S")}+00:00","o":{fmt(r.open):.9f},'
            f'"h":{fmt(r.high):.9f},"l":{fmt(r.low):.9f},"c":{fmt(r.close):.9f},"v":{r.volume}}}'
            for r in rows
        )
        return _raw(f'{{"bars":[{bars}],"success":true,"errorCode":0,"errorMessage":null}}')


def _raw(text: str) -> web.Response:
    return web.Response(text=text, content_type="application/json")


def _envelope(**fields: Any) -> web.Response:
    reply = {"success": True, "errorCode": 0, "errorMessage": None} | fields
    return web.json_response(reply)
