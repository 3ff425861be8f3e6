"""The SDK's view of input limits: a duplicate account name raises AlreadyExistsError, names work as ids, the
max order size rule round-trips, and the feed status carries its stage failure count."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clients.sdk import AlreadyExistsError, InvalidArgumentError, RiskRules, VigilClient
from tests.integration.sdk.probes import served


async def test_account_names_are_unique_and_stand_for_the_account(client: VigilClient) -> None:
    await served(client.list_accounts(), "ExecutionService")
    made = await client.create_account("sdk-eval", Decimal("25000"))
    with pytest.raises(AlreadyExistsError):
        await client.create_account("SDK-EVAL")
    with pytest.raises(InvalidArgumentError) as refused:
        await client.create_account("sdk-zero", Decimal("0"))
    assert refused.value.field == "starting_balance"
    assert (await client.get_account("sdk-eval")).account_id == made.account_id


async def test_max_order_size_round_trips_and_the_feed_reports_no_stage_failures(client: VigilClient) -> None:
    await served(client.list_presets(), "RiskService")
    rules = await client.set_rules("paper", "topstep_50k", RiskRules(max_order_size=3))
    assert rules.max_order_size == 3
    assert (await client.get_rules("paper")).max_order_size == 3
    feeds = (await client.get_feed_status()).feeds
    assert [f.stage_errors for f in feeds] == [0]
