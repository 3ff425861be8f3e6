"""The bridge forwards TradingView alerts to SignalService and answers with the core's decision."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from grpc_health.v1 import health_pb2

from clients.sdk import SignalDirection, VigilClient
from clients.webhook_bridge import create_app
from tests.integration.webhook_bridge.conftest import (
    CONFIG,
    ORB_SECRET,
    SHARED_SECRET,
    Bridge,
    BridgeFactory,
    running_bridge,
)
from tests.kit.signal_service_fake import NOW_NS, FakeSignalServer, start_fake_signal_server
from vigil.v1 import common_pb2
from vigil.v1 import signals_pb2 as pb

TRADERSPOST = {
    "ticker": "NQ1!",
    "action": "buy",
    "sentiment": "long",
    "quantity": "2",
    "price": "25341.25",
    "time": "2025-11-27T15:00:00Z",
    "interval": "5",
    "passphrase": ORB_SECRET,
}
SIGNAL_LAB = (
    f'{{"secret": "{SHARED_SECRET}", "symbol": "CME_MINI:NQZ2025", "direction": "bearish", "signal_price": 25341.50,'
    ' "htf_bias": "bearish", "session": "NY AM", "time": "2025-11-27T14:55:00Z",'
    ' "timenow": "2025-11-27T15:00:00Z", "interval": "5", "strategy": "signal-lab"}'
)


async def post(http: Bridge, path: str, body: str | bytes, content_type: str = "application/json") -> tuple[int, Any]:
    data = body.encode() if isinstance(body, str) else body
    response = await http.post(path, data=data, headers={"Content-Type": content_type})
    return response.status, await response.json()


async def test_a_traderspost_alert_is_forwarded_and_answered_with_the_decision(
    core: FakeSignalServer, bridge: Bridge
) -> None:
    status, answer = await post(bridge, "/webhook/orb", json.dumps(TRADERSPOST))

    assert status == 200
    assert answer["signal_id"] == "S1" and answer["status"] == "pending" and answer["duplicate"] is False
    assert answer["waiting_for"] == "1m close > 25341.25"
    assert answer["checks"][0] == {"name": "authentic_and_new", "outcome": "passed", "detail": "new alert"}
    assert {c["outcome"] for c in answer["checks"]} == {"passed", "waiting"}
    sent = core.service.submitted[0].input
    assert (sent.symbol, sent.direction, sent.signal_price, sent.quantity) == (
        "NQ1!",
        pb.SIGNAL_DIRECTION_BULLISH,
        "25341.25",
        2,
    )
    assert (sent.signal_time_ns, sent.bar_time_ns, sent.timeframe) == (NOW_NS, 0, common_pb2.TIMEFRAME_5M)
    assert (sent.strategy, sent.source, len(sent.idempotency_key)) == ("orb", "webhook", 64)
    assert ORB_SECRET not in sent.raw_payload and '"ticker": "NQ1!"' in sent.raw_payload


async def test_the_same_alert_as_text_plain_gets_the_same_treatment(core: FakeSignalServer, bridge: Bridge) -> None:
    as_json, _ = await post(bridge, "/webhook/orb", json.dumps(TRADERSPOST))
    as_text, answer = await post(bridge, "/webhook/orb", json.dumps(TRADERSPOST), content_type="text/plain")

    assert as_json == as_text == 200
    assert answer["duplicate"] is True
    first, second = (r.input for r in core.service.submitted)
    assert first == second


async def test_a_signal_lab_alert_carries_bias_session_bar_time_and_strategy(
    core: FakeSignalServer, bridge: Bridge
) -> None:
    status, answer = await post(bridge, "/webhook/tradingview", SIGNAL_LAB, content_type="text/plain; charset=utf-8")

    assert status == 200 and answer["status"] == "pending"
    sent = core.service.submitted[0].input
    assert (sent.symbol, sent.direction, sent.signal_price) == (
        "CME_MINI:NQZ2025",
        pb.SIGNAL_DIRECTION_BEARISH,
        "25341.50",
    )
    assert (sent.htf_bias, sent.session, sent.strategy) == ("bearish", "NY AM", "signal-lab")
    assert sent.signal_time_ns == NOW_NS and sent.bar_time_ns == NOW_NS - 300 * 10**9
    assert sent.raw_payload == SIGNAL_LAB.replace(SHARED_SECRET, "[redacted]")


async def test_a_key_value_text_alert_with_the_secret_in_the_url_path(core: FakeSignalServer, bridge: Bridge) -> None:
    body = 'ticker=ES1! action=short price=6001.75 time=2025-11-27T15:00:00Z interval=1 session="NY AM"'

    status, answer = await post(bridge, f"/webhook/orb/{ORB_SECRET}", body, content_type="text/plain")

    assert status == 200 and answer["status"] == "pending"
    sent = core.service.submitted[0].input
    assert (sent.symbol, sent.direction, sent.signal_price, sent.session) == (
        "ES1!",
        pb.SIGNAL_DIRECTION_BEARISH,
        "6001.75",
        "NY AM",
    )
    assert sent.raw_payload == body


async def test_a_pickmytrade_alert_with_its_token_is_accepted(core: FakeSignalServer, bridge: Bridge) -> None:
    body = json.dumps(
        {
            "symbol": "MNQ1!",
            "date": "2025-11-27T15:00:00Z",
            "data": "sell",
            "quantity": "1",
            "price": "21000.25",
            "token": SHARED_SECRET,
            "multiple_accounts": [{"token": SHARED_SECRET, "account_id": "2"}],
        }
    )

    status, _ = await post(bridge, "/webhook/tradingview", body)

    assert status == 200
    sent = core.service.submitted[0].input
    assert sent.direction == pb.SIGNAL_DIRECTION_BEARISH and SHARED_SECRET not in sent.raw_payload


async def test_tradingview_retries_of_one_alert_share_a_key_and_get_the_original_decision(
    core: FakeSignalServer, bridge: Bridge
) -> None:
    body = json.dumps(TRADERSPOST)
    reformatted = json.dumps(dict(reversed(list(TRADERSPOST.items()))), indent=2)

    answers = [await post(bridge, "/webhook/orb", b) for b in (body, body, reformatted)]

    assert [status for status, _ in answers] == [200, 200, 200]
    assert [a["duplicate"] for _, a in answers] == [False, True, True]
    assert {a["signal_id"] for _, a in answers} == {"S1"}
    assert len({r.input.idempotency_key for r in core.service.submitted}) == 1
    assert len(core.service.signals) == 1


async def test_a_different_alert_gets_a_different_key_and_a_new_signal(core: FakeSignalServer, bridge: Bridge) -> None:
    later = {**TRADERSPOST, "time": "2025-11-27T15:05:00Z"}

    _, first = await post(bridge, "/webhook/orb", json.dumps(TRADERSPOST))
    _, second = await post(bridge, "/webhook/orb", json.dumps(later))

    assert first["signal_id"] != second["signal_id"] and second["duplicate"] is False


async def test_a_rejected_signal_is_a_200_decision_with_the_failed_check(
    core: FakeSignalServer, bridge: Bridge
) -> None:
    core.service.decide = lambda _: pb.SIGNAL_STATUS_REJECTED

    status, answer = await post(bridge, "/webhook/orb", json.dumps(TRADERSPOST))

    assert status == 200 and answer["status"] == "rejected" and answer["waiting_for"] == ""
    failed = [c for c in answer["checks"] if c["outcome"] == "failed"]
    assert [c["name"] for c in failed] == ["staleness_price"]


async def test_the_core_refusing_the_symbol_is_a_422_naming_the_field(core: FakeSignalServer, bridge: Bridge) -> None:
    status, answer = await post(bridge, "/webhook/orb", json.dumps({**TRADERSPOST, "ticker": "BOGUS"}))

    assert status == 422 and answer["field"] == "symbol" and "BOGUS" in answer["error"]


async def test_an_unreachable_core_answers_503_with_the_reason() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{probe.getsockname()[1]}"

    async with running_bridge(nowhere) as http:
        status, answer = await post(http, "/webhook/orb", json.dumps(TRADERSPOST))

    assert status == 503 and answer["field"] == ""
    assert answer["error"].startswith("the Vigil core is unavailable (UNAVAILABLE)")


async def test_a_core_slower_than_the_forward_deadline_answers_503(
    core: FakeSignalServer, make_bridge: BridgeFactory
) -> None:
    core.service.gate = asyncio.Event()
    try:
        async with make_bridge(forward_timeout_s=0.2) as http:
            status, answer = await post(http, "/webhook/orb", json.dumps(TRADERSPOST))
    finally:
        core.service.gate.set()

    assert status == 503 and "DEADLINE_EXCEEDED" in answer["error"]


async def test_alerts_right_after_a_core_restart_are_forwarded_without_waiting_for_backoff(
    core: FakeSignalServer, bridge: Bridge
) -> None:
    assert (await post(bridge, "/webhook/orb", json.dumps(TRADERSPOST)))[0] == 200
    await core.stop()
    down, answer = await post(bridge, "/webhook/orb", json.dumps({**TRADERSPOST, "price": "25342.00"}))
    restarted = await start_fake_signal_server(core.service, core.address)
    try:
        later = [{**TRADERSPOST, "price": f"{25343 + i}.00"} for i in range(5)]
        statuses = await asyncio.gather(*(post(bridge, "/webhook/orb", json.dumps(b)) for b in later))
    finally:
        await restarted.stop()

    assert down == 503 and "UNAVAILABLE" in answer["error"]
    assert [status for status, _ in statuses] == [200] * 5
    assert len(core.service.signals) == 6


async def test_the_bridge_forwards_the_api_key_to_the_core(core: FakeSignalServer) -> None:
    client = VigilClient(core.address, api_key="core-key")
    try:
        async with TestClient(TestServer(create_app(CONFIG, client))) as http:
            status, _ = await post(http, "/webhook/orb", json.dumps(TRADERSPOST))
    finally:
        await client.close()

    assert status == 200 and core.service.authorizations == ["Bearer core-key"]


async def test_healthz_reports_the_core_serving_not_serving_or_unreachable(
    core: FakeSignalServer, bridge: Bridge
) -> None:
    serving = await bridge.get("/healthz")
    assert (serving.status, await serving.json()) == (200, {"status": "ok", "core": "serving"})

    await core.health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    draining = await bridge.get("/healthz")
    assert (draining.status, await draining.json()) == (503, {"status": "degraded", "core": "not_serving"})

    await core.stop()
    gone = await bridge.get("/healthz")
    body = await gone.json()
    assert gone.status == 503 and body["core"] == "unreachable" and body["reason"]


async def test_the_normalised_direction_reaches_the_sdk_as_a_typed_value(
    core: FakeSignalServer, bridge: Bridge
) -> None:
    await post(bridge, "/webhook/orb", json.dumps(TRADERSPOST))

    async with VigilClient(core.address) as reader:
        stored = await reader.get_signal("S1")
    assert stored.input.direction is SignalDirection.BULLISH and stored.input.source == "webhook"
