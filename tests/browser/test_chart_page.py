"""The chart page in headless Chromium (Debian's, driven by Playwright): candles from the UDF history and the
live stream, signal and fill markers, and the position's price line, read back from the chart's own API."""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from clients.http_edge import EdgeConfig, create_edge_app
from clients.http_edge.chart import VENDOR_FILE
from clients.sdk import SignalDirection, SignalInput, Timeframe, VigilClient, market
from tests.kit.eventually import eventually

CHROMIUM = Path("/usr/bin/chromium")
# As root on this machine Chromium needs no sandbox, and without the background-networking flags it keeps
# trying to reach Google's hosts through a closed network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts"


def required_files_missing() -> str:
    if not CHROMIUM.exists():
        return "Debian's chromium is not installed: run `make browser-deps` (apt-get install chromium)"
    if not VENDOR_FILE.exists():
        return "lightweight-charts is not in the edge's static directory: run `make chart-assets`"
    return ""


@pytest.fixture
async def edge_url(vigil_server: str) -> AsyncIterator[str]:
    client = VigilClient(vigil_server)
    server = TestServer(create_edge_app(EdgeConfig(target=vigil_server), client), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
        await client.close()


async def test_the_chart_renders_candles_markers_and_the_position_line(vigil_server: str, edge_url: str) -> None:
    missing = required_files_missing()
    if missing:
        pytest.fail(missing)  # never a silent skip: `make test` installs both
    async with VigilClient(vigil_server) as client:
        await eventually(lambda: client.list_recent_ticks("NQ", trades_only=True))
        last = (await client.list_recent_ticks("NQ", trades_only=True))[-1]
        signal = await client.submit_signal(
            SignalInput("NQ1!", SignalDirection.BEARISH, last.price, time.time_ns(), Timeframe.M1, strategy="orb")
        )
        assert not (await client.submit_order("paper", market("NQ", "buy", 2))).denied
        fills = await eventually(lambda: client.list_fills("paper"))
        await eventually(lambda: client.list_positions("paper"))
    profile = Path(tempfile.mkdtemp(prefix="vigil-chromium-"))
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_FLAGS,
                viewport={"width": 1200, "height": 700},
            )
            try:
                page = browser.pages[0] if browser.pages else await browser.new_page()
                console: list[str] = []
                page.on("console", lambda message: console.append(message.text))
                await page.goto(f"{edge_url}/chart/?symbol=NQ1!&resolution=1&account=paper")
                await page.wait_for_function(
                    "() => window.vigilChart && vigilChart.state.live && vigilChart.state.refreshed >= 1"
                    " && vigilChart.markers.markers().length >= 2 && vigilChart.state.priceLines.length === 1",
                    timeout=45_000,
                )
                drawn: dict[str, Any] = await page.evaluate(
                    """() => ({
                        bars: vigilChart.candles.data(),
                        markers: vigilChart.markers.markers(),
                        lines: vigilChart.state.priceLines.map((line) => line.options()),
                        errors: vigilChart.state.errors,
                        status: document.getElementById('status').textContent,
                    })"""
                )
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / "chart-NQ1-1m.png"))
            finally:
                await browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)

    assert drawn["errors"] == [], (drawn["errors"], console)
    bars = drawn["bars"]
    assert bars and all(b["low"] <= min(b["open"], b["close"]) <= max(b["open"], b["close"]) <= b["high"] for b in bars)
    assert all(a["time"] < b["time"] for a, b in itertools.pairwise(bars))
    assert all(Decimal(json.dumps(b["close"])) % Decimal("0.25") == 0 for b in bars)  # on the tick grid
    markers = {m["id"]: m for m in drawn["markers"]}
    fill = markers[f"fill-{fills[0].fill_id}"]
    assert (fill["text"], fill["position"]) == ("B", "belowBar")
    bearish = markers[f"signal-{signal.signal.signal_id}"]
    assert (bearish["text"], bearish["shape"], bearish["position"]) == ("D", "arrowDown", "aboveBar")
    bar_times = {b["time"] for b in bars}
    assert fill["time"] in bar_times and bearish["time"] in bar_times
    (line,) = drawn["lines"]
    assert Decimal(json.dumps(line["price"])) == fills[0].price and line["title"].startswith("long 2 @")
