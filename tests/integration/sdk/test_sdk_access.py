"""The SDK's AccessService calls (async and sync) against a real server, and role refusals as typed errors."""

from __future__ import annotations

import asyncio

import pytest

from clients.sdk import PermissionDeniedError, Role, VigilClient, VigilSyncClient, limit
from clients.sdk.errors import AlreadyExistsError, AuthenticationError, NotFoundError


async def test_keys_through_the_async_client(vigil_server: str) -> None:
    async with VigilClient(vigil_server) as admin:
        me = await admin.who_am_i()
        assert (me.actor, me.role) == ("local", Role.ADMIN)
        created = await admin.create_api_key("bot", "trader", ["paper"])
        assert created.key.role is Role.TRADER and created.key.account_ids == ("paper",)
        assert created.key.working and created.key.prefix == created.secret[:8]
        with pytest.raises(AlreadyExistsError):
            await admin.create_api_key("bot", Role.VIEWER)
        viewer = await admin.create_api_key("screen", Role.VIEWER)
        async with VigilClient(vigil_server, api_key=viewer.secret) as client:
            assert (await client.who_am_i()).actor == "key:screen"
            with pytest.raises(PermissionDeniedError, match="admin"):
                await client.emergency_stop("no")
            with pytest.raises(PermissionDeniedError, match="trader"):
                await client.cancel_all_orders("paper")
        assert [k.name for k in await admin.list_api_keys()] == ["bot", "screen"]
        revoked = await admin.revoke_api_key("screen")
        assert not revoked.working
        async with VigilClient(vigil_server, api_key=viewer.secret) as client:
            with pytest.raises(AuthenticationError):
                await client.who_am_i()


async def test_keys_through_the_sync_client(vigil_server: str) -> None:
    def script() -> tuple[str, list[str]]:
        with VigilSyncClient(vigil_server) as admin:
            created = admin.create_api_key("sync", "viewer")
            with VigilSyncClient(vigil_server, api_key=created.secret) as client:
                actor = client.who_am_i().actor
            admin.revoke_api_key("sync")
            return actor, [k.name for k in admin.list_api_keys(include_revoked=True)]

    assert await asyncio.to_thread(script) == ("key:sync", ["sync"])


async def test_orders_and_risk_events_carry_their_actor_in_the_sdk(vigil_server: str) -> None:
    async with VigilClient(vigil_server) as admin:
        bot = await admin.create_api_key("bot", Role.TRADER)
        quote = None
        while quote is None:
            try:
                quote = await admin.get_quote("NQ")
            except NotFoundError:  # no quote yet
                await asyncio.sleep(0.02)
        async with VigilClient(vigil_server, api_key=bot.secret) as client:
            result = await client.submit_order("paper", limit("NQ", "buy", 1, quote.quote.bid - 200))
            assert result.order.placed_by == "key:bot"
            [listed] = await client.list_orders("paper")
            assert listed.placed_by == "key:bot"
        await admin.set_rules("paper", "topstep_50k")
        async for update in admin.stream_risk_events("paper", replay=50):
            if update.event.kind == "rules_changed" and update.event.actor:  # not the default rules set at start
                assert update.event.actor == "local"
                break
