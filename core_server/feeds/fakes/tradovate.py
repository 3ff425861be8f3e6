"""A local fake Tradovate: REST auth and contract lookup plus the market-data socket, scriptable from tests.

One aiohttp server on one port serves `/v1/<entity>/<op>` (paths case-insensitive) and `/v1/websocket`
(SockJS-style frames: `o`, `h`, `a[...]`, `c[code,"reason"]`), following PROTOCOLS.md §1. Each contract
plays a TickScript at `rate` prints per second; controls drop connections, stall the socket, send raw
frames, expire tokens and answer logins with time penalties or errorText. Run it by hand with
`python -m core_server.feeds.fakes.tradovate --port 8765`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import time
from collections.abc import Sequence
from typing import Any, Literal

from aiohttp import WSMsgType, web

from core_server.feeds.fakes.tradovate_md import MdClient, chart_packets, iso_ms, quote_entries, snapshot_entries
from core_server.feeds.fakes.tradovate_rest import FakeAuth, FakeCounters, FakeCredentials, handle_rest
from core_server.feeds.fakes.tradovate_script import TickScript


class FakeTradovate:
    """The fake server. `quote_mode`: "snapshot" sends every entry in each quote, "delta" only what changed.
    `chart_ids`: "split" answers getChart with historicalId/realtimeId, "legacy" with one subscriptionId.
    `coalesce`: one quote message per that many prints, as Tradovate's quote stream does under load: its
    `Trade` entry is the last print only and `TotalTradeVolume` rises by all of them (tick charts still carry
    every print). `history_cap`: at most that many ticks per getChart, whatever was asked (None: as asked)."""

    def __init__(
        self,
        scripts: Sequence[TickScript],
        *,
        credentials: FakeCredentials | None = None,
        rate: float = 1000.0,
        heartbeat_s: float = 2.5,
        client_timeout_s: float = 10.0,
        token_lifetime_s: float = 4800.0,
        quote_mode: Literal["snapshot", "delta"] = "snapshot",
        chart_ids: Literal["split", "legacy"] = "split",
        history_packet_ticks: int = 500,
        shuffle_history: bool = False,
        renew_returns_md_token: bool = False,
        coalesce: int = 1,
        history_cap: int | None = None,
    ) -> None:
        self.scripts = {script.name.upper(): script for script in scripts}
        self._by_id = {script.contract_id: script for script in scripts}
        self.counters = FakeCounters()
        self.auth = FakeAuth(credentials or FakeCredentials(), self.counters, token_lifetime_s, renew_returns_md_token)
        self.rate = rate
        self.heartbeat_s = heartbeat_s
        self.client_timeout_s = client_timeout_s
        self.quote_mode = quote_mode
        self.chart_ids = chart_ids
        self.history_packet_ticks = history_packet_ticks
        self.shuffle_history = shuffle_history
        self.coalesce = max(1, coalesce)
        self.history_cap = history_cap
        # answer history getChart requests with an error, so a gap cannot be filled (a live chart, asking for the
        # newest print only, is still served)
        self.refuse_history = False
        self.refuse_live_charts = False  # answer the live chart request (the newest print only) with an error
        self.clients: list[MdClient] = []
        self.published = {script.name.upper(): 0 for script in scripts}  # prints played per contract
        self._timeline = sorted(
            ((p.ts_ms, n, i) for n, s in enumerate(scripts) for i, p in enumerate(s.prints)), key=lambda e: (e[0], e[1])
        )
        self._names = [script.name.upper() for script in scripts]
        self.cursor = 0
        self._playing = False
        self._play_origin = (0.0, 0)
        self._chart_ids = itertools.count(100)
        self._runner: web.AppRunner | None = None
        self._player: asyncio.Task[None] | None = None
        self.rest_url = self.md_url = ""

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/v1/websocket", self._md_socket)
        app.router.add_route("*", "/v1/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.rest_url = f"http://{host}:{bound}/v1"
        self.md_url = f"ws://{host}:{bound}/v1/websocket"
        self._player = asyncio.create_task(self._play_loop())

    async def close(self) -> None:
        if self._player is not None:
            self._player.cancel()
            await asyncio.gather(self._player, return_exceptions=True)
        for client in list(self.clients):
            client.abort()
        if self._runner is not None:
            await self._runner.cleanup()

    def env(self) -> dict[str, str]:
        return self.auth.credentials.env(self.rest_url, self.md_url)

    # ---- playback --------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.cursor >= len(self._timeline)

    def play(self) -> None:
        self._playing = True
        self._play_origin = (asyncio.get_running_loop().time(), self.cursor)

    def pause(self) -> None:
        self._playing = False

    async def step(self, count: int = 1) -> None:
        await self._publish_until(min(len(self._timeline), self.cursor + count))

    async def _play_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(0.005)
            now = loop.time()
            for client in list(self.clients):
                await client.tick(now)
            if self._playing and not self.finished:
                started, base = self._play_origin
                due = base + int((now - started) * self.rate)
                await self._publish_until(min(len(self._timeline), due))

    async def _publish_until(self, target: int) -> None:
        batch: dict[str, list[int]] = {}
        for _, script_no, index in self._timeline[self.cursor : target]:
            batch.setdefault(self._names[script_no], []).append(index)
        self.cursor = max(self.cursor, target)
        for name, indexes in batch.items():
            self.published[name] = indexes[-1] + 1
        for client in list(self.clients):
            quotes, charts = [], []
            for name, indexes in batch.items():
                script = self.scripts[name]
                if script.contract_id in client.quotes:
                    last = len(script.prints) - 1
                    for index in indexes:
                        if (index + 1) % self.coalesce == 0 or index == last:
                            quotes.append(self._quote(script, index))
                for chart_id in client.live_charts(script.contract_id):
                    charts.extend(chart_packets(script, [script.prints[i] for i in indexes], chart_id, 10**9))
            messages: list[Any] = []
            if quotes:
                messages.append({"e": "md", "d": {"quotes": quotes}})
            if charts:
                messages.append({"e": "chart", "d": {"charts": charts}})
            if messages:
                await client.send_messages(messages)

    def _quote(self, script: TickScript, index: int) -> dict[str, Any]:
        current = script.prints[index]
        before = index - self.coalesce if (index + 1) % self.coalesce == 0 else index - (index + 1) % self.coalesce
        previous = script.prints[before] if before >= 0 else script.opening
        entries = (
            snapshot_entries(script, current)
            if self.quote_mode == "snapshot"
            else quote_entries(script, previous, current)
        )
        return {"timestamp": iso_ms(current.ts_ms), "contractId": script.contract_id, "entries": entries}

    # ---- test controls ---------------------------------------------------------------------------

    async def drop_connections(self, how: Literal["abort", "close", "sockjs"] = "abort") -> None:
        """End every md connection: TCP abort (no close frame), a WebSocket close, or a `c[...]` frame."""
        for client in list(self.clients):
            if how == "abort":
                client.abort()
            elif how == "sockjs":
                await client.send_raw('c[3000,"Go away!"]', force=True)
                await client.ws.close()
            else:
                await client.ws.close(code=1011, message=b"server going away")

    def stall(self, stalled: bool = True) -> None:
        """Current connections go silent (no data, no heartbeats) while the market plays on."""
        for client in self.clients:
            client.stalled = stalled

    async def send_raw(self, frame: str) -> None:
        for client in list(self.clients):
            await client.send_raw(frame)

    async def send_shutdown(self, reason_code: str = "Maintenance") -> None:
        event = {"e": "shutdown", "d": {"reasonCode": reason_code, "reason": "Server maintenance"}}
        for client in list(self.clients):
            await client.send_messages([event])

    def expire_tokens(self) -> None:
        self.auth.expire_all()

    def penalize_logins(self, times: int = 1, p_time: float = 1.0, captcha: bool = False) -> None:
        """The next `times` logins get a time penalty, honoured by resending with the p-ticket after p-time."""
        self.auth.penalize(times, p_time, captcha)

    def reject_logins(self, error_text: str | None) -> None:
        """Answer every login with this errorText until called with None."""
        self.auth.login_error = error_text

    # ---- market-data socket ----------------------------------------------------------------------

    async def _md_socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=1 << 20)
        await ws.prepare(request)
        self.counters.md_connections += 1
        client = MdClient(self, ws, request.transport)
        self.clients.append(client)
        try:
            await client.send_raw("o")
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await client.on_text(message.data)
        finally:
            self.clients.remove(client)
        return ws

    def script_for(self, symbol: Any) -> TickScript | None:
        if isinstance(symbol, int):
            return self._by_id.get(symbol)
        return self.scripts.get(str(symbol).upper())

    async def _rest(self, request: web.Request) -> web.Response:
        return await handle_rest(request, self.auth, self.scripts)

    def next_chart_id(self) -> int:
        return next(self._chart_ids)


START_PRICES = {"ES": "6800", "MES": "6800", "NQ": "25000", "MNQ": "25000", "YM": "47000", "MYM": "47000"}


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the fake by hand: prints the TRADOVATE_* variables that point Vigil at it, then plays forever."""
    parser = argparse.ArgumentParser(prog="python -m core_server.feeds.fakes.tradovate", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate", type=float, default=20.0, help="prints per second per contract")
    parser.add_argument("--contracts", default="NQZ6,ESZ6", help="Tradovate contract names")
    parser.add_argument("--prints", type=int, default=100_000, help="length of each contract's script")
    parser.add_argument("--quote-mode", choices=("snapshot", "delta"), default="snapshot")
    parser.add_argument("--token-lifetime", type=float, default=4800.0, help="seconds")
    parser.add_argument("--coalesce", type=int, default=1, help="prints per quote message (Trade = the last)")
    parser.add_argument("--history-cap", type=int, default=None, help="at most this many ticks per getChart")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> None:
    from core_server.model.symbols import parse_symbol

    now_ms = int(time.time() * 1000)
    scripts = []
    for number, name in enumerate(n.strip().upper() for n in args.contracts.split(",") if n.strip()):
        contract = parse_symbol(name, now_ms * 1_000_000)
        spec = contract.spec
        start = spec.ticks_from_price(START_PRICES.get(spec.root, "2500"))
        scripts.append(
            TickScript.random_walk(
                name,
                3_570_000 + number,
                spec.tick_size,
                seed=args.seed + number,
                count=args.prints,
                start_ms=now_ms,
                start_price=start,
                mean_gap_ms=1000.0 / args.rate,
            )
        )
    server = FakeTradovate(
        scripts,
        rate=args.rate * len(scripts),
        quote_mode=args.quote_mode,
        token_lifetime_s=args.token_lifetime,
        coalesce=args.coalesce,
        history_cap=args.history_cap,
    )
    await server.start(args.host, args.port)
    for key, value in server.env().items():
        print(f"export {key}={value}")
    print(f"# fake Tradovate on {server.rest_url} and {server.md_url}; Ctrl-C stops it", flush=True)
    server.play()
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
