"""A strategy's P&L in R in the live core on real PostgreSQL: stored with the fills and marks that changed it,
published on the bus for the stream, and restored exactly after a crash (no clean stop: the next core is built on
the store as the first left it), where the open trade goes on realising from what was counted, never twice.

Hand-computed, ES (tick 0.25, $12.50 a tick):
- version 1 buys 2 at 6000.00, stop 5995.00 (1R = 20 ticks x 2 = 40), target 6010.00. A print at 6010.25 of size 1
  fills the target partly: realised +1R; the other contract marked 6010.25: +41/40 R.
- crash; the second core restores +1R realised and +41/40 R open at the stored mark; the print at 6010.25 of the
  second contract fills the rest: +2R realised, flat.
- version 2 sells 1 at 6010.00, stop 6012.50 (1R = 10 ticks), marked 6011.25: -0.5R; stopped at 6012.50: -1R.
- the strategy: +1R realised (v1 +2R, v2 -1R), today too.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import asyncpg

from core_server.api.strategies_convert import strategy_to_proto
from core_server.execution.commands import SubmitBracket
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import OrderSide, OrderType
from core_server.kernel.kernel import TradingKernel
from core_server.live.journal import STRATEGIES_TOPIC
from core_server.model.instruments import Contract
from core_server.storage.strategies import StrategyRepository
from core_server.strategies.events import StrategyRecord, VersionPnl
from tests.kit.feeds import quote, trade
from tests.kit.live import PAPER, LiveRig, live_settings, open_live
from tests.kit.time import et

ES = Contract("ES", 2026, 12)
START = et(2026, 11, 18, 10, 0)
S = 1_000_000_000
DEFINITION = """
name = "s"
kind = "rules"
account = "paper"
instrument = "ES"
enabled = false
description = "{description}"

[rules]
timeframe = "5m"
stop = {{ ticks = 8 }}
target = {{ r = 2 }}

[[rules.entry]]
side = "buy"
order = {{ type = "market" }}
when = {{ all = [ {{ left = {{ field = "close" }}, op = ">", right = 100000 }} ] }}
"""


async def opened(pool: asyncpg.Pool, at: int, prefix: str) -> LiveRig:
    fill = FillSettings(seed=1, latency_min_ns=0, latency_max_ns=0, max_slippage_ticks=0, partial_fills=True)
    return await open_live(pool, [ES], at, settings=live_settings(fill=fill), id_prefix=prefix)


async def bracket(rig: LiveRig, side: OrderSide, qty: int, stop: str, target: str, version: int) -> None:
    command = SubmitBracket(PAPER, ES.id, side, qty, OrderType.MARKET, Decimal(stop), Decimal(target),
                            tag=f"strategy:s@{version}")  # fmt: skip

    def run(kernel: TradingKernel, now: int) -> None:
        kernel.execute(command, now)

    await rig.core.shell.command(run)


async def stored(pool: asyncpg.Pool) -> StrategyRecord:
    [item] = [s for s in await StrategyRepository(pool).load() if s.record.strategy_id == "s"]
    return item.record


async def test_r_is_stored_streamed_and_restored_after_a_crash(pg_pool: asyncpg.Pool) -> None:
    first = await opened(pg_pool, START, "first-")
    subscription = first.bus.subscribe(STRATEGIES_TOPIC)
    await first.core.strategies.load(DEFINITION.format(description="v1"), "toml")
    first.play([quote(ES, START + S, "5999.75", "6000.00", 10, 10)])
    first.clock.set_ns(START + 2 * S)
    await bracket(first, OrderSide.BUY, 2, "5995.00", "6010.00", 1)
    first.play([trade(ES, START + 3 * S, "6010.25", size=1)])  # the target fills 1 of 2
    await first.stored()
    record = await stored(pg_pool)
    assert record.versions == (VersionPnl(1, Fraction(1), Fraction(1), Fraction(41, 40), 2 - 1, 1, 1),)
    assert (record.mark, record.realised_r, record.unrealised_r) == (24_041, 1, Fraction(41, 40))
    assert record == first.core.strategies.host.get("s").record()
    # The stream's figures: each change published once stored, converted as the servicer sends them.
    published = []
    while subscription.pending():
        published += [i for i in await subscription.next_batch() if isinstance(i, StrategyRecord)]
    assert published[-1].unrealised_r == Fraction(41, 40)
    wire = strategy_to_proto(first.core.strategies.view("s"))
    assert (wire.realised_r, wire.realised_r_today, wire.unrealised_r) == ("1.0000", "1.0000", "1.0250")
    assert [(v.version, v.realised_r, v.unrealised_r, v.open_qty) for v in wire.version_pnl] == [
        (1, "1.0000", "1.0250", 1)
    ]

    # Crash: the second core continues from the store.
    second = await opened(pg_pool, START + 10 * S, "second-")
    host = second.core.strategies.host
    assert host.get("s").record() == record and ES.id in host.marked
    second.play([trade(ES, START + 11 * S, "6010.25", size=1)])  # the rest of the target
    await second.core.strategies.load(DEFINITION.format(description="v2"), "toml")
    second.play([quote(ES, START + 12 * S, "6010.00", "6010.25", 10, 10)])
    second.clock.set_ns(START + 13 * S)
    await bracket(second, OrderSide.SELL, 1, "6012.50", "6000.00", 2)
    second.play([trade(ES, START + 14 * S, "6011.25")])
    await second.stored()
    marked = await stored(pg_pool)
    assert marked.versions == (
        VersionPnl(1, Fraction(2), Fraction(2), None, 0, 1, 1),
        VersionPnl(2, Fraction(0), Fraction(0), Fraction(-1, 2), 1, 1, 1),
    )
    second.play([quote(ES, START + 15 * S, "6012.25", "6012.50", 10, 10)])  # stopped at 6012.50
    await second.stored()
    done = await stored(pg_pool)
    assert done.versions == (
        VersionPnl(1, Fraction(2), Fraction(2), None, 0, 1, 1),
        VersionPnl(2, Fraction(-1), Fraction(-1), None, 0, 1, 1),
    )
    assert (done.realised_r, done.realised_r_today, done.unrealised_r, done.position) == (1, 1, None, 0)
    assert done.realised == Decimal("860.00")  # +$1000 - $125, less six $2.50 commissions
    results = await second.core.strategies.results("s")  # the journal's closed trades per version
    assert [(r.version, r.r) for r in results] == [(1, 2), (2, -1)]

    # A third core after another crash: the same figures, flat, nothing marked.
    third = await opened(pg_pool, START + 20 * S, "third-")
    assert third.core.strategies.host.get("s").record() == done and not third.core.strategies.host.marked
