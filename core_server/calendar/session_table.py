"""The committed CME Globex equity session table: its JSON form and the TradingCalendar loader.

JSON layout: {"calendar", "source", "first_trade_date", "last_trade_date", "sessions": [...]}, one session
per line: {"trade_date": "2025-11-28", "open": "2025-11-26T23:00:00Z", "close": "2025-11-28T18:15:00Z",
"halts": [["2025-11-27T18:00:00Z", "2025-11-27T23:00:00Z"]], "early_close": true, "note": "..."}.
Times are ISO 8601 UTC with a Z suffix and whole seconds; halts are [start, end) pairs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from core_server.calendar.overrides import add_daily_halt, apply_overrides, read_overrides
from core_server.calendar.sessions import Session, TradingCalendar
from core_server.model.clock import NS_PER_SECOND, ns_from_datetime
from core_server.model.errors import InvalidArgument

TABLE_FILE = "cme_globex_equity_sessions.json"
OVERRIDES_FILE = "overrides.json"


@dataclass(frozen=True, slots=True)
class SessionTable:
    """The sessions of trade dates first..last, with the provenance written into the file."""

    calendar: str
    source: str
    first_trade_date: date
    last_trade_date: date
    sessions: tuple[Session, ...]


def packaged_path(name: str) -> Path:
    """Path of a data file shipped in this package (the table or the overrides)."""
    return Path(str(resources.files("core_server.calendar").joinpath(name)))


def load_trading_calendar(
    table_path: Path | None = None,
    overrides_path: Path | None = None,
    daily_halts: Sequence[tuple[time, time]] = (),
) -> TradingCalendar:
    """Load the committed table (or `table_path`), apply a user overrides file and any configured daily halts.

    The packaged overrides.json is already applied at generation; `overrides_path` is for local corrections
    (e.g. an ad-hoc closure announced after the table was generated).
    """
    table = decode_session_table(
        (table_path or packaged_path(TABLE_FILE)).read_text(encoding="utf-8"), str(table_path or TABLE_FILE)
    )
    sessions: Sequence[Session] = table.sessions
    if overrides_path is not None:
        sessions = apply_overrides(sessions, read_overrides(overrides_path))
    for start, end in daily_halts:
        sessions = add_daily_halt(sessions, start, end)
    return TradingCalendar(sessions, table.first_trade_date, table.last_trade_date)


@cache
def packaged_trading_calendar() -> TradingCalendar:
    """The committed table with no local overrides, loaded once per process (it is immutable)."""
    return load_trading_calendar()


def encode_session_table(table: SessionTable) -> str:
    """Deterministic JSON text, one session per line, so regenerations diff cleanly."""
    header = {
        "calendar": table.calendar,
        "source": table.source,
        "first_trade_date": table.first_trade_date.isoformat(),
        "last_trade_date": table.last_trade_date.isoformat(),
    }
    lines = ["{", *(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in header.items())]
    lines.append('  "sessions": [')
    rows = [
        "    "
        + json.dumps(
            {
                "trade_date": s.trade_date.isoformat(),
                "open": _iso_utc(s.open_ns),
                "close": _iso_utc(s.close_ns),
                "halts": [[_iso_utc(a), _iso_utc(b)] for a, b in s.halts],
                "early_close": s.early_close,
                "note": s.note,
            },
            ensure_ascii=False,
        )
        for s in table.sessions
    ]
    lines.append(",\n".join(rows))
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def decode_session_table(text: str, origin: str = TABLE_FILE) -> SessionTable:
    try:
        document: Any = json.loads(text)
        return SessionTable(
            calendar=str(document["calendar"]),
            source=str(document["source"]),
            first_trade_date=date.fromisoformat(document["first_trade_date"]),
            last_trade_date=date.fromisoformat(document["last_trade_date"]),
            sessions=tuple(
                Session(
                    trade_date=date.fromisoformat(row["trade_date"]),
                    open_ns=_parse_utc(row["open"]),
                    close_ns=_parse_utc(row["close"]),
                    halts=tuple((_parse_utc(a), _parse_utc(b)) for a, b in row["halts"]),
                    early_close=bool(row["early_close"]),
                    note=str(row["note"]),
                )
                for row in document["sessions"]
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidArgument(origin, f"malformed session table: {exc!r}") from exc


def _iso_utc(ts_ns: int) -> str:
    seconds, rem = divmod(ts_ns, NS_PER_SECOND)
    if rem:
        raise ValueError("session table times are whole seconds")
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_utc(text: str) -> int:
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None or moment.utcoffset() != UTC.utcoffset(None):
        raise ValueError(f"expected a UTC time with a Z suffix: {text!r}")
    return ns_from_datetime(moment)
