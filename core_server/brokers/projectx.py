"""The ProjectX Gateway broker adapter (TopstepX and other firms): orders over REST, the account's orders, trades
and positions from the user hub (SignalR JSON protocol; PROTOCOLS.md §2.3, §2.6).

Every order carries the client order id as its `customTag` (unique per account on the gateway). A retry never
places a second order; an order whose answer was lost is looked up with `Order/search` by its customTag, never
resent. Brackets are sent as the gateway's `takeProfitBracket`/`stopLossBracket` in ticks from the entry price
(a limit or stop entry's price; a market entry with brackets is refused: its fill price is not known yet).
User-hub trades are de-duplicated by id; events wrapped as `{"action", "data"}` are unwrapped.

The session token comes from the market-data feed's TokenKeeper (feeds/projectx/auth.py): it is refreshed through
`Auth/validate` halfway to its expiry by a task running beside the session, a reconnecting user hub takes the
current token (no new login), and a call answered HTTP 401 (refused before anything was done) gets one fresh login
(shared by calls refused together) and is sent once more. Only idempotent calls are resent (`RESENDABLE`): reads,
cancel and modify (absolute targets), closeContract (to flat), and Order/place, whose customTag the gateway
accepts once per account, so a resent order can never become a second order. A call refused again after the fresh
login is not sent a third time; an order refused so is reported not placed. The API key and tokens never reach a
log, a repr or a reason text (`redact`).

Bracket legs have no ids Vigil could match: `Order/place` returns only the entry's `orderId` (PROTOCOLS.md §2.3),
the legs appear later as orders of their own, and neither `Order/search` nor GatewayUserOrder carries a parent or
linked id (§2.6; `linkedOrderId` is a request field only). So a leg's fill is matched to the kernel's exit by
contract, side and price (live/broker_router.py `order_for`). Two brackets with equal prices are ambiguous, and
harmlessly: their legs are interchangeable (same contract, side, size, prices), so whichever kernel bracket a leg's
fill closes leaves the kernel's book equal to the gateway's (tests/integration/brokers/test_projectx_orders.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from core_server.backoff import Backoff
from core_server.brokers.history_window import CreationWindow, created_ns
from core_server.brokers.model import (
    BrokerFill,
    BrokerKind,
    BrokerOrder,
    BrokerOrderRequest,
    BrokerPosition,
    FlattenReport,
    LinkState,
    Placement,
)
from core_server.brokers.order_watch import OrderWatch
from core_server.brokers.sockets import close_quietly
from core_server.brokers.tradovate import SOCKET_LOG, BrokerUnavailable
from core_server.brokers.wire import items, whole
from core_server.feeds.projectx.auth import TokenKeeper, redact
from core_server.feeds.projectx.config import ProjectXConfig
from core_server.feeds.projectx.rest import AuthRejected, ProjectXError, ProjectXRest, iso_utc
from core_server.feeds.tradovate.framing import loads
from core_server.model.clock import Clock

log = structlog.get_logger(__name__)

RS = "\x1e"
TYPE_CODES = {"Limit": 1, "Market": 2, "StopLimit": 3, "Stop": 4}
TYPE_NAMES = {v: k for k, v in TYPE_CODES.items()}
STATUS_NAMES = {0: "None", 1: "Open", 2: "Filled", 3: "Cancelled", 4: "Expired", 5: "Rejected", 6: "Pending"}
OnFill = Callable[[str, BrokerFill], None]
HISTORY_START = "2000-01-01T00:00:00Z"  # a full read: every order the gateway keeps
RESENDABLE = frozenset({
    "/api/Account/search", "/api/Contract/searchById", "/api/Order/search", "/api/Order/searchOpen",
    "/api/Trade/search", "/api/Position/searchOpen", "/api/Order/cancel", "/api/Order/modify",
    "/api/Position/closeContract", "/api/Order/place",
})  # fmt: skip


class SessionRefused(BrokerUnavailable):
    """The gateway refused the session (HTTP 401) and a fresh login did not help: the call was not carried out."""


def _dec(value: Any) -> Decimal | None:
    return Decimal(value) if isinstance(value, Decimal | int) and not isinstance(value, bool) else None


def _may_have_filled(order: dict[str, Any]) -> bool:
    """False only for an order whose fillVolume says 0 (it has no trades to read); True when unknown."""
    volume = order.get("fillVolume")
    return not (type(volume) is int and volume == 0)


def _json(body: dict[str, Any]) -> str:
    def number(value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)  # only tick-grid prices reach here: their shortest float text is exact
        raise TypeError(type(value).__name__)

    return json.dumps(body, default=number, separators=(",", ":"))


class ProjectXBroker:
    kind = BrokerKind.PROJECTX

    def __init__(self, config: ProjectXConfig, user_hub_url: str, clock: Clock, *, on_fill: OnFill | None = None):
        self._config = config
        self._hub_url = user_hub_url
        self._clock = clock
        self._on_fill = on_fill
        self.state = LinkState.DISCONNECTED
        self.detail = ""
        self._http: aiohttp.ClientSession | None = None
        self._keeper: TokenKeeper | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._accounts: dict[str, int] = {}
        self._ticks: dict[str, Decimal] = {}  # contract id -> tick size
        self._sent: dict[str, Placement | None] = {}
        self._seen_trades: set[int] = set()
        self._window = CreationWindow()  # what an incremental order_history reads
        self._watch = OrderWatch()  # working orders from the hub: a close skips its read when they are known
        self._lock = asyncio.Lock()
        self.on_drop: Callable[[], None] | None = None  # the user hub closed by itself (the desk reconnects)

    def __repr__(self) -> str:
        return f"ProjectXBroker(gateway={self._config.api_url!r}, state={self.state.value})"

    # ---- session -----------------------------------------------------------------------------------

    async def connect(self) -> None:
        async with self._lock:
            if self.state is LinkState.CONNECTED:
                return
            self.state = LinkState.CONNECTING
            await self._drop_socket()  # a dead hub's reader and connection, before a new one
            try:
                await self._open()
            except (BrokerUnavailable, OSError, InvalidHandshake, TimeoutError, ValueError) as exc:
                refused = isinstance(exc, SessionRefused) and self.state is LinkState.FAILED
                self.state = LinkState.FAILED if refused else LinkState.DISCONNECTED
                if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403) and self._keeper:
                    self._keeper.invalidate()  # the hub refused the token: the next attempt logs in
                self.detail = self._redact(str(exc))[:200]
                log.warning("broker.connect_failed", broker="projectx", reason=self.detail)
                raise BrokerUnavailable(f"ProjectX: {self.detail}") from None
            self.state = LinkState.CONNECTED
            self.detail = ""
            if self._refresher is None or self._refresher.done():
                assert self._keeper is not None
                self._refresher = asyncio.create_task(
                    self._keeper.keep_fresh(asyncio.sleep, "projectx-broker"), name="projectx-broker-token"
                )
            log.info("broker.connected", broker="projectx", gateway=self._config.api_url)

    async def _open(self) -> None:
        config = self._config
        if self._http is None:
            self._http = aiohttp.ClientSession()
        if self._keeper is None:
            rest = ProjectXRest(self._http, config.api_url, config.live, config.rest_timeout_s)
            self._keeper = TokenKeeper(rest, config, self._clock)
        token = await self._token()  # a valid token is reused: a reconnecting hub needs no new login
        accounts = await self._post("/api/Account/search", {"onlyActiveAccounts": True})
        for account in items(accounts.get("accounts")):
            if isinstance(account, dict) and type(account.get("id")) is int:
                self._accounts[str(account["id"])] = account["id"]
                self._accounts[str(account.get("name", "")).upper()] = account["id"]
        hub = self._hub_url.replace("https://", "wss://").replace("http://", "ws://")
        url = f"{hub}?access_token={token}"  # the socket's frame log stays above DEBUG: it would show the token
        ws = await asyncio.wait_for(connect(url, max_size=config.max_frame_bytes, logger=SOCKET_LOG), 10)
        self._ws = ws
        await ws.send('{"protocol":"json","version":1}' + RS)
        answer = await asyncio.wait_for(ws.recv(), 10)
        if "error" in str(answer):
            raise BrokerUnavailable("the user hub refused the handshake")
        self._watch.hub_changed()  # events before this session may be missing: each account is read again
        number = 0
        for account_id in sorted(set(self._accounts.values())):
            for target in ("SubscribeOrders", "SubscribePositions", "SubscribeTrades"):
                message = {"type": 1, "invocationId": str(number), "target": target, "arguments": [account_id]}
                await ws.send(json.dumps(message) + RS)
                number += 1
        for trade in await self._trades_so_far():
            self._seen_trades.add(trade)  # trades before this session are history, not news
        self._reader = asyncio.create_task(self._read(ws))

    async def _trades_so_far(self) -> list[int]:
        found: list[int] = []
        for account_id in sorted(set(self._accounts.values())):
            reply = await self._post("/api/Trade/search", {"accountId": account_id, "startTimestamp": HISTORY_START})
            found.extend(
                t["id"] for t in items(reply.get("trades")) if isinstance(t, dict) and type(t.get("id")) is int
            )
        return found

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
                for record in text.split(RS):
                    if record:
                        self._record(record)
        except ConnectionClosed:
            pass
        finally:
            self._watch.hub_changed()  # no events until a new session: nothing known can be vouched for
            if self._ws is ws:  # not closed on purpose (close() detaches it first)
                self.state = LinkState.DISCONNECTED
                self.detail = "the user hub closed"
                log.warning("broker.disconnected", broker="projectx")
                if self.on_drop is not None:
                    self.on_drop()

    def _record(self, record: str) -> None:
        try:
            message = loads(record)
        except (ValueError, RecursionError):
            return
        if not isinstance(message, dict) or message.get("type") != 1:
            return
        for argument in items(message.get("arguments")):
            data = argument.get("data") if isinstance(argument, dict) and "action" in argument else argument
            if isinstance(data, dict) and message.get("target") == "GatewayUserTrade":
                self._trade_event(data)
            elif isinstance(data, dict) and message.get("target") == "GatewayUserOrder":
                self._order_event(data)

    def _order_event(self, order: dict[str, Any]) -> None:
        order_id, account = order.get("id"), order.get("accountId")
        if type(order_id) is int and type(account) is int:
            self._watch.event(account, order_id, str(order.get("contractId", "")), order.get("status"))

    def _trade_event(self, trade: dict[str, Any]) -> None:
        trade_id, price = trade.get("id"), _dec(trade.get("price"))
        if type(trade_id) is not int or trade_id in self._seen_trades or price is None or trade.get("voided"):
            return
        self._seen_trades.add(trade_id)
        fill = BrokerFill(
            str(trade_id), str(trade.get("orderId", "")), str(trade.get("contractId", "")),
            "Buy" if trade.get("side") == 0 else "Sell", whole(trade.get("size")), price, self._clock.now_ns(),
        )  # fmt: skip
        if self._on_fill is not None:
            self._on_fill(str(trade.get("accountId", "")), fill)

    async def _drop_socket(self) -> None:
        ws, reader = self._ws, self._reader
        self._ws = self._reader = None  # detached first: its reader's ending is not a drop
        await close_quietly(ws, reader)

    async def close(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
            self._refresher = None
        await self._drop_socket()
        if self._http is not None:
            await self._http.close()
        self._http = None
        self.state = LinkState.DISCONNECTED

    def reconnect_backoff(self) -> Backoff:
        """The shared backoff, on this gateway's settings (backoff_initial_s / backoff_max_s)."""
        return Backoff(self._config.backoff_initial_s, self._config.backoff_max_s)

    async def _ensure(self) -> None:
        if self.state is not LinkState.CONNECTED:
            await self.connect()

    def _redact(self, text: str) -> str:
        return redact(text, self._keeper.secrets if self._keeper is not None else (self._config.api_key,))

    async def _token(self, refused: str | None = None) -> str:
        """The session token (a login when there is none), or a replacement for one the gateway `refused`."""
        if self._keeper is None:
            raise BrokerUnavailable("not connected")
        try:
            return await (self._keeper.token() if refused is None else self._keeper.replace(refused))
        except AuthRejected as exc:
            self.state = LinkState.FAILED  # a wrong or disabled key: retrying by itself would not help
            raise SessionRefused(self._redact(str(exc))) from None
        except ProjectXError as exc:
            raise BrokerUnavailable(f"login: {self._redact(str(exc))}") from None

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        token = await self._token()
        status, text = await self._send(path, body, token)
        if status in (401, 403):  # refused before anything was done: the token expired or was revoked
            log.warning("broker.token_refused", broker="projectx", path=path, status=status)
            if path not in RESENDABLE:
                raise SessionRefused(f"{path}: HTTP {status}; not sent again")
            status, text = await self._send(path, body, await self._token(refused=token))
            if status in (401, 403):
                raise SessionRefused(f"{path}: HTTP {status} after a fresh login; not sent again")
        if status != 200:
            raise BrokerUnavailable(f"{path}: HTTP {status}")
        try:
            reply = loads(text)
        except ValueError:
            raise BrokerUnavailable(f"{path}: the answer is not JSON") from None
        return reply if isinstance(reply, dict) else {}

    async def _send(self, path: str, body: dict[str, Any], token: str) -> tuple[int, str]:
        if self._http is None:
            raise BrokerUnavailable("not connected")
        headers = {"accept": "text/plain", "Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        timeout = aiohttp.ClientTimeout(total=self._config.rest_timeout_s)
        try:
            async with self._http.post(
                self._config.api_url + path, data=_json(body), headers=headers, timeout=timeout
            ) as r:
                return r.status, await r.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BrokerUnavailable(f"{path}: {type(exc).__name__}") from None

    def account_number(self, broker_account: str) -> int:
        found = self._accounts.get(broker_account.strip().upper())
        if found is None:
            raise BrokerUnavailable(f"ProjectX has no account {broker_account!r} for these credentials")
        return found

    async def _tick(self, contract_id: str) -> Decimal:
        if contract_id not in self._ticks:
            reply = await self._post("/api/Contract/searchById", {"contractId": contract_id})
            contract = reply.get("contract")
            tick = _dec(contract.get("tickSize")) if isinstance(contract, dict) else None
            self._ticks[contract_id] = tick if tick else Decimal("0.25")
        return self._ticks[contract_id]

    # ---- orders ------------------------------------------------------------------------------------

    async def place(self, broker_account: str, request: BrokerOrderRequest) -> Placement:
        key = request.client_order_id
        if key in self._sent:
            known = self._sent[key]
            return known if known is not None else await self._recover(broker_account, key)
        await self._ensure()
        account = self.account_number(broker_account)
        body: dict[str, Any] = {
            "accountId": account, "contractId": request.symbol, "type": TYPE_CODES[request.order_type],
            "side": 0 if request.side == "Buy" else 1, "size": request.quantity, "limitPrice": request.limit_price,
            "stopPrice": request.stop_price, "trailPrice": None, "customTag": key, "linkedOrderId": None,
        }  # fmt: skip
        if request.take_profit is not None or request.stop_loss is not None:
            reference = request.limit_price or request.stop_price
            if reference is None:
                return Placement(
                    key, False, reason="ProjectX brackets need a limit or stop entry (ticks from its price)"
                )
            tick = await self._tick(request.symbol)
            if request.take_profit is not None:
                body["takeProfitBracket"] = {"ticks": int(abs(request.take_profit - reference) / tick), "type": 1}
            if request.stop_loss is not None:
                body["stopLossBracket"] = {"ticks": int(abs(reference - request.stop_loss) / tick), "type": 4}
        self._sent[key] = None
        try:
            reply = await self._post("/api/Order/place", body)
        except SessionRefused as exc:  # refused before the gateway did anything: certainly not placed
            log.warning("broker.order_refused_session", broker="projectx", client_order_id=key)
            refused = Placement(key, False, reason=f"{exc}: the order was not placed")
            self._sent[key] = refused
            return refused
        except BrokerUnavailable as exc:
            log.warning("broker.ack_lost", broker="projectx", client_order_id=key, reason=str(exc)[:120])
            self.state = LinkState.DISCONNECTED
            return await self._recover(broker_account, key)
        if not reply.get("success"):
            placement = Placement(
                key, False, reason=f"errorCode {reply.get('errorCode')}: {reply.get('errorMessage') or ''}"
            )
        else:
            placement = Placement(key, True, str(reply.get("orderId")))
            if type(reply.get("orderId")) is int:
                bracket = "takeProfitBracket" in body or "stopLossBracket" in body
                self._watch.placed(account, reply["orderId"], request.symbol, bracket=bracket)
        self._sent[key] = placement
        return placement

    async def _recover(self, broker_account: str, key: str) -> Placement:
        for attempt in range(3):
            try:
                await self._ensure()
                reply = await self._post("/api/Order/search", {"accountId": self.account_number(broker_account),
                                                                "startTimestamp": HISTORY_START})  # fmt: skip
                break
            except BrokerUnavailable:
                await asyncio.sleep(0.05 * (attempt + 1))
        else:
            return Placement(key, False, reason="acknowledgement lost and the gateway cannot be reached; not resent")
        found = [o for o in items(reply.get("orders")) if isinstance(o, dict) and o.get("customTag") == key]
        if found:
            placement = Placement(key, True, str(found[0].get("id")), recovered=True)
        else:
            placement = Placement(key, False, reason="the order never reached the gateway; not resent", recovered=True)
        self._sent[key] = placement
        return placement

    async def cancel(self, broker_account: str, order_id: str) -> Placement:
        await self._ensure()
        reply = await self._post("/api/Order/cancel", {"accountId": self.account_number(broker_account),
                                                       "orderId": int(order_id)})  # fmt: skip
        return Placement(order_id, bool(reply.get("success")), order_id, reason=str(reply.get("errorMessage") or ""))

    async def modify(
        self, broker_account: str, order_id: str, quantity: int, limit: Decimal | None, stop: Decimal | None
    ) -> Placement:
        await self._ensure()
        body = {"accountId": self.account_number(broker_account), "orderId": int(order_id), "size": quantity,
                "limitPrice": limit, "stopPrice": stop, "trailPrice": None}  # fmt: skip
        reply = await self._post("/api/Order/modify", body)
        return Placement(order_id, bool(reply.get("success")), order_id, reason=str(reply.get("errorMessage") or ""))

    async def open_orders(self, broker_account: str, *, incremental: bool = False) -> tuple[BrokerOrder, ...]:
        """The account's working orders (`Order/searchOpen`, which lists only those: `incremental` changes nothing)."""
        await self._ensure()
        account = self.account_number(broker_account)
        session = self._watch.read_started(account)
        found = None
        try:
            reply = await self._post("/api/Order/searchOpen", {"accountId": account})
            listed = [o for o in items(reply.get("orders")) if isinstance(o, dict)]
            found = [(o["id"], str(o.get("contractId", ""))) for o in listed if type(o.get("id")) is int]
        finally:
            self._watch.read_finished(account, session, found)
        return tuple(self._broker_order(o) for o in listed)

    @staticmethod
    def _broker_order(o: dict[str, Any]) -> BrokerOrder:
        return BrokerOrder(
            str(o.get("id")),
            str(o.get("customTag") or ""),
            str(o.get("contractId", "")),
            "Buy" if o.get("side") == 0 else "Sell",
            whole(o.get("size")),
            TYPE_NAMES.get(whole(o.get("type")), "Unknown"),
            STATUS_NAMES.get(whole(o.get("status")), "Unknown"),
            _dec(o.get("limitPrice")),
            _dec(o.get("stopPrice")),
            whole(o.get("fillVolume")),
            _dec(o.get("filledPrice")),
        )

    async def order_history(
        self, broker_account: str, *, incremental: bool = False
    ) -> tuple[tuple[BrokerOrder, ...], tuple[BrokerFill, ...]]:
        """The account's orders at the gateway (finished ones too; `Order/search`) and the trades (fills) of those
        orders (`Trade/search`, voided ones left out). `incremental`: only the orders created since the window's
        start (history_window.py), which holds every order open at the last read and every newer one; their trades
        are read only when one of them may have filled (an order with fillVolume 0 has none)."""
        await self._ensure()
        account = self.account_number(broker_account)
        started = self._clock.now_ns()
        since = self._window.start_ns(account) if incremental else None
        window = {"accountId": account, "startTimestamp": HISTORY_START if since is None else iso_utc(since)}
        raw = [
            o for o in items((await self._post("/api/Order/search", window)).get("orders"))
            if isinstance(o, dict) and type(o.get("id")) is int
        ]  # fmt: skip
        orders = tuple(self._broker_order(o) for o in raw)
        fills = []
        if since is None or any(_may_have_filled(o) for o in raw):
            for t in items((await self._post("/api/Trade/search", window)).get("trades")):
                price = _dec(t.get("price")) if isinstance(t, dict) else None
                if price is None or type(t.get("id")) is not int or t.get("voided"):
                    continue
                fills.append(BrokerFill(
                    str(t["id"]), str(t.get("orderId", "")), str(t.get("contractId", "")),
                    "Buy" if t.get("side") == 0 else "Sell", whole(t.get("size")), price, self._clock.now_ns(),
                ))  # fmt: skip
        opened = [created_ns(o.get("creationTimestamp")) for o, order in zip(raw, orders, strict=True) if order.is_open]
        self._window.advance(account, started, opened)
        return orders, tuple(sorted(fills, key=lambda f: int(f.fill_id)))

    async def broker_positions(self, broker_account: str) -> tuple[BrokerPosition, ...]:
        await self._ensure()
        reply = await self._post("/api/Position/searchOpen", {"accountId": self.account_number(broker_account)})
        found = []
        for p in items(reply.get("positions")):
            if isinstance(p, dict) and whole(p.get("size")):
                sign = 1 if p.get("type") == 1 else -1
                found.append(
                    BrokerPosition(str(p.get("contractId", "")), sign * whole(p["size"]), _dec(p.get("averagePrice")))
                )
        return tuple(found)

    def known_working(self, broker_account: str, symbol: str) -> list[str] | None:
        """The account's working orders in the contract as the user hub reported them; None when the hub cannot
        vouch for them (closing the contract then reads them: order_watch.py)."""
        working = self._watch.working_in(self.account_number(broker_account), symbol)
        return None if working is None else [str(order_id) for order_id in working]

    async def close_contract(self, broker_account: str, symbol: str) -> bool:
        """Close the contract's position (Position/closeContract); True when the gateway took it."""
        await self._ensure()
        account = self.account_number(broker_account)
        working = self.known_working(broker_account, symbol)  # None: the hub cannot vouch for them, read them
        if working is None:
            working = [o.order_id for o in await self.open_orders(broker_account) if o.symbol == symbol]
        for order_id in working:
            await self.cancel(broker_account, order_id)
        reply = await self._post("/api/Position/closeContract", {"accountId": account, "contractId": symbol})
        return bool(reply.get("success"))

    async def flatten(self, account_id: str, broker_account: str) -> FlattenReport:
        cancelled: list[str] = []
        closed: list[str] = []
        errors: list[str] = []
        for order in await self.open_orders(broker_account):
            result = await self.cancel(broker_account, order.order_id)
            if result.accepted:
                cancelled.append(order.order_id)
            elif order.order_id in {o.order_id for o in await self.open_orders(broker_account)}:
                errors.append(f"{order.order_id}: {result.reason}")
        account = self.account_number(broker_account)
        for position in await self.broker_positions(broker_account):
            reply = await self._post(
                "/api/Position/closeContract", {"accountId": account, "contractId": position.symbol}
            )
            (closed if reply.get("success") else errors).append(
                position.symbol if reply.get("success") else f"{position.symbol}: {reply.get('errorMessage')}"
            )
        remaining = await self.broker_positions(broker_account)
        return FlattenReport(account_id, tuple(cancelled), tuple(closed), remaining, tuple(errors))
