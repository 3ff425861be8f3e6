"""One batch of text rows to valid rows (time, prices, sizes) and counted bad rows, then to tick columns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from core_server.imports.dialect import Dialect
from core_server.imports.numbers import Numbers, parse_prices, parse_sizes
from core_server.imports.text import I64, as_string_array, offsets_and_data
from core_server.imports.timestamps import BoolArray, FoldState, join_date_time, localize, parse_times

KIND_QUOTE = 1
KIND_TRADE = 2
AGGRESSOR_NONE, AGGRESSOR_BUY, AGGRESSOR_SELL = 0, 1, 2
FIRST_LINES_KEPT = 5

# Bad-row kinds, in the order a row is checked (a row counts once, under its first fault).
BAD_KINDS = (
    "fields",  # not the file's number of fields
    "empty",  # a blank line
    "unparseable",  # a time, price or size that is not one
    "nonexistent_time",  # a local time in the spring-forward gap of --tz
    "off_grid",  # a price off the instrument's tick grid (or not positive)
    "negative_size",
    "out_of_range",  # a time outside --from/--to
)


@dataclass(slots=True)
class BadRows:
    counts: dict[str, int] = field(default_factory=dict)
    first_lines: dict[str, list[int]] = field(default_factory=dict)

    def add(self, kind: str, lines: I64 | list[int]) -> None:
        count = len(lines)
        if not count:
            return
        self.counts[kind] = self.counts.get(kind, 0) + count
        kept = self.first_lines.setdefault(kind, [])
        if len(kept) < FIRST_LINES_KEPT:
            kept.extend(int(x) for x in lines[: FIRST_LINES_KEPT - len(kept)])

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, list[object]]:
        return {kind: [count, self.first_lines.get(kind, [])] for kind, count in self.counts.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BadRows:
        bad = cls()
        for kind, (count, lines) in data.items():
            bad.counts[kind] = int(count)
            bad.first_lines[kind] = [int(x) for x in lines]
        return bad


@dataclass(frozen=True, slots=True)
class ParseSettings:
    per_point: int  # ticks per point of the instrument
    tz: str  # IANA zone for timestamps without an offset; "" = UTC
    start_ns: int | None
    end_ns: int | None


@dataclass(slots=True)
class Rows:
    """The valid rows of a batch, in file order. Absent columns are zeros."""

    line: I64
    ts: I64
    bid: I64
    ask: I64
    bid_size: I64
    ask_size: I64
    last: I64
    volume: I64

    def __len__(self) -> int:
        return len(self.line)

    def take(self, index: I64 | BoolArray) -> Rows:
        return Rows(*(getattr(self, name)[index] for name in Rows.__slots__))


def line_numbers(first_line: int, count: int, invalid: list[int]) -> tuple[I64, list[int]]:
    """Line numbers of `count` rows read from `first_line` on, around the `invalid` lines pyarrow skipped;
    and which of those invalid lines fell among them."""
    lines = np.arange(first_line, first_line + count, dtype=np.int64)
    used: list[int] = []
    for number in sorted(n for n in invalid if n >= first_line):
        if count and number <= lines[-1]:
            lines[lines >= number] += 1
            used.append(number)
        elif not count and not used:
            used.append(number)
        else:
            break
    return lines, used


def parse_rows(
    batch: pa.RecordBatch, lines: I64, dialect: Dialect, settings: ParseSettings, fold: FoldState, bad: BadRows
) -> Rows:
    n = batch.num_rows
    roles = dialect.roles
    column = batch.column
    bad_mask = np.zeros(n, dtype=np.bool_)

    def mark(kind: str, mask: BoolArray) -> None:
        new = mask & ~bad_mask
        if new.any():
            bad.add(kind, lines[new])
            bad_mask[new] = True

    # blank lines arrive as rows of empty text
    lengths = np.zeros(n, dtype=np.int64)
    for i in range(batch.num_columns):
        lengths += np.diff(offsets_and_data(as_string_array(column(i)))[0])
    mark("empty", lengths == 0)

    if "date" in roles and "clock" in roles:
        times = parse_times(join_date_time(column(roles["date"]), column(roles["clock"])), dialect.time_format)
    else:
        times = parse_times(column(roles["time"]), dialect.time_format)
    unparseable = ~times.ok
    ts = times.ns
    price_cols: dict[str, Numbers] = {
        role: parse_prices(column(roles[role]), settings.per_point) for role in ("bid", "ask", "last") if role in roles
    }
    size_cols: dict[str, Numbers] = {
        role: parse_sizes(column(roles[role])) for role in ("volume", "bid_size", "ask_size") if role in roles
    }
    for parsed in (*price_cols.values(), *size_cols.values()):
        unparseable |= ~parsed.ok
    mark("unparseable", unparseable)
    if settings.tz:
        local = ~times.zoned & ~bad_mask
        if local.any():
            utc, exists = localize(ts[local], settings.tz, fold)
            ts = ts.copy()
            ts[local] = utc
            missing = np.zeros(n, dtype=np.bool_)
            missing[np.flatnonzero(local)[~exists]] = True
            mark("nonexistent_time", missing)
    off_grid = np.zeros(n, dtype=np.bool_)
    for parsed in price_cols.values():
        off_grid |= parsed.flagged
    mark("off_grid", off_grid)
    negative = np.zeros(n, dtype=np.bool_)
    for parsed in size_cols.values():
        negative |= parsed.flagged
    mark("negative_size", negative)
    outside = np.zeros(n, dtype=np.bool_)
    if settings.start_ns is not None:
        outside |= ts < settings.start_ns
    if settings.end_ns is not None:
        outside |= ts >= settings.end_ns
    mark("out_of_range", outside)

    keep = ~bad_mask
    zeros = np.zeros(int(keep.sum()), dtype=np.int64)

    def values(cols: Mapping[str, Numbers], role: str) -> I64:
        parsed = cols.get(role)
        return zeros if parsed is None else parsed.values[keep]

    return Rows(
        line=lines[keep],
        ts=ts[keep],
        bid=values(price_cols, "bid"),
        ask=values(price_cols, "ask"),
        bid_size=values(size_cols, "bid_size"),
        ask_size=values(size_cols, "ask_size"),
        last=values(price_cols, "last"),
        volume=values(size_cols, "volume"),
    )


@dataclass(slots=True)
class Ticks:
    """Tick columns of one contract in store order. `flags`: 1 = anomaly."""

    kind: I64
    ts: I64
    bid: I64
    ask: I64
    bid_size: I64
    ask_size: I64
    price: I64
    size: I64
    aggressor: I64
    flags: I64
    line: I64

    def __len__(self) -> int:
        return len(self.kind)

    def take(self, index: I64 | BoolArray | slice) -> Ticks:
        return Ticks(*(getattr(self, name)[index] for name in Ticks.__slots__))

    @classmethod
    def concat(cls, parts: list[Ticks]) -> Ticks:
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in Ticks.__slots__))

    def to_json(self) -> list[list[int]]:
        rows: list[list[int]] = np.stack([getattr(self, name) for name in Ticks.__slots__]).T.tolist()
        return rows

    @classmethod
    def from_json(cls, rows: list[list[int]]) -> Ticks:
        matrix = np.array(rows, dtype=np.int64).reshape(-1, len(Ticks.__slots__))
        return cls(*(matrix[:, i].copy() for i in range(matrix.shape[1])))

    def prices(self, quote_price: str) -> I64:
        """The price the anomaly filter sees: the trade's, or the quote's by VIGIL_QUOTE_PRICE (mid floors)."""
        if quote_price == "bid":
            quote = self.bid
        elif quote_price == "ask":
            quote = self.ask
        else:
            quote = (self.bid + self.ask) // 2
        return np.where(self.kind == KIND_TRADE, self.price, quote)


def to_ticks(rows: Rows, has_quotes: bool, has_trades: bool, last_quote: tuple[int, ...] | None) -> Ticks:
    """Ticks of one contract's rows. Rows with bid/ask and a trade give the quote (when it changed since the row
    before) and then the trade, at the row's time; quote-only rows give a quote each; trade-only rows a trade."""
    n = len(rows)
    if has_quotes and has_trades:
        quote = np.stack([rows.bid, rows.ask, rows.bid_size, rows.ask_size], axis=1)
        changed = np.ones(n, dtype=np.bool_)
        if n:
            changed[1:] = (quote[1:] != quote[:-1]).any(axis=1)
            if last_quote is not None:
                changed[0] = tuple(int(x) for x in quote[0]) != last_quote
        emit_quote = changed
    else:
        emit_quote = np.full(n, has_quotes, dtype=np.bool_)
    emit_trade = np.full(n, has_trades, dtype=np.bool_)
    per_row = emit_quote.astype(np.int64) + emit_trade
    end = np.cumsum(per_row)
    total = int(end[-1]) if n else 0
    quote_at = (end - per_row)[emit_quote]
    trade_at = (end - 1)[emit_trade]
    kind = np.zeros(total, dtype=np.int64)
    cols = {name: np.zeros(total, dtype=np.int64) for name in ("bid", "ask", "bid_size", "ask_size", "price", "size")}
    kind[quote_at] = KIND_QUOTE
    kind[trade_at] = KIND_TRADE
    ts = np.empty(total, dtype=np.int64)
    line = np.empty(total, dtype=np.int64)
    for at, mask in ((quote_at, emit_quote), (trade_at, emit_trade)):
        ts[at] = rows.ts[mask]
        line[at] = rows.line[mask]
    for name in ("bid", "ask", "bid_size", "ask_size"):
        cols[name][quote_at] = getattr(rows, name)[emit_quote]
    cols["price"][trade_at] = rows.last[emit_trade]
    cols["size"][trade_at] = rows.volume[emit_trade]
    aggressor = np.zeros(total, dtype=np.int64)
    if has_quotes and has_trades:
        last, bid, ask = rows.last[emit_trade], rows.bid[emit_trade], rows.ask[emit_trade]
        aggressor[trade_at] = np.where(
            last >= ask, AGGRESSOR_BUY, np.where(last <= bid, AGGRESSOR_SELL, AGGRESSOR_NONE)
        )
    return Ticks(
        kind=kind,
        ts=ts,
        bid=cols["bid"],
        ask=cols["ask"],
        bid_size=cols["bid_size"],
        ask_size=cols["ask_size"],
        price=cols["price"],
        size=cols["size"],
        aggressor=aggressor,
        flags=np.zeros(total, dtype=np.int64),
        line=line,
    )
