"""A continuous ticker follows the front month across a roll: NQ1! shows NQZ2025's bars until the 17:00 CT open
of the roll date (2025-12-11's trade date, 8 days before the 2025-12-19 expiry) and NQH2026's from then on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from clients.sdk import VigilClient
from core_server.app import start
from core_server.model.feed_status import FeedState
from tests.integration.udf.conftest import Edge, edge_on
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.kit.time import ct, utc

S = 10**9
TAPE = """ts,contract,kind,bid,ask,bid_size,ask_size,price,size,aggressor
2025-12-10T21:00:00Z,NQZ2025,trade,,,,,25100.00,1,buy
2025-12-10T21:00:30Z,NQH2026,trade,,,,,25300.00,1,buy
2025-12-10T23:05:00Z,NQZ2025,trade,,,,,25110.00,1,buy
2025-12-10T23:05:10Z,NQH2026,trade,,,,,25310.25,2,buy
"""
BEFORE = utc(2025, 12, 10, 21) // S  # 15:00 CT, NQZ2025 leads
AFTER = utc(2025, 12, 10, 23, 5) // S  # 17:05 CT, NQH2026 leads


@pytest.fixture
async def roll_edge(database_url: str, tmp_path: Path) -> AsyncIterator[Edge]:
    path = tmp_path / "roll.csv"
    path.write_text(TAPE)
    running = await start(
        server_config(database_url, feed="replay", replay_file=path, replay_speed=0.0, symbols=("NQZ2025", "NQH2026"))
    )
    try:
        await eventually(lambda: running.engine.bindings[0].state is FeedState.FINISHED)
        async with edge_on(running.address) as edge:
            yield edge
    finally:
        await running.stop()


async def history(edge: Edge, symbol: str, resolution: str, **query: int) -> dict[str, Any]:
    response = await edge.get(
        "/udf/history", params={"symbol": symbol, "resolution": resolution, **{k: str(v) for k, v in query.items()}}
    )
    assert response.status == 200, await response.text()
    return json.loads(await response.read(), parse_float=Decimal)  # type: ignore[no-any-return]


async def test_the_roll_happens_at_the_1700_ct_open_of_the_roll_date(roll_edge: Edge) -> None:
    window = {"from": utc(2025, 12, 10, 20) // S, "to": utc(2025, 12, 11) // S}

    async def both_contracts_stored() -> dict[str, Any] | None:
        answer = await history(roll_edge, "NQ1!", "1", **window)
        return answer if answer["s"] == "ok" and len(answer["t"]) == 2 else None

    continuous = await eventually(both_contracts_stored)

    assert continuous["t"] == [BEFORE, AFTER]
    assert continuous["c"] == [Decimal("25100.00"), Decimal("25310.25")]  # NQZ2025, then NQH2026
    assert continuous["v"] == [1, 2]
    back = await history(roll_edge, "NQ1!", "1", to=utc(2025, 12, 11) // S, countback=2)
    assert back["t"] == [BEFORE, AFTER] and back["c"] == continuous["c"]
    daily = await history(roll_edge, "NQ1!", "1D", **{"from": utc(2025, 12, 9) // S, "to": utc(2025, 12, 12) // S})
    assert daily["t"] == [utc(2025, 12, 10) // S, utc(2025, 12, 11) // S]
    assert daily["c"] == [Decimal("25100.00"), Decimal("25310.25")]
    # Each dated contract keeps all of its own bars.
    december = await history(roll_edge, "NQZ2025", "1", **window)
    assert december["c"] == [Decimal("25100.00"), Decimal("25110.00")]


async def test_the_core_agrees_on_the_roll(database_url: str) -> None:
    running = await start(server_config(database_url))
    try:
        async with VigilClient(running.address) as client:
            december = await client.resolve_symbol("NQZ2025")
            assert december.roll_ns == ct(2025, 12, 10, 17)
            assert (await client.resolve_symbol("NQ1!", at_ns=ct(2025, 12, 10, 17) - 1)).contract_id == "NQZ2025"
            assert (await client.resolve_symbol("NQ1!", at_ns=ct(2025, 12, 10, 17))).contract_id == "NQH2026"
    finally:
        await running.stop()
