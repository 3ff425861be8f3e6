"""The server's metrics that are pushed as things happen: RPC latency, tick -> subscriber latency, bus events.

One `ServerMetrics` per server, on its own CollectorRegistry (never the global one), so several servers in one
process (tests, benchmarks) do not collide. Everything read from state at scrape time is in `collector`.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

NS_PER_S = 1_000_000_000

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series beside every counter and histogram

# Loopback delivery is well under a millisecond; the upper buckets catch GC pauses and slow consumers.
DELIVERY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
RPC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        ProcessCollector(registry=registry)  # process_resident_memory_bytes, cpu, open fds
        GCCollector(registry=registry)
        PlatformCollector(registry=registry)
        self.rpc_duration = Histogram(
            "vigil_rpc_duration_seconds",
            "Unary RPC latency in the server, by method and status code.",
            ("service", "method", "code"),
            buckets=RPC_BUCKETS,
            registry=registry,
        )
        self.rpc_streams = Counter(
            "vigil_rpc_streams",
            "Server-streaming RPCs ended, by method and status code.",
            ("service", "method", "code"),
            registry=registry,
        )
        self.rpc_streams_active = Gauge(
            "vigil_rpc_streams_active", "Server-streaming RPCs open now.", ("service", "method"), registry=registry
        )
        self.rpc_stream_messages = Counter(
            "vigil_rpc_stream_messages", "Messages sent on server streams.", ("service", "method"), registry=registry
        )
        self.delivery = Histogram(
            "vigil_tick_to_subscriber_seconds",
            "From a tick's arrival in Vigil (ts_init) to its batch being handed to a StreamQuotes subscriber's "
            "gRPC stream; one observation per batch, for its oldest tick.",
            buckets=DELIVERY_BUCKETS,
            registry=registry,
        )
        self.order_events = Counter(
            "vigil_order_events",
            "Stored execution events by kind (accepted, denied, rejected, working, filled, cancelled, ...).",
            ("event",),
            registry=registry,
        )
        self.fills = Counter("vigil_fills", "Fills (partial fills each count).", registry=registry)
        self.filled_contracts = Counter("vigil_filled_contracts", "Contracts filled.", registry=registry)
        self.rejections = Counter(
            "vigil_order_rejections",
            "Orders refused, by reason: the risk rule that denied it, or 'exchange' for an exchange rejection.",
            ("reason",),
            registry=registry,
        )
        self.risk_events = Counter(
            "vigil_risk_events", "Stored risk audit entries by kind and rule.", ("kind", "rule"), registry=registry
        )
        self.bus_events_lost = Counter(
            "vigil_metrics_events_lost",
            "Bus events the metrics counter missed (its subscription fell behind and was renewed).",
            registry=registry,
        )

    def delivered(self, age_ns: int) -> None:
        """A batch went to a subscriber; `age_ns` is its oldest tick's age (now - ts_init)."""
        self.delivery.observe(max(age_ns, 0) / NS_PER_S)


def split_method(full_method: str) -> tuple[str, str]:
    """'/vigil.v1.ExecutionService/PlaceOrder' -> ('vigil.v1.ExecutionService', 'PlaceOrder')."""
    service, _, method = full_method.lstrip("/").partition("/")
    return service, method
