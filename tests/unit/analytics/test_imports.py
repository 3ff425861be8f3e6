"""Broker history imports: each format from a small real-looking file, rebuilt FIFO into round trips with partial
fills, reversals and commissions, hand-computed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core_server.analytics.imports import ImportFormat, detect_format, import_history
from core_server.excursions.model import Direction
from core_server.model.clock import ns_from_datetime
from core_server.model.errors import InvalidArgument

FILES = Path(__file__).with_name("files")
NEW_YORK = ZoneInfo("America/New_York")
D = Decimal


def read(name: str) -> str:
    return (FILES / name).read_text()


def utc(*args: int) -> int:
    return ns_from_datetime(datetime(*args, tzinfo=UTC))


def test_tradovate_performance_pairs_rebuild_into_trips_with_the_given_commission() -> None:
    result = import_history(read("tradovate_performance.csv"), tz=NEW_YORK, commission_per_contract=D("1.29"))
    assert result.executions == 6 and result.open_at_end == 0
    long, short = result.trips
    # 24861.00 -> 24878.00: 17 points = 68 ticks x $5 = $340; 2 sides x $1.29
    assert (long.account, long.contract_id, long.direction) == ("tradovate", "NQZ2025", Direction.LONG)
    assert (long.realised_ticks, long.gross, long.commissions) == (68, D("340.00"), D("2.58"))
    assert (long.opened_ns, long.closed_ns) == (utc(2025, 9, 22, 19, 50, 36), utc(2025, 9, 22, 19, 54, 58))
    # sold 2 at 24880 (two rows with the same sell fill), covered at 24870 and 24875: 40 + 20 ticks = $300
    assert (short.direction, short.entry_qty, short.max_qty, short.exit_qty) == (Direction.SHORT, 2, 2, 2)
    assert (short.realised_ticks, short.gross, short.commissions) == (60, D("300.00"), D("5.16"))
    assert short.closed_ns == utc(2025, 9, 22, 20, 6, 30)


def test_tradovate_fills_partial_exits_and_a_reversal_split_the_commission() -> None:
    result = import_history(read("tradovate_fills.csv"))
    assert detect_format(read("tradovate_fills.csv").splitlines()[0].split(",")) is ImportFormat.TRADOVATE_FILLS
    long, short = result.trips
    # in 2 @ 6000.25 and 1 @ 6000.50; out 1 @ 6002.00 (7 ticks) then 2 of 4 @ 6003.00 (11 + 10 ticks)
    assert (long.account, long.contract_id, long.entry_qty, long.max_qty) == ("DEMO12345", "ESZ2025", 3, 3)
    assert (long.realised_ticks, long.gross) == (28, D("350.00"))
    # fees 2.50 + 1.25 + 1.25 and half of the 5.00 reversal fill
    assert long.commissions == D("7.50") and long.closed_ns == utc(2025, 9, 15, 14, 45)
    # the other 2 of that fill open a short at 6003.00, covered at 6001.00: 8 ticks x 2 = $200
    assert (short.direction, short.opened_ns, short.realised_ticks, short.gross) == (
        Direction.SHORT, utc(2025, 9, 15, 14, 45), 16, D("200.00")
    )  # fmt: skip
    assert short.commissions == D("5.00") and short.closed_ns == utc(2025, 9, 15, 22, 1)


def test_ninjatrader_executions_with_month_names_numbers_and_an_open_position_at_the_end() -> None:
    result = import_history(read("ninjatrader_executions.csv"), tz=NEW_YORK, account="apex-1")
    assert result.open_at_end == 1  # the last MNQ buy has no exit yet
    mnq, nq = result.trips
    # MNQ: 22089.25 -> 22095.75 = 6.5 points = 26 ticks x $0.50 x 4 = $52
    assert (mnq.account, mnq.contract_id, mnq.realised_ticks, mnq.gross, mnq.commissions) == (
        "apex-1", "MNQU2025", 104, D("52.00"), D("0.00")
    )  # fmt: skip
    assert mnq.opened_ns == utc(2025, 6, 17, 1, 8)  # 21:08 New York
    # NQ short 24100.00 covered 24110.50: -10.5 points = -42 ticks x $5 = -$210
    assert (nq.contract_id, nq.direction, nq.gross, nq.commissions) == (
        "NQZ2025",
        Direction.SHORT,
        D("-210.00"),
        D("4.14"),
    )
    assert nq.opened_ns == utc(2025, 9, 23, 14, 2, 15)


def test_the_same_history_gets_the_same_trade_ids() -> None:
    first = [t.trade_id for t in import_history(read("tradovate_fills.csv")).trips]
    assert first == [t.trade_id for t in import_history(read("tradovate_fills.csv")).trips]
    assert len(set(first)) == 2 and all(i.startswith("IMP-") for i in first)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("a,b,c\n1,2,3\n", "unrecognised header"),
        (
            "symbol,qty,buyPrice,sellPrice,boughtTimestamp,soldTimestamp\nNQZ5,1,24861.1,24878,09/22/2025 15:50:36,"
            "09/22/2025 15:54:58\n",
            "line 2, buyPrice",
        ),
        (
            "symbol,qty,buyPrice,sellPrice,boughtTimestamp,soldTimestamp\nNQZ5,1,24861,24878,2025/22/09,"
            "09/22/2025 15:54:58\n",
            "line 2, boughtTimestamp",
        ),
        ("Instrument,Action,Quantity,Price,Time\nXX 12-25,Buy,1,1,6/16/2025 21:08\n", "line 2, Instrument"),
        ("Instrument,Action,Quantity,Price,Time\nNQ 12-25,Hold,1,1,6/16/2025 21:08\n", "line 2, Action"),
        ("Instrument,Action,Quantity,Price,Time\nNQ 12-25,Buy,0,1,6/16/2025 21:08\n", "line 2, Quantity"),
    ],
)
def test_bad_files_name_the_line_and_column(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        import_history(text)
    assert raised.value.field == "csv" and message in raised.value.reason
