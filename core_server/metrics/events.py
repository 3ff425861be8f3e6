"""Counts what the journal publishes once stored: order events, fills, rejections by reason, risk audit entries.

A bus subscriber of its own (reliable, bounded): it sees exactly what a restart would find in the store. Should
it ever fall behind and be closed, it subscribes again and counts the loss (vigil_metrics_events_lost).
"""

from __future__ import annotations

import re

import structlog

from core_server.bus import Bus, SlowConsumer
from core_server.execution.events import OrderFilled, OrderRejected
from core_server.live.journal import ORDERS_TOPIC, RISK_TOPIC, ExecutionNotice
from core_server.metrics.registry import ServerMetrics
from core_server.risk.audit import AuditRecord

log = structlog.get_logger(__name__)

QUEUE = 100_000
DENIED_KIND = "order_denied"
EXCHANGE_REASON = "exchange"


def event_label(event: object) -> str:
    """'OrderFilled' -> 'filled', 'PositionChanged' -> 'position_changed': a bounded label per event class."""
    name = type(event).__name__
    name = name.removeprefix("Order")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class EventCounter:
    def __init__(self, bus: Bus, metrics: ServerMetrics) -> None:
        self._bus = bus
        self._metrics = metrics

    def count(self, message: object) -> None:
        metrics = self._metrics
        if isinstance(message, ExecutionNotice):
            event = message.event
            metrics.order_events.labels(event_label(event)).inc()
            if isinstance(event, OrderFilled):
                metrics.fills.inc()
                metrics.filled_contracts.inc(event.fill.quantity)
            elif isinstance(event, OrderRejected):
                metrics.rejections.labels(EXCHANGE_REASON).inc()
        elif isinstance(message, AuditRecord):
            entry = message.entry
            metrics.risk_events.labels(entry.kind, entry.rule).inc()
            if entry.kind == DENIED_KIND:
                metrics.rejections.labels(entry.rule).inc()

    async def run(self) -> None:
        """Count until cancelled or the bus closes (shutdown)."""
        while True:
            subscription = self._bus.subscribe([ORDERS_TOPIC + "*", RISK_TOPIC], maxsize=QUEUE)
            try:
                while True:
                    batch = await subscription.next_batch()
                    if not batch:
                        return
                    for message in batch:
                        self.count(message)
            except SlowConsumer as exc:
                log.warning("metrics.events_subscription_renewed", reason=str(exc))
                self._metrics.bus_events_lost.inc()
            finally:
                subscription.close()
