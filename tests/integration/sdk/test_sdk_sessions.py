"""ListSessions through the SDK: the server's CME calendar, with holidays and early closes pinned."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from clients.sdk import FailedPreconditionError, InvalidArgumentError, SessionCalendar, VigilClient


def utc_ns(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp()) * 10**9  # type: ignore[misc]


async def test_list_sessions_returns_thanksgiving_week_with_its_halt_and_early_close(client: VigilClient) -> None:
    found = await client.list_sessions(date(2025, 11, 24), "2025-11-28")

    assert isinstance(found, SessionCalendar)
    assert [s.trade_date for s in found.sessions] == [date(2025, 11, d) for d in (24, 25, 26, 28)]
    assert found.closed_dates == (date(2025, 11, 27),)
    friday = found.sessions[-1]
    assert (friday.open_ns, friday.close_ns) == (utc_ns(2025, 11, 26, 23), utc_ns(2025, 11, 28, 18, 15))
    assert friday.halts == ((utc_ns(2025, 11, 27, 18), utc_ns(2025, 11, 27, 23)),)
    assert friday.early_close and "Thanksgiving" in friday.note
    monday = found.sessions[0]
    assert (monday.open_ns, monday.close_ns, monday.halts, monday.early_close) == (
        utc_ns(2025, 11, 23, 23),
        utc_ns(2025, 11, 24, 22),
        (),
        False,
    )
    assert (found.first_trade_date, found.last_trade_date) == (date(2024, 1, 1), date(2027, 12, 31))
    assert found.time_zone == "America/Chicago"


async def test_list_sessions_without_a_range_returns_the_whole_calendar(client: VigilClient) -> None:
    found = await client.list_sessions()

    assert found.sessions[0].trade_date == date(2024, 1, 2) and found.sessions[-1].trade_date == date(2027, 12, 31)
    assert date(2025, 12, 25) in found.closed_dates and date(2024, 1, 1) in found.closed_dates


async def test_list_sessions_refuses_bad_dates_and_ranges_outside_the_calendar(client: VigilClient) -> None:
    with pytest.raises(InvalidArgumentError) as bad:
        await client.list_sessions("2025-13-01")
    assert bad.value.field == "from_date"
    with pytest.raises(InvalidArgumentError) as reversed_range:
        await client.list_sessions("2025-12-02", "2025-12-01")
    assert reversed_range.value.field == "from_date"
    with pytest.raises(FailedPreconditionError, match="outside the CME session table"):
        await client.list_sessions("2023-12-01", "2024-01-05")
