"""Every refusal answers JSON {"error", "field"} with its own status, forwards nothing and never shows a secret."""

from __future__ import annotations

import json
from typing import Any

import pytest
from structlog.testing import capture_logs

from clients.webhook_bridge.access import SourceAllowlist
from tests.integration.webhook_bridge.conftest import ORB_SECRET, SHARED_SECRET, Bridge, BridgeFactory
from tests.kit.signal_service_fake import FakeSignalServer

GOOD = {"ticker": "NQ1!", "action": "buy", "price": "25341.25", "passphrase": ORB_SECRET}


async def post(
    http: Bridge, path: str, body: bytes | str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    data = body.encode() if isinstance(body, str) else body
    response = await http.post(path, data=data, headers=headers or {"Content-Type": "text/plain"})
    assert response.content_type == "application/json"
    return response.status, await response.json()


def with_fields(**fields: object) -> str:
    return json.dumps({k: v for k, v in {**GOOD, **fields}.items() if v is not None})


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),  # field None: accepted
    [
        (b"", 400, "", "empty"),
        (b'{"ticker": "NQ1!", "action": "buy"', 400, "", "malformed JSON"),
        (b'["NQ1!", "buy"]', 400, "", "must be an object"),
        (b"buy NQ1! at market", 400, "", "key=value"),
        (b"ticker=NQ1!\x00\x00\x00", 415, "", "binary"),
        (b"\x1f\x8b\x08\xff", 400, "", "not valid UTF-8: byte 0x8b at byte offset 1"),
        ("price=25341.25 ticker=NQ1!".encode("utf-16"), 400, "", "UTF-8"),
        (with_fields(action=None), 422, "action", "a sentiment alone is not an order"),
        (with_fields(action=None, sentiment=None, direction="bullish"), 200, None, ""),
        (with_fields(sentiment="sideways"), 422, "sentiment", "unknown sentiment"),
        (with_fields(stopLoss="abc"), 422, "stopLoss", "not a number"),
        (with_fields(stopLoss={"percent": "x"}), 422, "stopLoss.percent", "not a number"),
        (
            with_fields(stopLoss={"type": "stop_limit", "stopPrice": 25300}),
            422,
            "stopLoss.limitPrice",
            "needs a limitPrice",
        ),
        (with_fields(stopLoss={"amount": 10, "percent": 1}), 422, "stopLoss", "exactly one"),
        (with_fields(stopLoss={"type": "stop", "trailAmount": 5}), 422, "stopLoss.trailAmount", "trailing_stop"),
        (with_fields(takeProfit={"stopPrice": 25400}), 422, "takeProfit.stopPrice", "not a takeProfit field"),
        (with_fields(takeProfit=True), 422, "takeProfit", "send a price"),
        (with_fields(action="hold"), 422, "action", "unknown action"),
        (with_fields(quantity="1.5"), 422, "quantity", "whole number"),
        (with_fields(contracts=0), 422, "contracts", "1 to 1000"),
        (with_fields(time="2025-11-27T15:00:00"), 422, "time", "zone"),
        (with_fields(timenow="soon"), 422, "timenow", "not a time"),
        (with_fields(interval="3"), 422, "interval", "unsupported timeframe"),
        (with_fields(interval="1M"), 422, "interval", "unsupported timeframe"),
        (with_fields(price=None), 422, "price", "missing"),
        (with_fields(price="twenty"), 422, "price", "invalid number"),
        (with_fields(price=-1), 422, "price", "positive"),
        (with_fields(ticker=None), 422, "symbol", "missing"),
        (with_fields(ticker=["NQ1!"]), 422, "ticker", "expected str"),
    ],
)
async def test_a_bad_body_is_refused_with_status_field_and_reason_and_not_forwarded(
    core: FakeSignalServer, bridge: Bridge, body: bytes | str, status: int, field: str, words: str
) -> None:
    got_status, answer = await post(bridge, "/webhook/orb", body)

    if status == 200:  # `direction` is an alias of `action`: the body is an order
        assert got_status == 200 and len(core.service.submitted) == 1
        return
    assert (got_status, answer["field"]) == (status, field)
    assert words in answer["error"]
    assert core.service.submitted == []


async def test_a_body_over_the_limit_is_refused_with_413(core: FakeSignalServer, make_bridge: BridgeFactory) -> None:
    padded = with_fields(note="x" * 2000)

    async with make_bridge(max_body_bytes=1024) as http:
        status, answer = await post(http, "/webhook/orb", padded)
        small_status, _ = await post(http, "/webhook/orb", with_fields())

    assert status == 413 and "1024" in answer["error"] and answer["field"] == ""
    assert small_status == 200 and len(core.service.submitted) == 1


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("/webhook/orb", with_fields(passphrase=None), "missing secret"),
        ("/webhook/orb", with_fields(passphrase="guess"), "secret does not match"),
        ("/webhook/orb", with_fields(passphrase=SHARED_SECRET), "secret does not match"),  # orb has its own
        ("/webhook/orb/guess", with_fields(passphrase=None), "secret does not match"),
        ("/webhook/orb/guess", with_fields(), "secret does not match"),  # the path secret wins
        ("/webhook/tradingview", with_fields(passphrase=ORB_SECRET), "secret does not match"),  # no strategy: shared
        ("/webhook/other", with_fields(passphrase=ORB_SECRET), "secret does not match"),
    ],
)
async def test_a_missing_or_wrong_secret_is_401_without_echoing_or_logging_any_secret(
    core: FakeSignalServer, bridge: Bridge, path: str, body: str, reason: str
) -> None:
    with capture_logs() as logs:
        status, answer = await post(bridge, path, body)

    assert (status, answer["field"]) == (401, "secret") and reason in answer["error"]
    assert core.service.submitted == []
    shown = json.dumps(answer) + repr(logs)
    for secret in (ORB_SECRET, SHARED_SECRET, "guess"):
        assert secret not in shown
    assert [e["event"] for e in logs] == ["webhook.unauthorised"]


async def test_the_secret_is_checked_before_the_fields_so_strangers_learn_nothing(
    core: FakeSignalServer, bridge: Bridge
) -> None:
    status, answer = await post(bridge, "/webhook/orb", with_fields(passphrase="guess", action="exit"))

    assert status == 401 and answer["field"] == "secret"


async def test_the_body_strategy_selects_the_secret_on_the_generic_path(core: FakeSignalServer, bridge: Bridge) -> None:
    status, _ = await post(bridge, "/webhook/tradingview", with_fields(strategy="orb"))

    assert status == 200 and core.service.submitted[0].input.strategy == "orb"


async def test_the_path_strategy_wins_over_the_body_strategy(core: FakeSignalServer, bridge: Bridge) -> None:
    status, _ = await post(bridge, "/webhook/orb", with_fields(strategy="vwap"))

    assert status == 200 and core.service.submitted[0].input.strategy == "orb"


async def test_a_bad_strategy_name_in_the_path_is_refused(core: FakeSignalServer, bridge: Bridge) -> None:
    status, answer = await post(bridge, f"/webhook/bad%20name/{SHARED_SECRET}", with_fields(passphrase=None))

    assert status == 422 and answer["field"] == "strategy (URL path)" and core.service.submitted == []


async def test_senders_outside_the_allowlist_get_403_before_the_body_is_read(
    core: FakeSignalServer, make_bridge: BridgeFactory
) -> None:
    tradingview = SourceAllowlist.parse(["tradingview"])
    async with make_bridge(allowlist=tradingview) as http:
        status, answer = await post(http, "/webhook/orb", with_fields())
        spoofed, _ = await post(
            http, "/webhook/orb", with_fields(), {"Content-Type": "text/plain", "X-Forwarded-For": "52.89.214.238"}
        )

    assert status == spoofed == 403 and "127.0.0.1" in answer["error"]
    assert core.service.submitted == []


async def test_behind_a_trusted_proxy_the_last_forwarded_hop_is_the_sender(
    core: FakeSignalServer, make_bridge: BridgeFactory
) -> None:
    tradingview = SourceAllowlist.parse(["tradingview"])
    async with make_bridge(allowlist=tradingview, trust_proxy=True) as http:
        allowed, _ = await post(http, "/webhook/orb", with_fields(), {"X-Forwarded-For": "203.0.113.5, 34.212.75.30"})
        forged, answer = await post(
            http, "/webhook/orb", with_fields(), {"X-Forwarded-For": "34.212.75.30, 203.0.113.5"}
        )

    assert (allowed, forged) == (200, 403) and "203.0.113.5" in answer["error"]
    assert len(core.service.submitted) == 1


async def test_unknown_paths_and_methods_answer_json_too(core: FakeSignalServer, bridge: Bridge) -> None:
    missing = await bridge.post("/hooks", data=b"{}")
    wrong_method = await bridge.get("/webhook/orb")
    too_deep = await bridge.post("/webhook/orb/secret/extra", data=b"{}")

    assert (missing.status, (await missing.json())["field"]) == (404, "")
    assert wrong_method.status == 405 and wrong_method.headers["Allow"] == "POST"
    assert (await wrong_method.json())["error"] == "Method Not Allowed"
    assert too_deep.status == 404 and core.service.submitted == []
