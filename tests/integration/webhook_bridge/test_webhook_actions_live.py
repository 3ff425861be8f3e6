"""TradersPost alerts through the real bridge into a real server with a paper account: every action and
sentiment (position and orders before and after, the Signal Lab record), the alert bodies real users send
(free-text strategy names, every TradingView exchange prefix, time fields, retries, repeated keys, forms,
invalid bracket legs), and idempotency. The market is held still (tests/kit/held_market.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from clients.sdk import BracketLeg, LegKind, LegType, OrderSide, SignalStatus, VigilClient, limit, market
from clients.webhook_bridge import create_app
from clients.webhook_bridge.config import BridgeConfig
from core_server.app import RunningServer
from core_server.model.clock import NS_PER_SECOND, TestClock
from tests.kit.held_market import ACCOUNT, FIRED, NQ, client, held_clock, server

__all__ = ["client", "held_clock", "server"]  # fixtures

SECRET = "tv-secret"
FIRED_TEXT = "2026-11-19T15:30:50Z"
Http = TestClient  # type: ignore[type-arg]


@pytest.fixture
async def http(server: RunningServer, held_clock: TestClock) -> AsyncIterator[Http]:
    config = BridgeConfig.from_env({"VIGIL_WEBHOOK_SECRET": SECRET, "VIGIL_TARGET": server.address})
    async with TestClient(TestServer(create_app(config, now_ns=held_clock.now_ns))) as running:
        yield running


def body(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"passphrase": SECRET, "ticker": "NQ1!", "price": "25340.00", "time": FIRED_TEXT}
    return {k: v for k, v in {**base, **fields}.items() if v is not None}


async def post(http: Http, payload: dict[str, object] | str | bytes, path: str = "/webhook/orb") -> tuple[int, Any]:
    data = json.dumps(payload) if isinstance(payload, dict) else payload
    response = await http.post(path, data=data, headers={"Content-Type": "text/plain"})
    return response.status, await response.json()


async def net(client: VigilClient) -> int:
    return sum(p.quantity for p in await client.list_positions(ACCOUNT) if p.contract_id == NQ)


async def working(client: VigilClient) -> list[str]:
    return sorted(o.side.value for o in await client.list_orders(ACCOUNT, open_only=True) if o.contract_id == NQ)


async def hold(client: VigilClient, quantity: int) -> None:
    if quantity:
        side = OrderSide.BUY if quantity > 0 else OrderSide.SELL
        await client.submit_order(ACCOUNT, market(NQ, side, abs(quantity)))
    assert await net(client) == quantity


# (position before, alert fields, status, position after, Signal Lab outcome starts with)
CASES = [
    (0, {"action": "buy", "sentiment": "long"}, "pending", 0, "waiting for"),
    (0, {"action": "sell", "sentiment": "bearish"}, "pending", 0, "waiting for"),
    (-2, {"action": "buy", "sentiment": "long"}, "pending", 0, "closed the opposite short 2"),
    (3, {"action": "sell", "sentiment": "short"}, "pending", 0, "closed the opposite long 3"),
    (2, {"action": "sell"}, "pending", 0, "closed the opposite long 2"),
    (2, {"action": "exit"}, "executed", 0, "closed long 2"),
    (-2, {"action": "close"}, "executed", 0, "closed short 2"),
    (2, {"action": "exit", "quantity": "1"}, "executed", 1, "reduced long 2"),
    (0, {"action": "exit"}, "no_op", 0, "no position in NQZ2026"),
    (2, {"action": "sell", "sentiment": "flat"}, "executed", 0, "closed long 2"),
    (-2, {"action": "buy", "sentiment": "flat"}, "executed", 0, "closed short 2"),
    (2, {"action": "buy", "sentiment": "flat"}, "no_op", 2, "a buy exit closes a short"),
    (-3, {"action": "buy", "sentiment": "short", "quantity": "1"}, "executed", -2, "reduced short 3 NQZ2026 by 1"),
    (0, {"action": "add"}, "rejected", 0, "add refused: no position"),
    (1, {"action": "add", "quantity": "2"}, "pending", 1, "waiting for"),
    (1, {"action": "add", "sentiment": "bearish"}, "rejected", 1, "add refused: the alert is bearish"),
    (0, {"action": "cancel"}, "no_op", 0, "no working orders or pending signals"),
    (-1, {"action": "buy", "sentiment": "bullish"}, "pending", 0, "closed the opposite short 1"),
    (0, {"action": "sell", "sentiment": "short"}, "pending", 0, "waiting for"),
    (1, {"action": "buy", "sentiment": "long"}, "pending", 1, "waiting for"),  # same side: nothing closed
    (2, {"action": "flat"}, "executed", 0, "closed long 2"),
    (-1, {"action": "add", "quantity": "1"}, "pending", -1, "waiting for"),
    (1, {"action": "cancel", "sentiment": "flat"}, "no_op", 1, "no working orders or pending signals"),
]


@pytest.mark.parametrize(("before", "fields", "status", "after", "outcome"), CASES)
async def test_every_action_and_sentiment_against_the_paper_account(
    http: Http, client: VigilClient, before: int, fields: dict[str, object], status: str, after: int, outcome: str
) -> None:
    await hold(client, before)
    orders_before = await working(client)

    code, answer = await post(http, body(**fields))

    assert code == 200, answer
    assert (answer["status"], answer["outcome"][: len(outcome)]) == (status, outcome)
    assert await net(client) == after
    assert await working(client) == orders_before == []  # market orders only: nothing left working
    recorded = await client.get_signal(answer["signal_id"])
    assert (recorded.status.value, recorded.action.value, recorded.input.strategy) == (
        status,
        answer["action"],
        "orb",
    )
    assert recorded.outcome == answer["outcome"] and SECRET not in recorded.input.raw_payload
    again_code, again = await post(http, body(**fields))
    assert (again_code, again["duplicate"], again["signal_id"]) == (200, True, answer["signal_id"])
    assert await net(client) == after  # a retried delivery acts once


async def test_cancel_cancels_the_strategys_pending_signals_and_working_orders(http: Http, client: VigilClient) -> None:
    await client.submit_order(ACCOUNT, limit(NQ, OrderSide.BUY, 1, "25300.00"))
    _, pending = await post(http, body(action="buy", sentiment="long"))
    assert await working(client) == ["buy"]

    code, answer = await post(http, body(action="cancel", time="2026-11-19T15:30:51Z"))

    assert (code, answer["status"]) == (200, "executed")
    assert pending["signal_id"] in answer["outcome"]
    assert await working(client) == []
    assert (await client.get_signal(pending["signal_id"])).status is SignalStatus.CANCELLED


async def test_bracket_legs_in_traderspost_forms_are_recorded_and_bad_ones_refused_naming_the_field(
    http: Http, client: VigilClient
) -> None:
    legs = {"stopLoss": {"type": "stop_limit", "stopPrice": 25320, "limitPrice": 25318}, "takeProfit": {"percent": 1}}
    code, answer = await post(http, body(action="buy", sentiment="long", **legs))
    assert code == 200, answer
    recorded = (await client.get_signal(answer["signal_id"])).input
    assert recorded.stop_loss == BracketLeg(LegKind.PRICE, 25320, LegType.STOP_LIMIT, 25318)  # type: ignore[arg-type]
    assert recorded.take_profit == BracketLeg(LegKind.PERCENT, 1, LegType.LIMIT)  # type: ignore[arg-type]

    assert await post(http, body(action="buy", stopLoss="abc")) == (
        422,
        {"error": await _reason(http, body(action="buy", stopLoss="abc")), "field": "stopLoss"},
    )
    code, refused = await post(http, body(action="buy", stopLoss={"amount": 10.1}))
    assert (code, refused["field"]) == (422, "stopLoss.value") and "tick" in refused["error"]


async def _reason(http: Http, payload: dict[str, object]) -> str:
    return (await post(http, payload))[1]["error"]


async def test_alert_bodies_real_users_send(http: Http, client: VigilClient, server: RunningServer) -> None:
    name = "Signal Lab NQ — Стратегия 🚀"
    code, answer = await post(
        http, body(action="buy", ticker="CME_MINI_DL:NQ1!", strategy=name, orderType="market", extras={"a": 1}),
        path="/webhook/tradingview",
    )  # fmt: skip
    assert code == 200, answer
    assert answer["ignored"] == ["extras", "orderType"]
    recorded = await client.get_signal(answer["signal_id"])
    assert (recorded.input.strategy, recorded.contract_id) == (name, NQ)
    assert '"orderType": "market"' in recorded.input.raw_payload  # ignored fields are kept
    assert [s.signal_id for s in await client.list_signals(strategy=name)] == [answer["signal_id"]]

    for prefix in ("CME_MINI:", "CME:", "CME_DL:", "CBOT_MINI:", "CBOT_MINI_DL:", "CBOT:"):
        ticker = prefix + ("YM1!" if prefix.startswith("CBOT") else "NQ1!")
        code, answer = await post(http, body(action="buy", ticker=ticker, time=None, timenow=FIRED_TEXT))
        assert code == 200, (prefix, answer)

    # The timestamp is the fire time (epoch ms here): a 10-minute-old alert is stale.
    old_ms = (FIRED - 600 * NS_PER_SECOND) // 1_000_000
    code, stale = await post(http, body(action="buy", time=None, timestamp=old_ms))
    assert (code, stale["status"]) == (200, "rejected")
    assert (await client.get_signal(stale["signal_id"])).input.signal_time_ns == old_ms * 1_000_000
    assert next(c for c in stale["checks"] if c["name"] == "staleness_age")["outcome"] == "failed"

    # No time at all: a retried delivery of the same bytes is the same alert.
    untimed = json.dumps(body(action="sell", time=None))
    first, second = (await post(http, untimed))[1], (await post(http, untimed))[1]
    assert second["duplicate"] and second["signal_id"] == first["signal_id"]

    invalid = b'{"ticker": "NQ1!", "action": "buy", "note": "caf\xe9"}'
    assert await post(http, invalid) == (
        400,
        {"error": "the body is not valid UTF-8: byte 0xe9 at byte offset 48", "field": ""},
    )
    repeated = '{"passphrase": "tv-secret", "ticker": "NQ1!", "action": "buy", "price": 1, "price": 2}'
    code, refused = await post(http, repeated)
    assert (code, refused["field"]) == (422, "price")
    code, refused = await post(http, body(sentiment="long"))  # no action
    assert (code, refused["field"]) == (422, "action")

    form = f"passphrase={SECRET}&ticker=NQ1%21&action=sell&price=25340.00&time=2026-11-19T15%3A30%3A49Z"
    code, answer = await post(http, form)
    assert (code, answer["status"]) == (200, "pending")
    assert await signal_rows(server) == 10  # named, 6 prefixes, stale, untimed (once), form: refusals store nothing


async def signal_rows(server: RunningServer) -> int:
    pool = server.pool
    assert isinstance(pool, asyncpg.Pool)
    await server.shell.writer.flush()
    return int(await pool.fetchval("SELECT count(*) FROM signals"))
