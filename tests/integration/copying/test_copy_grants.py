"""Copy groups and keys: changing a group is trader, on every account it touches; reading is viewer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from clients.sdk import CopyFollower, PermissionDeniedError, VigilClient
from core_server.app import RunningServer, start
from tests.kit.server import server_config

ADMIN = "static-admin-secret"


@pytest.fixture
async def keyed_server(database_url: str) -> AsyncIterator[RunningServer]:
    running = await start(server_config(database_url, api_keys=(ADMIN,)))
    try:
        yield running
    finally:
        await running.stop()


async def test_a_trader_changes_only_groups_whose_accounts_it_is_granted(keyed_server: RunningServer) -> None:
    address = keyed_server.address
    async with VigilClient(address, api_key=ADMIN) as admin:
        for name in ("mine-1", "mine-2", "theirs"):
            await admin.create_account(name)
        scoped = (await admin.create_api_key("scoped", "trader", ["mine-1", "mine-2"])).secret
        viewer = (await admin.create_api_key("viewer", "viewer")).secret
        theirs = await admin.create_copy_group("theirs", "webhook", "orb", [CopyFollower.fixed("theirs", 1)])
    async with VigilClient(address, api_key=scoped) as trader:
        mine = await trader.create_copy_group("mine", "account", "mine-1", [CopyFollower.times("mine-2", 1)])
        assert (await trader.pause_copy_group("mine")).paused
        with pytest.raises(PermissionDeniedError):  # a follower it is not granted
            await trader.create_copy_group("x", "webhook", "orb", [CopyFollower.fixed("theirs", 1)])
        with pytest.raises(PermissionDeniedError):  # a leader it is not granted
            await trader.create_copy_group("y", "account", "paper", [CopyFollower.fixed("mine-1", 1)])
        for change in (trader.pause_copy_group, trader.resume_copy_group, trader.delete_copy_group):
            with pytest.raises(PermissionDeniedError):
                await change(theirs.group_id)
        with pytest.raises(PermissionDeniedError):
            await trader.update_copy_group("mine", followers=[CopyFollower.fixed("theirs", 1)])
        assert {g.name for g in await trader.list_copy_groups()} == {"mine", "theirs"}
    async with VigilClient(address, api_key=viewer) as reader:
        assert (await reader.get_copy_group("theirs")).name == "theirs"
        with pytest.raises(PermissionDeniedError):
            await reader.delete_copy_group(mine.group_id)
    async with VigilClient(address, api_key=ADMIN) as admin:
        assert not (await admin.get_copy_group("theirs")).paused  # the refused calls changed nothing
        assert len((await admin.get_copy_group("mine")).followers) == 1
