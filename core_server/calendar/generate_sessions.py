"""Dev tool: export the CME Globex equity session table from pandas-market-calendars; never imported by the server.

    python -m core_server.calendar.generate_sessions           # rewrite cme_globex_equity_sessions.json
    python -m core_server.calendar.generate_sessions --check   # exit 1 if the committed file is stale

Steps: the library's "CME Globex Equity" schedule (the most accurate one; ECOSYSTEM.md 4) -> fold every
12:00 CT holiday halt day into the next trade date, as CME books it -> apply the hand-reviewed overrides.json
(Good Fridays, ad-hoc closures) -> one JSON line per trade date. Review overrides.json each December against
CME's holiday calendar, then regenerate.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, time, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from core_server.calendar.overrides import SessionOverride, apply_overrides, read_overrides
from core_server.calendar.session_table import (
    OVERRIDES_FILE,
    TABLE_FILE,
    SessionTable,
    encode_session_table,
    packaged_path,
)
from core_server.calendar.sessions import Session, exchange_time, is_early_close
from core_server.calendar.trading_day import trading_day_start_ns
from core_server.model.clock import ns_from_datetime

FIRST_TRADE_DATE = date(2024, 1, 1)
LAST_TRADE_DATE = date(2027, 12, 31)
LIBRARY_CALENDAR = "CME Globex Equity"
HOLIDAY_HALT = time(12, 0)
# Generate beyond the range so folds and closures at its edges see their neighbours.
_PADDING = timedelta(days=21)

# The library's rule names, made readable; keyed by (rule name, close time) where one name serves two days.
_NAMES: dict[tuple[str, time | None], str] = {
    ("Dr. Martin Luther King Jr. Day", None): "Martin Luther King Jr. Day",
    ("Juneteenth Starting at 2022", None): "Juneteenth",
    ("July 4th", time(12, 0)): "Independence Day",
    ("July 4th", time(12, 15)): "Independence Day eve",
    ("ThanksgivingFriday", time(12, 0)): "Thanksgiving",
    ("ThanksgivingFriday", time(12, 15)): "Day after Thanksgiving",
}


def library_sessions(first: date, last: date) -> tuple[list[Session], dict[date, str]]:
    """The library's sessions for trade dates first..last, and the holiday name of each special close."""
    import pandas_market_calendars as mcal  # dev-only: pulls pandas

    calendar: Any = mcal.get_calendar(LIBRARY_CALENDAR)
    names: dict[date, str] = {}
    for close_time, rules in calendar.special_closes:
        for day, name in rules.holidays(first.isoformat(), last.isoformat(), return_name=True).items():
            names[day.date()] = _NAMES.get((name, close_time)) or _NAMES.get((name, None)) or name
    schedule = calendar.schedule(first.isoformat(), last.isoformat(), tz="UTC")
    if list(schedule.columns) != ["market_open", "market_close"]:
        raise RuntimeError(f"unexpected schedule columns {list(schedule.columns)}: the library changed")
    sessions = []
    for label, row in schedule.iterrows():
        trade_date = label.date()
        close_ns = ns_from_datetime(row.market_close.to_pydatetime())
        early = is_early_close(close_ns)
        note = f"{names.get(trade_date, 'special close')}: early close {_hhmm(close_ns)} CT" if early else ""
        sessions.append(
            Session(trade_date, ns_from_datetime(row.market_open.to_pydatetime()), close_ns, (), early, note)
        )
    return sessions, names


def fold_holiday_halt_days(sessions: Sequence[Session], names: dict[date, str]) -> list[Session]:
    """Merge each session that ends at the 12:00 CT holiday halt into the next session, as one halt.

    CME books a holiday's abbreviated trading to the next trade date, so e.g. Thanksgiving 2025-11-27 is no
    trade date: trade date 11-28 opens Wed 17:00 CT, halts Thu 12:00-17:00 CT and closes Fri 12:15 CT.
    """
    folded: list[Session] = []
    carried: list[Session] = []
    for session in sorted(sessions, key=lambda s: s.open_ns):
        if exchange_time(session.close_ns).time() == HOLIDAY_HALT:
            carried.append(session)
            continue
        if carried:
            halts: list[tuple[int, int]] = []
            notes = []
            for day, following in zip(carried, [*carried[1:], session], strict=True):
                halts += [*day.halts, (day.close_ns, following.open_ns)]
                resume = exchange_time(following.open_ns)
                notes.append(
                    f"{names.get(day.trade_date, 'Holiday')} {day.trade_date}: halted {_hhmm(day.close_ns)} CT "
                    f"until {resume:%a %Y-%m-%d %H:%M} CT, booked to this trade date"
                )
            session = Session(
                session.trade_date,
                carried[0].open_ns,
                session.close_ns,
                (*halts, *session.halts),
                session.early_close,
                "; ".join([*notes, session.note] if session.note else notes),
            )
            carried = []
        folded.append(session)
    if carried:
        raise RuntimeError(f"holiday halt day {carried[-1].trade_date} has no following session: widen the range")
    return folded


def build_session_table(
    first: date = FIRST_TRADE_DATE,
    last: date = LAST_TRADE_DATE,
    overrides: Sequence[SessionOverride] = (),
) -> SessionTable:
    raw, names = library_sessions(first - _PADDING, last + _PADDING)
    folded = fold_holiday_halt_days(raw, names)
    start_ns, end_ns = trading_day_start_ns(first), trading_day_start_ns(last + timedelta(days=1))
    for session in folded:
        outside = not first <= session.trade_date <= last
        if outside and session.open_ns < end_ns and session.close_ns > start_ns:
            raise RuntimeError(f"session {session.trade_date} straddles the edge of {first}..{last}")
    for override in overrides:
        if not first <= override.trade_date <= last:
            raise RuntimeError(f"override {override.trade_date} is outside {first}..{last}")
    kept = [s for s in folded if first <= s.trade_date <= last]
    return SessionTable(
        calendar="CME Globex equity index futures (ES, NQ, YM, RTY and micros)",
        source=(
            f'pandas-market-calendars {metadata.version("pandas-market-calendars")} "{LIBRARY_CALENDAR}"; '
            "12:00 CT holiday halt days folded into the next trade date; overrides.json applied"
        ),
        first_trade_date=first,
        last_trade_date=last,
        sessions=tuple(apply_overrides(kept, overrides)),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core_server.calendar.generate_sessions", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with the committed table, write nothing")
    parser.add_argument("--output", type=Path, default=packaged_path(TABLE_FILE))
    parser.add_argument("--overrides", type=Path, default=packaged_path(OVERRIDES_FILE))
    args = parser.parse_args(argv)
    overrides = read_overrides(args.overrides)
    library_only = build_session_table(FIRST_TRADE_DATE, LAST_TRADE_DATE)
    table = build_session_table(FIRST_TRADE_DATE, LAST_TRADE_DATE, overrides)
    before = {s.trade_date: _times(s) for s in library_only.sessions}
    after = {s.trade_date: _times(s) for s in table.sessions}
    for override in overrides:
        if before.get(override.trade_date) == after.get(override.trade_date):
            print(f"note: override {override.trade_date} agrees with the library (kept as a pin)")
    text = encode_session_table(table)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run python -m core_server.calendar.generate_sessions", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date ({len(table.sessions)} sessions)")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {len(table.sessions)} sessions ({table.first_trade_date}..{table.last_trade_date}) to {args.output}")
    return 0


def _times(session: Session) -> tuple[int, int, tuple[tuple[int, int], ...]]:
    return session.open_ns, session.close_ns, session.halts


def _hhmm(ts_ns: int) -> str:
    return exchange_time(ts_ns).strftime("%H:%M")


if __name__ == "__main__":
    sys.exit(main())
