"""Vigil's tick CSV format: read it row by row (failing fast with a line number) and write it.

The file is UTF-8 with a header row naming at least these columns (any order, any case; other
columns are ignored):

    ts,contract,kind,bid,ask,bid_size,ask_size,price,size,aggressor

- ts: integer UTC nanoseconds, or an RFC 3339 timestamp with an offset
  (2025-11-27T14:30:00.123456789Z, 2025-11-27T08:30:00-06:00).
- contract: any symbol form parse_symbol accepts (NQZ2025, NQZ5, NQ1!, CON.F.US.ENQ.Z25), resolved
  at the row's own time, so NQ1! follows the roll.
- kind: quote (uses bid, ask, bid_size, ask_size) or trade (uses price, size, aggressor); the columns
  the kind does not use may be empty.
- prices: decimals that are exact multiples of the instrument's tick; sizes: whole numbers (a trade's
  size at least 1); aggressor: buy, sell or empty (unknown).
- Ticks of one contract must not go back in time (different contracts may interleave freely).

Any bad row stops the read with a TickCsvError naming the file and line: a replay file is input
the user chose, and a replay that silently skips rows would misreport what happened.
The writer emits ts as integer nanoseconds and prices with the instrument's natural decimals, so a
written file reads back to identical ticks (with ts_init = ts_event: the file has no ts_init).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from core_server.model.clock import NS_PER_SECOND, datetime_from_ns, ns_from_datetime
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import Contract, InstrumentSpec
from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.model.symbols import parse_symbol

TICK_CSV_COLUMNS = ("ts", "contract", "kind", "bid", "ask", "bid_size", "ask_size", "price", "size", "aggressor")

_AGGRESSORS = {"": Aggressor.NONE, "buy": Aggressor.BUY, "sell": Aggressor.SELL}
_AGGRESSOR_TEXT = {Aggressor.NONE: "", Aggressor.BUY: "buy", Aggressor.SELL: "sell"}
_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$",
)


class TickCsvError(InvalidArgument):
    """A tick CSV file that cannot be read, with the line at fault (1 is the header)."""

    def __init__(self, path: str | Path, line: int, reason: str) -> None:
        super().__init__("file", f"{path} line {line}: {reason}")
        self.path = str(path)
        self.line = line


def parse_ts_ns(text: str) -> int:
    """UTC ns from integer nanoseconds or an RFC 3339 timestamp with an offset."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    match = _RFC3339.match(text)
    if match is None:
        raise ValueError(f"ts {text!r} is neither integer nanoseconds nor RFC 3339 with an offset")
    day, clock, fraction, offset = match.groups()
    offset = "+00:00" if offset in ("Z", "z") else offset
    moment = datetime.fromisoformat(f"{day}T{clock}{offset}")
    return ns_from_datetime(moment) + (int(fraction.ljust(9, "0")) if fraction else 0)


class _SymbolResolver:
    """parse_symbol at a row's time, cached while the answer cannot change (the hot path of a read)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[Contract, int, int]] = {}

    def resolve(self, symbol: str, ts_ns: int) -> Contract:
        hit = self._cache.get(symbol)
        if hit is not None and hit[1] <= ts_ns < hit[2]:
            return hit[0]
        contract = parse_symbol(symbol, ts_ns, field="contract")
        # The answer depends on the UTC year (short year digits) and, for NQ1!/NQ, on the roll.
        year_end = ns_from_datetime(datetime(datetime_from_ns(ts_ns).year + 1, 1, 1, tzinfo=UTC))
        until = min(year_end, contract.roll_ns) if contract.roll_ns > ts_ns else year_end
        self._cache[symbol] = (contract, ts_ns, until)
        return contract


class TickCsvReader:
    """Streams ticks from a tick CSV file. Opening reads and checks the header at once."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._file: IO[str] = self.path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise TickCsvError(self.path, 0, f"cannot open: {exc.strerror or exc}") from None
        self._rows = csv.reader(self._file)
        self._resolver = _SymbolResolver()
        self._last_ts: dict[str, int] = {}
        try:
            self._columns = self._read_header()
        except BaseException:
            self._file.close()
            raise

    @property
    def contracts(self) -> tuple[str, ...]:
        """Canonical ids of the contracts read so far."""
        return tuple(sorted(self._last_ts))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> TickCsvReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Tick]:
        rows = self._rows
        width = max(self._columns) + 1
        for row in rows:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) < width:
                raise TickCsvError(self.path, rows.line_num, f"expected at least {width} fields, found {len(row)}")
            try:
                yield self._tick(row)
            except (InvalidArgument, ValueError, ArithmeticError) as exc:
                reason = exc.args[0] if exc.args else type(exc).__name__
                raise TickCsvError(self.path, rows.line_num, str(reason)) from None

    def _read_header(self) -> tuple[int, ...]:
        header = next(self._rows, None)
        if header is None:
            raise TickCsvError(self.path, 1, f"empty file; expected a header {','.join(TICK_CSV_COLUMNS)}")
        names = [name.strip().lower() for name in header]
        missing = [c for c in TICK_CSV_COLUMNS if c not in names]
        if missing:
            raise TickCsvError(self.path, 1, f"header lacks column(s) {', '.join(missing)}")
        return tuple(names.index(c) for c in TICK_CSV_COLUMNS)

    def _tick(self, row: list[str]) -> Tick:
        i_ts, i_contract, i_kind, i_bid, i_ask, i_bid_size, i_ask_size, i_price, i_size, i_aggressor = self._columns
        ts = parse_ts_ns(row[i_ts])
        contract = self._resolver.resolve(row[i_contract], ts)
        cid = contract.id
        last = self._last_ts.get(cid)
        if last is not None and ts < last:
            raise ValueError(f"ts {_rfc3339(ts)} goes back in time for {cid} (an earlier row has {_rfc3339(last)})")
        self._last_ts[cid] = ts
        spec = contract.spec
        kind = row[i_kind].strip().lower()
        if kind == "quote":
            return Quote(
                cid,
                ts,
                ts,
                _ticks(spec, row[i_bid], "bid"),
                _ticks(spec, row[i_ask], "ask"),
                _size(row[i_bid_size], "bid_size", 0),
                _size(row[i_ask_size], "ask_size", 0),
            )
        if kind == "trade":
            aggressor = _AGGRESSORS.get(row[i_aggressor].strip().lower())
            if aggressor is None:
                raise ValueError(f"aggressor {row[i_aggressor]!r} is not buy, sell or empty")
            return Trade(cid, ts, ts, _ticks(spec, row[i_price], "price"), _size(row[i_size], "size", 1), aggressor)
        raise ValueError(f"kind {row[i_kind]!r} is not quote or trade")


def _ticks(spec: InstrumentSpec, text: str, field: str) -> int:
    text = text.strip()
    if not text:
        raise ValueError(f"{field} is required")
    return spec.ticks_from_price(text, field=field)


def _size(text: str, field: str, minimum: int) -> int:
    text = text.strip()
    if not text.isdigit() or int(text) < minimum:
        raise ValueError(f"{field} {text!r} is not a whole number of at least {minimum}")
    return int(text)


def read_ticks_csv(path: str | Path) -> Iterator[Tick]:
    """Every tick of a tick CSV file, streamed; raises TickCsvError at the first bad row."""
    with TickCsvReader(path) as reader:
        yield from reader


def write_ticks_csv(path: str | Path, ticks: Iterable[Tick]) -> int:
    """Write ticks in the tick CSV format (ts in integer ns); returns the number of rows written."""
    specs: dict[str, InstrumentSpec] = {}
    count = 0
    with Path(path).open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(TICK_CSV_COLUMNS)
        for tick in ticks:
            spec = specs.get(tick.contract_id)
            if spec is None:
                spec = specs[tick.contract_id] = parse_symbol(tick.contract_id, tick.ts_event, "contract_id").spec
            if type(tick) is Quote:
                bid, ask = spec.format_ticks(tick.bid), spec.format_ticks(tick.ask)
                row = (tick.ts_event, tick.contract_id, "quote", bid, ask, tick.bid_size, tick.ask_size, "", "", "")
                writer.writerow(row)
            else:
                assert type(tick) is Trade
                price = spec.format_ticks(tick.price)
                aggressor = _AGGRESSOR_TEXT[tick.aggressor]
                writer.writerow((tick.ts_event, tick.contract_id, "trade", "", "", "", "", price, tick.size, aggressor))
            count += 1
    return count


def _rfc3339(ts_ns: int) -> str:
    seconds, nanos = divmod(ts_ns, NS_PER_SECOND)
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"
