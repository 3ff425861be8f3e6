"""A small timing of the per-tick path for 10 accounts holding the ticked contract (printed, never asserted)."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

import core_server.risk.engine as engine_module
from core_server.execution.events import PositionChanged
from core_server.execution.model import AccountId, Position
from core_server.model.market_data import Aggressor, Trade
from core_server.risk import assessment
from core_server.risk.engine import RiskEngine
from core_server.risk.presets import preset
from tests.unit.risk.risk_kit import NQ, mar

TICKS = 100_000


@pytest.mark.parametrize("name", ["topstep_50k", "apex_50k"])
def test_per_tick_evaluation_for_ten_accounts_prints_ticks_per_second(name: str) -> None:
    risk = RiskEngine()
    t0 = mar(10, 9, 0)
    rules = replace(preset(name).rules, flat_by=None)
    entry = 80000  # 20000.00 in ticks
    for i in range(10):
        account = AccountId(f"acc-{i}")
        risk.track_account(account, Decimal(50000), rules, t0)
        position = Position(account, NQ, 1 + i % 3, entry * (1 + i % 3), 0, Decimal(0), Decimal(0))
        risk.on_execution_events((PositionChanged(position, 0, Decimal(0), t0),))
    rng = random.Random(7)
    price = entry
    trades = []
    for n in range(TICKS):
        price += rng.choice((-1, 0, 1))
        trades.append(Trade(NQ, t0 + n * 1000, t0 + n * 1000, price, 1, Aggressor.NONE))
    evaluations = 0
    real_assess = assessment.assess

    def counting_assess(*args: Any) -> None:
        nonlocal evaluations
        evaluations += 1
        real_assess(*args)

    engine_module.assess = counting_assess  # type: ignore[attr-defined,assignment]
    try:
        started = time.perf_counter()
        for trade in trades:
            risk.on_tick(trade)
        elapsed = time.perf_counter() - started
    finally:
        engine_module.assess = real_assess  # type: ignore[attr-defined]
    print(
        f"\nrisk on_tick {name}, 10 accounts holding NQ: {TICKS / elapsed:,.0f} ticks/s "
        f"({elapsed / TICKS * 1e9:,.0f} ns/tick, {evaluations} full account evaluations; price range "
        f"{(min(t.price for t in trades) - entry) / 4:+.2f}..{(max(t.price for t in trades) - entry) / 4:+.2f} pts)"
    )
