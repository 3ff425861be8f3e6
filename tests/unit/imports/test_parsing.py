"""Column parsers: every timestamp format to exact UTC ns, time zones across DST, exact prices, sizes, lines."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from core_server.candles.anomaly import AnomalyFilter
from core_server.imports.anomalies import flag_anomalies
from core_server.imports.chunk import KIND_QUOTE, KIND_TRADE, Rows, line_numbers, to_ticks
from core_server.imports.numbers import parse_prices, parse_sizes
from core_server.imports.timestamps import FoldState, localize, parse_times


def ns(*parts: int, micro: int = 0) -> int:
    moment = datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
    return int(moment.timestamp()) * 1_000_000_000 + micro


T0 = ns(2025, 10, 6, 13, 30, 0)


@pytest.mark.parametrize(
    ("family", "text", "expected", "zoned"),
    [
        ("ymd", "2025-10-06T13:30:00Z", T0, True),
        ("ymd", "2025-10-06 13:30:00", T0, False),
        ("ymd", "2025-10-06T13:30:00.123456789Z", T0 + 123_456_789, True),
        ("ymd", "2025-10-06T09:30:00.5-04:00", T0 + 500_000_000, True),
        ("ymd", "2025-10-06T15:30:00+0200", T0, True),
        ("ymd", "20251006 133000", T0, False),
        ("ymd", "20251006 133000.250", T0 + 250_000_000, False),
        ("ymd", "20251006 133000 1234567", T0 + 123_456_700, False),  # NinjaTrader: 7 digits of 100 ns
        ("ymd", "20251006T133000", T0, False),
        ("ymd", "2025/10/06 13:30:00.1", T0 + 100_000_000, False),
        ("mdy", "10/06/2025 13:30:00", T0, False),
        ("mdy", "10/6/2025 13:30:00.25", T0 + 250_000_000, False),
        ("dmy", "06.10.2025 13:30:00", T0, False),
        ("epoch_s", "1759757400", T0, True),
        ("epoch_s", "1759757400.000001", T0 + 1_000, True),
        ("epoch_ms", "1759757400123", T0 + 123_000_000, True),
        ("epoch_us", "1759757400123456", T0 + 123_456_000, True),
        ("epoch_ns", "1759757400123456789", T0 + 123_456_789, True),
    ],
)
def test_timestamp_formats(family: str, text: str, expected: int, zoned: bool) -> None:
    parsed = parse_times(pa.array([text]), family)
    assert parsed.ok.tolist() == [True]
    assert int(parsed.ns[0]) == expected
    assert bool(parsed.zoned[0]) is zoned


def test_bad_timestamps_are_marked_row_by_row() -> None:
    texts = ["2025-10-06 13:30:00", "2025-02-30 10:00:00", "2025-10-06 24:00:00", "garbage!!", "", "2025-10-06 13:30"]
    assert parse_times(pa.array(texts), "ymd").ok.tolist() == [True, False, False, False, False, False]
    assert parse_times(pa.array(["1759757400", "17597x7400", "-5"]), "epoch_s").ok.tolist() == [True, False, False]


def test_new_york_wall_clock_across_both_dst_changes() -> None:
    fold = FoldState()
    # spring: 2025-03-09 02:30 does not exist in New York; 01:59:59 is EST (UTC-5), 03:00 EDT (UTC-4)
    walls = parse_times(pa.array(["2025-03-09 01:59:59", "2025-03-09 02:30:00", "2025-03-09 03:00:00"]), "ymd").ns
    utc, exists = localize(walls, "America/New_York", fold)
    assert exists.tolist() == [True, False, True]
    assert utc[0] == ns(2025, 3, 9, 6, 59, 59) and utc[2] == ns(2025, 3, 9, 7, 0, 0)
    # autumn: 01:00-01:59 happens twice; in file order the first pass is EDT, after the clock goes back EST
    texts = ["2025-11-02 00:59:00", "2025-11-02 01:30:00", "2025-11-02 01:59:00", "2025-11-02 01:05:00"]
    first, _ = localize(parse_times(pa.array(texts[:3]), "ymd").ns, "America/New_York", fold)
    second, _ = localize(parse_times(pa.array([*texts[3:], "2025-11-02 02:00:00"]), "ymd").ns, "America/New_York", fold)
    assert first.tolist() == [ns(2025, 11, 2, 4, 59), ns(2025, 11, 2, 5, 30), ns(2025, 11, 2, 5, 59)]
    assert second.tolist() == [ns(2025, 11, 2, 6, 5), ns(2025, 11, 2, 7, 0)]  # the clock went back across chunks


def test_prices_are_exact_ticks_and_off_grid_is_flagged() -> None:
    parsed = parse_prices(pa.array(["6774.25", "6774.1", " 6774.50 ", "x", "", "6774.2500000000", "0", "6774"]), 4)
    assert parsed.values[[0, 2, 5, 7]].tolist() == [27097, 27098, 27097, 27096]
    assert parsed.ok.tolist() == [True, True, True, False, False, True, True, True]
    assert parsed.flagged.tolist() == [False, True, False, False, False, False, True, False]
    rty = parse_prices(pa.array(["2345.3", "2345.35"]), 10)  # RTY: 0.1 tick, exact where a float is not
    assert rty.values[0] == 23453 and rty.flagged.tolist() == [False, True]


def test_sizes_negative_flagged_and_too_big_unparseable() -> None:
    parsed = parse_sizes(pa.array(["1", "-2", "3.0", "x", "99999999999"]))
    assert parsed.values[:3].tolist() == [1, -2, 3]
    assert parsed.ok.tolist() == [True, True, True, False, False]
    assert parsed.flagged.tolist() == [False, True, False, False, False]


def test_line_numbers_skip_the_lines_pyarrow_refused() -> None:
    lines, used = line_numbers(2, 4, [3, 6, 9])
    assert lines.tolist() == [2, 4, 5, 7] and used == [3, 6]


def _rows(bids: list[int], asks: list[int], lasts: list[int]) -> Rows:
    n = len(bids)
    z = np.zeros(n, dtype=np.int64)
    a = np.array
    return Rows(a(range(1, n + 1)), a([T0] * n), a(bids), a(asks), z, z, a(lasts), a([1] * n))


def test_a_row_with_a_trade_and_a_changed_quote_gives_the_quote_first() -> None:
    ticks = to_ticks(_rows([10, 10, 11], [11, 11, 12], [11, 10, 11]), True, True, None)
    assert ticks.kind.tolist() == [KIND_QUOTE, KIND_TRADE, KIND_TRADE, KIND_QUOTE, KIND_TRADE]
    assert ticks.aggressor.tolist() == [0, 1, 2, 0, 2]  # at the ask: buy; at the bid: sell
    assert to_ticks(_rows([10], [11], [11]), True, True, (10, 11, 0, 0)).kind.tolist() == [KIND_TRADE]


def test_vectorised_anomaly_flags_equal_the_live_filter_tick_by_tick() -> None:
    rng = np.random.default_rng(11)
    for _ in range(200):
        n = int(rng.integers(1, 300))
        prices = np.cumsum(rng.integers(-3, 4, n)) + 10_000
        prices += np.where(rng.random(n) < 0.05, rng.choice([-500, 500, -150, 150], n), 0)
        live: AnomalyFilter[int] = AnomalyFilter(200)
        expected: set[int] = set()
        for i, price in enumerate(prices.tolist()):
            expected.update(live.push(i, price)[1])
        bulk: AnomalyFilter[int] = AnomalyFilter(200)
        cut = int(rng.integers(0, n + 1))
        first, held = flag_anomalies(prices[:cut], bulk)
        bulk.drop_held()  # the importer carries held ticks into the next chunk
        second, still = flag_anomalies(prices[cut - held :], bulk)
        got = set(np.flatnonzero(first[: cut - held]).tolist()) | {i + cut - held for i in np.flatnonzero(second)}
        assert got == expected and still == live.held


def test_duplicates_are_counted_as_a_multiset() -> None:
    from core_server.storage.tick_import import new_occurrences

    def key(ts: int, price: int) -> list[int]:
        return [2, ts, 0, 0, 0, 0, price, 1]

    # stored before the import: (1, 10) twice, (2, 11) once; this import already stored one (3, 12)
    existing = np.array([[*key(1, 10), 0], [*key(1, 10), 0], [*key(2, 11), 0], [*key(3, 12), 1]], dtype=np.int64)
    chunk = np.array([key(1, 10), key(1, 10), key(1, 10), key(2, 11), key(3, 12), key(4, 13)], dtype=np.int64)
    # the third (1, 10) is a new print; (3, 12) again is this file's second such print, new
    assert new_occurrences(existing, chunk).tolist() == [False, False, True, False, True, True]


def test_the_re_import_shortcut_applies_only_to_exactly_the_stored_ticks() -> None:
    from core_server.storage.tick_import import _all_stored_before, new_occurrences

    def key(ts: int, price: int) -> list[int]:
        return [2, ts, 0, 0, 0, 0, price, 1]

    chunk = np.array([key(2, 11), key(1, 10), key(1, 10)], dtype=np.int64)  # out of time order in the file
    ts = chunk[:, 1].copy()
    stored = np.array([[*key(1, 10), 0], [*key(1, 10), 0], [*key(2, 11), 0]], dtype=np.int64)  # in time order
    assert _all_stored_before(stored, chunk, ts)
    assert new_occurrences(stored, chunk).tolist() == [False, False, False]  # what the shortcut answers
    # one (1, 10) stored by this import's earlier chunk: one stored before it, one of the file's already taken,
    # so both (1, 10) of this chunk are the file's second and third: new
    mine = stored.copy()
    mine[1, 8] = 1
    assert not _all_stored_before(mine, chunk, ts)
    assert new_occurrences(mine, chunk).tolist() == [False, True, True]
    # the same count of ticks but not the same ticks
    other = stored.copy()
    other[2, 6] = 12
    assert not _all_stored_before(other, chunk, ts)
    assert new_occurrences(other, chunk).tolist() == [True, False, False]
