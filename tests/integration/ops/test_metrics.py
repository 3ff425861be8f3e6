"""Prometheus metrics on their own port: scraped over HTTP from a real server, after real calls."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core_server.app import start
from core_server.config import ConfigError
from tests.integration.execution.desk import MS, T0, S, open_desk, order
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote
from tests.kit.server import server_config
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import market_data_pb2, market_data_pb2_grpc

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
ROOT = Path(__file__).resolve().parents[3]


async def scrape_text(port: int) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return await response.text()


async def scrape(port: int) -> Samples:
    text = await scrape_text(port)
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def test_orders_fills_rpc_latency_writers_risk_and_memory_are_exported(database_url: str) -> None:
    async with open_desk(database_url, metrics_listen="127.0.0.1:0") as desk:
        port = desk.running.metrics.port if desk.running.metrics is not None else 0
        assert port > 0
        await desk.stub.SubmitOrder(pb.SubmitOrderRequest(account_id="paper", order=order()))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await desk.stub.SubmitOrder(pb.SubmitOrderRequest(account_id="paper", order=order(qty=0)))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        await desk.ticks(quote(ES, T0 + S + 100 * MS, "6000.00", "6000.25"))

        async def filled() -> Samples:
            samples = await scrape(port)
            return samples if value(samples, "vigil_fills_total") == 1.0 else {}

        samples = await eventually(filled)
        text = await scrape_text(port)

    # Every metric the dashboard and the README's queries use is one the server exports.
    documented = (ROOT / "docs" / "grafana-dashboard.json").read_text() + (ROOT / "README.md").read_text()
    for name in set(re.findall(r"\b((?:vigil|process)_[a-z_]+)", documented)):
        family = re.sub(r"_(bucket|count|sum)$", "", name)
        assert f"# TYPE {family} " in text or f"# TYPE {name} " in text, name

    execution = {"service": "vigil.v1.ExecutionService", "method": "SubmitOrder"}
    assert value(samples, "vigil_rpc_duration_seconds_count", **execution, code="OK") == 1.0
    assert value(samples, "vigil_rpc_duration_seconds_count", **execution, code="INVALID_ARGUMENT") == 1.0
    assert value(samples, "vigil_order_events_total", event="accepted") == 1.0
    assert value(samples, "vigil_order_events_total", event="filled") == 1.0
    assert value(samples, "vigil_filled_contracts_total") == 1.0
    assert value(samples, "vigil_risk_account_state", account="paper", state="safe") == 1.0
    assert value(samples, "vigil_risk_account_state", account="paper", state="locked") == 0.0
    assert value(samples, "vigil_risk_emergency_stop") == 0.0
    for writer in ("journal", "ticks", "candles"):
        assert value(samples, "vigil_writer_queue_depth", writer=writer) is not None
        assert value(samples, "vigil_writer_store_available", writer=writer) == 1.0
    assert (value(samples, "vigil_writer_written_total", writer="journal") or 0) >= 1
    assert value(samples, "vigil_writer_errors_total", writer="journal") == 0.0
    assert (value(samples, "process_resident_memory_bytes") or 0) > 0
    states = {labels: v for (name, labels), v in samples.items() if name == "vigil_feed_state"}
    assert sum(states.values()) == 1.0  # exactly one state per feed
    assert any(name == "vigil_feed_ticks_total" for name, _ in samples)


async def test_tick_to_subscriber_latency_and_stream_counts(database_url: str) -> None:
    running = await start(server_config(database_url, metrics_listen="127.0.0.1:0"))
    try:
        assert running.metrics is not None
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = market_data_pb2_grpc.MarketDataServiceStub(channel)
            call = stub.StreamQuotes(market_data_pb2.StreamQuotesRequest(symbols=["ES1!"]))
            received = 0
            async for _ in call:
                received += 1
                if received == 3:
                    break
            call.cancel()

        async def ended() -> Samples:
            samples = await scrape(running.metrics.port)
            return samples if value(samples, "vigil_rpc_streams_active", **stream) == 0.0 else {}

        stream = {"service": "vigil.v1.MarketDataService", "method": "StreamQuotes"}
        samples = await eventually(ended)
    finally:
        await running.stop()
    assert (value(samples, "vigil_tick_to_subscriber_seconds_count") or 0) >= 3
    assert (value(samples, "vigil_rpc_stream_messages_total", **stream) or 0) >= 3
    assert value(samples, "vigil_rpc_streams_active", **stream) == 0.0
    assert value(samples, "vigil_rpc_streams_total", **stream, code="CANCELLED") == 1.0
    assert (value(samples, "vigil_feed_last_tick_age_seconds", feed="simulator") or -1) >= 0


async def test_a_metrics_port_in_use_is_a_configuration_error(database_url: str) -> None:
    first = await start(server_config(database_url, metrics_listen="127.0.0.1:0"))
    try:
        assert first.metrics is not None
        with pytest.raises(ConfigError, match="VIGIL_METRICS_LISTEN"):
            await start(server_config(database_url, metrics_listen=f"127.0.0.1:{first.metrics.port}"))
    finally:
        await first.stop()
