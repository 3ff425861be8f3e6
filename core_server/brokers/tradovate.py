"""The Tradovate broker adapter: orders over REST, the account's orders, fills, positions and cash from the
trading socket's `user/syncrequest` (PROTOCOLS.md §1.5, §1.8).

Every order carries a client order id (`clOrdId`). A retry with the same id never places a second order: the
adapter remembers what it sent, and when an acknowledgement is lost (the connection dropped after the request
left, or the answer timed out) it asks the broker (`command/list`, whose commands carry the clOrdId) whether the
order exists, instead of sending it again. Fill events are de-duplicated by fill id (the broker may repeat one).
Credentials go to the login request only; nothing here logs them.

The session's token is renewed in place (`/auth/renewaccesstoken`, PROTOCOLS.md §1.3) before it expires, by the
same TokenKeeper the market-data feed uses: the trading socket, authorized once, stays open and orders in flight
are untouched. A refused renewal, or a REST call refused for an expired token (HTTP 401, nothing was done),
falls back to a fresh login, and the refused request is sent once more with the new token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import aiohttp
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from core_server.backoff import Backoff
from core_server.brokers.history_window import ChangedOrders
from core_server.brokers.model import (
    OPEN_STATUSES,
    BrokerFill,
    BrokerKind,
    BrokerOrder,
    BrokerOrderRequest,
    BrokerPosition,
    FlattenReport,
    LinkState,
    Placement,
)
from core_server.brokers.sockets import close_quietly
from core_server.brokers.wire import items, whole
from core_server.feeds.tradovate.auth import AuthFailure, RestUnavailable, TokenKeeper, TradovateRest
from core_server.feeds.tradovate.config import TradovateConfig
from core_server.feeds.tradovate.framing import FrameKind, decode_frame, encode_request, loads
from core_server.model.clock import Clock

log = structlog.get_logger(__name__)
# The websockets library logs frames at DEBUG, and the authorize frame carries the token: never below INFO.
SOCKET_LOG = logging.getLogger("core_server.brokers.socket")
SOCKET_LOG.setLevel(logging.INFO)

OnFill = Callable[[str, BrokerFill], None]  # (broker account id as text, the fill)
IDS_PER_REQUEST = 200  # order ids per `order/items` or `ldeps` request: a 12-digit id list stays near 2.6 KB
CHANGES_ORDERS = ("order", "orderVersion", "command", "executionReport", "fill")  # carry an order id


class BrokerUnavailable(Exception):
    """The broker cannot be reached or refused the session; the reason never carries a credential."""


def _dec(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    return None


def _wire(value: Decimal | None) -> Any:
    """Kept a Decimal: `_json` writes it as a JSON number with its exact text (25329.25), never via a float."""
    return value


def _json(body: dict[str, Any]) -> str:
    def mark(value: Any) -> str:
        if isinstance(value, Decimal):
            return f"__decimal__{format(value, 'f')}__"
        raise TypeError(f"{type(value).__name__} is not JSON")

    return re.sub(r'"__decimal__([-0-9.]+)__"', r"\1", json.dumps(body, default=mark, separators=(",", ":")))


class TradovateBroker:
    kind = BrokerKind.TRADOVATE

    def __init__(self, config: TradovateConfig, trading_url: str, clock: Clock, *, on_fill: OnFill | None = None):
        self._config = config
        self._trading_url = trading_url
        self._clock = clock
        self._on_fill = on_fill
        self.state = LinkState.DISCONNECTED
        self.detail = ""
        self._http: aiohttp.ClientSession | None = None
        self._tokens = TokenKeeper(config, clock)
        self._renewer: asyncio.Task[None] | None = None
        self._relogin = asyncio.Lock()  # concurrent 401s log in once (each login is a new Tradovate session)
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._accounts: dict[str, int] = {}  # name and id text -> id
        self._contracts: dict[int, str] = {}  # contract id -> name
        self._contract_ids: dict[str, int] = {}
        self._sent: dict[str, Placement | None] = {}  # client order id -> answer (None: sent, answer unknown)
        self._seen_fills: set[int] = set()
        self._order_accounts: dict[int, int] = {}  # order id -> account id (fill entities carry no account)
        self._lock = asyncio.Lock()
        self.on_drop: Callable[[], None] | None = None  # the trading socket closed by itself (the desk reconnects)
        self.positions: dict[tuple[int, str], BrokerPosition] = {}  # live from the socket
        self._changed = ChangedOrders()  # what an incremental order_history reads
        self.events_seen = 0

    # ---- session -----------------------------------------------------------------------------------

    async def connect(self) -> None:
        async with self._lock:
            if self.state is LinkState.CONNECTED:
                return
            self.state = LinkState.CONNECTING
            await self._drop_socket()  # a dead socket's reader and connection, before a new one
            try:
                await self._open()
            except (AuthFailure, RestUnavailable, BrokerUnavailable, OSError, InvalidHandshake, TimeoutError) as exc:
                self.state = LinkState.FAILED if isinstance(exc, AuthFailure) else LinkState.DISCONNECTED
                self.detail = str(exc)[:200]
                log.warning("broker.connect_failed", broker="tradovate", reason=self.detail)
                raise BrokerUnavailable(f"Tradovate: {self.detail}") from None
            self.state = LinkState.CONNECTED
            self.detail = ""
            if self._renewer is None or self._renewer.done():
                self._renewer = asyncio.create_task(self._keep_token_fresh(), name="tradovate-broker-token")
            log.info("broker.connected", broker="tradovate", environment=self._config.environment)

    def _rest(self) -> TradovateRest:
        if self._http is None:
            raise BrokerUnavailable("not connected")
        return TradovateRest(self._http, self._config, self._clock)

    async def _keep_token_fresh(self) -> None:
        """Renew before expiry for as long as the adapter is open (a refused renewal: a fresh login)."""
        await self._tokens.keep_fresh(self._rest())

    async def _open(self) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        token = await self._tokens.current(self._rest())  # a valid token is reused: no new session
        accounts = await self._get("account/list")
        for account in accounts if isinstance(accounts, list) else []:
            if isinstance(account, dict) and type(account.get("id")) is int:
                self._accounts[str(account["id"])] = account["id"]
                self._accounts[str(account.get("name", "")).upper()] = account["id"]
        ws = await asyncio.wait_for(
            connect(self._trading_url, max_size=self._config.max_socket_frame_bytes, logger=SOCKET_LOG), 10
        )
        self._ws = ws
        self._changed.socket_opened()  # events before this socket may be missing: the next read is full
        if decode_frame(await asyncio.wait_for(ws.recv(), 10), 1 << 24).kind is not FrameKind.OPEN:
            raise BrokerUnavailable("the trading socket did not open")
        await ws.send(encode_request("authorize", 0, token.access_token))
        if (await self._response(ws, 0)).get("s") != 200:
            raise BrokerUnavailable("the trading socket refused the token")
        ids = sorted(set(self._accounts.values()))
        await ws.send(encode_request("user/syncrequest", 1, f'{{"accounts":{ids}}}'))
        snapshot = await self._response(ws, 1)
        self._apply_snapshot(snapshot.get("d"))
        self._reader = asyncio.create_task(self._read(ws))

    async def _response(self, ws: ClientConnection, request_id: int) -> dict[str, Any]:
        while True:
            frame = decode_frame(await asyncio.wait_for(ws.recv(), 10), 1 << 24)
            if frame.kind is FrameKind.CLOSE:
                raise BrokerUnavailable(f"the trading socket closed: {frame.close_code}")
            for message in frame.messages:
                if isinstance(message, dict) and message.get("i") == request_id:
                    return message
                if isinstance(message, dict) and "e" in message:
                    self._event(message)

    def _apply_snapshot(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        for contract in items(data.get("contracts")):
            if isinstance(contract, dict) and type(contract.get("id")) is int:
                self._remember_contract(contract["id"], str(contract.get("name", "")))
        for fill in items(data.get("fills")):
            if isinstance(fill, dict) and type(fill.get("id")) is int:
                self._seen_fills.add(fill["id"])  # fills before this session are history, not news
        for position in items(data.get("positions")):
            self._position_event(position)
        for order in items(data.get("orders")):
            if isinstance(order, dict) and type(order.get("id")) is int and type(order.get("accountId")) is int:
                self._order_accounts[order["id"]] = order["accountId"]

    async def _read(self, ws: ClientConnection) -> None:
        try:
            while True:
                frame = decode_frame(await ws.recv(), 1 << 24)
                if frame.kind is FrameKind.CLOSE:
                    break
                for message in frame.messages:
                    if isinstance(message, dict) and "e" in message:
                        self._event(message)
                if frame.kind is FrameKind.HEARTBEAT:
                    await ws.send("[]")
        except (ConnectionClosed, ValueError):
            pass
        finally:
            if self._ws is ws:  # not closed on purpose (close() detaches it first)
                self.state = LinkState.DISCONNECTED
                self.detail = "the trading socket closed"
                log.warning("broker.disconnected", broker="tradovate")
                if self.on_drop is not None:
                    self.on_drop()

    def _event(self, message: dict[str, Any]) -> None:
        if message.get("e") != "props" or not isinstance(message.get("d"), dict):
            return
        self.events_seen += 1
        data = message["d"]
        entities = data.get("entity")
        for entity in entities if isinstance(entities, list) else [entities]:
            if not isinstance(entity, dict):
                continue
            kind = data.get("entityType")
            named = entity.get("id") if kind == "order" else entity.get("orderId")
            if kind == "order" and type(entity.get("id")) is int and type(entity.get("accountId")) is int:
                self._order_accounts[entity["id"]] = entity["accountId"]
            if kind in CHANGES_ORDERS and type(named) is int:  # its account when known, else every account's
                owner = self._order_accounts.get(named)
                self._changed.named(named, (owner,) if owner is not None else set(self._accounts.values()))
            if kind == "fill":
                self._fill_event(entity)
            elif kind == "position":
                self._position_event(entity)

    def _fill_event(self, entity: dict[str, Any]) -> None:
        fill_id = entity.get("id")
        price = _dec(entity.get("price"))
        if type(fill_id) is not int or fill_id in self._seen_fills or price is None:
            return  # a repeated event: the fill was counted once already
        self._seen_fills.add(fill_id)
        account_id = entity.get("accountId", self._order_accounts.get(whole(entity.get("orderId"))))
        fill = BrokerFill(
            str(fill_id), str(entity.get("orderId", "")), self._contracts.get(whole(entity.get("contractId")), ""),
            str(entity.get("action", "")), whole(entity.get("qty")), price, self._clock.now_ns(),
        )  # fmt: skip
        if self._on_fill is not None:
            self._on_fill(str(account_id) if account_id is not None else "", fill)

    def _position_event(self, entity: Any) -> None:
        if not isinstance(entity, dict) or type(entity.get("accountId")) is not int:
            return
        symbol = self._contracts.get(whole(entity.get("contractId")), str(entity.get("contractId", "")))
        net = entity.get("netPos")
        self.positions[(entity["accountId"], symbol)] = BrokerPosition(
            symbol, net if type(net) is int else 0, _dec(entity.get("netPrice"))
        )

    def _remember_contract(self, contract_id: int, name: str) -> None:
        self._contracts[contract_id] = name.upper()
        self._contract_ids[name.upper()] = contract_id

    async def _drop_socket(self) -> None:
        ws, reader = self._ws, self._reader
        self._ws = self._reader = None  # detached first: its reader's ending is not a drop
        await close_quietly(ws, reader)

    async def close(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
            self._renewer = None
        await self._drop_socket()
        if self._http is not None:
            await self._http.close()
        self._http = None
        self.state = LinkState.DISCONNECTED

    def reconnect_backoff(self) -> Backoff:
        """The shared backoff, on this broker's settings (TRADOVATE backoff_initial_s / backoff_max_s)."""
        return Backoff(self._config.backoff_initial_s, self._config.backoff_max_s)

    # ---- REST --------------------------------------------------------------------------------------

    async def _get(self, path: str, query: dict[str, str] | None = None) -> Any:
        return await self._call("GET", path, None, query)

    async def _call(self, method: str, path: str, body: dict[str, Any] | None, query: dict[str, str] | None) -> Any:
        refused = self._tokens.token
        status, text = await self._send(method, path, body, query)
        if status == 401:  # the token expired or was revoked: nothing was done; log in afresh and send it once more
            log.warning("broker.token_refused", broker="tradovate", path=path)
            async with self._relogin:
                if self._tokens.token is refused:  # not already replaced by a concurrent call or the renewer
                    self._tokens.invalidate()
                    try:
                        await self._tokens.current(self._rest())
                    except (AuthFailure, RestUnavailable) as exc:
                        if isinstance(exc, AuthFailure):
                            self.state = LinkState.FAILED
                            self.detail = str(exc)[:200]
                        raise BrokerUnavailable(f"{path}: the session expired and a new login failed") from None
            status, text = await self._send(method, path, body, query)
        if status == 401:
            raise BrokerUnavailable(f"{path}: the session expired")
        if status == 404:
            return None
        if status != 200:
            raise BrokerUnavailable(f"{path}: HTTP {status}")
        try:
            return loads(text) if text.strip() else None
        except ValueError:
            raise BrokerUnavailable(f"{path}: the answer is not JSON") from None

    async def _send(
        self, method: str, path: str, body: dict[str, Any] | None, query: dict[str, str] | None
    ) -> tuple[int, str]:
        token = self._tokens.token
        if self._http is None or token is None:
            raise BrokerUnavailable("not connected")
        headers = {"Accept": "application/json", "Authorization": f"Bearer {token.access_token}"}
        data = None
        if body is not None:
            data = _json(body)
            headers["Content-Type"] = "application/json"
        timeout = aiohttp.ClientTimeout(total=self._config.request_timeout_s)
        try:
            async with self._http.request(
                method, f"{self._config.rest_url}/{path}", data=data, params=query, headers=headers, timeout=timeout
            ) as response:
                text, status = await response.text(), response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BrokerUnavailable(f"{path}: {type(exc).__name__}") from None
        return status, text

    async def _ensure(self) -> None:
        if self.state is not LinkState.CONNECTED:
            await self.connect()

    def account_number(self, broker_account: str) -> int:
        found = self._accounts.get(broker_account.strip().upper())
        if found is None:
            raise BrokerUnavailable(f"Tradovate has no account {broker_account!r} for these credentials")
        return found

    async def _contract_id(self, symbol: str) -> int:
        name = symbol.upper()
        if name not in self._contract_ids:
            found = await self._get("contract/find", {"name": name})
            if not isinstance(found, dict) or type(found.get("id")) is not int:
                raise BrokerUnavailable(f"Tradovate does not know the contract {symbol}")
            self._remember_contract(found["id"], name)
        return self._contract_ids[name]

    # ---- orders ------------------------------------------------------------------------------------

    async def place(self, broker_account: str, request: BrokerOrderRequest) -> Placement:
        """Place once. A client order id already answered returns that answer; one whose answer was lost is
        looked up at the broker (after reconnecting), never resent."""
        key = request.client_order_id
        if key in self._sent:
            known = self._sent[key]
            return known if known is not None else await self._recover(key)
        await self._ensure()
        account = self.account_number(broker_account)
        body = self._order_body(account, request)
        op = "placeorder"
        if request.take_profit is not None or request.stop_loss is not None:
            op = "placeoso"
            exit_side = "Sell" if request.side == "Buy" else "Buy"
            if request.take_profit is not None:
                body["bracket1"] = {"action": exit_side, "orderType": "Limit", "price": _wire(request.take_profit)}
            if request.stop_loss is not None:
                leg = {"action": exit_side, "orderType": "Stop", "stopPrice": _wire(request.stop_loss)}
                body["bracket2" if "bracket1" in body else "bracket1"] = leg
        elif request.oco_with is not None:
            op = "placeoco"
            other = request.oco_with
            price_key = "price" if other.order_type == "Limit" else "stopPrice"
            body["other"] = {"action": request.side, "orderType": other.order_type, price_key: _wire(other.price),
                             "clOrdId": f"{key}-oco"}  # fmt: skip
        self._sent[key] = None  # from here on, a retry asks the broker instead of sending
        try:
            answer = await self._call("POST", f"order/{op}", body, None)
        except (RestUnavailable, BrokerUnavailable) as exc:
            log.warning("broker.ack_lost", broker="tradovate", client_order_id=key, reason=str(exc)[:120])
            self.state = LinkState.DISCONNECTED
            return await self._recover(key)
        placement = self._placement(key, answer)
        self._sent[key] = placement
        return placement

    def _order_body(self, account: int, request: BrokerOrderRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "accountId": account, "action": request.side, "symbol": request.symbol.upper(),
            "orderQty": request.quantity, "orderType": request.order_type, "isAutomated": True,
            "clOrdId": request.client_order_id, "timeInForce": "Day" if request.order_type == "Market" else "GTC",
        }  # fmt: skip
        if request.limit_price is not None:
            body["price"] = _wire(request.limit_price)
        if request.stop_price is not None:
            body["stopPrice"] = _wire(request.stop_price)
        return body

    @staticmethod
    def _placement(key: str, answer: Any) -> Placement:
        if not isinstance(answer, dict):
            return Placement(key, False, reason="the broker's answer was not understood")
        if answer.get("failureReason") and answer.get("failureReason") != "Success":
            text = str(answer.get("failureText") or "")[:200]
            return Placement(key, False, reason=f"{answer['failureReason']}: {text}".rstrip(": "))
        order_id = answer.get("orderId")
        legs = tuple(str(answer[k]) for k in ("oso1Id", "oso2Id", "ocoId") if answer.get(k))
        return Placement(key, True, str(order_id), legs)

    async def _recover(self, key: str) -> Placement:
        """The broker's truth about an order whose answer was lost: found by its clOrdId, or never arrived."""
        for attempt in range(3):
            try:
                await self._ensure()
                commands = await self._get("command/list")
                break
            except (RestUnavailable, BrokerUnavailable):
                await asyncio.sleep(0.05 * (attempt + 1))
        else:
            return Placement(key, False, reason="acknowledgement lost and the broker cannot be reached; not resent")
        matches = [c for c in items(commands) if isinstance(c, dict) and c.get("clOrdId") == key]
        if not matches:
            placement = Placement(key, False, reason="the order never reached the broker; not resent", recovered=True)
        else:
            placement = Placement(key, True, str(matches[0].get("orderId")), recovered=True)
        self._sent[key] = placement
        log.info("broker.ack_recovered", broker="tradovate", client_order_id=key, found=bool(matches))
        return placement

    async def cancel(self, broker_account: str, order_id: str) -> Placement:
        await self._ensure()
        answer = await self._call("POST", "order/cancelorder", {"orderId": int(order_id), "isAutomated": True}, None)
        return self._command_result(order_id, answer)

    async def modify(
        self, broker_account: str, order_id: str, quantity: int, limit: Decimal | None, stop: Decimal | None
    ) -> Placement:
        await self._ensure()
        order = await self._get("order/item", {"id": order_id})
        if not isinstance(order, dict):
            return Placement(order_id, False, reason="no such order at the broker")
        body = {"orderId": int(order_id), "orderQty": quantity, "orderType": order.get("orderType"),
                "price": _wire(limit), "stopPrice": _wire(stop), "isAutomated": True}  # fmt: skip
        return self._command_result(order_id, await self._call("POST", "order/modifyorder", body, None))

    @staticmethod
    def _command_result(order_id: str, answer: Any) -> Placement:
        if isinstance(answer, dict) and answer.get("failureReason") and answer["failureReason"] != "Success":
            return Placement(
                order_id, False, order_id, reason=f"{answer['failureReason']}: {answer.get('failureText', '')}"
            )
        return Placement(order_id, isinstance(answer, dict), order_id)

    async def open_orders(self, broker_account: str, *, incremental: bool = False) -> tuple[BrokerOrder, ...]:
        """The account's working orders: the order entities that are open, completed from their dependents.
        `incremental` (the periodic pass): while the trading socket that saw the last history read stays open,
        only the orders open then or named by its events since can be working, read by id (`order/items`)
        instead of listing every order (history_window.py)."""
        await self._ensure()
        account = self.account_number(broker_account)
        wanted = self._changed.peek(account) if incremental else None
        if wanted is None:
            entities = items(await self._get("order/list"))
        else:
            entities = []
            ordered = sorted(wanted)
            for start in range(0, len(ordered), IDS_PER_REQUEST):
                ids = ",".join(str(i) for i in ordered[start : start + IDS_PER_REQUEST])
                entities += items(await self._get("order/items", {"ids": ids}))
        listed = [
            o
            for o in entities
            if isinstance(o, dict) and o.get("accountId") == account and type(o.get("id")) is int
            and str(o.get("ordStatus", "")) in OPEN_STATUSES
        ]  # fmt: skip
        commands, versions, filled = await self._dependents([o["id"] for o in listed])
        return tuple(o for o in self._complete(listed, commands, versions, filled) if o.is_open)

    async def _dependents(self, order_ids: Iterable[int]) -> tuple[list[Any], list[Any], list[Any]]:
        """The commands, order versions and fills of these orders (`ldeps`, IDS_PER_REQUEST ids per request)."""
        commands: list[Any] = []
        versions: list[Any] = []
        filled: list[Any] = []
        ordered = sorted(set(order_ids))
        for start in range(0, len(ordered), IDS_PER_REQUEST):  # ids ride in the query: keep each line short
            ids = {"masterids": ",".join(str(i) for i in ordered[start : start + IDS_PER_REQUEST])}
            commands += items(await self._get("command/ldeps", ids))
            versions += items(await self._get("orderVersion/ldeps", ids))
            filled += items(await self._get("fill/ldeps", ids))
        return commands, versions, filled

    def _complete(
        self, listed: Iterable[Any], commands: Iterable[Any], versions: Iterable[Any], filled: Iterable[Any]
    ) -> list[BrokerOrder]:
        """Order entities as BrokerOrders. The entity holds only ids, action and status (PROTOCOLS.md §1.6): the
        quantity, type and prices come from its latest orderVersion, the client order id from the command that
        placed it, and the filled quantity and average price from its fills."""
        client_ids = {
            whole(c.get("orderId")): str(c.get("clOrdId") or "")
            for c in commands
            if isinstance(c, dict) and c.get("commandType", "New") == "New" and c.get("clOrdId")
        }
        latest: dict[int, dict[str, Any]] = {}
        for v in versions:
            if isinstance(v, dict) and type(v.get("id")) is int:
                known = latest.get(whole(v.get("orderId")))
                if known is None or v["id"] > known["id"]:
                    latest[whole(v.get("orderId"))] = v
        done: dict[int, tuple[int, Decimal]] = {}  # order id -> (quantity filled, their value)
        for f in filled:
            price = _dec(f.get("price")) if isinstance(f, dict) else None
            if price is not None and isinstance(f, dict) and f.get("active", True):
                quantity, value = done.get(whole(f.get("orderId")), (0, Decimal(0)))
                done[whole(f.get("orderId"))] = (quantity + whole(f.get("qty")), value + whole(f.get("qty")) * price)
        orders = []
        for o in listed:
            version = latest.get(o["id"], {})
            quantity, value = done.get(o["id"], (0, Decimal(0)))
            orders.append(BrokerOrder(
                str(o["id"]), str(o.get("clOrdId") or client_ids.get(o["id"], "")),
                self._contracts.get(whole(o.get("contractId")), ""), str(o.get("action", "")),
                whole(version.get("orderQty")), str(version.get("orderType", "")), str(o.get("ordStatus", "")),
                _dec(version.get("price")), _dec(version.get("stopPrice")), quantity,
                value / quantity if quantity else None, parent_id=str(o.get("parentId") or ""),
            ))  # fmt: skip
        return orders

    async def order_history(
        self, broker_account: str, *, incremental: bool = False
    ) -> tuple[tuple[BrokerOrder, ...], tuple[BrokerFill, ...]]:
        """Every order the broker holds for the account (finished ones too) with its client order id (from the
        order or, as on Tradovate, the command that placed it), and every fill of those orders. `incremental`:
        only the orders open at the last read and those the trading socket's events named since
        (history_window.py), by id (`order/items`, their commands, versions and fills by `ldeps`); none at all
        when nothing was open or named. A new socket since the last read makes it a full read: the order, command,
        orderVersion and fill lists."""
        await self._ensure()
        account = self.account_number(broker_account)
        socket, wanted = self._changed.begin(account, incremental=incremental)
        listed: list[Any] = []
        if wanted is None:  # four lists, however long the history (a request per id slice would be many)
            listed = items(await self._get("order/list"))
            commands = items(await self._get("command/list"))
            versions = items(await self._get("orderVersion/list"))
            filled = items(await self._get("fill/list"))
        else:
            ordered = sorted(wanted)
            for start in range(0, len(ordered), IDS_PER_REQUEST):  # ids ride in the query: keep each line short
                ids = ",".join(str(i) for i in ordered[start : start + IDS_PER_REQUEST])
                listed += items(await self._get("order/items", {"ids": ids}))
        listed = [
            o for o in listed if isinstance(o, dict) and o.get("accountId") == account and type(o.get("id")) is int
        ]
        if wanted is not None:
            commands, versions, filled = await self._dependents(o["id"] for o in listed)
        orders = self._complete(listed, commands, versions, filled)
        ours = {order.order_id for order in orders}
        fills = []
        for f in items(filled):
            price = _dec(f.get("price")) if isinstance(f, dict) else None
            if price is None or str(f.get("orderId")) not in ours or type(f.get("id")) is not int:
                continue
            fills.append(BrokerFill(
                str(f["id"]), str(f["orderId"]), self._contracts.get(whole(f.get("contractId")), ""),
                str(f.get("action", "")), whole(f.get("qty")), price, self._clock.now_ns(),
            ))  # fmt: skip
        self._changed.finish(account, socket, (int(o.order_id) for o in orders if o.is_open))
        return tuple(orders), tuple(sorted(fills, key=lambda f: int(f.fill_id)))

    async def broker_positions(self, broker_account: str) -> tuple[BrokerPosition, ...]:
        await self._ensure()
        account = self.account_number(broker_account)
        positions = await self._get("position/list")
        found = []
        for p in items(positions):
            if not isinstance(p, dict) or p.get("accountId") != account or not whole(p.get("netPos")):
                continue
            contract_id = whole(p.get("contractId"))
            if contract_id not in self._contracts:
                item = await self._get("contract/item", {"id": str(contract_id)})
                if isinstance(item, dict):
                    self._remember_contract(contract_id, str(item.get("name", "")))
            found.append(BrokerPosition(self._contracts.get(contract_id, str(contract_id)), whole(p["netPos"]),
                                        _dec(p.get("netPrice"))))  # fmt: skip
        return tuple(found)

    async def close_contract(self, broker_account: str, symbol: str) -> bool:
        """Cancel the contract's orders and liquidate its position (liquidatePosition); True when the broker took it."""
        await self._ensure()
        body = {"accountId": self.account_number(broker_account), "contractId": await self._contract_id(symbol),
                "admin": False}  # fmt: skip
        answer = await self._call("POST", "order/liquidateposition", body, None)
        return isinstance(answer, dict) and not answer.get("failureReason")

    async def flatten(self, account_id: str, broker_account: str) -> FlattenReport:
        """Cancel every open order and liquidate every position; report what the broker then shows."""
        cancelled: list[str] = []
        closed: list[str] = []
        errors: list[str] = []
        orders = await self.open_orders(broker_account)
        still_open = {o.order_id for o in orders}
        for order in sorted(orders, key=lambda o: int(o.order_id) if o.order_id.isdigit() else 0):
            if order.order_id not in still_open:
                continue  # went with its entry (a bracket leg)
            result = await self.cancel(broker_account, order.order_id)
            still_open = {o.order_id for o in await self.open_orders(broker_account)}
            (cancelled if result.accepted else errors).append(order.order_id if result.accepted else result.reason)
        account = self.account_number(broker_account)
        for position in await self.broker_positions(broker_account):
            body = {"accountId": account, "contractId": await self._contract_id(position.symbol), "admin": False}
            answer = await self._call("POST", "order/liquidateposition", body, None)
            if isinstance(answer, dict) and answer.get("failureReason"):
                errors.append(f"{position.symbol}: {answer['failureReason']}")
            else:
                closed.append(position.symbol)
        remaining = await self.broker_positions(broker_account)
        return FlattenReport(account_id, tuple(cancelled), tuple(closed), remaining, tuple(errors))
