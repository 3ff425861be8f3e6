"""The import driver: file -> detected dialect -> chunks parsed off the event loop -> store, with progress.

Each chunk is parsed in a worker thread (pyarrow and numpy release the GIL for most of it), then its ticks
are de-duplicated and copied, and the checkpoint moved, in one transaction. A rerun of the same file with the
same options after a crash or a cancel resumes at the checkpoint; a rerun after it finished adds nothing (every
row is a duplicate).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
import numpy as np
import pyarrow as pa
import structlog

from core_server.candles.anomaly import AnomalyFilter, threshold_ticks_for
from core_server.imports.anomalies import flag_anomalies
from core_server.imports.chunk import BadRows, ParseSettings, Ticks, line_numbers, parse_rows, to_ticks
from core_server.imports.contracts import Instrument, resolve_instrument
from core_server.imports.dialect import Dialect, Pins, detect
from core_server.imports.numbers import ticks_per_point
from core_server.imports.source import BLOCK_BYTES, BatchStream, read_sample
from core_server.imports.timestamps import FoldState
from core_server.model.clock import Clock
from core_server.model.errors import InvalidArgument, NotFound
from core_server.storage.tick_import import ChunkResult, ImportRun, TickImportStore
from core_server.storage.ticks import FLAG_ANOMALY

log = structlog.get_logger(__name__)

DIGEST_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class ImportRequest:
    path: Path
    file_name: str = ""  # the name the instrument is read from (an upload's original name); default: path's
    symbol: str = ""
    tz: str = ""
    start_ns: int | None = None
    end_ns: int | None = None
    pins: Pins = field(default_factory=Pins)
    quote_price: str = "mid"
    block_bytes: int = BLOCK_BYTES

    def options(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol.strip().upper(),
            "tz": self.tz,
            "from": self.start_ns,
            "to": self.end_ns,
            "separator": self.pins.separator,
            "header": self.pins.header,
            "columns": list(self.pins.columns),
            "time_format": self.pins.time_format,
            "format": self.pins.preset,
            "quote_price": self.quote_price,
        }


@dataclass(frozen=True, slots=True)
class BadKind:
    kind: str
    count: int
    first_lines: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ImportProgress:
    import_id: int
    file_name: str
    instrument: str
    notes: tuple[str, ...]
    unsure: tuple[str, ...]
    resumed_from_line: int  # 0: a fresh run
    lines_read: int
    ticks_stored: int
    duplicates: int
    anomalies: int
    bad_total: int
    bad: tuple[BadKind, ...]
    contracts: tuple[str, ...]
    first_ts_ns: int
    last_ts_ns: int
    bytes_read: int
    bytes_total: int
    rows_per_s: float
    eta_s: float
    done: bool


@dataclass(slots=True)
class _State:
    """Everything the checkpoint keeps besides the line number."""

    lines_read: int = 0
    stored: int = 0
    duplicates: int = 0
    anomalies: int = 0
    first_ts: int = 0
    last_ts: int = 0
    contracts: list[str] = field(default_factory=list)
    bad: BadRows = field(default_factory=BadRows)
    good_prices: dict[str, int | None] = field(default_factory=dict)
    last_quotes: dict[str, list[int]] = field(default_factory=dict)
    carried: dict[str, list[list[int]]] = field(default_factory=dict)
    fold: FoldState = field(default_factory=FoldState)

    def to_json(self) -> dict[str, Any]:
        return {
            "lines_read": self.lines_read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "anomalies": self.anomalies,
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            "contracts": self.contracts,
            "bad": self.bad.to_json(),
            "good_prices": self.good_prices,
            "last_quotes": self.last_quotes,
            "carried": self.carried,
            "fold": [self.fold.latest, self.fold.went_back],
        }

    def counted(self, result: ChunkResult) -> dict[str, Any]:
        """Add a chunk's stored and duplicate counts (inside its transaction); the checkpoint's state."""
        self.stored += result.stored
        self.duplicates += result.duplicates
        return self.to_json()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _State:
        if not data:
            return cls()
        fold = data.get("fold") or [None, False]
        return cls(
            lines_read=data["lines_read"],
            stored=data["stored"],
            duplicates=data["duplicates"],
            anomalies=data["anomalies"],
            first_ts=data["first_ts"],
            last_ts=data["last_ts"],
            contracts=list(data["contracts"]),
            bad=BadRows.from_json(data["bad"]),
            good_prices=dict(data["good_prices"]),
            last_quotes={k: list(v) for k, v in data["last_quotes"].items()},
            carried={k: list(v) for k, v in data["carried"].items()},
            fold=FoldState(fold[0], bool(fold[1])),
        )


def source_key(path: Path, options: dict[str, Any]) -> str:
    """The file's identity for resuming: its size, the digests of its first and last MiB, and the options."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as raw:
        digest.update(raw.read(DIGEST_BYTES))
        if size > DIGEST_BYTES:
            raw.seek(max(DIGEST_BYTES, size - DIGEST_BYTES))
            digest.update(raw.read(DIGEST_BYTES))
    digest.update(json.dumps(options, sort_keys=True).encode())
    return digest.hexdigest()


def check_file(path: Path) -> None:
    if not path.exists():
        raise NotFound("path", f"no file at {str(path)[:200]!r}")
    if not path.is_file():
        raise InvalidArgument("path", f"{str(path)[:200]!r} is not a regular file")
    if not os.access(path, os.R_OK):
        raise InvalidArgument("path", f"{str(path)[:200]!r} is not readable by the server")


def check_tz(tz: str) -> None:
    if not tz:
        return
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument("tz", f"unknown time zone {tz[:80]!r}; use an IANA name like America/New_York") from None


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A parsed chunk waiting for its transaction, with the checkpoint state as of its last line."""

    groups: list[tuple[str, Ticks]]
    lines_done: int
    state: dict[str, Any]

    def counted(self, state: _State) -> Callable[[ChunkResult], dict[str, Any]]:
        def checkpoint(result: ChunkResult) -> dict[str, Any]:
            state.stored += result.stored
            state.duplicates += result.duplicates
            return {**self.state, "stored": state.stored, "duplicates": state.duplicates}

        return checkpoint


class _Chunker:
    """The CPU part of one chunk (runs in a worker thread): rows -> per-contract ticks, flagged and carried."""

    def __init__(self, dialect: Dialect, instrument: Instrument, request: ImportRequest, state: _State) -> None:
        self.dialect = dialect
        self.instrument = instrument
        self.request = request
        self.state = state
        self.settings = ParseSettings(
            ticks_per_point(instrument.spec.tick_size), request.tz, request.start_ns, request.end_ns
        )
        self.filters: dict[str, AnomalyFilter[int]] = {}

    def _filter(self, contract_id: str) -> AnomalyFilter[int]:
        live = self.filters.get(contract_id)
        if live is None:
            live = self.filters[contract_id] = AnomalyFilter(threshold_ticks_for(self.instrument.spec))
            live.restore(self.state.good_prices.get(contract_id))
        return live

    def chunk(self, batch: pa.RecordBatch, lines: np.ndarray) -> list[tuple[str, Ticks]]:
        state = self.state
        rows = parse_rows(batch, lines, self.dialect, self.settings, state.fold, state.bad)
        state.lines_read += batch.num_rows
        ids, index = self.instrument.assign(rows.ts)
        groups: list[tuple[str, Ticks]] = []
        for position, contract_id in enumerate(ids):
            mine = rows.take(index == position) if len(ids) > 1 else rows
            if not len(mine) and contract_id not in state.carried:
                continue
            groups.append((contract_id, self._ticks(contract_id, mine)))
        return groups

    def _ticks(self, contract_id: str, rows: Any) -> Ticks:
        state = self.state
        last_quote = state.last_quotes.get(contract_id)
        ticks = to_ticks(
            rows, self.dialect.has_quotes, self.dialect.has_trades, tuple(last_quote) if last_quote else None
        )
        if len(rows) and self.dialect.has_quotes:
            state.last_quotes[contract_id] = [
                int(rows.bid[-1]),
                int(rows.ask[-1]),
                int(rows.bid_size[-1]),
                int(rows.ask_size[-1]),
            ]
        carried = state.carried.pop(contract_id, None)
        if carried:
            ticks = Ticks.concat([Ticks.from_json(carried), ticks])
        live = self._filter(contract_id)
        rejected, held = flag_anomalies(ticks.prices(self.request.quote_price), live)
        ticks.flags[rejected] = FLAG_ANOMALY
        state.anomalies += int(rejected.sum())
        if held:
            live.drop_held()
            state.carried[contract_id] = ticks.take(slice(len(ticks) - held, None)).to_json()
            ticks = ticks.take(slice(0, len(ticks) - held))
        state.good_prices[contract_id] = live.last_good_price
        if len(ticks):
            if contract_id not in state.contracts:
                state.contracts.append(contract_id)
            low, high = int(ticks.ts.min()), int(ticks.ts.max())
            state.first_ts = low if not state.first_ts else min(state.first_ts, low)
            state.last_ts = max(state.last_ts, high)
        return ticks

    def flush_carried(self) -> list[tuple[str, Ticks]]:
        """At the end of the file: ticks still held (an unconfirmed jump) are stored flagged as anomalies."""
        groups = []
        for contract_id, rows in self.state.carried.items():
            ticks = Ticks.from_json(rows)
            ticks.flags[:] = FLAG_ANOMALY
            self.state.anomalies += len(ticks)
            groups.append((contract_id, ticks))
        self.state.carried = {}
        return groups


async def run_import(pool: asyncpg.Pool, request: ImportRequest, clock: Clock) -> AsyncIterator[ImportProgress]:
    """Import one file, yielding progress after detection and after every chunk; the last one has done=True."""
    path = request.path
    check_file(path)
    check_tz(request.tz)
    if request.start_ns is not None and request.end_ns is not None and request.start_ns >= request.end_ns:
        raise InvalidArgument("to", "the end of the range must be after its start")
    file_name = request.file_name or path.name
    instrument = resolve_instrument(request.symbol, file_name, clock.now_ns())
    sample = await asyncio.to_thread(read_sample, path)
    dialect = detect(sample, request.pins)
    notes = [f"instrument: {instrument.label} (from {instrument.source})", *dialect.notes]
    unsure = list(dialect.unsure)
    if dialect.zoned:
        notes.append("time zone: taken from the timestamps (UTC offsets or epoch)")
    elif request.tz:
        notes.append(f"time zone: {request.tz} (--tz)")
    else:
        unsure.append("time zone: the timestamps carry none, read as UTC; pin with --tz (e.g. America/New_York)")
    options = request.options()
    key = await asyncio.to_thread(source_key, path, options)
    async with pool.acquire() as conn:
        store = TickImportStore(conn)
        try:
            run = await store.begin(key, file_name, options)
            async for progress in _run(
                store, run, request, dialect, instrument, file_name, tuple(notes), tuple(unsure)
            ):
                yield progress
        finally:
            await store.release()


async def _run(
    store: TickImportStore,
    run: ImportRun,
    request: ImportRequest,
    dialect: Dialect,
    instrument: Instrument,
    file_name: str,
    notes: tuple[str, ...],
    unsure: tuple[str, ...],
) -> AsyncIterator[ImportProgress]:
    state = _State.from_json(run.state)
    chunker = _Chunker(dialect, instrument, request, state)
    lines_done = run.lines_done if run.resumed else int(dialect.header)
    stream = await asyncio.to_thread(
        BatchStream, request.path, separator=dialect.separator, column_count=dialect.column_count,
        skip_lines=lines_done, block_bytes=request.block_bytes,
    )  # fmt: skip
    started = time.monotonic()
    start_position = 0
    pending: asyncio.Future[_Prepared | None] | None = None
    lines_at_start = state.lines_read
    resumed_from = lines_done + 1 if run.resumed else 0
    log.info("import.started", import_id=run.import_id, file=file_name, resumed_from_line=resumed_from)

    def progress(done: bool) -> ImportProgress:
        elapsed = max(time.monotonic() - started, 1e-9)
        position = stream.position
        rate = (state.lines_read - lines_at_start) / elapsed
        moved = position - start_position
        eta = 0.0 if done or moved <= 0 else elapsed * (stream.size - position) / moved
        return ImportProgress(
            import_id=run.import_id, file_name=file_name, instrument=instrument.label, notes=notes, unsure=unsure,
            resumed_from_line=resumed_from, lines_read=state.lines_read, ticks_stored=state.stored,
            duplicates=state.duplicates, anomalies=state.anomalies, bad_total=state.bad.total,
            bad=tuple(BadKind(k, c, tuple(state.bad.first_lines.get(k, ()))) for k, c in state.bad.counts.items()),
            contracts=tuple(state.contracts), first_ts_ns=state.first_ts, last_ts_ns=state.last_ts,
            bytes_read=stream.size if done else position, bytes_total=stream.size, rows_per_s=rate, eta_s=eta,
            done=done,
        )  # fmt: skip

    try:
        start_position = stream.position
        yield progress(False)
        at_line = lines_done

        async def prepare() -> _Prepared | None:
            """Read and parse the next chunk (in a worker thread); None at the end of the file."""
            nonlocal at_line
            batch = await asyncio.to_thread(stream.next_batch)
            if batch is None:
                return None
            invalid = stream.invalid.lines
            lines, used = line_numbers(at_line + 1, batch.num_rows, invalid)
            for number in used:
                invalid.remove(number)
            state.bad.add("fields", used)
            state.lines_read += len(used)
            groups = await asyncio.to_thread(chunker.chunk, batch, lines)
            at_line = max(int(lines[-1]) if len(lines) else at_line, max(used, default=at_line))
            return _Prepared(groups, at_line, state.to_json())

        # The next chunk is parsed while this one is stored: the parse runs in a thread, PostgreSQL in its own
        # process. Each checkpoint holds the state as it was right after its own chunk was parsed.
        pending = asyncio.ensure_future(prepare())
        while True:
            prepared = await pending
            if prepared is None:
                break
            pending = asyncio.ensure_future(prepare())
            await store.store_chunk(run, prepared.groups, prepared.lines_done, prepared.counted(state))
            yield progress(False)
        invalid = stream.invalid.lines
        tail = [n for n in sorted(invalid) if n > at_line]
        state.bad.add("fields", tail)
        state.lines_read += len(tail)
        invalid.clear()
        groups = chunker.flush_carried()
        await store.store_chunk(run, groups, max(tail, default=at_line), state.counted)
        await store.finish(run, "done", state.to_json())
        log.info("import.done", import_id=run.import_id, stored=state.stored, duplicates=state.duplicates,
                 bad=state.bad.total)  # fmt: skip
        yield progress(True)
    except InvalidArgument as exc:
        await store.finish(run, "failed", state.to_json(), str(exc))
        raise
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending  # the worker thread finishes its chunk before the file closes
        stream.close()
