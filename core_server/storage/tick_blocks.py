"""Columnar tick blocks (table tick_blocks, migration 0070): the store of imported ticks.

A block is one contract's ticks, at most BLOCK_TICKS of them, all inside one UTC clock hour, sorted by event time
with ties in file order. Its columns are packed into one bytea as raw little-endian arrays, one after the other:

    ts int64[n] | bid int64[n] | ask int64[n] | price int64[n] | bid_size int32[n] | ask_size int32[n] |
    size int32[n] | kind int8[n] | aggressor int8[n] | flags int16[n]

48 bytes a tick, decoded with np.frombuffer (no Python per tick). The timestamps come first so that coverage can
fetch them alone (substring of an uncompressed out-of-line value reads only the pages it needs). zstd was
measured against none (BENCHMARKS.md): it saves disk and costs CPU, and CPU is what the targets are short of.

Order among everything stored: (ts, seq, position in block), where `seq` is drawn from the row table's id
sequence, so rows and blocks of the same instant replay in the order they were stored (a row's key is (ts, id)).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import numpy as np
import numpy.typing as npt

from core_server.imports.chunk import KIND_QUOTE, KIND_TRADE, Ticks

I64 = npt.NDArray[np.int64]
BLOCK_TICKS = 65_536
HOUR_NS = 3_600_000_000_000
FLAG_ANOMALY = 1
# (name, little-endian dtype) in the order they are packed
LAYOUT: tuple[tuple[str, str], ...] = (
    ("ts", "<i8"),
    ("bid", "<i8"),
    ("ask", "<i8"),
    ("price", "<i8"),
    ("bid_size", "<i4"),
    ("ask_size", "<i4"),
    ("size", "<i4"),
    ("kind", "<i1"),
    ("aggressor", "<i1"),
    ("flags", "<i2"),
)
TICK_BYTES = sum(np.dtype(d).itemsize for _, d in LAYOUT)
BLOCK_COLUMNS = (
    "contract_id", "first_ts_ns", "seq", "last_ts_ns", "tick_count", "quotes", "trades", "anomalies", "max_gap_ns",
    "data",
)  # fmt: skip

# Blocks of some contracts that may hold ticks in [$2, $3): a block spans less than an hour, so those that start
# more than an hour before $2 cannot reach it (the bound lets the primary key's range scan stop early).
_METAS = """
SELECT contract_id, first_ts_ns, seq, last_ts_ns, tick_count
FROM tick_blocks
WHERE contract_id = ANY($1::text[]) AND first_ts_ns < $3 AND first_ts_ns > $2 - 3600000000000 AND last_ts_ns >= $2
ORDER BY first_ts_ns, seq
"""
_DATA = "SELECT seq, data FROM tick_blocks WHERE seq = ANY($1::bigint[])"
_TIMESTAMPS = "SELECT seq, substring(data FROM 1 FOR 8 * tick_count) FROM tick_blocks WHERE seq = ANY($1::bigint[])"
_NEXT_SEQS = "SELECT nextval('ticks_id_seq') FROM generate_series(1, $1)"


@dataclass(frozen=True, slots=True)
class BlockMeta:
    contract_id: str
    first_ts: int
    seq: int
    last_ts: int
    count: int


@dataclass(frozen=True, slots=True)
class Block:
    """A decoded block: read-only views into its bytes (sizes, kind, aggressor, flags keep their stored width)."""

    seq: int
    ts: I64
    bid: I64
    ask: I64
    price: I64
    bid_size: npt.NDArray[np.int32]
    ask_size: npt.NDArray[np.int32]
    size: npt.NDArray[np.int32]
    kind: npt.NDArray[np.int8]
    aggressor: npt.NDArray[np.int8]
    flags: npt.NDArray[np.int16]

    def __len__(self) -> int:
        return len(self.ts)


def encode(ticks: Ticks) -> bytes:
    """The packed columns of `ticks` (already in block order)."""
    return b"".join(np.ascontiguousarray(getattr(ticks, name), dtype=dtype).tobytes() for name, dtype in LAYOUT)


def decode(seq: int, data: bytes) -> Block:
    n, rest = divmod(len(data), TICK_BYTES)
    if rest:
        raise ValueError(f"tick block {seq}: {len(data)} bytes is not a whole number of ticks")
    columns = []
    offset = 0
    for _, dtype in LAYOUT:
        column = np.frombuffer(data, dtype=dtype, count=n, offset=offset)
        columns.append(column)
        offset += column.nbytes
    return Block(seq, *columns)


def split(ts: I64) -> list[tuple[int, int]]:
    """[start, end) slices of time-sorted `ts` into blocks: at every UTC hour and every BLOCK_TICKS ticks."""
    if not len(ts):
        return []
    hours = ts // HOUR_NS
    cuts = [0, *(np.flatnonzero(hours[1:] != hours[:-1]) + 1).tolist(), len(ts)]
    out: list[tuple[int, int]] = []
    for start, end in itertools.pairwise(cuts):
        out.extend((s, min(s + BLOCK_TICKS, end)) for s in range(start, end, BLOCK_TICKS))
    return out


async def block_records(conn: asyncpg.Connection, contract_id: str, ticks: Ticks) -> list[tuple[object, ...]]:
    """tick_blocks records (BLOCK_COLUMNS) for `ticks` of one contract, sorted by time here (stable: ties keep
    their order); each block takes the next value of ticks_id_seq as its seq."""
    if not len(ticks):
        return []
    if len(ticks) > 1 and bool((ticks.ts[1:] < ticks.ts[:-1]).any()):
        ticks = ticks.take(np.argsort(ticks.ts, kind="stable"))
    slices = split(ticks.ts)
    seqs = [int(r[0]) for r in await conn.fetch(_NEXT_SEQS, len(slices))]
    records: list[tuple[object, ...]] = []
    for seq, (start, end) in zip(seqs, slices, strict=True):
        part = ticks.take(slice(start, end))
        ts = part.ts
        gap = int(np.diff(ts).max()) if len(ts) > 1 else 0
        records.append((
            contract_id, int(ts[0]), seq, int(ts[-1]), len(ts), int((part.kind == KIND_QUOTE).sum()),
            int((part.kind == KIND_TRADE).sum()), int(((part.flags & FLAG_ANOMALY) != 0).sum()), gap, encode(part),
        ))  # fmt: skip
    return records


async def block_metas(
    conn: asyncpg.Connection, contract_ids: Sequence[str], start_ns: int, end_ns: int
) -> list[BlockMeta]:
    """The blocks that may hold ticks of `contract_ids` in [start_ns, end_ns), by (first_ts, seq)."""
    rows = await conn.fetch(_METAS, list(contract_ids), start_ns, end_ns)
    return [BlockMeta(r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def load_blocks(conn: asyncpg.Connection, seqs: Sequence[int]) -> dict[int, Block]:
    if not seqs:
        return {}
    return {r[0]: decode(r[0], r[1]) for r in await conn.fetch(_DATA, list(seqs))}


async def load_timestamps(conn: asyncpg.Connection, seqs: Sequence[int]) -> dict[int, I64]:
    """The timestamps alone of some blocks (the first column: only its bytes are read)."""
    if not seqs:
        return {}
    rows = await conn.fetch(_TIMESTAMPS, list(seqs))
    return {r[0]: np.frombuffer(r[1], dtype="<i8").astype(np.int64) for r in rows}


async def count_in_range(conn: asyncpg.Connection, contract_ids: Sequence[str], start_ns: int, end_ns: int) -> int:
    """Ticks of the blocks in [start_ns, end_ns): whole blocks by their count, the edge ones by their times."""
    metas = await block_metas(conn, contract_ids, start_ns, end_ns)
    edges = [m.seq for m in metas if m.first_ts < start_ns or m.last_ts >= end_ns]
    edge_set = set(edges)
    total = sum(m.count for m in metas if m.seq not in edge_set)
    for ts in (await load_timestamps(conn, edges)).values():
        total += int(np.searchsorted(ts, end_ns) - np.searchsorted(ts, start_ns))
    return total
