"""The edge as one process: webhook routes (when configured) beside /udf and /chart, health, the page and its
live candle stream, and its configuration."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from clients.http_edge import EdgeConfig
from clients.webhook_bridge import BridgeConfig, ConfigError
from clients.webhook_bridge.access import SecretBook
from tests.integration.udf.conftest import Edge, edge_on


async def test_the_edge_serves_webhooks_next_to_the_datafeed_and_the_chart(vigil_server: str) -> None:
    bridge = BridgeConfig(secrets=SecretBook({}, default="s3cret"), target=vigil_server)
    async with edge_on(vigil_server, bridge=bridge) as edge:
        alert = {"passphrase": "s3cret", "ticker": "NQ1!", "action": "buy", "price": "25340.25", "interval": "5"}
        alert["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        webhook = await edge.post("/webhook/orb", data=json.dumps(alert))
        assert webhook.status == 200, await webhook.text()
        assert (await webhook.json())["signal_id"]
        refused = await edge.post("/webhook/orb", data=json.dumps({**alert, "passphrase": "wrong"}))
        assert refused.status == 401
        assert (await edge.get("/udf/config")).status == 200
        assert (await edge.get("/healthz")).status == 200


async def test_configured_origins_may_read_the_datafeed_from_a_browser(vigil_server: str) -> None:
    async with edge_on(vigil_server, cors_origins=("http://localhost:3000",)) as edge:
        allowed = await edge.get("/udf/config", headers={"Origin": "http://localhost:3000"})
        other = await edge.get("/udf/config", headers={"Origin": "https://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "Access-Control-Allow-Origin" not in other.headers


async def test_without_a_webhook_secret_the_edge_serves_no_webhook_route(live_edge: Edge) -> None:
    response = await live_edge.post("/webhook/orb", data="{}")
    assert response.status in (404, 405)
    health = await live_edge.get("/healthz")
    assert health.status == 200 and (await health.json())["core"] == "serving"


async def test_the_root_leads_to_the_chart_page_and_its_assets(live_edge: Edge) -> None:
    page = await live_edge.get("/", allow_redirects=True)
    assert page.status == 200 and "<title>Vigil chart</title>" in await page.text()
    script = await live_edge.get("/chart/chart.js")
    assert script.status == 200 and script.content_type == "text/javascript"
    assert "window.vigilChart" in await script.text()
    vendor = await live_edge.get("/chart/vendor/lightweight-charts.js")
    assert vendor.status == 200 and "LightweightCharts" in await vendor.text()


async def test_the_candle_stream_sends_bars_as_server_sent_events(live_edge: Edge) -> None:
    response = await live_edge.get("/chart/api/candles", params={"symbol": "ES1!", "resolution": "5"})
    assert response.status == 200 and response.content_type == "text/event-stream"
    bar = None
    async with asyncio.timeout(10):
        async for line in response.content:
            if line.startswith(b"data: "):
                bar = json.loads(line[6:])
                break
    response.close()
    assert bar is not None and bar["contract_id"].startswith("ES") and bar["time"] % 300 == 0
    assert bar["low"] <= bar["open"] <= bar["high"] and isinstance(bar["volume"], int)


async def test_the_candle_stream_refuses_unknown_symbols_and_resolutions(live_edge: Edge) -> None:
    unknown = await live_edge.get("/chart/api/candles", params={"symbol": "XX", "resolution": "5"})
    assert unknown.status == 404 and (await unknown.json())["s"] == "error"
    bad = await live_edge.get("/chart/api/candles", params={"symbol": "ES1!", "resolution": "7"})
    assert bad.status == 400 and (await bad.json())["errmsg"].startswith("resolution:")


def test_edge_config_reads_the_environment_and_enables_webhooks_only_with_a_secret() -> None:
    plain = EdgeConfig.from_env({"VIGIL_UDF_ACCOUNT": "eval-1", "VIGIL_UDF_CORS_ORIGINS": "http://localhost:3000"})
    assert plain.bridge is None and plain.account_id == "eval-1" and plain.cors_origins == ("http://localhost:3000",)
    assert plain.host_port == ("127.0.0.1", 8080)
    hooked = EdgeConfig.from_env({"VIGIL_WEBHOOK_SECRET": "s3cret", "VIGIL_EDGE_LISTEN": "0.0.0.0:9000"})
    assert hooked.bridge is not None and hooked.host_port == ("0.0.0.0", 9000)
    with pytest.raises(ConfigError) as bad:
        EdgeConfig.from_env({"VIGIL_EDGE_LISTEN": "nowhere"})
    assert bad.value.variable == "VIGIL_EDGE_LISTEN"
