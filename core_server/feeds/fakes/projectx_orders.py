"""A fake ProjectX Gateway for orders: REST order, position and trade controllers and the user hub, on a simulated
market (PROTOCOLS.md §2.3, §2.6).

`/api/Auth/loginKey`, `/api/Account/search`, `/api/Order/place` (with `stopLossBracket`/`takeProfitBracket` in
ticks from the fill; signed or unsigned, both accepted: the legs appear as separate orders once the entry fills),
`/api/Order/cancel|modify|searchOpen|search`, `/api/Position/searchOpen|closeContract`, `/api/Trade/search`, every
answer in the `{…, success, errorCode, errorMessage}` envelope; `/hubs/user` speaks the SignalR JSON protocol
(handshake, ping, invocation/completion) and pushes GatewayUserOrder, GatewayUserPosition, GatewayUserTrade and
GatewayUserAccount to subscribers, wrapped as `{"action": 1, "data": {…}}` (or bare: `wrapped=False`). The
`customTag` must be unique per account, as on the real gateway. Faults as the fake Tradovate's: `reject_next`,
`delay_ack`, `drop_after_send`, `duplicate_events`.

Sessions as on the gateway (PROTOCOLS.md §2.2): JWT-shaped tokens that expire after `token_lifetime_s`,
`/api/Auth/validate` trading a valid token for a fresh one (`refuse_validation`: success false, ValidateErrorCode 3),
and HTTP 401 for any call or hub connection with an expired token; `close_hub_on_token_expiry` closes a user hub
whose token has expired. `Order/search` and `Trade/search` filter on `startTimestamp` (and `endTimestamp`) by the
creation time, as the gateway does ("orders created in a time window, any status"); `seed_history` fills the book
with finished orders and trades from the past.

Run by hand: `make fake-projectx-broker` (`python -m core_server.feeds.fakes.projectx_orders --port 8769`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from core_server.feeds.fakes.broker_book import BrokerBook, FakeCash, FakeContract, FakeFill, FakeOrder, Rejected
from core_server.feeds.fakes.projectx_rest import FakeTokens, bearer

RS = "\x1e"
ACCOUNT_ID = 465
ACCOUNT_NAME = "TOPSTEP-50K-1"
USERNAME, API_KEY = "vigil-demo", "demo-api-key"
CONTRACTS = (
    FakeContract("CON.F.US.ENQ.Z26", 1, Decimal("0.25"), Decimal(20), Decimal(20000)),
    FakeContract("CON.F.US.MNQ.Z26", 2, Decimal("0.25"), Decimal(2), Decimal(2000)),
    FakeContract("CON.F.US.EP.Z26", 3, Decimal("0.25"), Decimal(50), Decimal(14000)),
)
TYPES = {1: "Limit", 2: "Market", 3: "StopLimit", 4: "Stop"}
TYPE_CODES = {v: k for k, v in TYPES.items()}
STATUS = {"Working": 1, "Filled": 2, "Canceled": 3, "Rejected": 5, "PendingNew": 6, "Suspended": 6}
ERRORS = {"SessionClosed": 5, "InvalidContract": 8, "OtherExecutionRelated": 2, "AccountClosed": 1}


def _num(value: Decimal | None) -> Any:
    return None if value is None else float(value)


def _iso() -> str:
    return datetime.now(UTC).isoformat()


def _price(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Rejected("InvalidPrice", f"{value!r} is not a price")
    return Decimal(str(value))


class _Hub:
    def __init__(self, ws: web.WebSocketResponse, transport: Any) -> None:
        self.ws = ws
        self.transport = transport
        self.subscribed: set[tuple[str, int]] = set()  # (Orders|Positions|Trades|Accounts, account id)
        self.outbox: list[str] = []  # records of the step under way, sent together in one frame

    def queue(self, message: dict[str, Any]) -> bool:
        """Add a record to the next frame; True when it starts it (the caller schedules `flush`)."""
        starts = not self.outbox
        self.outbox.append(json.dumps(message, separators=(",", ":")) + RS)
        return starts

    async def flush(self) -> None:
        records, self.outbox = self.outbox, []
        if records and not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str("".join(records))

    async def send(self, message: dict[str, Any]) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(json.dumps(message, separators=(",", ":")) + RS)


class FakeProjectXBroker:
    def __init__(
        self,
        *,
        cash: Decimal = Decimal(50000),
        wrapped: bool = True,
        token_lifetime_s: float = 24 * 3600.0,
        close_hub_on_token_expiry: bool = False,
    ) -> None:
        self.tokens = FakeTokens(token_lifetime_s)
        self.close_hub_on_token_expiry = close_hub_on_token_expiry
        self.refuse_validation = False
        self.logins = self.validations = self.refused_calls = 0
        self.requests: Counter[str] = Counter()  # REST path -> requests (every answer, 401s too)
        self.response_bytes: Counter[str] = Counter()  # REST path -> bytes of the answers' bodies
        self.hub_tokens: list[str] = []  # the token of every user-hub connection accepted, in order
        self._created: dict[tuple[str, int], datetime] = {}  # (order|fill, id) -> creation time
        self._updated: dict[int, datetime] = {}
        self.book = BrokerBook()
        for contract in CONTRACTS:
            self.book.add_contract(contract)
        self.book.add_account(ACCOUNT_ID, ACCOUNT_NAME, cash)
        self.book.listeners.append(self._on_change)
        self.wrapped = wrapped
        self.hubs: list[_Hub] = []
        self.order_requests = 0
        self.refuse_hubs = False  # new user-hub connections are refused (HTTP 503): the network is down for them
        self._delay_ack_s = 0.0
        self._drop_after_send = 0
        self._duplicates = 0
        self._runner: web.AppRunner | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.api_url = self.user_hub_url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/hubs/user", self._hub)
        app.router.add_post("/api/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)  # its lines carry hub tokens
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0][1]
        self.api_url = f"http://{host}:{bound}"
        self.user_hub_url = f"http://{host}:{bound}/hubs/user"

    async def close(self) -> None:
        for hub in list(self.hubs):
            await hub.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def env(self) -> dict[str, str]:
        return {
            "PROJECTX_USERNAME": USERNAME, "PROJECTX_API_KEY": API_KEY, "PROJECTX_API_URL": self.api_url,
            "PROJECTX_USER_HUB_URL": self.user_hub_url,
        }  # fmt: skip

    # ---- test controls -----------------------------------------------------------------------------

    async def drop_hubs(self) -> None:
        """Cut every user-hub connection (no close frame: the client sees the connection die)."""
        for hub in list(self.hubs):
            if hub.transport is not None:
                hub.transport.abort()
            await hub.ws.close()

    def seed_history(self, orders: int, *, days_ago: float = 3.0, symbol: str = CONTRACTS[0].symbol) -> None:
        """`orders` filled market orders (alternately bought and sold, so the account ends flat), each with its
        trade, created `days_ago` days back: the finished history a long-lived account accumulates."""
        then = datetime.now(UTC) - timedelta(days=days_ago)
        for number in range(orders):
            order = self.book.place(ACCOUNT_ID, symbol, "Buy" if number % 2 == 0 else "Sell", 1, "Market",
                                    cl_ord_id=f"history-{number}")  # fmt: skip
            at = then + timedelta(seconds=number)
            self._created[("order", order.id)] = self._updated[order.id] = at
            for fill in (f for f in self.book.fills if f.order_id == order.id):
                self._created[("fill", fill.id)] = at

    def backdate(self, order_id: int, *, days: float) -> None:
        """Make an order (and its trades) as old as a GTC order resting since `days` ago."""
        then = datetime.now(UTC) - timedelta(days=days)
        self._created[("order", order_id)] = then
        for fill in (f for f in self.book.fills if f.order_id == order_id):
            self._created[("fill", fill.id)] = then

    def set_market(self, contract_id: str, bid: Decimal | str, ask: Decimal | str) -> None:
        self.book.set_market(contract_id, Decimal(bid), Decimal(ask))

    def reject_next(self, reason: str = "OtherExecutionRelated", text: str = "Rejected by the test") -> None:
        self.book.reject_next(reason, text)

    def delay_ack(self, seconds: float) -> None:
        self._delay_ack_s = seconds

    def drop_after_send(self, times: int = 1) -> None:
        self._drop_after_send = times

    def duplicate_events(self, times: int = 1) -> None:
        self._duplicates = times

    # ---- REST --------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"].lower()
        try:
            body = json.loads(await request.text() or "{}")
        except ValueError:
            return web.Response(status=400, text="malformed JSON")
        body = body if isinstance(body, dict) else {}
        self.requests[path] += 1
        answer = await self._answer(request, path, body)
        if answer.body is not None and isinstance(answer.body, bytes):
            self.response_bytes[path] += len(answer.body)
        return answer

    async def _answer(self, request: web.Request, path: str, body: dict[str, Any]) -> web.Response:
        if path == "auth/loginkey":
            if (body.get("userName"), body.get("apiKey")) != (USERNAME, API_KEY):
                return _envelope(False, 3, "Invalid credentials", token=None)
            self.logins += 1
            return _envelope(True, token=self.tokens.issue(USERNAME))
        if not self.tokens.valid(bearer(request)):
            self.refused_calls += 1
            return web.Response(status=401, text="Error: response status is 401")
        if path == "auth/validate":
            if self.refuse_validation:
                return _envelope(False, 3, "Expired token", newToken=None)
            self.validations += 1
            return _envelope(True, newToken=self.tokens.issue(USERNAME))
        answer = self._handle(path, body)
        if path.startswith(("order/place", "order/cancel", "order/modify", "position/close")):
            self.order_requests += 1
            if self._delay_ack_s:
                await asyncio.sleep(self._delay_ack_s)
            if self._drop_after_send > 0:
                self._drop_after_send -= 1
                if request.transport is not None:
                    request.transport.abort()
                raise web.HTTPServiceUnavailable()
        return answer

    def _handle(self, path: str, body: dict[str, Any]) -> web.Response:
        book = self.book
        account_id = body.get("accountId")
        if path == "account/search":
            accounts = [{"id": a.id, "name": a.name, "balance": _num(a.cash.amount), "canTrade": True,
                         "isVisible": True, "simulated": True} for a in book.accounts.values()]  # fmt: skip
            return _envelope(True, accounts=accounts)
        if path == "contract/searchbyid":
            contract = book.contracts.get(str(body.get("contractId", "")).upper())
            if contract is None:
                return _envelope(False, 1, "Contract not found")
            tick = _num(contract.tick_size)
            return _envelope(True, contract={"id": contract.symbol, "name": contract.symbol, "tickSize": tick})
        if type(account_id) is not int or account_id not in book.accounts:
            return _envelope(False, 1, "Account not found")
        try:
            if path == "order/place":
                return self._place(account_id, body)
            if path == "order/cancel":
                book.cancel(_int(body.get("orderId")))
                return _envelope(True)
            if path == "order/modify":
                order = book.orders.get(_int(body.get("orderId")))
                if order is None:
                    return _envelope(False, 2, "Order not found")
                size = body["size"] if type(body.get("size")) is int else order.qty
                book.modify(order.id, size, _price(body.get("limitPrice")), _price(body.get("stopPrice")))
                return _envelope(True)
            if path == "position/closecontract":
                position = book.positions.get((account_id, str(body.get("contractId", ""))))
                if position is None or position.net == 0:
                    return _envelope(False, 2, "Position not found")
                book.liquidate(account_id, position.symbol)
                return _envelope(True)
        except Rejected as exc:
            return _envelope(False, ERRORS.get(exc.reason, 2), exc.text)
        if path == "order/searchopen":
            orders = [self._order(o) for o in book.open_orders(account_id) if o.status != "Suspended"]
            return _envelope(True, orders=orders)
        if path == "order/search":
            window = _window(body)
            mine = [o for o in book.orders.values() if o.account_id == account_id]
            return _envelope(True, orders=[self._order(o) for o in mine if window(self._created_at("order", o.id))])
        if path == "position/searchopen":
            positions = [self._position(p) for (a, _), p in book.positions.items() if a == account_id and p.net]
            return _envelope(True, positions=positions)
        if path == "trade/search":
            window = _window(body)
            fills = [f for f in book.fills if f.account_id == account_id and window(self._created_at("fill", f.id))]
            return _envelope(True, trades=[self._trade(f) for f in fills])
        return web.Response(status=404, text=f"no {path}")

    def _place(self, account_id: int, body: dict[str, Any]) -> web.Response:
        book = self.book
        tag = body.get("customTag")
        if tag and book.used_client_id(account_id, str(tag)):
            return _envelope(False, 2, f"customTag {tag} is already used on this account")
        kind = TYPES.get(body["type"]) if type(body.get("type")) is int else None
        side = body.get("side")
        if kind is None or side not in (0, 1):
            return _envelope(False, 2, "type must be 1, 2, 3 or 4 and side 0 or 1")
        action = "Buy" if side == 0 else "Sell"
        order = book.place(
            account_id, str(body.get("contractId", "")), action, _int(body.get("size")), kind,
            _price(body.get("limitPrice")), _price(body.get("stopPrice")), str(tag or ""),
        )  # fmt: skip
        exit_action = "Sell" if action == "Buy" else "Buy"
        legs = []
        for key, leg_kind in (("takeProfitBracket", "Limit"), ("stopLossBracket", "Stop")):
            leg = body.get(key)
            if isinstance(leg, dict) and type(leg.get("ticks")) is int and leg["ticks"]:
                legs.append(book.place(account_id, order.symbol, exit_action, order.qty, leg_kind, parent_id=order.id,
                                       offset_ticks=abs(leg["ticks"])))  # fmt: skip
        if len(legs) == 2:
            oco = book.next_id()
            for leg_order in legs:
                leg_order.oco_id = oco
        if order.status == "Filled" and legs:
            book._after_fill(order, 0)
        return _envelope(True, orderId=order.id)

    # ---- wire shapes and the user hub --------------------------------------------------------------

    def _order(self, o: FakeOrder) -> dict[str, Any]:
        return {
            "id": o.id, "accountId": o.account_id, "contractId": o.symbol,
            "creationTimestamp": self._created_at("order", o.id).isoformat(),
            "updateTimestamp": self._updated.get(o.id, self._created_at("order", o.id)).isoformat(),
            "status": STATUS.get(o.status, 0), "type": TYPE_CODES.get(o.order_type, 0),
            "side": 0 if o.action == "Buy" else 1, "size": o.qty, "limitPrice": _num(o.price),
            "stopPrice": _num(o.stop_price), "fillVolume": o.filled, "filledPrice": _num(o.avg_price),
            "customTag": o.cl_ord_id or None,
        }  # fmt: skip

    def _position(self, p: Any) -> dict[str, Any]:
        return {"id": p.id, "accountId": p.account_id, "contractId": p.symbol, "creationTimestamp": _iso(),
                "type": 1 if p.net > 0 else 2 if p.net < 0 else 0, "size": abs(p.net),
                "averagePrice": _num(p.net_price)}  # fmt: skip

    def _trade(self, f: FakeFill) -> dict[str, Any]:
        return {"id": f.id, "accountId": f.account_id, "contractId": f.symbol,
                "creationTimestamp": self._created_at("fill", f.id).isoformat(),
                "price": _num(f.price), "profitAndLoss": _num(f.realized) if f.realized else None, "fees": 0,
                "side": 0 if f.action == "Buy" else 1, "size": f.qty, "voided": False,
                "orderId": f.order_id}  # fmt: skip

    def _account(self, cash: FakeCash) -> dict[str, Any]:
        account = self.book.accounts[cash.account_id]
        return {"id": account.id, "name": account.name, "balance": _num(cash.amount), "canTrade": True,
                "isVisible": True, "simulated": True}  # fmt: skip

    def _created_at(self, kind: str, item_id: int) -> datetime:
        return self._created.setdefault((kind, item_id), datetime.now(UTC))

    def _on_change(self, kind: str, item: Any) -> None:
        if kind in ("order", "fill"):
            self._created_at(kind, item.id)
        if kind == "order":
            self._updated[item.id] = datetime.now(UTC)
        if kind == "order" and item.status == "Suspended":
            return  # bracket legs appear once their entry fills
        if kind == "order":
            target, group, data = "GatewayUserOrder", "Orders", self._order(item)
        elif kind == "fill":
            target, group, data = "GatewayUserTrade", "Trades", self._trade(item)
        elif kind == "position":
            target, group, data = "GatewayUserPosition", "Positions", self._position(item)
        else:
            target, group, data = "GatewayUserAccount", "Accounts", self._account(item)
        argument = {"action": 1, "data": data} if self.wrapped else data
        message = {"type": 1, "target": target, "arguments": [argument]}
        times = 1
        if self._duplicates > 0:
            self._duplicates -= 1
            times = 2
        for hub in self.hubs:
            if (group, item.account_id) in hub.subscribed or (
                group == "Accounts" and ("Accounts", 0) in hub.subscribed
            ):
                for _ in range(times):  # records of one step share a frame (SignalR separates them by RS)
                    if hub.queue(message):
                        self._spawn(hub.flush())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _hub(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=1 << 20)
        if self.refuse_hubs:
            return web.Response(status=503)  # type: ignore[return-value]
        token = request.query.get("access_token") or bearer(request)
        if token is None or not self.tokens.valid(token):
            return web.Response(status=401)  # type: ignore[return-value]
        await ws.prepare(request)
        hub = _Hub(ws, request.transport)
        self.hubs.append(hub)
        self.hub_tokens.append(token)
        watcher = asyncio.create_task(self._close_on_expiry(hub, token))
        shaken = False
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                for record in message.data.split(RS):
                    if not record:
                        continue
                    data = json.loads(record)
                    if not shaken:
                        shaken = True
                        await ws.send_str("{}" + RS)
                        continue
                    if data.get("type") == 1:
                        await self._invoke(hub, data)
        finally:
            watcher.cancel()
            self.hubs.remove(hub)
        return ws

    async def _close_on_expiry(self, hub: _Hub, token: str) -> None:
        """The gateway ends a hub connection whose token expired; the client reconnects with a fresh one."""
        while not hub.ws.closed:
            await asyncio.sleep(0.05)
            if self.close_hub_on_token_expiry and not self.tokens.valid(token):
                await hub.send({"type": 7, "error": "Token expired.", "allowReconnect": True})
                await hub.ws.close()
                return

    async def _invoke(self, hub: _Hub, data: dict[str, Any]) -> None:
        target = str(data.get("target", ""))
        arguments = data.get("arguments") or []
        group = target.removeprefix("Subscribe").removeprefix("Unsubscribe")
        account = arguments[0] if arguments and type(arguments[0]) is int else 0
        if target.startswith("Subscribe"):
            hub.subscribed.add((group, account))
        elif target.startswith("Unsubscribe"):
            hub.subscribed.discard((group, account))
        if "invocationId" in data:
            await hub.send({"type": 3, "invocationId": data["invocationId"]})


def _window(body: dict[str, Any]) -> Any:
    """Whether a creation time falls in the request's [startTimestamp, endTimestamp] (both optional here)."""
    bounds = []
    for key in ("startTimestamp", "endTimestamp"):
        raw = body.get(key)
        bounds.append(datetime.fromisoformat(raw.replace("Z", "+00:00")) if isinstance(raw, str) and raw else None)
    start, end = bounds
    return lambda at: (start is None or at >= start) and (end is None or at <= end)


def _envelope(success: bool, code: int = 0, message: str | None = None, **fields: Any) -> web.Response:
    return web.json_response({**fields, "success": success, "errorCode": code, "errorMessage": message})


def _int(value: Any) -> int:
    if type(value) is int:
        return value
    raise Rejected("UnknownReason", f"{value!r} is not an integer")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m core_server.feeds.fakes.projectx_orders", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8769)
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.host, args.port))


async def _serve(host: str, port: int) -> None:
    server = FakeProjectXBroker()
    await server.start(host, port)
    for key, value in server.env().items():
        print(f"export {key}={value}")
    print(f"# fake ProjectX gateway (orders) on {server.api_url}; account {ACCOUNT_ID}; Ctrl-C stops it", flush=True)
    walk = random.Random(7)
    mids = {c.symbol: Decimal(25000) if "NQ" in c.symbol else Decimal(6800) for c in CONTRACTS}
    try:
        while True:
            await asyncio.sleep(0.5)
            for symbol, mid in mids.items():
                mids[symbol] = mid + Decimal("0.25") * walk.choice((-1, 0, 1))
                server.set_market(symbol, mids[symbol] - Decimal("0.25"), mids[symbol])
    finally:
        await server.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
