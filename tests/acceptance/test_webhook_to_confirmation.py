"""From a TradingView HTTP POST to a confirmed signal with exact entry and stop: the real bridge app in
front of the real server, the replay feed and the test clock driving the market (the tape and its
hand-computed numbers are in test_signal_to_confirmation.py)."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from clients.sdk import SignalStatus, VigilClient
from clients.webhook_bridge import create_app
from clients.webhook_bridge.config import BridgeConfig
from core_server.app import start
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.model.clock import TestClock
from tests.acceptance.test_signal_to_confirmation import (
    AFTER_TAPE,
    HEADER,
    PART_1,
    PART_2,
    PAUSE_AT,
    START,
    SUBMITTED_AT,
    PausingTickSource,
)
from tests.kit.eventually import eventually
from tests.kit.server import server_config

SECRET = "tv-secret"
ALERT = {
    "passphrase": SECRET,
    "ticker": "NQ1!",
    "action": "buy",
    "sentiment": "long",
    "quantity": "1",
    "price": "25340.25",
    "time": "2026-11-19T15:30:50Z",
    "interval": "1",
}


async def signal_count(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval("SELECT count(*) FROM signals")
    finally:
        await connection.close()


async def test_a_tradingview_post_becomes_a_confirmed_signal_with_exact_entry_and_stop(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "tape.csv"
    path.write_text(HEADER + PART_1 + PART_2)
    clock = TestClock(START)
    source = PausingTickSource(path, PAUSE_AT)
    plan = FeedPlan(ReplayFeed(source, clock, speed=0.0), realtime=False, quote_only=False, store_ticks=False)
    running = await start(server_config(database_url, symbols=("NQZ2026",)), clock=clock, feed_plan=plan)
    config = BridgeConfig.from_env({"VIGIL_WEBHOOK_SECRET": SECRET, "VIGIL_TARGET": running.address})
    try:
        await source.paused.wait()
        state = running.engine.state("NQZ2026")
        await eventually(lambda: state is not None and state.last_trade is not None)
        clock.set_ns(SUBMITTED_AT)
        async with TestClient(TestServer(create_app(config, now_ns=clock.now_ns))) as http:
            # TradingView sends text/plain unless it recognises JSON: the bridge must not care.
            response = await http.post("/webhook/orb", data=json.dumps(ALERT), headers={"Content-Type": "text/plain"})
            assert response.status == 200, await response.text()
            decision = await response.json()
            assert (decision["status"], decision["duplicate"]) == ("pending", False)
            assert decision["waiting_for"] == "1m signal candle to close"

            retry = await (await http.post("/webhook/orb", data=json.dumps(ALERT))).json()
            assert retry["duplicate"] and retry["signal_id"] == decision["signal_id"]

            forged = await http.post("/webhook/orb", data=json.dumps({**ALERT, "passphrase": "guess"}))
            assert forged.status == 401
            assert SECRET not in await forged.text()
        assert await signal_count(database_url) == 1  # the retry and the forgery created nothing

        clock.set_ns(AFTER_TAPE)
        source.resume.set()
        async with VigilClient(running.address) as client:

            async def confirmed():
                signal = await client.get_signal(decision["signal_id"])
                return signal if signal.status is SignalStatus.CONFIRMED else None

            signal = await eventually(confirmed)
    finally:
        await running.stop()

    assert (str(signal.entry_price), str(signal.stop_price), str(signal.risk_points)) == (
        "25346.50",
        "25285.00",
        "61.50",
    )
    assert str(signal.pivot_price) == "25310.00" and signal.trade_id
    assert signal.input.strategy == "orb" and SECRET not in signal.input.raw_payload
