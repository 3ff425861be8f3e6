"""Paper slippage does not depend on restarts (issue 14 §4 fault injection): each fill's seeded slippage is drawn
from (seed, order id, quantity the order had filled before), so a session restarted in the middle fills every
order at the same price as the same session run without a restart. Real PostgreSQL, the live core as the server
assembles it; the restart is a second core built on the store as the first left it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import pytest

from core_server.execution.commands import SubmitOrder
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import OrderSide, OrderType
from core_server.risk.days import MarketHours
from core_server.storage.database import connect_pool
from tests.kit.feeds import NQ, quote
from tests.kit.live import PAPER, LiveRig, live_settings, open_live
from tests.kit.postgres import _execute, drop_database, with_database
from tests.kit.time import ct

START = ct(2026, 11, 16, 9, 0)  # a Monday, 09:00 CT
SECOND = 1_000_000_000
ORDERS = 12  # before and after the restart each: 4^-12 is the chance a wrong stream matched by luck


def _settings() -> object:
    return live_settings(
        fill=FillSettings(seed=7, latency_min_ns=0, latency_max_ns=0, max_slippage_ticks=3),
        market_hours=MarketHours.DECLARED_OPEN,
    )


async def _trade(rig: LiveRig, first: int, count: int) -> list[tuple[str, int]]:
    """`count` market orders, alternately buying and selling one NQ against a fixed quote; (order id, fill price
    in ticks) of each."""
    fills: list[tuple[str, int]] = []
    for i in range(first, first + count):
        now = START + (i + 1) * SECOND
        rig.advance(now)
        rig.play([quote(NQ, now, "24999.75", "25000.00")])
        side = OrderSide.BUY if i % 2 == 0 else OrderSide.SELL
        change = await rig.core.execution.execute(SubmitOrder(PAPER, NQ.id, side, 1, OrderType.MARKET))
        [order_id] = change.orders
        order = rig.core.kernel.execution.order(order_id)
        assert order.filled_qty == 1
        fills.append((str(order_id), order.filled_cost))
    await rig.stored()
    return fills


@pytest.fixture
async def second_pool(postgres_admin_url: str, migrated_template: str) -> AsyncIterator[asyncpg.Pool]:
    """A second fresh database for the uninterrupted run."""
    name = f"t_{uuid4().hex}"
    await _execute(postgres_admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"')
    pool = await connect_pool(with_database(postgres_admin_url, name), min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()
        await drop_database(postgres_admin_url, name)


async def test_a_restart_in_the_middle_fills_at_the_same_slippage_as_an_uninterrupted_run(
    pg_pool: asyncpg.Pool, second_pool: asyncpg.Pool
) -> None:
    settings = _settings()
    whole = await open_live(second_pool, [NQ], START, settings=settings)  # type: ignore[arg-type]
    uninterrupted = await _trade(whole, 0, 2 * ORDERS)

    first = await open_live(pg_pool, [NQ], START, settings=settings)  # type: ignore[arg-type]
    before = await _trade(first, 0, ORDERS)
    restarted = await open_live(pg_pool, [NQ], START + ORDERS * SECOND, settings=settings)  # type: ignore[arg-type]
    after = await _trade(restarted, ORDERS, ORDERS)

    assert before + after == uninterrupted
    assert len({price for _, price in uninterrupted}) > 2  # the slippage does vary: the test compares draws
