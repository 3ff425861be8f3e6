"""Metrics read from the server's state at scrape time: feeds, writers, risk per account, stage errors, the bus.

Reading at scrape time keeps the hot path free of metric updates; the scrape runs on the server's event loop
(exporter), so what it reads is consistent with the kernel between two steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core_server.durable import WriterStatus
from core_server.model.feed_status import FeedState, FeedStatus

log = structlog.get_logger(__name__)

NS_PER_S = 1_000_000_000
RISK_STATES = ("safe", "warning", "danger", "locked", "failed")


@dataclass(frozen=True, slots=True)
class AccountRiskFigures:
    account_id: str
    state: str  # a RISK_STATES label


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the collector reads; each a cheap call that never awaits."""

    now_ns: Callable[[], int]
    feeds: Callable[[], Sequence[FeedStatus]]
    writers: Callable[[], Sequence[WriterStatus]]  # every DurableWriter: the journal, ticks, candles, broker audit
    risk: Callable[[], Iterable[AccountRiskFigures]]
    emergency_stop: Callable[[], bool]
    stage_errors: Callable[[], Mapping[str, int]]
    bus_subscribers: Callable[[], int]


class ServerCollector(Collector):
    def __init__(self, sources: Sources) -> None:
        self._sources = sources

    def collect(self) -> Iterator[Metric]:
        for part in (self._feeds, self._writers, self._risk, self._kernel):
            try:
                yield from part()
            except Exception:  # a metric must never break the scrape of all the others
                log.exception("metrics.collect_failed", part=part.__name__)

    def _feeds(self) -> Iterator[Metric]:
        now = self._sources.now_ns()
        state = GaugeMetricFamily("vigil_feed_state", "1 for the feed's current state.", labels=("feed", "state"))
        ticks = CounterMetricFamily("vigil_feed_ticks", "Ticks received.", labels=("feed",))
        rate = GaugeMetricFamily("vigil_feed_ticks_per_second", "Ticks/s (the feed's own window).", labels=("feed",))
        age = GaugeMetricFamily(
            "vigil_feed_last_tick_age_seconds", "Seconds since the last tick (absent before one).", labels=("feed",)
        )
        reconnects = CounterMetricFamily("vigil_feed_reconnects", "Reconnects.", labels=("feed",))
        gaps = CounterMetricFamily(
            "vigil_feed_gaps", "Gaps after reconnects, filled from history or not.", labels=("feed", "filled")
        )
        malformed = CounterMetricFamily("vigil_feed_malformed_frames", "Malformed frames skipped.", labels=("feed",))
        anomalies = CounterMetricFamily(
            "vigil_feed_anomalies", "Ticks rejected by the anomaly filter.", labels=("feed",)
        )
        latency = GaugeMetricFamily(
            "vigil_feed_latency_seconds", "Exchange -> receive latency quantiles.", labels=("feed", "quantile")
        )
        for status in self._sources.feeds():
            name = status.name
            for candidate in FeedState:
                state.add_metric((name, candidate.value), 1.0 if status.state is candidate else 0.0)
            ticks.add_metric((name,), status.total_ticks)
            rate.add_metric((name,), status.ticks_per_second)
            if status.last_tick_ns:
                age.add_metric((name,), max(now - status.last_tick_ns, 0) / NS_PER_S)
            reconnects.add_metric((name,), status.reconnect_count)
            gaps.add_metric((name, "true"), status.gaps_filled)
            gaps.add_metric((name, "false"), status.gaps_unfilled)
            malformed.add_metric((name,), status.malformed_frames)
            anomalies.add_metric((name,), status.anomalies)
            latency.add_metric((name, "0.5"), status.latency_p50_ns / NS_PER_S)
            latency.add_metric((name, "0.99"), status.latency_p99_ns / NS_PER_S)
        yield from (state, ticks, rate, age, reconnects, gaps, malformed, anomalies, latency)

    def _writers(self) -> Iterator[Metric]:
        labels = ("writer",)
        queued = GaugeMetricFamily("vigil_writer_queue_depth", "Items waiting to be stored.", labels=labels)
        written = CounterMetricFamily("vigil_writer_written", "Items stored.", labels=labels)
        errors = CounterMetricFamily("vigil_writer_errors", "Failed write attempts.", labels=labels)
        failing = GaugeMetricFamily(
            "vigil_writer_consecutive_failures", "Failed attempts since the last success.", labels=labels
        )
        dead = GaugeMetricFamily("vigil_writer_dead_letters", "Items the store refused, set aside.", labels=labels)
        dropped = CounterMetricFamily("vigil_writer_dropped", "Items dropped (a full buffer).", labels=labels)
        available = GaugeMetricFamily("vigil_writer_store_available", "1 while the store takes writes.", labels=labels)
        last_error = GaugeMetricFamily(
            "vigil_writer_last_error_timestamp_seconds", "When the last write failed (0: never).", labels=labels
        )
        for status in self._sources.writers():
            key = (status.name,)
            queued.add_metric(key, status.queued)
            written.add_metric(key, status.written)
            errors.add_metric(key, status.errors)
            failing.add_metric(key, status.failures)
            dead.add_metric(key, status.dead_letters)
            dropped.add_metric(key, status.dropped)
            available.add_metric(key, 1.0 if status.available else 0.0)
            last_error.add_metric(key, status.last_error_ns / NS_PER_S)
        yield from (queued, written, errors, failing, dead, dropped, available, last_error)

    def _risk(self) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "vigil_risk_account_state", "1 for each account's current risk state.", labels=("account", "state")
        )
        stopped = GaugeMetricFamily("vigil_risk_emergency_stop", "1 while the emergency stop is on.")
        for account in self._sources.risk():
            for label in RISK_STATES:
                state.add_metric((account.account_id, label), 1.0 if account.state == label else 0.0)
        stopped.add_metric((), 1.0 if self._sources.emergency_stop() else 0.0)
        yield from (state, stopped)

    def _kernel(self) -> Iterator[Metric]:
        errors = CounterMetricFamily(
            "vigil_stage_errors", "Kernel stages that raised (isolated; accounts held), by stage.", labels=("stage",)
        )
        for stage, count in sorted(self._sources.stage_errors().items()):
            errors.add_metric((stage,), count)
        yield errors
        subscribers = GaugeMetricFamily("vigil_bus_subscribers", "Open bus subscriptions (streams, internal).")
        subscribers.add_metric((), self._sources.bus_subscribers())
        yield subscribers
