"""The metrics of one running server: the registry, the scrape-time collector, the event counter, the endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import structlog

from core_server.brokers.model import AuditEntry
from core_server.bus import Bus
from core_server.config import ConfigError
from core_server.durable import DurableWriter, stop_task
from core_server.live.risk_desk import RiskDesk
from core_server.live.shell import LiveKernel
from core_server.market_data.candle_writer import CandleWriter
from core_server.market_data.engine import MarketDataEngine
from core_server.metrics.collector import AccountRiskFigures, ServerCollector, Sources
from core_server.metrics.events import EventCounter
from core_server.metrics.exporter import MetricsExporter
from core_server.metrics.registry import ServerMetrics
from core_server.storage.tick_writer import TickWriter

log = structlog.get_logger(__name__)


def server_sources(
    shell: LiveKernel, market: MarketDataEngine, tick_writer: TickWriter, candles: CandleWriter, risk: RiskDesk,
    bus: Bus, broker_audit: DurableWriter[AuditEntry] | None = None,
) -> Sources:  # fmt: skip
    def risk_figures() -> Iterator[AccountRiskFigures]:
        for account_id in risk.accounts():
            try:
                status = risk.status(account_id)
            except Exception:  # an account closed meanwhile
                continue
            yield AccountRiskFigures(str(account_id), status.state.name.lower())

    return Sources(
        now_ns=shell.clock.now_ns,
        feeds=market.feed_statuses,
        writers=lambda: (
            [shell.writer.status(), tick_writer.writer_status(), candles.status()]
            + ([broker_audit.status()] if broker_audit is not None else [])
        ),
        risk=risk_figures,
        emergency_stop=lambda: risk.emergency_stopped,
        stage_errors=lambda: {stage.value: n for stage, n in shell.kernel.isolation.counts.items()},
        bus_subscribers=bus.subscriber_count,
    )


class MetricsService:
    """Counts bus events always; serves /metrics when `listen` is set."""

    def __init__(self, metrics: ServerMetrics) -> None:
        self.metrics = metrics
        self.exporter: MetricsExporter | None = None
        self._counter: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        return self.exporter.port if self.exporter is not None else 0

    async def start(self, listen: str, sources: Sources, bus: Bus) -> None:
        self.metrics.registry.register(ServerCollector(sources))
        self._counter = asyncio.create_task(EventCounter(bus, self.metrics).run(), name="metrics-events")
        if listen:
            exporter = MetricsExporter(self.metrics.registry)
            try:
                port = await exporter.start(listen)
            except (OSError, ValueError) as exc:
                await self.stop()
                raise ConfigError("VIGIL_METRICS_LISTEN", f"cannot listen on {listen}: {exc}") from None
            self.exporter = exporter
            log.info("metrics.serving", address=f"{listen.rpartition(':')[0]}:{port}", path="/metrics")

    async def stop(self) -> None:
        await stop_task(self._counter)
        if self.exporter is not None:
            await self.exporter.stop()
