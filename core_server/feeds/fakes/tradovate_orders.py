"""A fake Tradovate trading server: order REST ops and the trading socket's `user/syncrequest` on a simulated market.

One aiohttp server serves `/v1/auth/*` (the fake's logins), `/v1/order/<op>` (placeorder, placeoso, placeoco,
modifyorder, cancelorder, liquidateposition, list, item), `/v1/position/list`, `/v1/fill/list`,
`/v1/cashBalance/list|getcashbalancesnapshot`, `/v1/account/list`, `/v1/command/list`, `/v1/contract/find`, the
entity system's `order/items?ids=`, `command/ldeps?masterids=`, `orderVersion/ldeps?masterids=` (also `list` and
`deps`) and `fill/ldeps?masterids=` (the commands, versions and fills of the given orders; PROTOCOLS.md §1.2) and the
trading socket `/v1/websocket` (the same requests over the socket, plus `user/syncrequest`, whose `props` events
report every order, orderVersion, fill, position and cash change; PROTOCOLS.md §1.5, §1.8). An order entity holds
what Tradovate's does: ids, action and status; its quantity, type and prices are its orderVersion's. Business
errors are HTTP 200 with `failureReason`/`failureText`. The market moves only when a test calls `set_market` (or,
by hand, when it follows the market-data fake). Scriptable faults: `reject_next`, `delay_ack`, `drop_after_send`,
`duplicate_events`. `requests` and `response_bytes` count the REST traffic per path; `seed_history` adds a long
finished history.

Run by hand: `make fake-tradovate-broker` (`python -m core_server.feeds.fakes.tradovate_orders --port 8768`) prints
the environment to use; it runs beside `make fake-tradovate` (same demo credentials, its own REST host).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from core_server.feeds.fakes.broker_book import (
    BrokerBook,
    FakeCash,
    FakeContract,
    FakeFill,
    FakeOrder,
    FakePosition,
    Rejected,
)
from core_server.feeds.fakes.tradovate_md import iso_ms
from core_server.feeds.fakes.tradovate_rest import FakeAuth, FakeCounters, FakeCredentials

DEFAULT_ACCOUNT_ID = 25
DEFAULT_ACCOUNT = "DEMO12345"
DEFAULT_CONTRACTS = (
    FakeContract("NQZ6", 3570918, Decimal("0.25"), Decimal(20), Decimal(20000)),
    FakeContract("ESZ6", 3570919, Decimal("0.25"), Decimal(50), Decimal(14000)),
    FakeContract("MNQZ6", 3570920, Decimal("0.25"), Decimal(2), Decimal(2000)),
)


def _num(value: Decimal | None) -> Any:
    return None if value is None else float(value)


def _price(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise Rejected("InvalidPrice", f"{value!r} is not a price")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise Rejected("InvalidPrice", f"{value!r} is not a price") from None


class _Socket:
    def __init__(self, ws: web.WebSocketResponse, transport: Any) -> None:
        self.ws = ws
        self.transport = transport
        self.authorized = False
        self.synced: set[int] = set()  # accounts whose props events this socket receives
        self.outbox: list[Any] = []  # events of the step under way, sent together in one frame

    def queue(self, messages: list[Any]) -> bool:
        """Add events to the next frame; True when they start it (the caller schedules `flush`)."""
        starts = not self.outbox
        self.outbox.extend(messages)
        return starts

    async def flush(self) -> None:
        messages, self.outbox = self.outbox, []
        if messages:
            await self.send(messages)

    async def send(self, messages: list[Any]) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str("a" + json.dumps(messages, separators=(",", ":")))


class FakeTradovateBroker:
    def __init__(
        self,
        *,
        credentials: FakeCredentials | None = None,
        contracts: Sequence[FakeContract] = DEFAULT_CONTRACTS,
        cash: Decimal = Decimal(50000),
        heartbeat_s: float = 2.5,
        token_lifetime_s: float = 4800.0,
    ) -> None:
        """`token_lifetime_s`: how long an access token is accepted (Tradovate's is 80-90 minutes; tests make it
        seconds, so a session that does not renew in time is refused exactly as the real one is: HTTP 401 on every
        REST call and on a renewal, 401 on a new socket's authorize; an open socket stays usable)."""
        self.counters = FakeCounters()
        self.auth = FakeAuth(credentials or FakeCredentials(), self.counters, token_lifetime_s, False)
        self.book = BrokerBook()
        for contract in contracts:
            self.book.add_contract(contract)
        self.book.add_account(DEFAULT_ACCOUNT_ID, DEFAULT_ACCOUNT, cash)
        self.book.listeners.append(self._on_change)
        self.heartbeat_s = heartbeat_s
        self.sockets: list[_Socket] = []
        self.commands: list[dict[str, Any]] = []  # every New command: clOrdId -> orderId lookups after a lost ack
        self.order_requests = 0  # order ops received (any)
        self._versions: dict[int, tuple[tuple[object, ...], int]] = {}  # order id -> (its terms, their version id)
        self._sent_versions: dict[int, int] = {}  # order id -> the version id its last event carried
        self._version_ids = itertools.count(50_000_001)  # apart from the book's ids, which tests compare across fakes
        self.requests: Counter[str] = Counter()  # REST path -> requests answered (401s too)
        self.response_bytes: Counter[str] = Counter()  # REST path -> bytes of the answers' bodies
        self.refuse_sockets = False  # new trading sockets are refused (HTTP 503): the network is down for them
        self._delay_ack_s = 0.0
        self._drop_after_send = 0
        self._duplicates = 0
        self._runner: web.AppRunner | None = None
        self._heartbeats: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.rest_url = self.trading_url = ""

    # ---- lifecycle ---------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/v1/websocket", self._socket)
        app.router.add_route("*", "/v1/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0][1]
        self.rest_url = f"http://{host}:{bound}/v1"
        self.trading_url = f"ws://{host}:{bound}/v1/websocket"
        self._heartbeats = asyncio.create_task(self._heartbeat_loop())

    async def close(self) -> None:
        if self._heartbeats is not None:
            self._heartbeats.cancel()
            await asyncio.gather(self._heartbeats, return_exceptions=True)
        await self.drop_sockets()
        if self._runner is not None:
            await self._runner.cleanup()

    async def sent(self) -> None:
        """Until every event broadcast so far has been written to the sockets."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def env(self) -> dict[str, str]:
        """The TRADOVATE_* variables that point Vigil's broker adapter at this fake."""
        feed_only = ("TRADOVATE_REST_URL", "TRADOVATE_MD_URL")  # so it can run beside the market-data fake
        env = {k: v for k, v in self.auth.credentials.env(self.rest_url, "").items() if k not in feed_only}
        return env | {"TRADOVATE_BROKER_REST_URL": self.rest_url, "TRADOVATE_TRADING_URL": self.trading_url}

    # ---- test controls -----------------------------------------------------------------------------

    def seed_history(self, orders: int, symbol: str = "NQZ6") -> None:
        """`orders` filled market orders (alternately bought and sold: the account ends flat), each with its command
        and fill: the finished history a long-lived account accumulates."""
        for number in range(orders):
            side = "Buy" if number % 2 == 0 else "Sell"
            body = {"accountId": DEFAULT_ACCOUNT_ID, "symbol": symbol, "action": side, "orderQty": 1,
                    "orderType": "Market", "clOrdId": f"history-{number}", "isAutomated": True}  # fmt: skip
            self._place(body)

    def set_market(self, symbol: str, bid: Decimal | str, ask: Decimal | str) -> None:
        self.book.set_market(symbol, Decimal(bid), Decimal(ask))

    def reject_next(self, reason: str = "OtherExecutionRelated", text: str = "Rejected by the test") -> None:
        self.book.reject_next(reason, text)

    def delay_ack(self, seconds: float) -> None:
        """Order ops answer only after this many seconds (the order is live meanwhile)."""
        self._delay_ack_s = seconds

    def drop_after_send(self, times: int = 1) -> None:
        """The next `times` order ops are carried out, then the connection is cut before the answer."""
        self._drop_after_send = times

    def duplicate_events(self, times: int = 1) -> None:
        """The next `times` props events are sent twice."""
        self._duplicates = times

    async def drop_sockets(self) -> None:
        for sock in list(self.sockets):
            if sock.transport is not None:
                sock.transport.abort()
            await sock.ws.close()

    # ---- requests ----------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"].lower().strip("/")
        body: Any = None
        if request.can_read_body:
            try:
                body = json.loads(await request.text())
            except ValueError:
                return web.json_response({"errorText": "Malformed request body"}, status=400)
        self.requests[path] += 1
        answer = await self._answer(request, path, body)
        if isinstance(answer.body, bytes):
            self.response_bytes[path] += len(answer.body)
        return answer

    async def _answer(self, request: web.Request, path: str, body: Any) -> web.Response:
        if path == "auth/accesstokenrequest":
            return web.json_response(self.auth.login(body))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not self.auth.valid(token):
            if path == "auth/renewaccesstoken":
                self.counters.renewal_rejections += 1
            return web.json_response({"errorText": "Access is denied"}, status=401)
        if path == "auth/renewaccesstoken":
            self.counters.renewals += 1
            return web.json_response(self.auth.issue(md=False))
        status, payload = await self.handle(path, body, dict(request.query))
        if path.startswith("order/") and path not in ("order/list", "order/item") and self._drop_after_send > 0:
            self._drop_after_send -= 1
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable()  # never reaches the client: the connection is gone
        return web.json_response(payload, status=status)

    async def handle(self, path: str, body: Any, query: dict[str, str]) -> tuple[int, Any]:
        """One request (REST or over the socket). Order ops take effect at once; `delay_ack` delays the answer."""
        answer = self._handle(path, body if isinstance(body, dict) else {}, query)
        if path.startswith("order/") and path not in ("order/list", "order/item"):
            self.order_requests += 1
            if self._delay_ack_s:
                await asyncio.sleep(self._delay_ack_s)
        return answer

    def _handle(self, path: str, body: dict[str, Any], query: dict[str, str]) -> tuple[int, Any]:
        book = self.book
        try:
            if path == "order/placeorder":
                order = self._place(body)
                return 200, {"orderId": order.id}
            if path == "order/placeoso":
                order = self._place(body)
                legs = [self._bracket(order, body.get(key), i) for i, key in enumerate(("bracket1", "bracket2"))]
                ids = [leg.id for leg in legs if leg is not None]
                if len(ids) == 2:
                    oco = book.next_id()
                    for leg in legs:
                        assert leg is not None
                        leg.oco_id = oco
                reply = {"orderId": order.id} | {f"oso{i + 1}Id": leg_id for i, leg_id in enumerate(ids)}
                return 200, reply
            if path == "order/placeoco":
                other = body.get("other")
                if not isinstance(other, dict):
                    return 200, {"failureReason": "UnknownReason", "failureText": "other is required"}
                oco = book.next_id()
                first = self._place(body, oco_id=oco)
                second = self._place(
                    {**other, "accountId": body.get("accountId"), "symbol": body.get("symbol"),
                     "orderQty": body.get("orderQty"), "clOrdId": other.get("clOrdId", "")}, oco_id=oco,
                )  # fmt: skip
                return 200, {"orderId": first.id, "ocoId": second.id}
            if path == "order/modifyorder":
                modified = book.modify(
                    _int(body.get("orderId")), _int(body.get("orderQty")), _price(body.get("price")),
                    _price(body.get("stopPrice")),
                )  # fmt: skip
                return 200, {"commandId": book.next_id(), "orderId": modified.id}
            if path == "order/cancelorder":
                book.cancel(_int(body.get("orderId")))
                return 200, {"commandId": book.next_id()}
            if path == "order/liquidateposition":
                contract = book.contract_by_id(_int(body.get("contractId")))
                if contract is None:
                    return 200, {"failureReason": "InvalidContract", "failureText": "Unknown contract"}
                closing = book.liquidate(_int(body.get("accountId")), contract.symbol)
                return 200, {"orderId": closing.id if closing else 0}
        except Rejected as exc:
            return 200, {"failureReason": exc.reason, "failureText": exc.text}
        if path == "order/list":
            return 200, [self._order(o) for o in book.orders.values()]
        if path == "order/item":
            found = book.orders.get(_int(query.get("id", "0")))
            return (200, self._order(found)) if found else (404, "Not found")
        if path == "order/items":
            wanted = _ids(query.get("ids", ""))
            return 200, [self._order(book.orders[i]) for i in sorted(wanted) if i in book.orders]
        if path == "orderversion/list":
            return 200, [self._version(o) for o in book.orders.values()]
        if path == "orderversion/ldeps":
            wanted = _ids(query.get("masterids", ""))
            return 200, [self._version(book.orders[i]) for i in sorted(wanted) if i in book.orders]
        if path == "orderversion/deps":
            found = book.orders.get(_int(query.get("masterid", "0")))
            return 200, [self._version(found)] if found else []
        if path == "command/list":
            return 200, list(self.commands)
        if path == "command/ldeps":
            wanted = _ids(query.get("masterids", ""))
            return 200, [c for c in self.commands if c["orderId"] in wanted]
        if path == "fill/ldeps":
            wanted = _ids(query.get("masterids", ""))
            return 200, [self._fill(f) for f in book.fills if f.order_id in wanted]
        if path == "position/list":
            return 200, [self._position(p) for p in book.positions.values()]
        if path == "fill/list":
            return 200, [self._fill(f) for f in book.fills]
        if path == "cashbalance/list":
            return 200, [self._cash(a.cash) for a in book.accounts.values()]
        if path == "cashbalance/getcashbalancesnapshot":
            account = book.accounts.get(_int(body.get("accountId")))
            if account is None:
                return 404, "Not found"
            return 200, {"totalCashValue": _num(account.cash.amount), "realizedPnL": _num(account.cash.realized)}
        if path == "account/list":
            return 200, [
                {"id": a.id, "name": a.name, "userId": 15460, "accountType": "Customer", "active": True}
                for a in book.accounts.values()
            ]
        if path == "contract/item":
            found_contract = book.contract_by_id(_int(query.get("id", "0")))
            if found_contract is None:
                return 404, "Not found"
            return 200, {"id": found_contract.contract_id, "name": found_contract.symbol}
        if path == "contract/find":
            contract = book.contracts.get(query.get("name", "").upper())
            if contract is None:
                return 404, "Not found"
            return 200, {
                "id": contract.contract_id,
                "name": contract.symbol,
                "providerTickSize": _num(contract.tick_size),
            }
        return 404, f"Not found: {path}"

    def _place(self, body: dict[str, Any], *, oco_id: int | None = None) -> FakeOrder:
        symbol = body.get("symbol")
        if isinstance(symbol, int):
            found = self.book.contract_by_id(symbol)
            symbol = found.symbol if found else str(symbol)
        order = self.book.place(
            _int(body.get("accountId")), str(symbol or ""), str(body.get("action", "")), _int(body.get("orderQty")),
            str(body.get("orderType", "")), _price(body.get("price")), _price(body.get("stopPrice")),
            str(body.get("clOrdId") or ""), oco_id=oco_id,
        )  # fmt: skip
        self._command(order, body)
        return order

    def _bracket(self, parent: FakeOrder, leg: Any, index: int) -> FakeOrder | None:
        if not isinstance(leg, dict):
            return None
        order = self.book.place(
            parent.account_id, parent.symbol, str(leg.get("action", "")), parent.qty, str(leg.get("orderType", "")),
            _price(leg.get("price")), _price(leg.get("stopPrice")), str(leg.get("clOrdId") or ""), parent_id=parent.id,
        )  # fmt: skip
        if parent.status == "Filled":  # a market entry filled before its legs were placed
            self.book._after_fill(parent, 0)
        self._command(order, leg)
        return order

    def _command(self, order: FakeOrder, body: dict[str, Any]) -> None:
        command = {
            "id": self.book.next_id(), "orderId": order.id, "timestamp": iso_ms(int(time.time() * 1000)),
            "clOrdId": str(body.get("clOrdId") or ""), "commandType": "New", "commandStatus": "AtExecution",
            "isAutomated": bool(body.get("isAutomated", False)),
        }  # fmt: skip
        self.commands.append(command)
        self._broadcast(order.account_id, "command", command)

    # ---- wire shapes -------------------------------------------------------------------------------

    def _order(self, o: FakeOrder) -> dict[str, Any]:
        """The order entity as Tradovate has it: ids, action and status only (no quantity, type or prices: those
        are the orderVersion's; no client id: the command's; no fills: the fill entities')."""
        contract = self.book.contracts[o.symbol]
        return {
            "id": o.id, "accountId": o.account_id, "contractId": contract.contract_id, "spreadDefinitionId": None,
            "timestamp": iso_ms(int(time.time() * 1000)), "action": o.action, "ordStatus": o.status,
            "executionProviderId": None, "ocoId": o.oco_id, "parentId": o.parent_id, "linkedId": None,
            "admin": False,
        }  # fmt: skip

    def _version(self, o: FakeOrder) -> dict[str, Any]:
        """The order's current orderVersion: a modification makes a new one (a new id, the same orderId)."""
        terms = (o.qty, o.order_type, o.price, o.stop_price)
        known = self._versions.get(o.id)
        if known is None or known[0] != terms:
            known = self._versions[o.id] = (terms, next(self._version_ids))
        return {
            "id": known[1], "orderId": o.id, "orderQty": o.qty, "orderType": o.order_type, "price": _num(o.price),
            "stopPrice": _num(o.stop_price), "maxShow": None, "pegDifference": None,
            "timeInForce": "Day" if o.order_type == "Market" else "GTC", "expireTime": None, "text": o.text,
        }  # fmt: skip

    def _position(self, p: FakePosition) -> dict[str, Any]:
        contract = self.book.contracts[p.symbol]
        return {
            "id": p.id, "accountId": p.account_id, "contractId": contract.contract_id,
            "timestamp": iso_ms(int(time.time() * 1000)), "netPos": p.net, "netPrice": _num(p.net_price),
            "bought": p.bought, "boughtValue": _num(p.bought_value), "sold": p.sold, "soldValue": _num(p.sold_value),
        }  # fmt: skip

    def _fill(self, f: FakeFill) -> dict[str, Any]:
        contract = self.book.contracts[f.symbol]
        return {
            "id": f.id, "orderId": f.order_id, "contractId": contract.contract_id,
            "timestamp": iso_ms(int(time.time() * 1000)), "action": f.action, "qty": f.qty, "price": _num(f.price),
            "active": True, "finallyPaired": 0,
        }  # fmt: skip

    def _cash(self, c: FakeCash) -> dict[str, Any]:
        return {"id": c.account_id, "accountId": c.account_id, "currencyId": 1, "amount": _num(c.amount),
                "realizedPnL": _num(c.realized), "timestamp": iso_ms(int(time.time() * 1000))}  # fmt: skip

    def _on_change(self, kind: str, item: Any) -> None:
        if kind == "order":
            version = self._version(item)
            if self._sent_versions.get(item.id) != version["id"]:  # created or modified: its terms with it
                self._sent_versions[item.id] = version["id"]
                self._broadcast(item.account_id, "orderVersion", version)
            self._broadcast(item.account_id, "order", self._order(item))
        elif kind == "fill":
            self._broadcast(item.account_id, "fill", self._fill(item))
        elif kind == "position":
            self._broadcast(item.account_id, "position", self._position(item))
        elif kind == "cash":
            self._broadcast(item.account_id, "cashBalance", self._cash(item))

    def _broadcast(self, account_id: int, entity_type: str, entity: dict[str, Any]) -> None:
        event = {"e": "props", "d": {"entityType": entity_type, "eventType": "Updated", "entity": entity}}
        messages = [event]
        if self._duplicates > 0:
            self._duplicates -= 1
            messages.append(event)
        for sock in self.sockets:  # one frame per socket for what one step changed, as the real one sends them
            if account_id in sock.synced and sock.queue(messages):
                self._spawn(sock.flush())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- trading socket ----------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_sockets:
            return web.Response(status=503, text="the trading socket is unavailable (test)")
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=1 << 20)
        await ws.prepare(request)
        sock = _Socket(ws, request.transport)
        self.sockets.append(sock)
        try:
            await ws.send_str("o")
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._on_text(sock, message.data)
        finally:
            self.sockets.remove(sock)
        return ws

    async def _on_text(self, sock: _Socket, text: str) -> None:
        if text == "[]":
            return
        parts = text.split("\n", 3)
        if len(parts) < 4 or not parts[1].isdigit():
            return
        endpoint, request_id, query, raw = parts[0].lower(), int(parts[1]), parts[2], parts[3]
        if endpoint == "authorize":
            sock.authorized = self.auth.authorize(raw.strip())
            await sock.send([{"s": 200 if sock.authorized else 401, "i": request_id}])
            return
        if not sock.authorized:
            await sock.send([{"s": 401, "i": request_id, "d": '"Not authorized"'}])
            return
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            await sock.send([{"s": 400, "i": request_id, "d": '"Malformed body"'}])
            return
        if endpoint == "user/syncrequest":
            accounts = body.get("accounts") if isinstance(body, dict) else None
            wanted = {a for a in accounts if type(a) is int} if isinstance(accounts, list) else set(self.book.accounts)
            sock.synced |= wanted
            await sock.send([{"s": 200, "i": request_id, "d": self._snapshot(wanted)}])
            return
        from urllib.parse import parse_qsl

        status, payload = await self.handle(endpoint, body, dict(parse_qsl(query)))
        await sock.send([{"s": status, "i": request_id, "d": payload}])

    def _snapshot(self, accounts: set[int]) -> dict[str, Any]:
        book = self.book
        return {
            "users": [{"id": 15460, "name": self.auth.credentials.name}],
            "accounts": [{"id": a.id, "name": a.name} for a in book.accounts.values() if a.id in accounts],
            "orders": [self._order(o) for o in book.orders.values() if o.account_id in accounts],
            "positions": [self._position(p) for p in book.positions.values() if p.account_id in accounts],
            "cashBalances": [self._cash(a.cash) for a in book.accounts.values() if a.id in accounts],
            "fills": [self._fill(f) for f in book.fills if f.account_id in accounts],
            "contracts": [{"id": c.contract_id, "name": c.symbol} for c in book.contracts.values()],
            "contractGroups": [],
        }

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            for sock in list(self.sockets):
                if not sock.ws.closed:
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await sock.ws.send_str("h")


def _int(value: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise Rejected("UnknownReason", f"{value!r} is not an integer")


def _ids(text: str) -> set[int]:
    return {int(part) for part in text.split(",") if part.strip().isdigit()}


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the fake by hand; prints the TRADOVATE_* variables, then walks a quiet market (NQZ6 around 25000)."""
    parser = argparse.ArgumentParser(prog="python -m core_server.feeds.fakes.tradovate_orders", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8768)
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.host, args.port))


async def _serve(host: str, port: int) -> None:
    server = FakeTradovateBroker()
    await server.start(host, port)
    for contract, mid in (("NQZ6", "25000"), ("ESZ6", "6800"), ("MNQZ6", "25000")):
        server.set_market(contract, Decimal(mid) - Decimal("0.25"), Decimal(mid))
    for key, value in server.env().items():
        print(f"export {key}={value}")
    print(f"# fake Tradovate trading on {server.rest_url} and {server.trading_url}; account {DEFAULT_ACCOUNT}")
    print("# Ctrl-C stops it", flush=True)
    walk = random.Random(7)
    mids = {"NQZ6": Decimal(25000), "ESZ6": Decimal(6800), "MNQZ6": Decimal(25000)}
    try:
        while True:  # a quiet random walk, so resting orders fill by hand too
            await asyncio.sleep(0.5)
            for contract, mid in mids.items():
                mids[contract] = mid + Decimal("0.25") * walk.choice((-1, 0, 1))
                server.set_market(contract, mids[contract] - Decimal("0.25"), mids[contract])
    finally:
        await server.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
