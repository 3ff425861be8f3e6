"""The fake Tradovate market-data socket: one client's requests, subscriptions, charts and heartbeats."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from core_server.feeds.fakes.tradovate_script import ScriptPrint, TickScript

if TYPE_CHECKING:
    from core_server.feeds.fakes.tradovate import FakeTradovate


def snapshot_entries(script: TickScript, p: ScriptPrint) -> dict[str, Any]:
    price = script.wire_price
    return {
        "Bid": {"price": price(p.bid), "size": p.bid_size},
        "Offer": {"price": price(p.ask), "size": p.ask_size},
        "Trade": {"price": price(p.price), "size": p.size},
        "TotalTradeVolume": {"size": p.volume},
    }


def quote_entries(script: TickScript, before: ScriptPrint, p: ScriptPrint) -> dict[str, Any]:
    """Only what changed since `before` (a field absent means unchanged); the volume always moves."""
    price = script.wire_price
    entries: dict[str, Any] = {}
    for key, old, new in (
        ("Bid", (before.bid, before.bid_size), (p.bid, p.bid_size)),
        ("Offer", (before.ask, before.ask_size), (p.ask, p.ask_size)),
        ("Trade", (before.price, before.size), (p.price, p.size)),
    ):
        entry: dict[str, Any] = {}
        if new[0] != old[0]:
            entry["price"] = price(new[0])
        if new[1] != old[1]:
            entry["size"] = new[1]
        if entry:
            entries[key] = entry
    entries["TotalTradeVolume"] = {"size": p.volume}
    return entries


def chart_packets(
    script: TickScript, prints: Sequence[ScriptPrint], chart_id: int, per_packet: int, shuffle: bool = False
) -> list[dict[str, Any]]:
    """Compact tick-chart packets: prices as tick offsets from `bp`, times as ms offsets from `bt`."""
    packets = []
    for start in range(0, len(prints), per_packet):
        part = prints[start : start + per_packet]
        bp, bt = part[0].price, part[0].ts_ms
        ticks = [
            {"t": p.ts_ms - bt, "p": p.price - bp, "s": p.size, "b": p.bid - bp, "a": p.ask - bp}
            | {"bs": p.bid_size, "as": p.ask_size, "id": p.tick_id}
            for p in part
        ]
        if shuffle:  # the docs warn ticks can arrive out of order
            random.Random(bt).shuffle(ticks)
        day = datetime.fromtimestamp(bt // 1000, tz=UTC)
        packets.append(
            {
                "id": chart_id,
                "s": "db",
                "td": day.year * 10000 + day.month * 100 + day.day,
                "bp": bp,
                "bt": bt,
                "ts": float(script.tick_size),
                "tks": ticks,
            }
        )
    return packets


def _ms(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1000 + 0.5)


def _error(text: str) -> str:
    return json.dumps(text)  # errors carry a JSON string inside `d`, quotes and all (observed)


class MdClient:
    """One connection to the fake's md socket."""

    def __init__(self, server: FakeTradovate, ws: web.WebSocketResponse, transport: asyncio.Transport | None):
        self.server = server
        self.ws = ws
        self.transport = transport
        self.authorized = False
        self.quotes: set[int] = set()  # subscribed contract ids
        self._live_charts: dict[int, tuple[int, int]] = {}  # realtime id -> (contract id, historical id)
        self.stalled = False
        self.closing = False
        self._loop = asyncio.get_running_loop()
        self.last_sent = self.last_received = self._loop.time()

    def live_charts(self, contract_id: int) -> list[int]:
        return [rid for rid, (cid, _) in self._live_charts.items() if cid == contract_id]

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()  # a dead TCP connection: no close frame

    async def tick(self, now: float) -> None:
        """Heartbeat `h` when idle; close a client that stopped sending (it must send `[]` every 2.5 s)."""
        if self.closing or self.ws.closed:
            return
        if now - self.last_received > self.server.client_timeout_s:
            self.closing = True
            await self.send_raw('c[1000,"Heartbeat timeout"]')
            await self.ws.close()
        elif now - self.last_sent >= self.server.heartbeat_s:
            await self.send_raw("h")

    async def send_raw(self, text: str, force: bool = False) -> None:
        if (self.stalled and not force) or self.ws.closed:
            return
        try:
            await self.ws.send_str(text)
        except (ConnectionError, RuntimeError):
            return
        self.last_sent = self._loop.time()

    async def send_messages(self, messages: list[Any]) -> None:
        await self.send_raw("a" + json.dumps(messages, separators=(",", ":")))

    async def _reply(self, request_id: int, status: int, data: Any = None) -> None:
        message: dict[str, Any] = {"s": status, "i": request_id}
        if data is not None:
            message["d"] = data
        await self.send_messages([message])

    async def on_text(self, text: str) -> None:
        self.last_received = self._loop.time()
        counters = self.server.counters
        if text == "[]":
            counters.client_heartbeats += 1
            return
        parts = text.split("\n", 3)
        if len(parts) != 4 or not parts[1].strip().isdigit():
            counters.bad_requests += 1
            return
        endpoint, request_id, body = parts[0].strip().lower(), int(parts[1]), parts[3]
        if endpoint == "authorize":
            ok = self.server.auth.authorize(body.strip())
            self.authorized = self.authorized or ok
            await self._reply(request_id, 200 if ok else 401, None if ok else _error("Access is denied"))
            return
        if not self.authorized:
            await self._reply(request_id, 401, _error("Access is denied"))
            return
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError:
            counters.bad_requests += 1
            await self._reply(request_id, 400, _error("Malformed request body"))
            return
        handler = {
            "md/subscribequote": self._subscribe,
            "md/unsubscribequote": self._unsubscribe,
            "md/getchart": self._get_chart,
            "md/cancelchart": self._cancel_chart,
        }.get(endpoint)
        if handler is None or not isinstance(payload, dict):
            await self._reply(request_id, 404, _error(f"Not found: {endpoint}"))
            return
        await handler(request_id, payload)

    async def _subscribe(self, request_id: int, payload: dict[str, Any]) -> None:
        script = self.server.script_for(payload.get("symbol"))
        if script is None:
            await self._reply(request_id, 404, _error(f"Unknown symbol: {payload.get('symbol')}"))
            return
        self.server.counters.subscriptions += 1
        self.quotes.add(script.contract_id)
        await self._reply(request_id, 200, {})
        played = self.server.published[script.name.upper()]
        current = script.prints[played - 1] if played else script.opening
        quote = {"timestamp": iso_ms(current.ts_ms), "contractId": script.contract_id}
        await self.send_messages(
            [{"e": "md", "d": {"quotes": [quote | {"entries": snapshot_entries(script, current)}]}}]
        )

    async def _unsubscribe(self, request_id: int, payload: dict[str, Any]) -> None:
        script = self.server.script_for(payload.get("symbol"))
        if script is not None:
            self.quotes.discard(script.contract_id)
        await self._reply(request_id, 200, {})

    async def _get_chart(self, request_id: int, payload: dict[str, Any]) -> None:
        server = self.server
        script = server.script_for(payload.get("symbol"))
        time_range = payload.get("timeRange")
        if script is None or not isinstance(time_range, dict):
            await self._reply(request_id, 404 if script is None else 400, _error("Bad chart request"))
            return
        server.counters.charts += 1
        many = time_range.get("asMuchAsElements")
        live_request = many == 1 and "closestTimestamp" not in time_range
        if (server.refuse_history and not live_request) or (server.refuse_live_charts and live_request):
            await self._reply(request_id, 500, _error("Chart service unavailable"))
            return
        try:
            far = _ms(time_range.get("asFarAsTimestamp") or time_range.get("asFarAsTimeStamp"))
            closest = _ms(time_range.get("closestTimestamp"))
        except ValueError:
            await self._reply(request_id, 400, _error("Bad timestamp"))
            return
        played = server.published[script.name.upper()]
        low = script.index_from(far) if far is not None else 0
        high = min(played, script.index_after(closest)) if closest is not None else played
        cap = server.history_cap
        if isinstance(many, int) and many > 0:
            cap = min(cap, many) if cap else many
        if cap:  # the newest `cap` prints of the range (a server may cap below what was asked)
            low = max(low, high - cap)
        historical = server.next_chart_id()
        realtime = historical if server.chart_ids == "legacy" else server.next_chart_id()
        ids = (
            {"subscriptionId": historical}
            if server.chart_ids == "legacy"
            else {"historicalId": historical, "realtimeId": realtime}
        )
        messages: list[Any] = [{"s": 200, "i": request_id, "d": ids}]
        tick_chart = (payload.get("chartDescription") or {}).get("underlyingType") == "Tick"
        if tick_chart and high > low:
            packets = chart_packets(
                script, script.prints[low:high], historical, server.history_packet_ticks, server.shuffle_history
            )
            messages.extend({"e": "chart", "d": {"charts": [packet]}} for packet in packets)
        messages.append({"e": "chart", "d": {"charts": [{"id": historical, "eoh": True}]}})
        # Live from the print after the history's newest: registered before the one frame that carries the
        # reply, the history and its end goes out, so no print falls between history and live.
        self._live_charts[realtime] = (script.contract_id, historical)
        await self.send_messages(messages)

    async def _cancel_chart(self, request_id: int, payload: dict[str, Any]) -> None:
        # Sources disagree on which id cancels a chart: accept either and cancel both.
        wanted = payload.get("subscriptionId")
        for realtime, (_, historical) in list(self._live_charts.items()):
            if wanted in (realtime, historical):
                del self._live_charts[realtime]
                self.server.counters.chart_cancels += 1
        await self._reply(request_id, 200, {})


def iso_ms(ts_ms: int) -> str:
    seconds, ms = divmod(ts_ms, 1000)
    return f"{datetime.fromtimestamp(seconds, tz=UTC):%Y-%m-%dT%H:%M:%S}.{ms:03d}Z"
