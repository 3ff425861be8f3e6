"""The periodic reconciliation outlives a pass that fails in a way nobody expected (before, a broker's HTTP 400
escaped reconcile_all as RestUnavailable and ended the server's `broker-reconcile` task for good)."""

from __future__ import annotations

import asyncio

from core_server.brokers.desk import BrokerDesk


class _Passes:
    def __init__(self) -> None:
        self.calls = 0
        self.went_on = asyncio.Event()

    async def reconcile_all(self) -> list[object]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("an answer nobody expected")
        self.went_on.set()
        return []


async def test_a_failed_periodic_pass_is_logged_and_the_next_pass_still_runs() -> None:
    passes = _Passes()
    loop = asyncio.create_task(BrokerDesk.run_periodic(passes, 0.001))  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(passes.went_on.wait(), 10)
    finally:
        loop.cancel()
    assert passes.calls >= 2
