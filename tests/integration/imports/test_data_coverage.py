"""DataService/ListDataCoverage against a real server and store: hand-placed ES ticks on two CME trade dates.

Trade date 2025-10-07 runs 2025-10-06 22:00 UTC (17:00 CT) to 2025-10-07 21:00 UTC (16:00 CT). Stored: a quote
10 minutes after the open, trades at 10:30, 15:30 (flagged as an anomaly) and 20:00 minutes after it. With
60-second gaps: open -> first tick (10 min), 10:30 -> 15:30 (5 min), 15:30 -> 20:00 (4.5 min), last tick -> close
(22 h 40 min = 1,360 min): 1,379.5 minutes missing in 4 gaps. Trade date 2025-10-08 has no tick: one gap over its
whole 23-hour session.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import date

import asyncpg
import pytest

from clients.cli import exit_codes
from clients.cli.main import main
from clients.sdk import DataGap, InvalidArgumentError, VigilClient
from core_server.app import RunningServer

OPEN = 1_759_788_000_000_000_000  # 2025-10-06 22:00 UTC
CLOSE = 1_759_870_800_000_000_000  # 2025-10-07 21:00 UTC
NEXT_OPEN, NEXT_CLOSE = 1_759_874_400_000_000_000, 1_759_957_200_000_000_000
MIN = 60_000_000_000
HALF = MIN // 2


async def store_ticks(dsn: str) -> None:
    rows = [
        ("ESZ2025", OPEN + 10 * MIN, OPEN + 10 * MIN, 1, 24_000, 24_001, 5, 5, None, None, None, 0),
        ("ESZ2025", OPEN + 21 * HALF, OPEN + 21 * HALF, 2, None, None, None, None, 24_001, 1, 1, 0),
        ("ESZ2025", OPEN + 31 * HALF, OPEN + 31 * HALF, 2, None, None, None, None, 24_002, 2, 1, 1),
        ("ESZ2025", OPEN + 20 * MIN, OPEN + 20 * MIN, 2, None, None, None, None, 24_003, 1, 2, 0),
    ]
    connection = await asyncpg.connect(dsn)
    try:
        await connection.executemany(
            "INSERT INTO ticks (contract_id, ts_event_ns, ts_init_ns, kind, bid, ask, bid_size, ask_size, price,"
            " size, aggressor, flags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            rows,
        )
    finally:
        await connection.close()


@pytest.fixture
async def stored(running_server: RunningServer, database_url: str) -> str:
    await store_ticks(database_url)
    return running_server.address


async def test_coverage_per_trade_date_with_its_gaps(stored: str) -> None:
    async with VigilClient(stored) as client:
        days = await client.list_data_coverage("ES", "2025-10-07", "2025-10-08")
    assert [(d.contract_id, d.trade_date) for d in days] == [
        ("ESZ2025", date(2025, 10, 7)),
        ("ESZ2025", date(2025, 10, 8)),
    ]
    first, second = days
    assert (first.ticks, first.quotes, first.trades, first.anomalies) == (4, 1, 3, 1)
    assert (first.first_ns, first.last_ns, first.open_ns, first.close_ns) == (
        OPEN + 10 * MIN,
        OPEN + 20 * MIN,
        OPEN,
        CLOSE,
    )
    assert first.gaps == (
        DataGap(OPEN, OPEN + 10 * MIN),
        DataGap(OPEN + 21 * HALF, OPEN + 31 * HALF),
        DataGap(OPEN + 31 * HALF, OPEN + 20 * MIN),
        DataGap(OPEN + 20 * MIN, CLOSE),
    )
    assert first.missing_ns == 2759 * HALF and not first.complete
    assert (second.ticks, second.gaps, second.missing_ns) == (0, (DataGap(NEXT_OPEN, NEXT_CLOSE),), 23 * 60 * MIN)

    async with VigilClient(stored) as client:
        # a 6-minute minimum drops the 5-minute silence; a contract or another root selects accordingly
        (day,) = await client.list_data_coverage("ESZ2025", "2025-10-07", "2025-10-07", min_gap_seconds=360)
        assert len(day.gaps) == 2
        assert await client.list_data_coverage("NQ", "2025-10-07", "2025-10-08") == []
        assert await client.list_data_coverage("MES", "2025-10-07", "2025-10-08") == []
        with pytest.raises(InvalidArgumentError) as refused:
            await client.list_data_coverage("ES", "2025-10-08", "2025-10-07")
        assert refused.value.field == "from_date"
        with pytest.raises(InvalidArgumentError) as refused:
            await client.list_data_coverage("ES", "2024-01-01", "2025-10-07")
        assert refused.value.field == "from_date"
        with pytest.raises(InvalidArgumentError) as refused:
            await client.list_data_coverage("ES;", "2025-10-07", "2025-10-07")
        assert refused.value.field == "symbol"


async def test_vigil_data_prints_the_days_and_their_gaps(stored: str) -> None:
    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        return main(["--target", stored, *argv], stdout=out, stderr=io.StringIO()), out.getvalue()

    code, out = await asyncio.to_thread(run, "data", "ES", "--from", "2025-10-07", "--to", "2025-10-08", "--gaps")
    assert code == exit_codes.OK
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["contract", "trade", "date"]
    assert lines[1].split()[:6] == ["ESZ2025", "2025-10-07", "4", "1", "3", "1"]
    assert lines[1].split()[-2:] == ["4", "1379.5"]
    assert "ESZ2025 2025-10-07  gap 10-06 22:20:00 -> 10-07 21:00:00  (81600 s)" in out
    assert out.rstrip().endswith("2 contract days, 1 without ticks, 2 with gaps")

    code, out = await asyncio.to_thread(run, "--json", "data", "ESZ2025", "--from", "2025-10-08", "--to", "2025-10-08")
    assert code == exit_codes.OK
    assert json.loads(out) == [
        {
            "contract_id": "ESZ2025",
            "trade_date": "2025-10-08",
            "ticks": 0,
            "quotes": 0,
            "trades": 0,
            "anomalies": 0,
            "first_ns": 0,
            "last_ns": 0,
            "gaps": [[NEXT_OPEN, NEXT_CLOSE]],
            "missing_ns": 23 * 60 * MIN,
        }
    ]
