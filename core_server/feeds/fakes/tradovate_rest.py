"""The fake Tradovate REST side: logins (errorText, time penalties), tokens, renewal and contract lookup."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from core_server.feeds.fakes.tradovate_md import iso_ms
from core_server.feeds.fakes.tradovate_script import TickScript

INCORRECT_LOGIN = "Incorrect username or password. Please try again, noting that passwords are case-sensitive."


@dataclass(frozen=True)
class FakeCredentials:
    name: str = "vigil-demo"
    password: str = "demo-password"
    app_id: str = "Vigil"
    app_version: str = "1.0"
    cid: str = "8"
    sec: str = "demo-secret"

    def env(self, rest_url: str, md_url: str) -> dict[str, str]:
        """The TRADOVATE_* variables that point the adapter at the fake."""
        return {
            "TRADOVATE_USERNAME": self.name,
            "TRADOVATE_PASSWORD": self.password,
            "TRADOVATE_APP_ID": self.app_id,
            "TRADOVATE_APP_VERSION": self.app_version,
            "TRADOVATE_CID": self.cid,
            "TRADOVATE_SECRET": self.sec,
            "TRADOVATE_ENV": "demo",
            "TRADOVATE_REST_URL": rest_url,
            "TRADOVATE_MD_URL": md_url,
        }


@dataclass
class FakeCounters:
    logins: int = 0
    login_rejections: int = 0
    penalties: int = 0
    penalty_retries: int = 0  # resent with the p-ticket after p-time
    early_penalty_retries: int = 0  # resent before p-time had passed
    renewals: int = 0
    renewal_rejections: int = 0
    contract_lookups: int = 0
    md_connections: int = 0
    authorizations: int = 0
    authorization_refusals: int = 0
    subscriptions: int = 0
    charts: int = 0
    chart_cancels: int = 0
    client_heartbeats: int = 0
    bad_requests: int = 0


class FakeAuth:
    """Credentials, tokens and the login misbehaviours tests ask for."""

    def __init__(
        self,
        credentials: FakeCredentials,
        counters: FakeCounters,
        token_lifetime_s: float,
        renew_returns_md_token: bool,
    ) -> None:
        self.credentials = credentials
        self.counters = counters
        self.token_lifetime_s = token_lifetime_s
        self.renew_returns_md_token = renew_returns_md_token
        self._tokens: dict[str, float] = {}  # token -> loop-time expiry
        self.issued: list[str] = []  # every token handed out (tests scan logs for them)
        self._numbers = itertools.count(1)
        self._penalty: dict[str, Any] = {}
        self._penalties_left = 0
        self.login_error: str | None = None

    def penalize(self, times: int, p_time: float, captcha: bool) -> None:
        self._penalties_left = times
        self._penalty = {"p-time": p_time, "p-captcha": captcha}

    def expire_all(self) -> None:
        for token in self._tokens:
            self._tokens[token] = 0.0

    def valid(self, token: str) -> bool:
        expiry = self._tokens.get(token)
        return expiry is not None and expiry > asyncio.get_running_loop().time()

    def authorize(self, token: str) -> bool:
        if len(token) >= 2 and token[0] == token[-1] == '"':
            token = token[1:-1]  # the official helper sends the token JSON-quoted, the tutorials raw
        ok = self.valid(token)
        if ok:
            self.counters.authorizations += 1
        else:
            self.counters.authorization_refusals += 1
        return ok

    def login(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            return {"errorText": "Malformed request body"}
        if self._penalties_left > 0:
            ticket = body.get("p-ticket")
            if ticket is not None and ticket == self._penalty.get("ticket"):
                if time.monotonic() - self._penalty["issued_at"] < self._penalty["p-time"]:
                    self.counters.early_penalty_retries += 1
                else:
                    self.counters.penalty_retries += 1
                    self._penalties_left -= 1
                    del self._penalty["ticket"]
                    return self._check(body)
            self.counters.penalties += 1
            self._penalty["ticket"] = f"ticket-{next(self._numbers)}"
            self._penalty["issued_at"] = time.monotonic()
            reply = {"p-ticket": self._penalty["ticket"], "p-time": self._penalty["p-time"]}
            if self._penalty["p-captcha"]:
                reply["p-captcha"] = True
            return reply
        return self._check(body)

    def _check(self, body: dict[str, Any]) -> dict[str, Any]:
        cred = self.credentials
        if self.login_error is not None:
            self.counters.login_rejections += 1
            return {"errorText": self.login_error}
        # cid is typed string in the OpenAPI but sent as a number by the samples: accept both.
        given = (body.get("name"), body.get("password"), body.get("sec"), str(body.get("cid")))
        if given != (cred.name, cred.password, cred.sec, cred.cid):
            self.counters.login_rejections += 1
            return {"errorText": INCORRECT_LOGIN}
        self.counters.logins += 1
        return self.issue(md=True)

    def issue(self, md: bool) -> dict[str, Any]:
        number = next(self._numbers)
        expiry = asyncio.get_running_loop().time() + self.token_lifetime_s
        access, md_token = f"fake-access-{number}", f"fake-md-{number}"
        self._tokens[access] = expiry
        self.issued.append(access)
        reply: dict[str, Any] = {
            "accessToken": access,
            "expirationTime": iso_ms(int((time.time() + self.token_lifetime_s) * 1000)),
            "userStatus": "Active",
            "userId": 15460,
            "name": self.credentials.name,
            "hasLive": False,
        }
        if md:
            self._tokens[md_token] = expiry
            self.issued.append(md_token)
            reply["mdAccessToken"] = md_token
        return reply


async def handle_rest(request: web.Request, auth: FakeAuth, scripts: Mapping[str, TickScript]) -> web.Response:
    """`/v1/<entity>/<op>`, case-insensitive; a bad bearer is 401, an unknown entity 404."""
    path = request.match_info["tail"].lower().strip("/")
    counters = auth.counters
    body: Any = None
    if request.can_read_body:
        try:
            body = json.loads(await request.text())
        except ValueError:
            return web.json_response({"errorText": "Malformed request body"}, status=400)
    if path == "auth/accesstokenrequest":
        return web.json_response(auth.login(body))
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not auth.valid(token):
        if path == "auth/renewaccesstoken":
            counters.renewal_rejections += 1
        return web.json_response({"errorText": "Access is denied"}, status=401)
    if path == "auth/renewaccesstoken":
        counters.renewals += 1
        return web.json_response(auth.issue(md=auth.renew_returns_md_token))
    by_id = {script.contract_id: script for script in scripts.values()}
    if path == "contract/find":
        counters.contract_lookups += 1
        found = scripts.get(request.query.get("name", "").upper())
        return web.json_response(contract_entity(found)) if found else web.Response(status=404)
    if path == "contract/item":
        query_id = request.query.get("id", "")
        found = by_id.get(int(query_id)) if query_id.isdigit() else None
        return web.json_response(contract_entity(found)) if found else web.Response(status=404)
    if path == "contract/suggest":
        text, limit = request.query.get("t", "").upper(), request.query.get("l", "10")
        matches = [contract_entity(s) for name, s in scripts.items() if name.startswith(text)]
        return web.json_response(matches[: int(limit) if limit.isdigit() else 10])
    if path == "product/find":
        root = request.query.get("name", "").upper()
        found = next((s for s in scripts.values() if s.name[:-2] == root), None)
        return web.json_response(product_entity(root, found)) if found else web.Response(status=404)
    return web.json_response({"errorText": f"Not found: {path}"}, status=404)


def product_entity(root: str, script: TickScript) -> dict[str, Any]:
    return {
        "id": 800 + sum(map(ord, root)),
        "name": root,
        "productType": "Futures",
        "status": "Verified",
        "months": "HMUZ",
        "priceFormatType": "Decimal",
        "tickSize": float(script.tick_size),
    }


def contract_entity(script: TickScript) -> dict[str, Any]:
    return {
        "id": script.contract_id,
        "name": script.name,
        "contractMaturityId": script.contract_id // 10 + 1,
        "status": "DefinitionChecked",
        "providerTickSize": float(script.tick_size),
    }
