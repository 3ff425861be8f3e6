"""Per-source rate limit on the webhook bridge (issue 14 §1): past the burst a sender gets 429 with Retry-After,
nothing is forwarded, and other senders are not held back."""

from __future__ import annotations

import json
from decimal import Decimal

from clients.webhook_bridge.rate import SourceRateLimiter, retry_after_s
from tests.integration.webhook_bridge.conftest import ORB_SECRET, BridgeFactory
from tests.kit.signal_service_fake import FakeSignalServer

S = 1_000_000_000


def alert(price: str) -> str:
    return json.dumps({"ticker": "NQ1!", "action": "buy", "price": price, "passphrase": ORB_SECRET})


async def test_a_sender_over_its_burst_gets_429_with_retry_after(
    core: FakeSignalServer, make_bridge: BridgeFactory
) -> None:
    async with make_bridge(rate_per_s=Decimal("0.5"), burst=2, trust_proxy=True) as http:
        statuses = []
        for i in range(3):
            response = await http.post(
                "/webhook/orb", data=alert(f"2534{i}.25"), headers={"X-Forwarded-For": "203.0.113.7"}
            )
            statuses.append(response.status)
        assert statuses == [200, 200, 429]
        assert response.headers["Retry-After"] == "2"  # one token every 2 s, rounded up to whole seconds
        body = await response.json()
        assert "203.0.113.7" in body["error"] and body["field"] == ""
        assert len(core.service.submitted) == 2  # the refused alert was not forwarded
        other = await http.post("/webhook/orb", data=alert("25349.25"), headers={"X-Forwarded-For": "203.0.113.8"})
        assert other.status != 429


async def test_no_limit_when_the_rate_is_zero(core: FakeSignalServer, make_bridge: BridgeFactory) -> None:
    async with make_bridge(rate_per_s=Decimal(0), burst=1) as http:
        for i in range(5):
            assert (await http.post("/webhook/orb", data=alert(f"2535{i}.25"))).status != 429


def test_the_bucket_refills_and_quiet_senders_are_forgotten() -> None:
    limiter = SourceRateLimiter(Decimal(1), 2)
    assert [limiter.take("a", 0), limiter.take("a", 0)] == [0, 0]
    assert limiter.take("a", 0) == S and retry_after_s(S) == 1 and retry_after_s(1) == 1
    assert limiter.take("a", S) == 0
    for n in range(1000):
        limiter.take(f"scan-{n}", 2 * S)
    limiter.take("b", 200 * S)  # a minute later: every full bucket is dropped
    assert set(limiter._tat) == {"b"}
