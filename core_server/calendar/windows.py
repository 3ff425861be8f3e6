"""Named intraday session windows (Asia, London, NY AM, ...) by wall-clock time, each in its own time zone.

Windows are pure clock ranges: they say nothing about whether CME is open (ask TradingCalendar for that).
A window whose end is not after its start wraps midnight (Asia 18:00-03:00 runs into the next day). Wall-clock
times are DST-correct: on a DST night Asia lasts 8 or 10 hours. A boundary that does not exist on a
spring-forward day (e.g. 02:30) is read with the pre-transition offset, as zoneinfo does.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core_server.model.clock import NS_PER_DAY, ns_from_datetime
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import EASTERN_TZ

_EPOCH = date(1970, 1, 1)
_MAX_CACHED_DAYS = 4096


@dataclass(frozen=True, slots=True)
class SessionWindow:
    """A named daily clock range [start, end) in `tz`; wraps midnight when end <= start."""

    name: str
    start: time
    end: time
    tz: ZoneInfo = EASTERN_TZ

    @property
    def wraps_midnight(self) -> bool:
        return self.end <= self.start


DEFAULT_SESSION_WINDOWS: tuple[SessionWindow, ...] = (
    SessionWindow("Asia", time(18, 0), time(3, 0)),
    SessionWindow("London", time(3, 0), time(9, 30)),
    SessionWindow("NY AM", time(9, 30), time(12, 0)),
    SessionWindow("NY Lunch", time(12, 0), time(13, 30)),
    SessionWindow("NY PM", time(13, 30), time(16, 0)),
    SessionWindow("Close", time(16, 0), time(17, 0)),
)


def parse_session_windows(entries: Iterable[Sequence[str]]) -> tuple[SessionWindow, ...]:
    """Windows from config rows (name, "HH:MM" start, "HH:MM" end[, IANA time zone, default America/New_York])."""
    windows = []
    for i, entry in enumerate(entries):
        where = f"session_windows[{i}]"
        if len(entry) not in (3, 4):
            raise InvalidArgument(where, "expected (name, start, end[, time zone])")
        name, start, end = entry[0].strip(), entry[1], entry[2]
        if not name:
            raise InvalidArgument(f"{where}.name", "must not be empty")
        try:
            tz = ZoneInfo(entry[3]) if len(entry) == 4 else EASTERN_TZ
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidArgument(f"{where}.tz", f"unknown time zone {entry[3]!r}") from exc
        windows.append(SessionWindow(name, _clock(f"{where}.start", start), _clock(f"{where}.end", end), tz))
    return tuple(windows)


def _clock(field: str, text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        raise InvalidArgument(field, f"expected HH:MM, got {text!r}") from exc


@dataclass(frozen=True, slots=True)
class _DaySegments:
    """One UTC day cut into pieces, each with the names of the windows covering it (in configured order)."""

    starts: list[int]
    ends: list[int]
    names: list[tuple[str, ...]]


class SessionWindows:
    """Which named windows contain a UTC-ns time; results per UTC day are cached, so lookups are a bisect."""

    def __init__(self, windows: Sequence[SessionWindow] = DEFAULT_SESSION_WINDOWS) -> None:
        names = [w.name for w in windows]
        if len(set(names)) != len(names):
            raise InvalidArgument("session_windows", "window names must be unique")
        for window in windows:
            if window.start == window.end:
                raise InvalidArgument(f"session_windows.{window.name}", "start and end must differ")
        self._windows = tuple(windows)
        self._names = frozenset(names)
        self._days: dict[int, _DaySegments] = {}
        # Ticks arrive in time order, so the last piece answers most lookups without a bisect.
        self._hot_start, self._hot_end = 0, 0
        self._hot_names: tuple[str, ...] = ()

    @property
    def windows(self) -> tuple[SessionWindow, ...]:
        return self._windows

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(w.name for w in self._windows)

    def check_names(self, names: Iterable[str]) -> frozenset[str]:
        """The names as a set for `in_any`; InvalidArgument if one is not a configured window."""
        chosen = frozenset(names)
        unknown = chosen - self._names
        if unknown:
            raise InvalidArgument("session_windows", f"unknown window {sorted(unknown)[0]!r}")
        return chosen

    def window_at(self, ts_ns: int) -> str | None:
        """The first configured window containing `ts_ns`, or None (e.g. 17:00-18:00 ET by default)."""
        names = self.windows_at(ts_ns)
        return names[0] if names else None

    def windows_at(self, ts_ns: int) -> tuple[str, ...]:
        """Every window containing `ts_ns`, in configured order (several only if the windows overlap)."""
        if self._hot_start <= ts_ns < self._hot_end:
            return self._hot_names
        day = ts_ns // NS_PER_DAY
        segments = self._days.get(day)
        if segments is None:
            segments = self._segments_of(day)
        i = bisect_right(segments.starts, ts_ns) - 1
        self._hot_start, self._hot_end, self._hot_names = segments.starts[i], segments.ends[i], segments.names[i]
        return self._hot_names

    def in_any(self, ts_ns: int, enabled: Collection[str]) -> bool:
        """Whether `ts_ns` lies in at least one of the `enabled` windows (see `check_names`)."""
        return any(name in enabled for name in self.windows_at(ts_ns))

    def _segments_of(self, day: int) -> _DaySegments:
        lo, hi = day * NS_PER_DAY, (day + 1) * NS_PER_DAY
        utc_date = _EPOCH + timedelta(days=day)
        occurrences: list[tuple[int, int, int]] = []
        # Local dates two before to one after the UTC date cover every offset and midnight wrap.
        for index, window in enumerate(self._windows):
            for shift in (-2, -1, 0, 1):
                local_date = utc_date + timedelta(days=shift)
                end_date = local_date + timedelta(days=1) if window.wraps_midnight else local_date
                start_ns = ns_from_datetime(datetime.combine(local_date, window.start, window.tz))
                end_ns = ns_from_datetime(datetime.combine(end_date, window.end, window.tz))
                if max(start_ns, lo) < min(end_ns, hi):
                    occurrences.append((max(start_ns, lo), min(end_ns, hi), index))
        cuts = sorted({lo, hi, *(o[0] for o in occurrences), *(o[1] for o in occurrences)})
        starts: list[int] = []
        ends: list[int] = []
        names: list[tuple[str, ...]] = []
        for a, b in pairwise(cuts):
            covering = tuple(
                self._windows[index].name for index in sorted({i for s, e, i in occurrences if s <= a < e})
            )
            if names and names[-1] == covering:
                ends[-1] = b
            else:
                starts.append(a)
                ends.append(b)
                names.append(covering)
        segments = _DaySegments(starts, ends, names)
        if len(self._days) >= _MAX_CACHED_DAYS:
            self._days.clear()
        self._days[day] = segments
        return segments
