"""What the metrics count from the bus: order events by kind, fills, rejections by reason, risk entries."""

from __future__ import annotations

from core_server.bus import Bus
from core_server.execution.events import OrderRejected, PositionChanged
from core_server.execution.model import AccountId, OrderId
from core_server.live.journal import ExecutionNotice
from core_server.metrics.events import EventCounter, event_label
from core_server.metrics.registry import ServerMetrics
from core_server.risk.audit import AuditEntry, AuditRecord


def test_event_labels_are_bounded_snake_case_names() -> None:
    rejected = OrderRejected(AccountId("a"), OrderId("o"), "no market", 1)
    assert event_label(rejected) == "rejected"
    assert event_label(PositionChanged.__new__(PositionChanged)) == "position_changed"


def test_exchange_rejections_and_risk_denials_count_by_reason() -> None:
    metrics = ServerMetrics()
    counter = EventCounter(Bus(), metrics)
    counter.count(ExecutionNotice(OrderRejected(AccountId("a"), OrderId("o"), "no market for ESZ2026 yet", 1), None))
    denied = AuditEntry(1, "a", "order_denied", "daily_loss", "over the limit", (), "locked")
    counter.count(AuditRecord(1, denied))
    counter.count(AuditRecord(2, denied))
    registry = metrics.registry
    assert registry.get_sample_value("vigil_order_rejections_total", {"reason": "exchange"}) == 1.0
    assert registry.get_sample_value("vigil_order_rejections_total", {"reason": "daily_loss"}) == 2.0
    assert registry.get_sample_value("vigil_order_events_total", {"event": "rejected"}) == 1.0
    assert registry.get_sample_value("vigil_risk_events_total", {"kind": "order_denied", "rule": "daily_loss"}) == 2.0
