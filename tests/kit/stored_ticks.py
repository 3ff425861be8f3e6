"""Test kit: every stored tick of a contract (live rows and imported blocks), read through the store's own merged
read path, as rows shaped like the `ticks` table's (the other kind's fields None)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import numpy as np

from core_server.imports.chunk import KIND_QUOTE, KIND_TRADE, Ticks
from core_server.model.market_data import Quote, Tick
from core_server.storage.tick_blocks import BLOCK_COLUMNS, block_records
from core_server.storage.tick_read import stream_tick_columns


async def stored_rows(pool: asyncpg.Pool, contract: str) -> list[tuple[int | None, ...]]:
    """(kind, ts_event_ns, bid, ask, bid_size, ask_size, price, size, aggressor, flags) in read order."""
    out: list[tuple[int | None, ...]] = []
    async for batch in stream_tick_columns(pool, [contract], 0, 2**62):
        columns = zip(
            batch.kind.tolist(), batch.ts.tolist(), batch.bid.tolist(), batch.ask.tolist(), batch.bid_size.tolist(),
            batch.ask_size.tolist(), batch.price.tolist(), batch.size.tolist(), batch.aggressor.tolist(),
            batch.flags.tolist(), strict=True,
        )  # fmt: skip
        for kind, ts, bid, ask, bid_size, ask_size, price, size, aggressor, flags in columns:
            if kind == KIND_QUOTE:
                out.append((kind, ts, bid, ask, bid_size, ask_size, None, None, None, flags))
            else:
                out.append((kind, ts, None, None, None, None, price, size, aggressor, flags))
    return out


def as_tick_columns(ticks: Sequence[Tick], flags: Sequence[int] | None = None) -> Ticks:
    """Quote/Trade values as the importer's tick columns (line numbers: their positions)."""
    n = len(ticks)
    cols = {name: np.zeros(n, dtype=np.int64) for name in Ticks.__slots__}
    for i, tick in enumerate(ticks):
        cols["ts"][i] = tick.ts_event
        if isinstance(tick, Quote):
            cols["kind"][i] = KIND_QUOTE
            cols["bid"][i], cols["ask"][i] = tick.bid, tick.ask
            cols["bid_size"][i], cols["ask_size"][i] = tick.bid_size, tick.ask_size
        else:
            cols["kind"][i] = KIND_TRADE
            cols["price"][i], cols["size"][i], cols["aggressor"][i] = tick.price, tick.size, int(tick.aggressor)
    if flags is not None:
        cols["flags"][:] = flags
    cols["line"][:] = np.arange(n)
    return Ticks(**cols)


async def store_blocks(pool: asyncpg.Pool, contract_id: str, ticks: Sequence[Tick]) -> None:
    """Store `ticks` of one contract as imported blocks, the way the importer writes a chunk (one transaction)."""
    async with pool.acquire() as conn, conn.transaction():
        records = await block_records(conn, contract_id, as_tick_columns(ticks))
        await conn.copy_records_to_table("tick_blocks", records=records, columns=BLOCK_COLUMNS)
