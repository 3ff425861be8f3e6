"""DataService models: tick import options and progress, and what the store holds (coverage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum


class HeaderMode(Enum):
    """ImportOptions.header on the wire (None there means "detect")."""

    PRESENT = "present"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to read a tick file; every field empty/None means "detect" (see DataService in data.proto).

    symbol: NQ (continuous, rolled per SPEC §1), NQZ2025, ...; empty: from the file name. tz: IANA zone of
    timestamps without an offset (empty: UTC). start/end: RFC 3339 or YYYY-MM-DD (in tz), end exclusive.
    separator: comma|semicolon|tab|pipe|space. header: True/False/None. columns: a role per column (time, date,
    clock, bid, ask, last, volume, bid_size, ask_size, skip). time_format: ymd|mdy|dmy|epoch_s|epoch_ms|
    epoch_us|epoch_ns. format: a vendor layout (ninjatrader).
    """

    symbol: str = ""
    tz: str = ""
    start: str = ""
    end: str = ""
    separator: str = ""
    header: bool | None = None
    columns: tuple[str, ...] = ()
    time_format: str = ""
    format: str = ""


@dataclass(frozen=True, slots=True)
class BadRowCount:
    kind: str  # fields, empty, unparseable, nonexistent_time, off_grid, negative_size, out_of_range
    count: int
    first_lines: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """One progress report. While an upload is still sending, `uploading` is True and only `bytes_received`
    (and `bytes_total`, the local file's size) are known."""

    import_id: int
    file_name: str
    instrument: str
    notes: tuple[str, ...]
    unsure: tuple[str, ...]
    resumed_from_line: int
    lines_read: int
    ticks_stored: int
    duplicates: int
    anomalies: int
    bad_total: int
    bad: tuple[BadRowCount, ...]
    contracts: tuple[str, ...]
    first_ts_ns: int
    last_ts_ns: int
    bytes_read: int
    bytes_total: int
    rows_per_s: float
    eta_s: float
    done: bool
    uploading: bool = False
    bytes_received: int = 0


@dataclass(frozen=True, slots=True)
class DataGap:
    """Time the market was open with no stored tick: [start_ns, end_ns)."""

    start_ns: int
    end_ns: int

    @property
    def seconds(self) -> int:
        return (self.end_ns - self.start_ns) // 1_000_000_000


@dataclass(frozen=True, slots=True)
class DataCoverageDay:
    """One contract on one CME trade date: what the store holds, and the gaps in it."""

    contract_id: str
    trade_date: date
    ticks: int
    quotes: int
    trades: int
    anomalies: int
    first_ns: int  # 0 without ticks
    last_ns: int
    open_ns: int  # the session
    close_ns: int
    gaps: tuple[DataGap, ...]
    missing_ns: int

    @property
    def complete(self) -> bool:
        """Ticks all session long: no gap."""
        return self.ticks > 0 and not self.gaps
