"""Hand-reviewed corrections to the generated session table, and the optional extra daily halt.

An overrides document is JSON: {"overrides": [entry, ...]} where each entry names a `trade_date`, gives a
`reason` and a `source`, and either `"closed": true` (CME does not trade that date) or any of `open`,
`close`, `halts` (a list of [start, end] pairs) and `note`. Times are ISO datetimes, read as America/Chicago
wall-clock time unless they carry an offset ("2025-01-09T08:30"). Fields left out keep the table's value; an
entry for a date the table lacks adds a session and then needs both `open` and `close`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from core_server.calendar.sessions import Session, check_session, exchange_time, is_early_close
from core_server.model.clock import ns_from_datetime
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import EXCHANGE_TZ

# Listed in old CME specs; apparently discontinued (PROTOCOLS.md 4.4), so only applied when configured.
LEGACY_SETTLEMENT_HALT: tuple[time, time] = (time(15, 15), time(15, 30))

_FIELDS = frozenset({"trade_date", "reason", "source", "closed", "open", "close", "halts", "note"})


@dataclass(frozen=True, slots=True)
class SessionOverride:
    """One correction to the session of `trade_date`; None fields keep the table's value."""

    trade_date: date
    reason: str
    source: str
    closed: bool = False
    open_ns: int | None = None
    close_ns: int | None = None
    halts: tuple[tuple[int, int], ...] | None = None
    note: str | None = None


def read_overrides(path: Path) -> tuple[SessionOverride, ...]:
    """Parse an overrides file; raises InvalidArgument naming the offending entry and field."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidArgument(str(path), f"cannot read overrides: {exc}") from exc
    return parse_overrides(document)


def parse_overrides(document: object) -> tuple[SessionOverride, ...]:
    if not isinstance(document, Mapping) or not isinstance(document.get("overrides"), list):
        raise InvalidArgument("overrides", 'expected an object with an "overrides" list')
    parsed = tuple(_parse_entry(f"overrides[{i}]", entry) for i, entry in enumerate(document["overrides"]))
    dates = [o.trade_date for o in parsed]
    if len(set(dates)) != len(dates):
        raise InvalidArgument("overrides", "more than one entry for the same trade date")
    return parsed


def _parse_entry(where: str, entry: object) -> SessionOverride:
    if not isinstance(entry, Mapping):
        raise InvalidArgument(where, "expected an object")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise InvalidArgument(f"{where}.{sorted(unknown)[0]}", "unknown field")
    for required in ("trade_date", "reason", "source"):
        if not isinstance(entry.get(required), str) or not entry[required].strip():
            raise InvalidArgument(f"{where}.{required}", "required, a non-empty string")
    try:
        trade_date = date.fromisoformat(entry["trade_date"])
    except ValueError as exc:
        raise InvalidArgument(f"{where}.trade_date", "expected YYYY-MM-DD") from exc
    closed = entry.get("closed", False)
    if not isinstance(closed, bool):
        raise InvalidArgument(f"{where}.closed", "expected true or false")
    if closed and any(key in entry for key in ("open", "close", "halts")):
        raise InvalidArgument(f"{where}.closed", "a closed date cannot also set open, close or halts")
    halts = None
    if "halts" in entry:
        raw = entry["halts"]
        if not isinstance(raw, list) or not all(isinstance(h, list) and len(h) == 2 for h in raw):
            raise InvalidArgument(f"{where}.halts", "expected a list of [start, end] pairs")
        halts = tuple((_time_ns(f"{where}.halts", h[0]), _time_ns(f"{where}.halts", h[1])) for h in raw)
    note = entry.get("note")
    if note is not None and not isinstance(note, str):
        raise InvalidArgument(f"{where}.note", "expected a string")
    return SessionOverride(
        trade_date=trade_date,
        reason=entry["reason"],
        source=entry["source"],
        closed=closed,
        open_ns=_time_ns(f"{where}.open", entry["open"]) if "open" in entry else None,
        close_ns=_time_ns(f"{where}.close", entry["close"]) if "close" in entry else None,
        halts=halts,
        note=note,
    )


def _time_ns(field: str, value: object) -> int:
    if not isinstance(value, str):
        raise InvalidArgument(field, "expected an ISO datetime string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidArgument(field, f"not an ISO datetime: {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=EXCHANGE_TZ)
    return ns_from_datetime(moment)


def apply_overrides(sessions: Iterable[Session], overrides: Sequence[SessionOverride]) -> list[Session]:
    """The sessions with each override applied, ordered by open; early_close is re-derived from the close."""
    by_date = {s.trade_date: s for s in sessions}
    for override in overrides:
        current = by_date.get(override.trade_date)
        if override.closed:
            by_date.pop(override.trade_date, None)
            continue
        if current is None:
            if override.open_ns is None or override.close_ns is None:
                raise InvalidArgument(
                    f"override {override.trade_date}", "the table has no such session: give both open and close"
                )
            current = Session(override.trade_date, override.open_ns, override.close_ns)
        updated = replace(
            current,
            open_ns=current.open_ns if override.open_ns is None else override.open_ns,
            close_ns=current.close_ns if override.close_ns is None else override.close_ns,
            halts=current.halts if override.halts is None else override.halts,
            note=current.note if override.note is None else override.note,
        )
        updated = replace(updated, early_close=is_early_close(updated.close_ns))
        check_session(updated)
        by_date[override.trade_date] = updated
    return sorted(by_date.values(), key=lambda s: s.open_ns)


def add_daily_halt(sessions: Iterable[Session], start: time, end: time) -> list[Session]:
    """Add a halt from `start` to `end` CT on every calendar day a session spans (e.g. 15:15-15:30 CT).

    The part of each daily halt inside a session joins its halts; overlapping halts merge.
    """
    if start >= end:
        raise InvalidArgument("daily_halt", "start must be before end, within one day")
    result = []
    for session in sessions:
        extra = []
        day = exchange_time(session.open_ns).date()
        last_day = exchange_time(session.close_ns).date()
        while day <= last_day:
            lo = max(ns_from_datetime(datetime.combine(day, start, EXCHANGE_TZ)), session.open_ns)
            hi = min(ns_from_datetime(datetime.combine(day, end, EXCHANGE_TZ)), session.close_ns)
            if lo < hi:
                extra.append((lo, hi))
            day += timedelta(days=1)
        result.append(replace(session, halts=_merge(list(session.halts) + extra)) if extra else session)
    return result


def _merge(intervals: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return tuple(merged)
