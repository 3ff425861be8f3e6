"""A fake ProjectX Gateway: REST (auth, contracts, bars) and the SignalR JSON market hub, scriptable from tests.

Faithful to PROTOCOLS.md §2: POST JSON envelopes with success/errorCode/errorMessage, JWT-shaped
tokens with an `exp` claim, Auth/validate returning `newToken`, bars newest first with 9-decimal
prices, and a hub at /hubs/market that takes `access_token` in the query (or a bearer header),
with or without a prior /negotiate, answers the handshake, pings every `ping_interval_s`, closes a
client silent for `client_timeout_s`, completes invocations and pushes GatewayQuote
`[id, {...}]` (partial: unchanged prices left out) and GatewayTrade `[id, [{...}, ...]]`.

REST and hub share one aiohttp server (production uses two hosts; the adapter takes both URLs).
aiohttp also serves the websocket, so the fake shares no code with the client's websockets library
or SignalR codec, and JSON is written by hand from exact decimal text.

Run by hand: python -m core_server.feeds.fakes.projectx --port 8766 [--seed 1] [--rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from core_server.feeds.fakes.market_script import MarketScript, ScriptEvent
from core_server.feeds.fakes.projectx_rest import FakeGatewayRest, FakeTokens, bearer
from core_server.model.clock import NS_PER_SECOND, LiveClock, datetime_from_ns
from core_server.model.instruments import INSTRUMENTS, Contract, front_contract

RS = "\x1e"
CLIENT_TIMEOUT = "Server timeout elapsed without receiving a message from the client."


def _iso(ts_ns: int, style: str) -> str:
    moment = datetime_from_ns(ts_ns)
    frac = ts_ns % NS_PER_SECOND
    if style == "Z":  # microseconds and Z, as JavaScript-style clients print
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac // 1000:06d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac // 100:07d}+00:00"  # .NET style


@dataclass(eq=False)
class _HubClient:
    ws: web.WebSocketResponse
    request: web.Request
    token: str
    quotes: set[str] = field(default_factory=set)
    trades: set[str] = field(default_factory=set)
    handshaken: bool = False
    stalled: bool = False
    last_heard: float = 0.0
    sent: dict[str, tuple[int, int]] = field(default_factory=dict)  # contract -> last bid/ask sent
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class FakeProjectX:
    """Serves `script`; tests move the market with `play` and break things with the other methods."""

    def __init__(
        self,
        script: MarketScript,
        *,
        username: str = "trader",
        api_key: str = "fake-api-key",
        token_lifetime_s: float = 86400.0,
        ping_interval_s: float = 15.0,
        client_timeout_s: float = 30.0,
        records_per_frame: int = 1,
        quote_snapshot_on_subscribe: bool = True,
        paced: bool = False,
    ) -> None:
        self.script = script
        self.username = username
        self.api_key = api_key
        self.ping_interval_s = ping_interval_s
        self.client_timeout_s = client_timeout_s
        self.records_per_frame = records_per_frame
        self.quote_snapshot_on_subscribe = quote_snapshot_on_subscribe
        self.paced = paced  # the market's present is the wall clock (manual runs), else the last event played
        self.refuse_hub = False
        self.close_hub_on_token_expiry = False
        self.calls: Counter[str] = Counter()
        self.cursor = 0
        self.tokens = FakeTokens(token_lifetime_s)
        self.rest = FakeGatewayRest(
            script,
            self.tokens,
            self.calls,
            username=username,
            api_key=api_key,
            now_ns=lambda: self.now_ns,
            complete=lambda: self.finished and not self.paced,
        )
        self._connection_ids = itertools.count(1)
        self._negotiated: set[str] = set()
        self._clients: set[_HubClient] = set()
        self._runner: web.AppRunner | None = None
        self._books: dict[str, ScriptEvent] = {}  # contract id -> last event (book state)
        self._ids = {c.id: c.projectx_id for c in script.contracts}
        self._contracts = {c.projectx_id: c for c in script.contracts}
        self.base_url = ""

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        self.rest.add_routes(app)
        app.router.add_post("/hubs/market/negotiate", self._negotiate)
        app.router.add_get("/hubs/market", self._hub)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound}"
        return self.base_url

    @property
    def market_hub_url(self) -> str:
        return self.base_url + "/hubs/market"

    async def stop(self) -> None:
        for client in list(self._clients):
            with contextlib.suppress(Exception):
                await client.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- the market ------------------------------------------------------------------------
    @property
    def now_ns(self) -> int:
        if self.paced:
            return LiveClock().now_ns()
        if self.cursor == 0:
            return self.script.start_ns - 1
        return self.script.events[self.cursor - 1].ts_ns

    @property
    def finished(self) -> bool:
        return self.cursor >= len(self.script.events)

    async def play(self, count: int | None = None, *, until_ns: int | None = None) -> int:
        """Publish the next `count` events (or those stamped at or before `until_ns`, or all)."""
        events = self.script.events
        stop = len(events) if count is None else min(len(events), self.cursor + count)
        if until_ns is not None:
            while stop > self.cursor and events[stop - 1].ts_ns > until_ns:
                stop -= 1
        batch = events[self.cursor : stop]
        self.cursor = stop
        pending: dict[_HubClient, list[str]] = {}
        i = 0
        while i < len(batch):
            event = batch[i]
            group = [event]
            if event.is_trade:  # adjacent prints of one contract at one stamp go out as one array
                while i + len(group) < len(batch) and len(group) < 5:
                    nxt = batch[i + len(group)]
                    if not (nxt.is_trade and nxt.contract_id == event.contract_id and nxt.ts_ns == event.ts_ns):
                        break
                    group.append(nxt)
            i += len(group)
            for e in group:
                self._books[e.contract_id] = e
            for client in self._clients:
                record = self._record_for(client, group)
                if record is not None:
                    pending.setdefault(client, []).append(record)
        for client, records in pending.items():
            await self._send_records(client, records)
        return len(batch)

    def _record_for(self, client: _HubClient, group: list[ScriptEvent]) -> str | None:
        if not client.handshaken or client.stalled:
            return None
        event = group[0]
        px = self._ids[event.contract_id]
        if event.is_trade:
            return self._trade_record(px, group) if px in client.trades else None
        return self._quote_record(client, px, event, full=False) if px in client.quotes else None

    def _trade_record(self, px: str, group: list[ScriptEvent]) -> str:
        spec = self._contracts[px].spec
        items = ",".join(
            f'{{"symbolId":"{px[4:-4]}","price":{spec.format_ticks(e.price)},'
            f'"timestamp":"{_iso(e.ts_ns, "net")}","type":{e.side},"volume":{e.size}}}'
            for e in group
        )
        return f'{{"type":1,"target":"GatewayTrade","arguments":["{px}",[{items}]]}}'

    def _quote_record(self, client: _HubClient, px: str, event: ScriptEvent, *, full: bool) -> str | None:
        spec = self._contracts[px].spec
        last = client.sent.get(px)
        fields = [f'"symbol":"{px[4:-4]}"', f'"symbolName":"/{self._contracts[px].root}"']
        if full or last is None or last[0] != event.bid:
            fields.append(f'"bestBid":{spec.format_ticks(event.bid)}')
        if full or last is None or last[1] != event.ask:
            fields.append(f'"bestAsk":{spec.format_ticks(event.ask)}')
        if len(fields) == 2:
            return None  # only the sizes moved, and ProjectX quotes carry no sizes
        client.sent[px] = (event.bid, event.ask)
        stamp = _iso(event.ts_ns, "Z")
        fields += [f'"volume":{event.volume}', f'"lastUpdated":"{stamp}"', f'"timestamp":"{stamp}"']
        return f'{{"type":1,"target":"GatewayQuote","arguments":["{px}",{{{",".join(fields)}}}]}}'

    async def _send_records(self, client: _HubClient, records: list[str]) -> None:
        step = max(1, self.records_per_frame)
        for i in range(0, len(records), step):
            await self._send(client, "".join(r + RS for r in records[i : i + step]))

    async def _send(self, client: _HubClient, text: str) -> None:
        if client.ws.closed:
            return
        async with client.lock:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await client.ws.send_str(text)

    # ---- faults ------------------------------------------------------------------------------
    async def drop_connections(self) -> int:
        """Abort every hub connection's TCP transport, as a network failure would."""
        clients = list(self._clients)
        for client in clients:
            transport = client.request.transport
            if transport is not None:
                transport.abort()
        self._clients.clear()
        return len(clients)

    def stall_connections(self) -> None:
        """Current connections go silent (no pings, no data) but stay open; new ones are healthy."""
        for client in self._clients:
            client.stalled = True

    async def send_raw(self, text: str) -> None:
        """Send `text` as one frame to every connected client, exactly as given."""
        for client in list(self._clients):
            if client.handshaken:
                await self._send(client, text)

    async def close_hubs(
        self, error: str | None = "Server closed the connection.", allow_reconnect: bool = True
    ) -> None:
        message: dict[str, Any] = {"type": 7, "allowReconnect": allow_reconnect}
        if error is not None:
            message["error"] = error
        for client in list(self._clients):
            await self._send(client, json.dumps(message) + RS)
            await client.ws.close()

    def expire_tokens(self) -> None:
        self.tokens.expire_all()

    @property
    def reject_logins(self) -> bool:
        return self.rest.reject_logins

    @reject_logins.setter
    def reject_logins(self, value: bool) -> None:
        self.rest.reject_logins = value

    def subscribed(self, contract: Contract) -> int:
        """How many connections receive both quotes and trades of `contract`."""
        px = contract.projectx_id
        return sum(1 for c in self._clients if px in c.quotes and px in c.trades and not c.stalled)

    @property
    def connections(self) -> int:
        return len(self._clients)

    # ---- hub ---------------------------------------------------------------------------------
    async def _negotiate(self, request: web.Request) -> web.Response:
        self.calls[request.path] += 1
        token = request.query.get("access_token") or bearer(request)
        if not self.tokens.valid(token):
            return web.Response(status=401, text="Unauthorized")
        connection = f"conn-{next(self._connection_ids)}"
        self._negotiated.add(connection)
        transports = [{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}]
        reply = {"negotiateVersion": 1, "connectionId": connection, "connectionToken": connection}
        return web.json_response(reply | {"availableTransports": transports})

    async def _hub(self, request: web.Request) -> web.StreamResponse:
        self.calls[request.path] += 1
        if self.refuse_hub:
            return web.Response(status=503, text="Service Unavailable")
        token = request.query.get("access_token") or bearer(request)
        if token is None or not self.tokens.valid(token):
            return web.Response(status=401, text="Unauthorized")
        if "id" in request.query and request.query["id"] not in self._negotiated:
            return web.Response(status=404, text="No Connection with that ID")
        ws = web.WebSocketResponse(max_msg_size=1 << 20)
        await ws.prepare(request)
        loop = asyncio.get_running_loop()
        client = _HubClient(ws, request, token, last_heard=loop.time())
        self._clients.add(client)
        pinger = asyncio.create_task(self._keep_alive(client))
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                client.last_heard = loop.time()
                for record in message.data.split(RS)[:-1]:
                    await self._on_record(client, record)
        finally:
            pinger.cancel()
            self._clients.discard(client)
        return ws

    async def _on_record(self, client: _HubClient, record: str) -> None:
        try:
            message = json.loads(record)
        except ValueError:
            await client.ws.close()
            return
        if not client.handshaken:
            if message.get("protocol") != "json":
                await self._send(
                    client,
                    json.dumps({"error": f"Requested protocol '{message.get('protocol')}' is not available."}) + RS,
                )
                await client.ws.close()
                return
            client.handshaken = True
            await self._send(client, "{}" + RS)
            return
        kind = message.get("type")
        if kind == 7:
            await client.ws.close()
        elif kind == 1:
            await self._invocation(client, message)

    async def _invocation(self, client: _HubClient, message: dict[str, Any]) -> None:
        target, args = message.get("target", ""), message.get("arguments") or []
        invocation_id = message.get("invocationId")
        px = args[0] if args and isinstance(args[0], str) else ""
        error = None
        if px not in self._contracts:
            error = f"Contract {px!r} not found."
        elif target in ("SubscribeContractQuotes", "UnsubscribeContractQuotes"):
            (client.quotes.add if target.startswith("Sub") else client.quotes.discard)(px)
        elif target in ("SubscribeContractTrades", "UnsubscribeContractTrades"):
            (client.trades.add if target.startswith("Sub") else client.trades.discard)(px)
        elif target not in ("SubscribeContractMarketDepth", "UnsubscribeContractMarketDepth"):
            error = f"Unknown hub method '{target}'"
        if invocation_id is not None:
            reply: dict[str, Any] = {"type": 3, "invocationId": invocation_id}
            if error is not None:
                reply["error"] = error
            await self._send(client, json.dumps(reply) + RS)
        book = self._books.get(self._contracts[px].id) if error is None else None
        if target == "SubscribeContractQuotes" and self.quote_snapshot_on_subscribe and book is not None:
            client.sent.pop(px, None)
            record = self._quote_record(client, px, book, full=True)
            if record is not None:
                await self._send(client, record + RS)

    async def _keep_alive(self, client: _HubClient) -> None:
        loop = asyncio.get_running_loop()
        while not client.ws.closed:
            await asyncio.sleep(self.ping_interval_s)
            if loop.time() - client.last_heard > self.client_timeout_s:
                await self._send(client, json.dumps({"type": 7, "error": CLIENT_TIMEOUT, "allowReconnect": True}) + RS)
                await client.ws.close()
                return
            if self.close_hub_on_token_expiry and not self.tokens.valid(client.token):
                await self._send(client, '{"type":7,"error":"Token expired.","allowReconnect":true}' + RS)
                await client.ws.close()
                return
            if not client.stalled and client.handshaken:
                await self._send(client, '{"type":6}' + RS)


async def _serve(args: argparse.Namespace) -> None:
    now = LiveClock().now_ns()
    roots = [r.strip().upper() for r in args.roots.split(",") if r.strip()]
    contracts = [front_contract(r, now) for r in roots if r in INSTRUMENTS]
    script = MarketScript.generate(
        contracts, seed=args.seed, start_ns=now - now % NS_PER_SECOND, duration_s=args.minutes * 60, rate=args.rate
    )
    fake = FakeProjectX(script, username=args.user, api_key=args.key, ping_interval_s=args.ping, paced=True)
    url = await fake.start(args.host, args.port)
    ids = ", ".join(c.projectx_id for c in contracts)
    print(f"fake ProjectX Gateway on {url} (hub {fake.market_hub_url}); contracts {ids}")
    print(f"  PROJECTX_API_URL={url} PROJECTX_MARKET_HUB_URL={fake.market_hub_url}")
    print(f"  PROJECTX_USERNAME={args.user} PROJECTX_API_KEY={args.key}  (fake credentials)")
    try:
        while not fake.finished:
            await fake.play(until_ns=LiveClock().now_ns())
            await asyncio.sleep(0.01)
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake ProjectX Gateway (REST + SignalR market hub)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=10.0, help="events per second per contract")
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the script (then it goes quiet)")
    parser.add_argument("--roots", default="NQ,ES,MNQ,MES")
    parser.add_argument("--ping", type=float, default=15.0, help="server ping interval, seconds")
    parser.add_argument("--user", default="trader")
    parser.add_argument("--key", default="fake-api-key")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
