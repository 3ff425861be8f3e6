"""Copy fan-out to broker-bound followers (issue 15 target: one source signal -> orders sent for 20 follower
accounts against the fakes, p99 < 20 ms from the alert's arrival at the bridge to the last order acknowledged).

Three processes as deployed: `python -m core_server` (PostgreSQL, simulated feed, zero paper latency),
`python -m clients.webhook_bridge`, and this one, which also runs the broker fakes: one fake Tradovate hosting 10
accounts and one fake ProjectX gateway hosting 10 more. 20 Vigil accounts are bound to them and turned LIVE as a
user does (BindAccount, SetLiveRouting with the confirmation). Two copy groups with the same 20 followers (x1):
an account source on `paper` (the leader's hand orders) and a webhook source on the TradingView strategy
`bench-copy`, whose signal account is `paper`.

Each round the leader buys 1 NQ by hand (copied: 20 market orders placed and filled at the fakes, booked back
into the kernel), then a TradingView `exit` alert for `bench-copy` is POSTed to the bridge. Timed on one clock
(time.perf_counter_ns, CLOCK_MONOTONIC, in this process): from the alert's arrival at the bridge, the instant this
process writes the POST on the connection it opened for that alert (TradingView too opens a connection, TLS and
all, before its request arrives; until 2026-12-05 07:55 UTC the clock started before the connection was opened,
which is still printed), to the instant the fakes answered the 20th follower's liquidation (Tradovate
`order/liquidatePosition`, ProjectX `Position/closeContract`), taken in the fakes' request handlers as each answer
is built. The alert goes out as plain HTTP/1.1 on an asyncio connection: an aiohttp client in this process (which
also hosts the fakes) cost the fakes CPU inside the timed window. Also reported: the
bridge's answer (the core's decision stored), and the CPU time the core and the bridge used over the run.
This process, which hosts the fakes, turns its own garbage collector off from the POST to the last acknowledgement
(on again between rounds): a full collection of its heap (every order and fill the fakes ever took) took 43-48 ms
and is a pause of the harness, not of Vigil or of a broker.

An entry alert is not timed here: an entry is confirmed on closed 5m candles and enters at the next candle's
open (minutes, by design), so its fan-out starts at a candle, not at the POST. The exit alert runs at once and
reaches every follower through the same copy path (kernel command per follower, risk check, router, adapter).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from bench.database import bench_database
from bench.webhook import SECRET, _line_with, _spawn
from clients.sdk import CopyFollower, VigilClient, market
from core_server.feeds.fakes.projectx_orders import FakeProjectXBroker
from core_server.feeds.fakes.tradovate_orders import FakeTradovateBroker

FOLLOWERS = 20
ROUNDS = 200
TRADOVATE_SYMBOL, PROJECTX_SYMBOL = "NQZ6", "CON.F.US.ENQ.Z26"
CLOSING_PATHS = ("order/liquidateposition", "position/closecontract")


class AckClock:
    """Instants (perf_counter_ns) at which the fakes answered a liquidation, per broker account id."""

    def __init__(self) -> None:
        self.acks: dict[int, int] = {}

    def wrap(self, handle: Callable[..., Any]) -> Callable[..., Any]:
        def timed(path: str, body: dict[str, Any], *rest: Any) -> Any:
            answer = handle(path, body, *rest)
            if path in CLOSING_PATHS:
                self.acks[int(body.get("accountId") or 0)] = time.perf_counter_ns()
            return answer

        return timed


def _pick(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _exit_alert() -> bytes:
    fired = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {"ticker": "NQ1!", "action": "exit", "time": fired, "passphrase": SECRET, "strategy": "bench-copy"}
    return json.dumps(body).encode()


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _eventually(check: Callable[[], Any], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("bench condition not met")
        await asyncio.sleep(0.001)


async def _alert(url: str) -> tuple[int, int, int, int, dict[str, Any]]:
    """TradingView's exit alert, POSTed on a connection of its own: (connect started, the request written: the
    alert's arrival, the answer read, HTTP status, the answer's JSON)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    connecting = time.perf_counter_ns()
    reader, writer = await asyncio.open_connection(host, port)
    body = _exit_alert()
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    sent = time.perf_counter_ns()
    writer.write(head.encode() + body)
    raw = await reader.read()  # the bridge closes the connection after its answer (Connection: close)
    answered = time.perf_counter_ns()
    writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    payload = rest.partition(b"\r\n\r\n")[2]
    return connecting, sent, answered, int(status_line.split()[1]), json.loads(payload or b"{}")


async def _rounds(
    address: str,
    url: str,
    tradovate: FakeTradovateBroker,
    projectx: FakeProjectXBroker,
    clock: AckClock,
    core_pid: int,
) -> tuple[list[float], list[float], list[float], list[float], list[float], dict[str, int]]:
    to_last_ack: list[float] = []
    to_answer: list[float] = []
    first_ack: list[float] = []
    core_cpu: list[float] = []  # the core's CPU ms from the POST to the last acknowledgement
    from_connect: list[float] = []  # to the last acknowledgement, from before the sender connected
    statuses: dict[str, int] = {}
    async with VigilClient(address) as client:
        while True:
            try:
                quote = (await client.get_quote("NQ1!")).quote
                break
            except Exception:  # no quote yet
                await asyncio.sleep(0.1)
        tradovate.set_market(TRADOVATE_SYMBOL, quote.bid, quote.ask)
        projectx.set_market(PROJECTX_SYMBOL, quote.bid, quote.ask)
        broker_ids: list[int] = []
        names = [f"f{i}" for i in range(FOLLOWERS)]
        for i, name in enumerate(names):
            await client.create_account(name, Decimal(10_000_000))
            broker_id = 7000 + i
            if i % 2 == 0:
                tradovate.book.add_account(broker_id, f"BENCH{broker_id}", Decimal(10_000_000))
                await client.bind_account(name, "tradovate", f"BENCH{broker_id}", "demo")
            else:
                projectx.book.add_account(broker_id, f"BENCH{broker_id}", Decimal(10_000_000))
                await client.bind_account(name, "projectx", str(broker_id), projectx.api_url)
            await client.set_live_routing(name, True, confirm=name)
            broker_ids.append(broker_id)
        for name in names[:2]:  # connect both adapters before any order (each reconciles every bound account)
            await client.reconcile(name)
        rules = [CopyFollower.times(name, Decimal(1)) for name in names]
        await client.create_copy_group("bench-entries", "account", "paper", rules)
        await client.create_copy_group("bench-exits", "webhook", "bench-copy", rules)

        def fake_net(broker_id: int) -> int:
            on_tradovate = broker_id % 2 == 0
            book = tradovate.book if on_tradovate else projectx.book
            position = book.positions.get((broker_id, TRADOVATE_SYMBOL if on_tradovate else PROJECTX_SYMBOL))
            return position.net if position is not None else 0

        async def kernel_holds(quantity: int) -> bool:
            for name in names:
                held = sum(p.quantity for p in await client.list_positions(name))
                if held != quantity:
                    return False
            return True

        for round_no in range(ROUNDS + 1):  # the first round warms up (connections, caches): not counted
            await client.submit_order("paper", market("NQ1!", "buy", 1))
            await _eventually(lambda: all(fake_net(b) == 1 for b in broker_ids), 30.0 if round_no == 0 else 10.0)
            try:
                await _eventually(lambda: kernel_holds(1))  # the brokers' fills booked into the followers
            except TimeoutError:
                held = {n: [p.quantity for p in await client.list_positions(n)] for n in names}
                raise TimeoutError(f"round {round_no}: the followers' kernel positions are {held}") from None
            clock.acks.clear()
            cpu_at_post = _cpu_s(core_pid)
            gc.disable()  # this process hosts the brokers: its own collections stay out of the timed window
            connecting, started, answered, code, payload = await _alert(url)
            status = str(payload.get("status", f"http {code}"))
            statuses[status] = statuses.get(status, 0) + 1
            await _eventually(lambda: all(b in clock.acks for b in broker_ids))
            gc.enable()
            core_cpu.append((_cpu_s(core_pid) - cpu_at_post) * 1000)
            to_last_ack.append((max(clock.acks[b] for b in broker_ids) - started) / 1e6)
            from_connect.append((max(clock.acks[b] for b in broker_ids) - connecting) / 1e6)
            to_answer.append((answered - started) / 1e6)
            first_ack.append((min(clock.acks[b] for b in broker_ids) - started) / 1e6)
            await _eventually(lambda: all(fake_net(b) == 0 for b in broker_ids))
            await _eventually(lambda: kernel_holds(0))
    return to_last_ack[1:], first_ack[1:], to_answer[1:], core_cpu[1:], from_connect[1:], statuses


async def through_bridge_to_brokers() -> None:
    clock = AckClock()
    tradovate = FakeTradovateBroker(heartbeat_s=2.5)
    projectx = FakeProjectXBroker()
    tradovate._handle = clock.wrap(tradovate._handle)  # type: ignore[method-assign]
    projectx._handle = clock.wrap(projectx._handle)  # type: ignore[method-assign]
    await tradovate.start()
    await projectx.start()
    try:
        async with bench_database() as url:
            core = await _spawn(
                "-m", "core_server",
                env={
                    "DATABASE_URL": url, "VIGIL_LISTEN": "127.0.0.1:0", "VIGIL_LOG_LEVEL": "warning",
                    "VIGIL_LOG_FORMAT": "json", "VIGIL_PAPER_LATENCY_MS": "0", "VIGIL_PAPER_SLIPPAGE_TICKS": "0",
                    **tradovate.env(), **projectx.env(),
                },
            )  # fmt: skip
            assert core.stderr is not None
            address = (await _line_with(core.stderr, "serving on")).split("serving on ", 1)[1].split(" ", 1)[0]
            core_drain = asyncio.create_task(core.stderr.read())
            bridge = await _spawn(
                "-m", "clients.webhook_bridge",
                env={
                    "VIGIL_TARGET": address, "VIGIL_BRIDGE_LISTEN": "127.0.0.1:0", "VIGIL_WEBHOOK_SECRET": SECRET,
                    "VIGIL_LOG_LEVEL": "warning",
                },
            )  # fmt: skip
            assert bridge.stderr is not None
            line = await _line_with(bridge.stderr, "listening on")
            base = line.split("listening on ", 1)[1].split("/webhook", 1)[0]
            bridge_drain = asyncio.create_task(bridge.stderr.read())
            cpu_before = (_cpu_s(core.pid), _cpu_s(bridge.pid))
            try:
                last_ack, first_ack, answer, core_cpu, from_connect, statuses = await _rounds(
                    address, f"{base}/webhook/tradingview", tradovate, projectx, clock, core.pid
                )
                cpu = (_cpu_s(core.pid) - cpu_before[0], _cpu_s(bridge.pid) - cpu_before[1])
            finally:
                for process in (bridge, core):
                    process.send_signal(signal.SIGTERM)
                    await process.wait()
                await asyncio.gather(core_drain, bridge_drain)
    finally:
        await tradovate.close()
        await projectx.close()
    acks, firsts, answers, cpus = sorted(last_ack), sorted(first_ack), sorted(answer), sorted(core_cpu)
    connects = sorted(from_connect)
    mix = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    print(
        "copy to broker fakes through the bridge: exit alert arrives at the bridge -> the fakes acknowledged all "
        f"{FOLLOWERS} followers' liquidations ({FOLLOWERS // 2} Tradovate + {FOLLOWERS // 2} ProjectX, LIVE): "
        f"p50 {_pick(acks, 0.5):.2f} ms, p90 {_pick(acks, 0.9):.2f} ms, p95 {_pick(acks, 0.95):.2f} ms, "
        f"p99 {_pick(acks, 0.99):.2f} ms, max {acks[-1]:.2f} ms (from before the sender opened its connection: p50 "
        f"{_pick(connects, 0.5):.2f} ms, p99 {_pick(connects, 0.99):.2f} ms, max {connects[-1]:.2f} ms); the first "
        f"follower's: p50 {_pick(firsts, 0.5):.2f} ms, p99 {_pick(firsts, 0.99):.2f} ms; "
        f"bridge answered (decision stored): p50 {_pick(answers, 0.5):.2f} ms, p99 {_pick(answers, 0.99):.2f} ms "
        f"({len(acks)} alerts, one at a time; decisions: {mix}); the core's CPU from the POST to the last "
        f"acknowledgement (clock ticks of 10 ms, so a median of many): p50 {_pick(cpus, 0.5):.0f} ms, mean "
        f"{sum(cpus) / len(cpus):.1f} ms; CPU over the whole run (the hand entries between alerts and the simulated "
        f"feed included): core {cpu[0]:.1f} s, bridge {cpu[1]:.1f} s"
    )


def main() -> None:
    asyncio.run(through_bridge_to_brokers())
