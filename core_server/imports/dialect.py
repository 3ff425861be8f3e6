"""Detect a tick file's layout from its first lines: separator, header, column roles, timestamp format.

Everything detected can be pinned by an option (the CLI flag is named in each note), and a detection the
importer is unsure about is reported as such, with the flag that pins it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from statistics import median

from core_server.imports.timestamps import _PATTERNS, EPOCH_UNITS, FAMILIES
from core_server.model.errors import InvalidArgument

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", " ": "space"}
SEPARATOR_NAMES = {name: sep for sep, name in SEPARATORS.items()}
ROLES = ("time", "date", "clock", "bid", "ask", "last", "volume", "bid_size", "ask_size", "skip")
PRESETS = ("auto", "ninjatrader")
SAMPLE_LINES = 200

# Header words (lower case, spaces and punctuation dropped) for each role.
_HEADER_ROLES = {
    "time": {"time", "timestamp", "datetime", "ts", "tsevent", "timeutc", "utctime", "datetimeutc", "ts_event"},
    "date": {"date", "day", "tradedate"},
    "bid": {"bid", "bidprice", "bestbid", "bidpx", "bidpx00"},
    "ask": {"ask", "askprice", "offer", "bestask", "askpx", "askpx00"},
    "last": {"last", "price", "lastprice", "trade", "tradeprice", "px", "close"},
    "volume": {"volume", "size", "qty", "quantity", "vol", "lastsize", "tradesize", "tradevolume"},
    "bid_size": {"bidsize", "bidqty", "bidvol", "bidvolume", "bidsz00", "bidsz"},
    "ask_size": {"asksize", "askqty", "askvol", "askvolume", "asksz00", "asksz"},
}
_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
_NAME = re.compile(r"^\s*\"?[A-Za-z_#<][A-Za-z0-9_ ./()<>#-]*\"?\s*$")
_DATE_ONLY = {
    "ymd": re.compile(r"^\d{4}[-/.]?\d{2}[-/.]?\d{2}$"),
    "mdy": re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$"),
}
_CLOCK_ONLY = re.compile(r"^\d{1,2}:?\d{2}:?\d{2}([.,]\d{1,9})?$")


class HeaderMode(Enum):
    """Whether the first line names the columns; UNSPECIFIED on the wire means "detect"."""

    PRESENT = True
    ABSENT = False


@dataclass(frozen=True, slots=True)
class Pins:
    """What the user fixed instead of letting detection decide ("" or None: detect)."""

    separator: str = ""
    header: bool | None = None
    columns: tuple[str, ...] = ()
    time_format: str = ""
    preset: str = ""


@dataclass(frozen=True, slots=True)
class Dialect:
    separator: str
    header: bool
    column_count: int
    roles: dict[str, int]  # role -> column index
    time_format: str  # ymd, mdy, dmy, epoch_s, epoch_ms, epoch_us, epoch_ns
    zoned: bool  # the timestamps carry their own offset (or are epoch numbers, which are UTC)
    notes: tuple[str, ...] = ()
    unsure: tuple[str, ...] = ()  # each names the flag that pins it

    @property
    def has_quotes(self) -> bool:
        return "bid" in self.roles and "ask" in self.roles

    @property
    def has_trades(self) -> bool:
        return "last" in self.roles

    def describe_columns(self) -> str:
        names = ["skip"] * self.column_count
        for role, index in self.roles.items():
            names[index] = role
        return ",".join(names)


@dataclass(slots=True)
class _Findings:
    notes: list[str] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)


def sample_lines(text: str) -> list[str]:
    lines = [line.rstrip("\r") for line in text.split("\n")]
    return [line for line in lines if line.strip()][:SAMPLE_LINES]


def _split(line: str, separator: str) -> list[str]:
    return [part.strip().strip('"') for part in line.split(separator)]


def _detect_separator(lines: Sequence[str], pins: Pins, found: _Findings) -> str:
    if pins.separator:
        return pins.separator
    consistent: list[tuple[int, str]] = []
    body = lines[1:] or lines
    for separator in SEPARATORS:
        counts = Counter(line.count(separator) for line in body)
        count, agreeing = counts.most_common(1)[0]
        # a few bad lines must not hide the separator: three lines in four agree
        if count > 0 and agreeing * 4 >= len(body) * 3:
            consistent.append((count, separator))
    if not consistent:
        raise InvalidArgument(
            "separator",
            "no separator splits the lines the same way; pin one with --separator comma|semicolon|tab|pipe|space",
        )
    non_space = [c for c in consistent if c[1] != " "]
    count, separator = max(non_space or consistent)
    if len(non_space) > 1:
        others = ", ".join(SEPARATORS[s] for _, s in non_space if s != separator)
        found.unsure.append(f"separator: chose {SEPARATORS[separator]} over {others}; pin with --separator")
    found.notes.append(f"separator: {SEPARATORS[separator]}")
    return separator


def _looks_like_time(value: str) -> bool:
    return any(p.match(value) for p in _PATTERNS.values()) or _epoch_unit(value) is not None


def _epoch_unit(value: str) -> str | None:
    text = value.strip()
    whole = text.split(".", 1)[0]
    if not whole.isdigit() or ("." in text and not text.split(".", 1)[1].isdigit()):
        return None
    return {10: "epoch_s", 13: "epoch_ms", 16: "epoch_us", 19: "epoch_ns"}.get(len(whole))


def _detect_header(rows: Sequence[Sequence[str]], pins: Pins, found: _Findings) -> bool:
    if pins.header is not None:
        return pins.header
    if len(rows) < 2:
        return False
    first, second = rows[0], rows[1]
    named = [i for i, value in enumerate(first) if _NAME.match(value) and not _looks_like_time(value) and value.strip()]
    # a name above a number or a time (a text column such as a side may sit under its name too)
    header = len(named) * 2 >= len(first) and any(i < len(second) and not _NAME.match(second[i]) for i in named)
    found.notes.append("header: yes" if header else "header: none")
    return header


def _role_from_header(name: str) -> str | None:
    key = re.sub(r"[^a-z0-9_]", "", name.lower().strip('<>#" '))
    compact = key.replace("_", "")
    for role, words in _HEADER_ROLES.items():
        if key in words or compact in words:
            return role
    return None


def _mostly(matches: int, total: int) -> bool:
    """Detection tolerates a few bad lines in the sample: three values in four decide."""
    return total > 0 and matches * 4 >= total * 3


def _time_format_of(values: Sequence[str]) -> tuple[str, bool] | None:
    """(family, zoned) when most values are full timestamps of one family."""
    if not values:
        return None
    units = Counter(_epoch_unit(v) for v in values)
    unit, count = units.most_common(1)[0]
    if unit is not None and _mostly(count, len(values)):
        return unit, True
    for family in ("ymd", "mdy"):
        pattern = _PATTERNS[family]
        padded = [_pad(v) for v in values] if family == "mdy" else list(values)
        matches = [m for m in (pattern.match(v) for v in padded) if m is not None]
        if _mostly(len(matches), len(values)):
            zoned = all(m.group("Z") or m.group("zs") for m in matches)
            return family, bool(zoned)
    return None


def _pad(value: str) -> str:
    value = re.sub(r"^(\d)([-/.])", r"0\1\2", value)
    value = re.sub(r"^(\d\d[-/.])(\d)([-/.])", r"\g<1>0\2\3", value)
    return re.sub(r"^(\S+[ T])(\d):", r"\g<1>0\2:", value)


def _month_day_order(values: Sequence[str], found: _Findings, pins: Pins) -> str:
    """mdy or dmy for dates like 06/10/2025: a first field above 12 settles it; otherwise US order, unsure."""
    if pins.time_format in ("mdy", "dmy"):
        return pins.time_format
    parts = [re.split(r"[-/.]", _pad(v)) for v in values]
    dates = [p for p in parts if len(p) > 2 and p[0].isdigit() and p[1].isdigit()]
    firsts = [int(p[0]) for p in dates]
    seconds = [int(p[1]) for p in dates]
    if any(f > 12 for f in firsts):
        return "dmy"
    if not any(s > 12 for s in seconds):
        found.unsure.append("date order: month/day/year assumed (US vendors); pin with --time-format dmy or mdy")
    return "mdy"


def _numeric_roles(rows: Sequence[Sequence[str]], candidates: Sequence[int], found: _Findings) -> dict[str, int]:
    """Prices and sizes among headerless numeric columns, by magnitude and by bid <= ask."""
    if not rows:
        return {}
    medians = {i: median(abs(float(r[i])) for r in rows) for i in candidates}
    if not medians:
        return {}
    top = max(medians.values())
    prices = [i for i in candidates if medians[i] >= top / 2 and top > 0]
    sizes = [i for i in candidates if i not in prices]
    roles: dict[str, int] = {}

    def ordered(a: int, b: int) -> bool:
        return all(float(r[a]) <= float(r[b]) for r in rows)

    if len(prices) == 1:
        roles["last"] = prices[0]
    elif len(prices) == 2:
        a, b = prices
        if ordered(a, b) and not ordered(b, a):
            roles.update(bid=a, ask=b)
        elif ordered(a, b):
            roles.update(bid=a, ask=b)
            found.unsure.append("columns: two equal price columns taken as bid, ask; pin with --columns")
        else:
            roles.update(last=a)
            sizes.insert(0, b)
            found.unsure.append("columns: second price column not understood; pin with --columns")
    elif len(prices) >= 3:
        a, b, c = prices[:3]
        if ordered(b, c):  # NinjaTrader and most vendors: last, bid, ask
            roles.update(last=a, bid=b, ask=c)
            if ordered(a, b) or not all(float(r[b]) <= float(r[a]) <= float(r[c]) for r in rows):
                found.unsure.append("columns: price columns read as last, bid, ask; pin with --columns")
        elif ordered(a, b):
            roles.update(bid=a, ask=b, last=c)
            found.unsure.append("columns: price columns read as bid, ask, last; pin with --columns")
        else:
            raise InvalidArgument("columns", "cannot tell bid, ask and last apart; pin them with --columns")
    if sizes:
        if "last" in roles:
            roles["volume"] = sizes[0]
            if "bid" in roles and len(sizes) >= 3:
                roles.update(bid_size=sizes[1], ask_size=sizes[2])
        elif len(sizes) >= 2:
            roles.update(bid_size=sizes[0], ask_size=sizes[1])
    return roles


def detect(text: str, pins: Pins) -> Dialect:
    """The dialect of a file whose first lines are `text` (decoded)."""
    found = _Findings()
    if pins.preset and pins.preset not in PRESETS:
        raise InvalidArgument("format", f"unknown format {pins.preset!r}; use one of {', '.join(PRESETS)}")
    if pins.preset == "ninjatrader":
        pins = replace(
            pins,
            separator=pins.separator or ";",
            header=False if pins.header is None else pins.header,
            columns=pins.columns or ("time", "last", "bid", "ask", "volume"),
            time_format=pins.time_format or "ymd",
        )
    if pins.time_format and pins.time_format not in FAMILIES:
        raise InvalidArgument(
            "time_format", f"unknown time format {pins.time_format!r}; use one of {', '.join(FAMILIES)}"
        )
    lines = sample_lines(text)
    if not lines:
        raise InvalidArgument("file", "the file has no lines")
    separator = _detect_separator(lines, pins, found)
    rows = [_split(line, separator) for line in lines]
    header = _detect_header(rows, pins, found)
    names = rows[0] if header else []
    data = rows[1:] if header else rows
    width = Counter(len(r) for r in data).most_common(1)[0][0] if data else len(names)
    data = [r for r in data if len(r) == width]
    if not data:
        raise InvalidArgument("file", "no data lines in the first lines of the file")
    roles = _roles(names, data, width, pins, found)
    time_format, zoned = _time_of(roles, data, pins, found)
    if "last" not in roles and not ("bid" in roles and "ask" in roles):
        raise InvalidArgument("columns", "no price columns found (last, or bid and ask); pin them with --columns")
    if pins.preset == "ninjatrader" or (separator == ";" and not header and time_format == "ymd" and width == 5):
        found.notes.append("layout: NinjaTrader tick export (time;last;bid;ask;volume)")
    dialect = Dialect(separator, header, width, roles, time_format, zoned, tuple(found.notes), tuple(found.unsure))
    found.notes.append(f"columns: {dialect.describe_columns()}")
    return replace(dialect, notes=tuple(found.notes))


def _roles(
    names: Sequence[str], data: Sequence[Sequence[str]], width: int, pins: Pins, found: _Findings
) -> dict[str, int]:
    if pins.columns:
        unknown = [c for c in pins.columns if c not in ROLES]
        if unknown:
            raise InvalidArgument("columns", f"unknown column role {unknown[0]!r}; use {', '.join(ROLES)}")
        if len(pins.columns) > width:
            raise InvalidArgument("columns", f"{len(pins.columns)} roles given for {width} columns")
        roles = {role: i for i, role in enumerate(pins.columns) if role != "skip"}
        if "clock" in roles:
            roles["time"] = roles.pop("clock") if "date" not in roles else roles["clock"]
        return roles
    roles = {}
    if names:
        for i, name in enumerate(names):
            role = _role_from_header(name)
            if role is not None and role not in roles:
                roles[role] = i
        if "date" in roles and "time" in roles:
            roles["clock"] = roles.pop("time")
        if "date" in roles and "clock" not in roles:
            roles["time"] = roles.pop("date")
        missing_prices = "last" not in roles and not ("bid" in roles and "ask" in roles)
        if not missing_prices and ("time" in roles or "clock" in roles):
            return roles
        found.unsure.append("columns: the header names were not all understood; pin with --columns")
        roles = {}
    # by content
    time_col = next((i for i in range(width) if _time_format_of([r[i] for r in data]) is not None), None)
    mostly_dates = [i for i in range(width - 1) if _mostly(sum(1 for r in data if _is_date(r[i])), len(data))]
    used: set[int] = set()
    if time_col is not None:
        roles["time"] = time_col
        used.add(time_col)
    else:
        date_col = mostly_dates[0] if mostly_dates else None
        if date_col is None or not _mostly(sum(1 for r in data if _CLOCK_ONLY.match(r[date_col + 1])), len(data)):
            raise InvalidArgument(
                "columns", "no timestamp column found; pin the layout with --columns and --time-format"
            )
        roles.update(date=date_col, clock=date_col + 1)
        used.update((date_col, date_col + 1))
    numeric = [
        i for i in range(width) if i not in used and _mostly(sum(1 for r in data if _NUMBER.match(r[i])), len(data))
    ]
    clean = [r for r in data if all(_NUMBER.match(r[i]) for i in numeric)]
    roles.update(_numeric_roles(clean, numeric, found))
    return roles


def _is_date(value: str) -> bool:
    return any(p.match(value) for p in _DATE_ONLY.values())


def _time_of(roles: dict[str, int], data: Sequence[Sequence[str]], pins: Pins, found: _Findings) -> tuple[str, bool]:
    if "date" in roles and "clock" in roles:
        values = [f"{r[roles['date']]} {r[roles['clock']]}" for r in data]
    elif "time" in roles:
        values = [r[roles["time"]] for r in data]
    else:
        raise InvalidArgument("columns", "no time column: name one with --columns (time, or date and clock)")
    if pins.time_format:
        family = pins.time_format
        zoned = family in EPOCH_UNITS or (
            family in _PATTERNS
            and all((m := _PATTERNS[family].match(_pad(v))) and (m.group("Z") or m.group("zs")) for v in values)
        )
        found.notes.append(f"time format: {family} (pinned)")
        return family, bool(zoned)
    detected = _time_format_of(values)
    if detected is None:
        raise InvalidArgument(
            "time_format",
            f"timestamps like {values[0]!r} are not understood; pin one with --time-format ({', '.join(FAMILIES)})",
        )
    family, zoned = detected
    if family == "mdy":
        family = _month_day_order(values, found, pins)
    if family == "epoch_s" and all("." not in v for v in values):
        found.notes.append("time format: epoch seconds")
    else:
        found.notes.append(f"time format: {family}{' with zone offsets' if zoned and family in _PATTERNS else ''}")
    return family, zoned
