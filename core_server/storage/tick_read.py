"""The read path of stored ticks: contracts and a time range, in event-time order, as numpy columns.

Two sources are merged: the live row table `ticks` and the columnar blocks of imported ticks (tick_blocks).
Order: event time, then the order of storing (a row's id, a block's seq: both from ticks_id_seq), then the
position inside the block (file order). Both are read on one connection in one repeatable-read snapshot.

Rows: binary `COPY (SELECT ...) TO STDOUT` (asyncpg's copy_from_query) with every field a non-NULL bigint gives
fixed-width rows that numpy reads in place. Blocks: np.frombuffer on their bytes. No Python object per tick
either way; nothing is cached beside the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import asyncpg
import numpy as np
import numpy.typing as npt

from core_server.imports.chunk import KIND_QUOTE
from core_server.model.column_ticks import ColumnTicks
from core_server.model.market_data import Tick
from core_server.storage.failures import unavailable_on_connection_failure
from core_server.storage.tick_blocks import Block, BlockMeta, block_metas, load_blocks

I64 = npt.NDArray[np.int64]
FIELDS = ("contract", "ts", "kind", "bid", "ask", "bid_size", "ask_size", "price", "size", "aggressor", "flags")
_ROW_FIELDS = (*FIELDS, "ts_init", "id")
_HEADER_BYTES = 19
_ROW = np.dtype([("count", ">i2")] + [item for name in _ROW_FIELDS for item in ((f"l_{name}", ">i4"), (name, ">i8"))])
_QUERY = """
    SELECT array_position({ids}::text[], contract_id)::bigint - 1, ts_event_ns, kind::bigint, coalesce(bid, 0),
           coalesce(ask, 0), coalesce(bid_size, 0)::bigint, coalesce(ask_size, 0)::bigint, coalesce(price, 0),
           coalesce(size, 0)::bigint, coalesce(aggressor, 0)::bigint, flags::bigint, ts_init_ns, id
    FROM ticks
    WHERE contract_id = ANY({ids}::text[]) AND ts_event_ns >= {start} AND ts_event_ns < {end}
    ORDER BY ts_event_ns, id
"""
_CONTRACT_ID = re.compile(r"^[A-Z0-9]{1,40}$")


def _query(ids: tuple[str, ...], start_ns: int, end_ns: int) -> str:
    """COPY takes no parameters: the values are checked (canonical contract ids, integers) and inlined."""
    for contract_id in ids:
        if not _CONTRACT_ID.match(contract_id):
            raise ValueError(f"not a contract id: {contract_id!r}")
    array = "ARRAY[" + ",".join(f"'{c}'" for c in ids) + "]"
    return _QUERY.format(ids=array, start=int(start_ns), end=int(end_ns))


@dataclass(frozen=True, slots=True)
class TickColumns:
    """A batch of ticks in event-time order. `contract` indexes `contract_ids` (from 0); quote fields are 0
    on trades and trade fields 0 on quotes; `flags` bit 1 marks a tick the anomaly filter rejected. `ts_init`:
    when the tick was received (imported ticks: their event time); None means the same as `ts`."""

    contract_ids: tuple[str, ...]
    contract: I64
    ts: I64
    kind: I64
    bid: I64
    ask: I64
    bid_size: I64
    ask_size: I64
    price: I64
    size: I64
    aggressor: I64
    flags: I64
    ts_init: I64 | None = field(default=None)

    def __len__(self) -> int:
        return len(self.ts)

    def batch(self) -> ColumnTicks:
        """The batch as a Sequence[Tick] over these columns (no tick built until one is read)."""
        return ColumnTicks(
            self.contract_ids, self.contract, self.ts, self.kind != KIND_QUOTE, self.bid, self.ask, self.bid_size,
            self.ask_size, self.price, self.size, self.aggressor, self.ts_init,
        )  # fmt: skip

    def ticks(self) -> list[Tick]:
        """The batch as Quote/Trade values, for drivers that take ticks one by one."""
        return self.batch().tolist()


_KEYED = (*FIELDS, "ts_init", "seq", "pos")
_BLOCK_FIELDS = ("ts", "kind", "bid", "ask", "bid_size", "ask_size", "price", "size", "aggressor", "flags")
_ROWS_EXIST = """
SELECT EXISTS (SELECT 1 FROM ticks WHERE contract_id = ANY($1::text[]) AND ts_event_ns >= $2 AND ts_event_ns < $3)
"""
Keyed = dict[str, I64]  # the columns of _KEYED: a tick's order key is (ts, seq, pos)


@dataclass(frozen=True, slots=True)
class _Piece:
    """Ticks [start, end) of one decoded block."""

    block: Block
    contract: int
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start

    def cut(self, ts_ns: int) -> tuple[_Piece, _Piece]:
        """The ticks before `ts_ns` and the rest."""
        at = self.start + int(np.searchsorted(self.block.ts[self.start : self.end], ts_ns))
        return _Piece(self.block, self.contract, self.start, at), _Piece(self.block, self.contract, at, self.end)


def _in_order(pieces: Sequence[_Piece]) -> bool:
    """Whether the pieces, each sorted, are in (ts, seq, pos) order as they stand."""
    for before, after in itertools.pairwise(pieces):
        last, first = int(before.block.ts[before.end - 1]), int(after.block.ts[after.start])
        if last < first:
            continue
        if last > first:
            return False
        if before.block.seq > after.block.seq or (before.block is after.block and before.end > after.start):
            return False
    return True


def _gather(pieces: Sequence[_Piece], keys: bool) -> Keyed:
    """The pieces as one set of int64 columns (with seq and pos when `keys`), sorted by (ts, seq, pos)."""
    lengths = [len(p) for p in pieces]
    out: Keyed = {
        name: np.concatenate([getattr(p.block, name)[p.start : p.end] for p in pieces], dtype=np.int64)
        for name in _BLOCK_FIELDS
    }
    out["contract"] = np.repeat(np.array([p.contract for p in pieces], dtype=np.int64), lengths)
    ordered = _in_order(pieces)
    if keys or not ordered:
        out["seq"] = np.repeat(np.array([p.block.seq for p in pieces], dtype=np.int64), lengths)
        out["pos"] = np.concatenate([np.arange(p.start, p.end, dtype=np.int64) for p in pieces])
    if not ordered:
        order = np.lexsort((out["pos"], out["seq"], out["ts"]))
        out = {name: column[order] for name, column in out.items()}
    return out


def _as_columns(ids: tuple[str, ...], keyed: Keyed) -> TickColumns:
    k = keyed
    return TickColumns(
        ids, k["contract"], k["ts"], k["kind"], k["bid"], k["ask"], k["bid_size"], k["ask_size"], k["price"],
        k["size"], k["aggressor"], k["flags"], k.get("ts_init"),
    )  # fmt: skip


def _row_keyed(rows: npt.NDArray[np.void]) -> Keyed:
    keyed = {name: rows[name].astype(np.int64) for name in _ROW_FIELDS}
    keyed["seq"] = keyed.pop("id")
    keyed["pos"] = np.zeros(len(rows), dtype=np.int64)
    return keyed


def _merge(a: Keyed, b: Keyed) -> Keyed:
    if not len(a["ts"]):
        return b
    both = {name: np.concatenate([a[name], b[name]]) for name in _KEYED}
    order = np.lexsort((both["pos"], both["seq"], both["ts"]))
    return {name: column[order] for name, column in both.items()}


def _prefix(keyed: Keyed, start: int, ts_ns: int, seq: int) -> int:
    """The end of the run of ticks from `start` on whose key is below (ts_ns, seq) (a row's key: no tie)."""
    ts = keyed["ts"]
    low = start + int(np.searchsorted(ts[start:], ts_ns, side="left"))
    high = start + int(np.searchsorted(ts[start:], ts_ns, side="right"))
    return low + int(np.searchsorted(keyed["seq"][low:high], seq))


def _slice(keyed: Keyed, start: int, end: int) -> Keyed:
    return {name: column[start:end] for name, column in keyed.items()}


def _windows(
    metas: Sequence[BlockMeta], start_ns: int, end_ns: int, batch_rows: int
) -> list[tuple[int, int, list[BlockMeta]]]:
    """[lo, hi) windows tiling [start_ns, end_ns), each with the blocks that start in it (the first: that start
    before hi), about `batch_rows` block ticks each."""
    out: list[tuple[int, int, list[BlockMeta]]] = []
    group: list[BlockMeta] = []
    count, lo = 0, start_ns
    for at, meta in enumerate(metas):
        group.append(meta)
        count += meta.count
        following = metas[at + 1] if at + 1 < len(metas) else None
        if following is not None and count >= batch_rows and following.first_ts > lo:
            out.append((lo, following.first_ts, group))
            group, count, lo = [], 0, following.first_ts
    out.append((lo, end_ns, group))
    return out


async def _copy_rows(conn: asyncpg.Connection, query: str, batch_rows: int) -> AsyncIterator[npt.NDArray[np.void]]:
    """The rows of a binary COPY query, parsed in place, in batches of about `batch_rows`."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)

    async def produce() -> None:
        try:
            await conn.copy_from_query(query, output=queue.put, format="binary")
        finally:
            await queue.put(None)

    producer = asyncio.create_task(produce())
    pieces: list[bytes] = []  # joined once per batch: one copy of the bytes, read in place by numpy
    pending = 0
    header_left = _HEADER_BYTES
    width = _ROW.itemsize
    try:
        while True:
            piece = await queue.get()
            if piece is None:
                break
            if header_left:
                skipped = min(header_left, len(piece))
                piece = piece[skipped:]
                header_left -= skipped
            pieces.append(piece)
            pending += len(piece)
            if pending >= batch_rows * width:
                data = b"".join(pieces)
                rows = len(data) // width
                yield np.frombuffer(data, dtype=_ROW, count=rows)
                rest = data[rows * width :]
                pieces, pending = [rest], len(rest)
        await producer
        data = b"".join(pieces)
        rows = len(data) // width  # what is left beyond is the 2-byte trailer
        if rows:
            yield np.frombuffer(data, dtype=_ROW, count=rows)
    finally:
        if not producer.done():
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await producer


async def stream_tick_columns(
    pool: asyncpg.Pool,
    contract_ids: Sequence[str],
    start_ns: int,
    end_ns: int,
    batch_rows: int = 262_144,
) -> AsyncIterator[TickColumns]:
    """Ticks of `contract_ids` with ts_event_ns in [start_ns, end_ns), rows and blocks merged in (time, order of
    storing, position in block) order, in batches of about `batch_rows`. Anomaly-flagged ticks included. One
    repeatable-read snapshot on one connection, held until the iteration ends (close it with
    contextlib.aclosing when stopping early)."""
    ids = tuple(contract_ids)
    if not ids or start_ns >= end_ns:
        return
    _query(ids, start_ns, end_ns)  # checks the ids before anything is read
    with unavailable_on_connection_failure():
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            async for columns in _merged(conn, ids, start_ns, end_ns, batch_rows):
                yield columns


async def _merged(
    conn: asyncpg.Connection, ids: tuple[str, ...], start_ns: int, end_ns: int, batch_rows: int
) -> AsyncIterator[TickColumns]:
    metas = await block_metas(conn, ids, start_ns, end_ns)
    if not metas:
        async for rows in _copy_rows(conn, _query(ids, start_ns, end_ns), batch_rows):
            yield _as_columns(ids, _row_keyed(rows))
        return
    index = {contract_id: at for at, contract_id in enumerate(ids)}
    carry: list[_Piece] = []
    for lo, hi, group in _windows(metas, start_ns, end_ns, batch_rows):
        blocks = await load_blocks(conn, [m.seq for m in group])
        pieces: list[_Piece] = []
        fresh = []
        for meta in group:
            block = blocks[meta.seq]
            first = int(np.searchsorted(block.ts, start_ns)) if meta.first_ts < start_ns else 0
            last = int(np.searchsorted(block.ts, end_ns)) if meta.last_ts >= end_ns else len(block)
            fresh.append(_Piece(block, index[meta.contract_id], first, last))
        later: list[_Piece] = []
        for piece in (*carry, *fresh):
            now, rest = piece.cut(hi)
            if len(now):
                pieces.append(now)
            if len(rest):
                later.append(rest)
        carry = later
        if not await conn.fetchval(_ROWS_EXIST, list(ids), lo, hi):
            if pieces:
                yield _as_columns(ids, _gather(pieces, keys=False))
            continue
        stored = _gather(pieces, keys=True) if pieces else {n: np.empty(0, dtype=np.int64) for n in _KEYED}
        stored["ts_init"] = stored["ts"]
        at = 0
        async for rows in _copy_rows(conn, _query(ids, lo, hi), batch_rows):
            keyed = _row_keyed(rows)
            upto = _prefix(stored, at, int(keyed["ts"][-1]), int(keyed["seq"][-1]))
            yield _as_columns(ids, _merge(_slice(stored, at, upto), keyed))
            at = upto
        if at < len(stored["ts"]):
            yield _as_columns(ids, _slice(stored, at, len(stored["ts"])))
