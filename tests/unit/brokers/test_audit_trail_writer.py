"""The broker audit trail goes through a DurableWriter: lines are queued (a fan-out's sends never wait on an insert
each), stored in order in batches, kept through a store outage and written once it ends (before, a line the store
refused was logged and lost), and a read of the trail flushes what was queued first."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from core_server.backoff import Backoff
from core_server.brokers.desk import BrokerDesk
from core_server.brokers.model import AuditEntry, Binding
from core_server.model.clock import TestClock
from core_server.model.errors import Unavailable
from tests.kit.eventually import eventually


class Store:
    def __init__(self) -> None:
        self.down = False
        self.batches: list[list[AuditEntry]] = []

    async def load(self) -> list[Binding]:
        return []

    async def save(self, binding: Binding, kind: str, detail: Mapping[str, object]) -> None:
        pass

    async def delete(self, account_id: str, ts_ns: int, actor: str) -> None:
        pass

    async def write_audit(self, entries: Sequence[AuditEntry]) -> None:
        if self.down:
            raise Unavailable("the store is down")
        self.batches.append(list(entries))

    async def audit_trail(self, account_id: str, limit: int = 100) -> list[tuple[int, str, str, dict[str, Any]]]:
        lines = [e for batch in self.batches for e in batch if e.account_id == account_id]
        return [(e.ts_ns, e.actor, e.kind, dict(e.detail)) for e in reversed(lines)][:limit]


async def test_lines_are_kept_through_an_outage_and_stored_in_order_after_it() -> None:
    store = Store()
    desk = BrokerDesk(store, TestClock(1_000), {})
    desk.audits._backoff = Backoff(initial_s=0.01, maximum_s=0.02)  # retry fast
    store.down = True
    writer = asyncio.create_task(desk.audits.run())
    try:
        for n in range(3):
            desk._audit("f1", "broker:router", "close_sent", {"symbol": "NQZ6", "n": n})
        await asyncio.sleep(0.1)
        assert store.batches == [] and desk.audits.queued == 3 and not desk.audits.available

        store.down = False
        await eventually(lambda: desk.audits.queued == 0)
        stored = [e for batch in store.batches for e in batch]
        assert [e.detail["n"] for e in stored] == [0, 1, 2]
        assert len(store.batches) == 1  # one insert for the three
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)


async def test_a_read_of_the_trail_flushes_what_was_queued() -> None:
    store = Store()
    desk = BrokerDesk(store, TestClock(1_000), {})
    desk._audit("f1", "reconcile:manual", "reconcile_difference", {"kind": "position"})
    desk._audit("f2", "broker:router", "order_sent", {"accepted": True})
    trail = await desk.audit_trail("f1", 10)
    assert [(actor, kind) for _, actor, kind, _ in trail] == [("reconcile:manual", "reconcile_difference")]
    assert desk.audits.queued == 0
