"""The backtest's read path: ticks of contracts and a time range, in event-time order, as numpy columns.

Binary `COPY (SELECT ...) TO STDOUT` (asyncpg's copy_from_query) with every field a non-NULL bigint gives
fixed-width rows that numpy reads in place, far cheaper than building a record per row. The store stays the
source of truth; nothing is cached beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass

import asyncpg
import numpy as np
import numpy.typing as npt

from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.storage.failures import unavailable_on_connection_failure
from core_server.storage.ticks import KIND_QUOTE

I64 = npt.NDArray[np.int64]
FIELDS = ("contract", "ts", "kind", "bid", "ask", "bid_size", "ask_size", "price", "size", "aggressor", "flags")
_HEADER_BYTES = 19
_ROW = np.dtype([("count", ">i2")] + [item for name in FIELDS for item in ((f"l_{name}", ">i4"), (name, ">i8"))])
_QUERY = """
    SELECT array_position({ids}::text[], contract_id)::bigint - 1, ts_event_ns, kind::bigint, coalesce(bid, 0),
           coalesce(ask, 0), coalesce(bid_size, 0)::bigint, coalesce(ask_size, 0)::bigint, coalesce(price, 0),
           coalesce(size, 0)::bigint, coalesce(aggressor, 0)::bigint, flags::bigint
    FROM ticks
    WHERE contract_id = ANY({ids}::text[]) AND ts_event_ns >= {start} AND ts_event_ns < {end}
    ORDER BY ts_event_ns, id
"""
_AGGRESSORS = tuple(Aggressor)
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
    on trades and trade fields 0 on quotes; `flags` bit 1 marks a tick the anomaly filter rejected."""

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

    def __len__(self) -> int:
        return len(self.ts)

    def ticks(self) -> Iterator[Tick]:
        """The batch as Quote/Trade values (ts_init = ts_event), for drivers that take ticks one by one."""
        ids = self.contract_ids
        columns = zip(
            self.contract.tolist(), self.ts.tolist(), self.kind.tolist(), self.bid.tolist(), self.ask.tolist(),
            self.bid_size.tolist(), self.ask_size.tolist(), self.price.tolist(), self.size.tolist(),
            self.aggressor.tolist(), strict=True,
        )  # fmt: skip
        for contract, ts, kind, bid, ask, bid_size, ask_size, price, size, aggressor in columns:
            contract_id = ids[contract]
            if kind == KIND_QUOTE:
                yield Quote(contract_id, ts, ts, bid, ask, bid_size, ask_size)
            else:
                yield Trade(contract_id, ts, ts, price, size, _AGGRESSORS[aggressor])


def _columns(contract_ids: tuple[str, ...], rows: npt.NDArray[np.void]) -> TickColumns:
    return TickColumns(contract_ids, *(rows[name].astype(np.int64) for name in FIELDS))


async def stream_tick_columns(
    pool: asyncpg.Pool,
    contract_ids: Sequence[str],
    start_ns: int,
    end_ns: int,
    batch_rows: int = 262_144,
) -> AsyncIterator[TickColumns]:
    """Ticks of `contract_ids` with ts_event_ns in [start_ns, end_ns), ordered by time then arrival (the same
    order as TickRepository.iter_ticks), in batches of about `batch_rows`. Anomaly-flagged ticks included."""
    ids = tuple(contract_ids)
    if not ids or start_ns >= end_ns:
        return
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)

    query = _query(ids, start_ns, end_ns)

    async def produce() -> None:
        try:
            with unavailable_on_connection_failure():
                async with pool.acquire() as conn:
                    await conn.copy_from_query(query, output=queue.put, format="binary")
        finally:
            await queue.put(None)

    producer = asyncio.create_task(produce())
    pending = bytearray()
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
            pending += piece
            if len(pending) >= batch_rows * width:
                whole = len(pending) // width * width
                yield _columns(ids, np.frombuffer(bytes(pending[:whole]), dtype=_ROW))
                del pending[:whole]
        await producer
        whole = len(pending) // width * width  # what is left beyond is the 2-byte trailer
        if whole:
            yield _columns(ids, np.frombuffer(bytes(pending[:whole]), dtype=_ROW))
    finally:
        if not producer.done():
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await producer
