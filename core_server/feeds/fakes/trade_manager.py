"""A fake Trade Manager price stream: push-only JSON text frames over a websocket, scriptable from tests.

Faithful to PROTOCOLS.md §4.1: no handshake or subscribe, each quote change of the script becomes
`{"type":"DATA","data":{"ticker":"NQ1!","prices":{"ask":..,"bid":..},"tickinfo":{"step":..,"amnt":..}}}`
(continuous TradingView tickers, exact decimal text), a LOGS message now and then, and the header
`Server: TornadoServer/6.4`. Served with aiohttp, so it shares no code with the client's websockets.

Run by hand: python -m core_server.feeds.fakes.trade_manager --port 8767 [--seed 1] [--rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass, field

from aiohttp import web

from core_server.feeds.fakes.market_script import MarketScript, ScriptEvent
from core_server.model.clock import NS_PER_SECOND, LiveClock
from core_server.model.instruments import INSTRUMENTS, front_contract


@dataclass(eq=False)
class _Client:
    ws: web.WebSocketResponse
    request: web.Request
    stalled: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class FakeTradeManager:
    """Serves `script` at ws://host:port/ (any path); `play` moves the market."""

    def __init__(self, script: MarketScript, *, token: str | None = None, logs_every: int = 50) -> None:
        self.script = script
        self.token = token  # when set, connections must send it (bearer header or ?token=)
        self.logs_every = logs_every
        self.refuse = False
        self.cursor = 0
        self.connections_accepted = 0
        self.sent = 0
        self._clients: set[_Client] = set()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._stream)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.url = f"ws://{host}:{self._runner.addresses[0][1]}/"
        return self.url

    async def stop(self) -> None:
        for client in list(self._clients):
            with contextlib.suppress(Exception):
                await client.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def connections(self) -> int:
        return sum(1 for c in self._clients if not c.stalled)

    @property
    def finished(self) -> bool:
        return self.cursor >= len(self.script.events)

    async def play(self, count: int | None = None, *, until_ns: int | None = None) -> list[ScriptEvent]:
        """Publish the next `count` events (or those at or before `until_ns`, or all); the quotes sent."""
        events = self.script.events
        stop = len(events) if count is None else min(len(events), self.cursor + count)
        if until_ns is not None:
            while stop > self.cursor and events[stop - 1].ts_ns > until_ns:
                stop -= 1
        quotes = [e for e in events[self.cursor : stop] if not e.is_trade]
        self.cursor = stop
        for event in quotes:
            self.sent += 1
            text = self.data_message(event)
            if self.logs_every and self.sent % self.logs_every == 0:
                await self._broadcast('{"type":"LOGS","data":"heartbeat from fake Trade Manager"}')
            await self._broadcast(text)
        return quotes

    def data_message(self, event: ScriptEvent) -> str:
        contract = next(c for c in self.script.contracts if c.id == event.contract_id)
        spec = contract.spec
        return (
            f'{{"type":"DATA","data":{{"ticker":"{contract.root}1!","prices":{{"ask":{spec.format_ticks(event.ask)},'
            f'"bid":{spec.format_ticks(event.bid)}}},"tickinfo":{{"step":{spec.tick_size},"amnt":{spec.tick_value}}}}}}}'
        )

    async def send_raw(self, text: str | bytes) -> None:
        for client in list(self._clients):
            async with client.lock:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    if isinstance(text, bytes):
                        await client.ws.send_bytes(text)
                    else:
                        await client.ws.send_str(text)

    async def drop_connections(self) -> int:
        clients = list(self._clients)
        for client in clients:
            if client.request.transport is not None:
                client.request.transport.abort()
        self._clients.clear()
        return len(clients)

    def stall_connections(self) -> None:
        """Current connections go silent and stop reading, so even websocket pings go unanswered."""
        for client in self._clients:
            client.stalled = True
            if client.request.transport is not None:
                client.request.transport.pause_reading()

    async def _broadcast(self, text: str) -> None:
        for client in list(self._clients):
            if client.stalled or client.ws.closed:
                continue
            async with client.lock:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await client.ws.send_str(text)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        if self.refuse:
            return web.Response(status=503, text="Service Unavailable", headers={"Server": "TornadoServer/6.4"})
        if self.token is not None:
            header = request.headers.get("Authorization", "")
            if header != f"Bearer {self.token}" and request.query.get("token") != self.token:
                return web.Response(status=401, text="Unauthorized", headers={"Server": "TornadoServer/6.4"})
        ws = web.WebSocketResponse()
        ws.headers["Server"] = "TornadoServer/6.4"
        await ws.prepare(request)
        client = _Client(ws, request)
        self._clients.add(client)
        self.connections_accepted += 1
        try:
            async for _ in ws:
                pass  # push-only: whatever the client says is ignored
        finally:
            self._clients.discard(client)
        return ws


async def _serve(args: argparse.Namespace) -> None:
    now = LiveClock().now_ns()
    roots = [r.strip().upper() for r in args.roots.split(",") if r.strip()]
    contracts = [front_contract(r, now) for r in roots if r in INSTRUMENTS]
    script = MarketScript.generate(
        contracts, seed=args.seed, start_ns=now - now % NS_PER_SECOND, duration_s=args.minutes * 60, rate=args.rate
    )
    fake = FakeTradeManager(script, token=args.token)
    url = await fake.start(args.host, args.port)
    print(f"fake Trade Manager stream on {url}; tickers {', '.join(c.root + '1!' for c in contracts)}")
    print(f"  TRADE_MANAGER_URL={url}" + (f" TRADE_MANAGER_TOKEN={args.token}" if args.token else ""))
    try:
        while not fake.finished:
            await fake.play(until_ns=LiveClock().now_ns())
            await asyncio.sleep(0.01)
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Trade Manager price stream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=10.0, help="events per second per contract")
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the script (then it goes quiet)")
    parser.add_argument("--roots", default="NQ,ES,MNQ,MES")
    parser.add_argument("--token", default=None, help="require this token (bearer header or ?token=)")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
