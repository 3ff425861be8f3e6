"""The tick CSV format: exact round trips, accepted forms, and bad rows failing with their line."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest

from core_server.feeds.simulated_market import SimulatedMarket
from core_server.feeds.tick_csv import TICK_CSV_COLUMNS, TickCsvError, parse_ts_ns, read_ticks_csv, write_ticks_csv
from core_server.model.clock import NS_PER_SECOND
from core_server.model.instruments import Contract
from core_server.model.market_data import Aggressor, Quote, Trade

HEADER = ",".join(TICK_CSV_COLUMNS)
T0 = 1_764_000_000 * NS_PER_SECOND  # 2025-11-24T16:00:00Z


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "ticks.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_written_ticks_read_back_identical(tmp_path: Path) -> None:
    contracts = [Contract(root, 2025, 12) for root in ("NQ", "MNQ", "ES", "MES", "YM", "MYM", "RTY", "M2K")]
    market = SimulatedMarket(contracts, 21)
    ticks = [t for k in range(50) for t in market.next_ticks(200, T0 + k * 1_000_000, T0 + (k + 1) * 1_000_000)]
    path = tmp_path / "round.csv"
    assert write_ticks_csv(path, ticks) == len(ticks)
    assert list(read_ticks_csv(path)) == ticks  # the simulator stamps ts_init = ts_event when not told
    assert {type(t) for t in ticks} == {Quote, Trade}


def test_rows_accept_rfc3339_times_any_symbol_form_and_any_column_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "2025-11-24T10:00:00.000000001-06:00,quote,ESZ5,6775.00,6775.25,12,30,,,",
        "2025-11-24T16:00:00.5Z,trade,CON.F.US.ENQ.Z25,,,,,25340.25,3,buy",
        f"{T0 + NS_PER_SECOND},trade,RTY1!,,,,,2400.1,1,",
        header="ts,kind,contract,bid,ask,bid_size,ask_size,price,size,aggressor",
    )
    assert list(read_ticks_csv(path)) == [
        Quote("ESZ2025", T0 + 1, T0 + 1, 27100, 27101, 12, 30),
        Trade("NQZ2025", T0 + NS_PER_SECOND // 2, T0 + NS_PER_SECOND // 2, 101361, 3, Aggressor.BUY),
        Trade("RTYZ2025", T0 + NS_PER_SECOND, T0 + NS_PER_SECOND, 24001, 1, Aggressor.NONE),
    ]


def test_continuous_symbols_follow_the_roll_row_by_row(tmp_path: Path) -> None:
    roll = Contract("NQ", 2025, 12).roll_ns
    path = write(tmp_path, f"{roll - 1},NQ1!,trade,,,,,25000,1,sell", f"{roll},NQ1!,trade,,,,,25000,1,sell")
    assert [t.contract_id for t in read_ticks_csv(path)] == ["NQZ2025", "NQH2026"]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (f"{T0},ESZ5,quote,6775.10,6775.25,1,1,,,", "not a multiple of the ES tick"),
        (f"{T0},ESZ5,quote,,6775.25,1,1,,,", "bid is required"),
        (f"{T0},ESZ5,trade,,,,,6775.25,0,buy", "size"),
        (f"{T0},ESZ5,trade,,,,,6775.25,1,up", "aggressor"),
        (f"{T0},ESZ5,level2,,,,,,,", "kind"),
        (f"{T0},GCZ5,trade,,,,,2000,1,", "unrecognised symbol"),
        ("2025-11-24 16:00:00,ESZ5,trade,,,,,6775.25,1,", "RFC 3339"),
        (f"{T0},ESZ5,trade", "fields"),
        (f"{T0 - 1},ESZ5,trade,,,,,6775.25,1,", "back in time"),
    ],
)
def test_a_bad_row_fails_with_its_line_number(tmp_path: Path, row: str, reason: str) -> None:
    path = write(tmp_path, f"{T0},ESZ5,trade,,,,,6775.00,2,sell", f"{T0},NQZ5,trade,,,,,25340.00,1,buy", row)
    with pytest.raises(TickCsvError, match=reason) as failure:
        list(read_ticks_csv(path))
    assert failure.value.line == 4
    assert "line 4" in str(failure.value) and str(path) in str(failure.value)


def test_a_missing_column_or_empty_file_fails_on_line_one(tmp_path: Path) -> None:
    with pytest.raises(TickCsvError, match="aggressor") as failure:
        list(read_ticks_csv(write(tmp_path, header="ts,contract,kind,bid,ask,bid_size,ask_size,price,size")))
    assert failure.value.line == 1
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(TickCsvError, match="empty file"):
        list(read_ticks_csv(empty))


def test_rows_stream_so_good_rows_arrive_before_a_later_bad_one_is_read(tmp_path: Path) -> None:
    rows = [f"{T0 + k},ESZ5,trade,,,,,6775.00,1,buy" for k in range(10)]
    path = write(tmp_path, *rows, "garbage")
    assert len(list(islice(read_ticks_csv(path), 5))) == 5


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, f"{T0},ESZ5,trade,,,,,6775.00,1,buy", "", f"{T0},ESZ5,trade,,,,,6775.25,1,sell")
    assert [t.price for t in read_ticks_csv(path) if type(t) is Trade] == [27100, 27101]


def test_rfc3339_parsing_keeps_nanoseconds_and_offsets() -> None:
    assert parse_ts_ns("2025-11-24T16:00:00Z") == T0
    assert parse_ts_ns("2025-11-24T17:00:00.123456789+01:00") == T0 + 123_456_789
    assert parse_ts_ns(str(T0)) == T0
    with pytest.raises(ValueError):
        parse_ts_ns("2025-11-24T16:00:00")
