"""Overrides files, the optional 15:15-15:30 CT halt and the session table's JSON form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import pytest

from core_server.calendar.overrides import (
    LEGACY_SETTLEMENT_HALT,
    SessionOverride,
    apply_overrides,
    parse_overrides,
    read_overrides,
)
from core_server.calendar.session_table import (
    OVERRIDES_FILE,
    TABLE_FILE,
    decode_session_table,
    encode_session_table,
    load_trading_calendar,
    packaged_path,
)
from core_server.calendar.sessions import Session
from core_server.model.clock import ns_from_datetime
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import EXCHANGE_TZ


def ct(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, tzinfo=EXCHANGE_TZ))


def write_overrides(tmp_path: Path, *entries: Mapping[str, object]) -> Path:
    path = tmp_path / "local_overrides.json"
    path.write_text(json.dumps({"overrides": list(entries)}), encoding="utf-8")
    return path


def test_runtime_overrides_file_closes_a_date_and_sets_an_early_close(tmp_path: Path) -> None:
    path = write_overrides(
        tmp_path,
        {"trade_date": "2025-03-05", "closed": True, "reason": "drill", "source": "test"},
        {"trade_date": "2025-03-06", "close": "2025-03-06T10:00", "note": "ad-hoc", "reason": "r", "source": "s"},
    )
    calendar = load_trading_calendar(overrides_path=path)
    assert calendar.session_for(date(2025, 3, 5)) is None
    assert not calendar.is_open(ct(2025, 3, 5, 9))
    thursday = calendar.session_for(date(2025, 3, 6))
    assert thursday is not None
    assert (thursday.close_ns, thursday.early_close, thursday.note) == (ct(2025, 3, 6, 10), True, "ad-hoc")
    assert not calendar.is_open(ct(2025, 3, 6, 10))


def test_override_can_add_a_session_the_table_lacks_and_then_needs_open_and_close(tmp_path: Path) -> None:
    added = {
        "trade_date": "2025-04-18",
        "open": "2025-04-17T17:00",
        "close": "2025-04-18T08:15",
        "halts": [["2025-04-17T20:00", "2025-04-17T21:00"]],
        "reason": "what-if",
        "source": "test",
    }
    calendar = load_trading_calendar(overrides_path=write_overrides(tmp_path, added))
    assert calendar.is_open(ct(2025, 4, 18, 8))
    assert not calendar.is_open(ct(2025, 4, 17, 20, 30))
    with pytest.raises(InvalidArgument):
        load_trading_calendar(overrides_path=write_overrides(tmp_path, {**added, "open": None}))
    without_open = {k: v for k, v in added.items() if k != "open"}
    with pytest.raises(InvalidArgument, match="open and close"):
        load_trading_calendar(overrides_path=write_overrides(tmp_path, without_open))


def test_override_that_overlaps_a_neighbour_is_rejected(tmp_path: Path) -> None:
    entry = {"trade_date": "2025-03-05", "close": "2025-03-05T17:30", "reason": "r", "source": "s"}
    with pytest.raises(InvalidArgument, match="overlaps"):
        load_trading_calendar(overrides_path=write_overrides(tmp_path, entry))


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"trade_date": "2025-03-05", "closed": True, "source": "s"}, "overrides[0].reason"),
        ({"trade_date": "2025-03-05", "closed": True, "reason": "r", "source": ""}, "overrides[0].source"),
        ({"trade_date": "03/05/2025", "closed": True, "reason": "r", "source": "s"}, "overrides[0].trade_date"),
        ({"trade_date": "2025-03-05", "shut": True, "reason": "r", "source": "s"}, "overrides[0].shut"),
        (
            {"trade_date": "2025-03-05", "closed": True, "close": "2025-03-05T10:00", "reason": "r", "source": "s"},
            "overrides[0].closed",
        ),
        ({"trade_date": "2025-03-05", "close": "10am", "reason": "r", "source": "s"}, "overrides[0].close"),
        (
            {"trade_date": "2025-03-05", "halts": [["2025-03-05T10:00"]], "reason": "r", "source": "s"},
            "overrides[0].halts",
        ),
    ],
)
def test_malformed_override_entries_name_the_offending_field(entry: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_overrides({"overrides": [entry]})
    assert caught.value.field == field


def test_two_overrides_for_one_date_are_rejected() -> None:
    entry = {"trade_date": "2025-03-05", "closed": True, "reason": "r", "source": "s"}
    with pytest.raises(InvalidArgument, match="same trade date"):
        parse_overrides({"overrides": [entry, entry]})


def test_override_times_with_an_offset_are_taken_as_given() -> None:
    (override,) = parse_overrides(
        {"overrides": [{"trade_date": "2025-03-05", "close": "2025-03-05T15:00:00Z", "reason": "r", "source": "s"}]}
    )
    assert override.close_ns == ct(2025, 3, 5, 9)


def test_apply_overrides_rederives_early_close_from_the_close_time() -> None:
    early = Session(date(2025, 3, 5), ct(2025, 3, 4, 17), ct(2025, 3, 5, 12, 15), (), True, "x")
    (restored,) = apply_overrides([early], [SessionOverride(date(2025, 3, 5), "r", "s", close_ns=ct(2025, 3, 5, 16))])
    assert not restored.early_close


def test_packaged_overrides_are_reviewed_and_reflected_in_the_committed_table() -> None:
    overrides = read_overrides(packaged_path(OVERRIDES_FILE))
    assert {o.trade_date for o in overrides} >= {
        date(2024, 3, 29),
        date(2025, 1, 9),
        date(2025, 4, 18),
        date(2026, 4, 3),
    }
    calendar = load_trading_calendar()
    for override in overrides:
        assert override.reason.strip() and override.source.strip()
        found = calendar.session_for(override.trade_date)
        if override.closed:
            assert found is None, override.trade_date
        else:
            assert found is not None and found.close_ns == override.close_ns, override.trade_date


def test_optional_1515_halt_is_off_by_default_and_applies_each_day_when_configured() -> None:
    assert load_trading_calendar().is_open(ct(2025, 3, 5, 15, 20))
    calendar = load_trading_calendar(daily_halts=[LEGACY_SETTLEMENT_HALT])
    assert calendar.is_open(ct(2025, 3, 5, 15, 14))
    assert not calendar.is_open(ct(2025, 3, 5, 15, 15))
    assert not calendar.is_open(ct(2025, 3, 5, 15, 29))
    assert calendar.is_open(ct(2025, 3, 5, 15, 30))
    assert calendar.next_open_ns(ct(2025, 3, 5, 15, 20)) == ct(2025, 3, 5, 15, 30)
    # A 12:15 CT early close ends before the halt; on a folded holiday the halt merges into the holiday halt.
    friday = calendar.session_for(date(2025, 11, 28))
    assert friday is not None and friday.halts == ((ct(2025, 11, 27, 12), ct(2025, 11, 27, 17)),)
    tuesday = calendar.session_for(date(2025, 1, 21))
    assert tuesday is not None
    assert tuesday.halts == (
        (ct(2025, 1, 20, 12), ct(2025, 1, 20, 17)),
        (ct(2025, 1, 21, 15, 15), ct(2025, 1, 21, 15, 30)),
    )


def test_committed_table_round_trips_through_its_json_form_byte_for_byte() -> None:
    text = packaged_path(TABLE_FILE).read_text(encoding="utf-8")
    assert encode_session_table(decode_session_table(text)) == text


def test_table_times_must_be_utc() -> None:
    text = packaged_path(TABLE_FILE).read_text(encoding="utf-8").replace("T23:00:00Z", "T23:00:00+01:00", 1)
    with pytest.raises(InvalidArgument, match="malformed session table"):
        decode_session_table(text)
