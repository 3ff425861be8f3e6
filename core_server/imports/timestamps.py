"""Timestamps from text columns to UTC nanoseconds, column at a time.

Text layouts are parsed through templates: the first row of each distinct length is matched once with a
Python regular expression, which tells where the year, month, ..., fraction and zone digits sit; every row of
that length is then checked against the template (digits where digits belong, the same separators) and
converted with numpy. Rows a template does not fit get the next template (a few per length), then count as
unparseable. Epoch numbers are cast by pyarrow and scaled exactly.

Local wall-clock times become UTC with `pyarrow.compute.assume_timezone` (the tz database); times in the
autumn fold take the first offset until the clock goes back, then the second; times in the spring gap do
not exist and count as unparseable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from core_server.imports.text import I64, U8, as_string_array, byte_matrix, digits_value, offsets_and_data

BoolArray = npt.NDArray[np.bool_]

TEXT_FAMILIES = ("ymd", "mdy", "dmy")
EPOCH_UNITS = {"epoch_s": 1_000_000_000, "epoch_ms": 1_000_000, "epoch_us": 1_000, "epoch_ns": 1}
FAMILIES = (*TEXT_FAMILIES, *EPOCH_UNITS)
NS_PER_SECOND = 1_000_000_000
MAX_TEMPLATES_PER_LENGTH = 4

_TIME_TAIL = (
    r"[T _]?(?P<H>\d{2}):?(?P<M>\d{2}):?(?P<S>\d{2})"
    r"(?:[.,: ]?(?P<f>\d{1,9}))?"
    r"(?:(?P<Z>Z)|\s?(?P<zs>[+-])(?P<zh>\d{2}):?(?P<zm>\d{2}))?$"
)
_PATTERNS = {
    "ymd": re.compile(r"^(?P<y>\d{4})[-/.]?(?P<m>\d{2})[-/.]?(?P<d>\d{2})" + _TIME_TAIL),
    "mdy": re.compile(r"^(?P<m>\d{2})[-/.](?P<d>\d{2})[-/.](?P<y>\d{4})" + _TIME_TAIL),
    "dmy": re.compile(r"^(?P<d>\d{2})[-/.](?P<m>\d{2})[-/.](?P<y>\d{4})" + _TIME_TAIL),
}
_DIGIT_GROUPS = ("y", "m", "d", "H", "M", "S", "f", "zh", "zm")
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Template:
    """Where each field of one text layout sits, and what every other byte must be."""

    length: int
    spans: dict[str, tuple[int, int]]
    literals: tuple[tuple[int, int], ...]  # (position, byte)
    digit_positions: tuple[int, ...]
    sign_position: int | None
    utc_suffix: bool

    @property
    def has_zone(self) -> bool:
        return self.utc_suffix or self.sign_position is not None

    def matches(self, matrix: U8) -> BoolArray:
        low = np.full(self.length, 48, dtype=np.uint8)
        high = np.full(self.length, 57, dtype=np.uint8)
        for position, byte in self.literals:
            low[position] = high[position] = byte
        if self.sign_position is not None:
            low[self.sign_position], high[self.sign_position] = 43, 45  # + , -
        ok: BoolArray = np.asarray(((matrix >= low) & (matrix <= high)).all(axis=1))
        if self.sign_position is not None:
            ok &= matrix[:, self.sign_position] != 44
        return ok


def template_for(text: bytes, family: str) -> Template | None:
    """The template of one sample value, or None when it is not a timestamp of `family`."""
    try:
        decoded = text.decode("ascii")
    except UnicodeDecodeError:
        return None
    match = _PATTERNS[family].match(decoded)
    if match is None:
        return None
    spans: dict[str, tuple[int, int]] = {}
    digits: list[int] = []
    for name in _DIGIT_GROUPS:
        if match.group(name) is not None:
            spans[name] = match.span(name)
            digits.extend(range(*match.span(name)))
    sign = match.span("zs")[0] if match.group("zs") is not None else None
    taken = set(digits) | ({sign} if sign is not None else set())
    literals = tuple((i, text[i]) for i in range(len(text)) if i not in taken)
    return Template(len(text), spans, literals, tuple(digits), sign, match.group("Z") is not None)


def days_from_civil(year: I64, month: I64, day: I64) -> I64:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm), vectorised."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468  # type: ignore[no-any-return]


FIRST_YEAR, LAST_YEAR = 1970, 2200
_MONTHS = np.arange((LAST_YEAR - FIRST_YEAR + 1) * 12, dtype=np.int64)
# per (year, month) since 1970-01: the day number of its first day, and how many days it has
_MONTH_START = days_from_civil(FIRST_YEAR + _MONTHS // 12, _MONTHS % 12 + 1, np.ones_like(_MONTHS))
_MONTH_DAYS = np.diff(
    np.append(_MONTH_START, days_from_civil(np.array([LAST_YEAR + 1]), np.ones(1, np.int64), np.ones(1, np.int64)))
)


def _days(year: I64, month: I64, day: I64) -> tuple[I64, BoolArray]:
    """Days since the epoch by table, and whether the date exists in [FIRST_YEAR, LAST_YEAR]."""
    index = (year - FIRST_YEAR) * 12 + month - 1
    ok = (year >= FIRST_YEAR) & (year <= LAST_YEAR) & (month >= 1) & (month <= 12)
    index = np.where(ok, index, 0)
    ok &= (day >= 1) & (day <= _MONTH_DAYS[index])
    return _MONTH_START[index] + day - 1, ok


def _segment_days(year: I64, month: I64, day: I64) -> tuple[I64, BoolArray]:
    """`_days` computed once per run of equal dates (tick files are in time order: few runs per chunk)."""
    key = year * 10_000 + month * 100 + day
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    if len(starts) * 4 > len(key):
        return _days(year, month, day)
    days, ok = _days(year[starts], month[starts], day[starts])
    counts = np.diff(np.append(starts, len(key)))
    return np.repeat(days, counts), np.repeat(ok, counts)


def _convert(matrix: U8, template: Template) -> tuple[I64, BoolArray]:
    spans = template.spans

    def field(name: str) -> I64:
        return digits_value(matrix, *spans[name])

    days, ok = _segment_days(field("y"), field("m"), field("d"))
    hour, minute, second = field("H"), field("M"), field("S")
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    ns = (days * 86_400 + hour * 3_600 + minute * 60 + second) * NS_PER_SECOND
    if "f" in spans:
        start, end = spans["f"]
        ns += field("f") * 10 ** (9 - (end - start))
    if template.sign_position is not None:
        zone_h, zone_m = field("zh"), field("zm")
        ok &= (zone_h <= 14) & (zone_m < 60)
        sign = np.where(matrix[:, template.sign_position] == 45, -1, 1)
        ns -= sign * (zone_h * 3_600 + zone_m * 60) * NS_PER_SECOND
    return ns, ok


def _pad_day_month(column: pa.Array) -> pa.Array:
    """US and European dates often drop leading zeros (1/6/2025 9:30:00); give every field two digits."""
    column = pc.replace_substring_regex(column, r"^(\d)([-/.])", r"0\1\2")
    column = pc.replace_substring_regex(column, r"^(\d\d[-/.])(\d)([-/.])", r"\1@0\2\3")
    column = pc.replace_substring(column, "@", "")
    column = pc.replace_substring_regex(column, r"^(\S+[ T])(\d):", r"\1@0\2:")
    return pc.replace_substring(column, "@", "")


@dataclass(slots=True)
class ParsedTimes:
    """Per row: nanoseconds (UTC when `zoned`, else wall clock read as UTC) and whether the text parsed."""

    ns: I64
    ok: BoolArray
    zoned: BoolArray


def parse_text_times(column: pa.Array | pa.ChunkedArray, family: str) -> ParsedTimes:
    """Parse a text timestamp column of `family` (ymd, mdy, dmy)."""
    array = as_string_array(column)
    if family in ("mdy", "dmy"):
        array = _pad_day_month(array)
    n = len(array)
    ns = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=np.bool_)
    zoned = np.zeros(n, dtype=np.bool_)
    offsets, data = offsets_and_data(array)
    lengths = np.diff(offsets)
    for length in np.unique(lengths):
        width = int(length)
        rows = np.flatnonzero(lengths == length)
        if width < 14:
            continue
        matrix = byte_matrix(offsets, data, rows, width)
        pending = np.arange(len(rows))
        for _ in range(MAX_TEMPLATES_PER_LENGTH):
            if not len(pending):
                break
            first = int(pending[0])
            template = template_for(matrix[first].tobytes(), family)
            if template is None:
                pending = pending[1:]
                continue
            sub = matrix if len(pending) == len(matrix) else matrix[pending]
            fits = template.matches(sub)
            chosen = pending[fits]
            values, valid = _convert(sub if fits.all() else sub[fits], template)
            target = rows[chosen]
            ns[target] = values
            ok[target] = valid
            zoned[target] = template.has_zone
            pending = pending[~fits]
    return ParsedTimes(ns, ok, zoned)


def parse_epoch(column: pa.Array | pa.ChunkedArray, unit_ns: int) -> ParsedTimes:
    """Epoch numbers (whole, or seconds with a fraction) times `unit_ns` nanoseconds; always UTC."""
    array = as_string_array(column)
    n = len(array)
    try:
        whole = pc.cast(array, pa.int64()).to_numpy(zero_copy_only=False)
        ok = np.ones(n, dtype=np.bool_)
        return ParsedTimes(whole * unit_ns, ok, ok.copy())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # seconds with a fraction: the decimal scale that makes the unscaled integer whole nanoseconds
    places = {1_000_000_000: 9, 1_000_000: 6, 1_000: 3, 1: 0}[unit_ns]
    fraction = rf"(\.\d{{1,{places}}})?" if places else ""
    valid = pc.match_substring_regex(array, rf"^\s*\d{{1,19}}{fraction}\s*$")
    cleaned = pc.if_else(valid, pc.utf8_trim_whitespace(array), pa.scalar(None, pa.string()))
    ok = valid.to_numpy(zero_copy_only=False).astype(np.bool_)
    values = np.zeros(n, dtype=np.int64)
    if ok.any():
        decimals = pc.cast(pc.drop_null(cleaned), pa.decimal128(38, places))
        words = np.frombuffer(decimals.buffers()[1], dtype=np.int64)[
            2 * decimals.offset : 2 * (decimals.offset + len(decimals))
        ]
        low, high = words[0::2], words[1::2]
        positions = np.flatnonzero(ok)
        values[positions] = low
        ok[positions[(high != 0) | (low < 0)]] = False  # beyond int64 nanoseconds
    return ParsedTimes(values, ok, np.ones(n, dtype=np.bool_))


def parse_times(column: pa.Array | pa.ChunkedArray, family: str) -> ParsedTimes:
    if family in EPOCH_UNITS:
        return parse_epoch(column, EPOCH_UNITS[family])
    return parse_text_times(column, family)


def join_date_time(date: pa.Array | pa.ChunkedArray, time: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A date column and a time-of-day column as one `date time` text column."""
    return pc.binary_join_element_wise(as_string_array(date), as_string_array(time), " ")


@dataclass(slots=True)
class FoldState:
    """Carries the autumn-fold decision across chunks: the latest wall-clock time seen inside a fold, and
    whether the clock has gone back in it already."""

    latest: int | None = None
    went_back: bool = False


FOLD_GAP_NS = 2 * 3_600 * NS_PER_SECOND  # ambiguous times further apart than this belong to different folds


def localize(wall_ns: I64, tz: str, fold: FoldState) -> tuple[I64, BoolArray]:
    """UTC nanoseconds for wall-clock times in `tz`; False where the time does not exist (spring gap)."""
    if not len(wall_ns):
        return wall_ns, np.ones(0, dtype=np.bool_)
    stamps = pa.array(wall_ns, type=pa.timestamp("ns"))
    earliest = pc.assume_timezone(stamps, tz, ambiguous="earliest", nonexistent="earliest")
    latest = pc.assume_timezone(stamps, tz, ambiguous="latest", nonexistent="latest")
    first = earliest.cast(pa.int64()).to_numpy(zero_copy_only=False)
    second = latest.cast(pa.int64()).to_numpy(zero_copy_only=False)
    gap = second - first
    exists = gap != 1  # nonexistent: the two answers straddle the gap by one nanosecond
    ambiguous = gap > 1
    result = first.copy()
    if ambiguous.any():
        positions = np.flatnonzero(ambiguous)
        walls = wall_ns[positions]
        if fold.latest is not None and abs(int(walls[0]) - fold.latest) > FOLD_GAP_NS:
            fold.latest, fold.went_back = None, False
        previous = fold.latest if fold.latest is not None else int(walls[0])
        running = np.maximum.accumulate(np.maximum(walls, previous))
        # once the wall clock has gone back inside the fold, the later offset applies
        went_back = np.maximum.accumulate(walls < running) | fold.went_back
        result[positions[went_back]] = second[positions[went_back]]
        fold.latest, fold.went_back = int(running[-1]), bool(went_back[-1])
    return result, exists
