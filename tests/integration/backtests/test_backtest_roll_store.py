"""A backtest on `ES` across the ESZ2025 -> ESH2026 roll over ticks in the store (real PostgreSQL): the worker's
StoreTicks reads both contracts and reports byte for byte what the same ticks in memory give, and `vigil backtest
--symbol ES` through the BacktestService and the SDK runs it with no new flag: trades on both contracts, the
position open at the roll closed there with exit reason `roll`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from clients.cli import exit_codes
from core_server.app import RunningServer
from core_server.backtest.source import TickList
from core_server.backtest_jobs.settings import RunSettings
from core_server.backtest_jobs.store_source import StoreTicks
from core_server.backtest_jobs.worker import run_backtest
from core_server.model.market_data import Tick
from core_server.storage.ticks import TickRepository, tick_row
from tests.integration.cli.test_cli_market import vigil
from tests.kit.roll_tapes import ESH, ESZ, ROLL_NS, in_order, steady
from tests.kit.time import ct

PARAMS = {"at": "15:30", "distance_ticks": "8"}


def roll_tape() -> list[Tick]:
    """ESZ2025 at 6800.00 on the 10th (a long bought at 15:30 CT is open at the roll); ESH2026 at 6850.00 on both days,
    up 3 points at 15:31 CT on the 11th (its long's target)."""
    return in_order(
        steady(ESZ, ct(2025, 12, 10, 8), ct(2025, 12, 10, 16), "6800.00"),
        steady(ESH, ct(2025, 12, 10, 8), ct(2025, 12, 10, 16), "6850.00"),
        steady(ESH, ct(2025, 12, 11, 8), ct(2025, 12, 11, 15, 31), "6850.00"),
        steady(ESH, ct(2025, 12, 11, 15, 31), ct(2025, 12, 11, 16), "6853.00"),
    )


@pytest.fixture
async def stored(database_url: str) -> AsyncIterator[str]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        await TickRepository(pool).copy_ticks("roll-tape", [tick_row(t) for t in roll_tape()])
    finally:
        await pool.close()
    yield database_url


def expected() -> tuple[dict[str, Any], str]:
    settings = RunSettings("ES", "2025-12-10", "2025-12-11", "bracket-a-day", PARAMS, commission="2.50")
    return run_backtest(settings, lambda config: TickList(roll_tape()))


async def test_the_store_gives_both_contracts_and_the_same_report_as_memory(stored: str) -> None:
    settings = RunSettings("ES", "2025-12-10", "2025-12-11", "bracket-a-day", PARAMS, commission="2.50")
    report, text = run_backtest(
        settings, lambda config: StoreTicks(stored, [c.id for c in config.contracts], config.start_ns, config.end_ns)
    )
    assert text == expected()[1]
    assert report["data"]["ticks"] == len(roll_tape())
    assert [(t["contract"], t["exit_reason"]) for t in report["trades"]] == [("ESZ2025", "roll"), ("ESH2026", "TP")]
    assert report["trades"][0]["exit_ns"] == str(ROLL_NS)


@pytest.mark.usefixtures("stored")
async def test_vigil_backtest_symbol_es_runs_across_the_roll(running_server: RunningServer, tmp_path: Path) -> None:
    out = tmp_path / "roll.json"
    code, text, err = await vigil(
        "--target", running_server.address, "backtest", "bracket-a-day", "--symbol", "ES", "--from", "2025-12-10",
        "--to", "2025-12-11", "--param", "at=15:30", "--param", "distance_ticks=8", "--commission", "2.50",
        "--json", str(out),
    )  # fmt: skip
    assert code == exit_codes.OK, err
    assert out.read_text(encoding="utf-8") == expected()[1]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["run"]["contracts"] == [ESZ.id, ESH.id]
    code, text, _ = await vigil("--target", running_server.address, "--json", "backtests")
    (listed,) = json.loads(text)
    assert listed["status"] == "done" and listed["contract_id"] == ESZ.id
    code, text, _ = await vigil("--target", running_server.address, "backtests", listed["run_id"])
    assert code == exit_codes.OK
    assert "roll" in text and "TP" in text
