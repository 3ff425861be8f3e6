"""VigilClient RiskService calls against the real server: presets and rules, status, audit events, emergency stop."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import pytest

from clients.sdk import (
    BreachMode,
    NotFoundError,
    RiskEventUpdate,
    RiskRules,
    RiskState,
    VigilClient,
    VigilSyncClient,
)
from tests.integration.sdk.probes import served
from tests.kit.eventually import eventually


@pytest.fixture
async def account_id(client: VigilClient) -> str:
    await served(client.list_presets(), "RiskService")
    await served(client.list_accounts(), "ExecutionService")
    return (await client.create_account("sdk-risk", Decimal("50000"))).account_id


class RiskReader:
    """Collects stream_risk_events in the background until stopped."""

    def __init__(self, client: VigilClient, account_id: str = "") -> None:
        self.items: list[RiskEventUpdate] = []
        self._task = asyncio.create_task(self._read(client, account_id))

    async def _read(self, client: VigilClient, account_id: str) -> None:
        async for update in client.stream_risk_events(account_id):
            self.items.append(update)

    def kinds(self) -> list[str]:
        return [u.event.kind for u in self.items]

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def test_presets_apply_and_explicit_rules_round_trip_exactly(client: VigilClient, account_id: str) -> None:
    presets = await client.list_presets()
    assert presets and all(p.preset for p in presets)
    from_preset = await client.set_rules(account_id, preset=presets[0].preset)
    assert from_preset.preset == presets[0].preset

    wanted = RiskRules(
        starting_balance=Decimal("50000"),
        daily_loss_limit=Decimal("750.00"),
        daily_loss_breach=BreachMode.SOFT,
        max_contracts=3,
        cooldown_minutes=15,
    )
    applied = await client.set_rules(account_id, rules=wanted)
    assert (applied.daily_loss_limit, applied.daily_loss_breach) == (Decimal("750.00"), BreachMode.SOFT)
    assert (applied.max_contracts, applied.cooldown_minutes) == (3, 15)
    assert await client.get_rules(account_id) == applied
    with pytest.raises(NotFoundError):
        await client.get_rules("no-such-account")


async def test_a_fresh_account_has_a_known_state_and_no_loss_used(client: VigilClient, account_id: str) -> None:
    [status] = await client.get_risk_status(account_id)
    assert status.account_id == account_id and status.state is not RiskState.UNKNOWN
    assert status.daily_loss_used == 0 and not status.emergency_stop and status.trading_day
    assert account_id in {s.account_id for s in await client.get_risk_status()}


async def test_emergency_stop_locks_every_account_until_resume_and_is_audited(
    client: VigilClient, account_id: str
) -> None:
    reader = RiskReader(client)
    try:
        stopped = await client.emergency_stop("sdk test")
        assert stopped.ts_ns > 0 and stopped.orders_cancelled >= 0
        [status] = await client.get_risk_status(account_id)
        assert status.emergency_stop and status.state is RiskState.LOCKED
        await eventually(lambda: "emergency_stop" in reader.kinds())
        assert await client.resume() > 0
        [after] = await client.get_risk_status(account_id)
        assert not after.emergency_stop
        await eventually(lambda: "resumed" in reader.kinds())
    finally:
        await reader.stop()

    def use_sync_client(address: str) -> None:
        with VigilSyncClient(address) as sync:
            assert sync.list_presets()
            replayed = sync.stream_risk_events(replay=10)
            assert next(replayed).event.seq > 0
            replayed.close()

    await asyncio.to_thread(use_sync_client, client.target)
