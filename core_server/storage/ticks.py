"""Tick storage: live ticks by binary COPY in exactly-once batches, and ordered reads for replay.

Reads see both sources of stored ticks: the row table `ticks` (live) and the columnar blocks of imported ticks
(tick_blocks), merged in event-time order (storage/tick_read.py gives the order and does the merge)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Any, cast

import asyncpg
import numpy as np

from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.storage.failures import unavailable_on_connection_failure
from core_server.storage.tick_blocks import load_blocks
from core_server.storage.tick_read import TickColumns, stream_tick_columns

KIND_QUOTE = 1
KIND_TRADE = 2
FLAG_ANOMALY = 1

# contract_id, ts_event_ns, ts_init_ns, kind, bid, ask, bid_size, ask_size, price, size, aggressor, flags
TickRow = tuple[
    str, int, int, int, int | None, int | None, int | None, int | None, int | None, int | None, int | None, int
]
TICK_COLUMNS = (
    "contract_id",
    "ts_event_ns",
    "ts_init_ns",
    "kind",
    "bid",
    "ask",
    "bid_size",
    "ask_size",
    "price",
    "size",
    "aggressor",
    "flags",
)

_CLAIM_BATCH = """
INSERT INTO tick_batches (batch_id, row_count) VALUES ($1, $2)
ON CONFLICT (batch_id) DO NOTHING
RETURNING true
"""
_SELECT_COLUMNS = "contract_id, ts_event_ns, ts_init_ns, kind, bid, ask, bid_size, ask_size, price, size, aggressor"
_SELECT_RECENT = f"""
SELECT {_SELECT_COLUMNS}, id FROM ticks
WHERE contract_id = $1
ORDER BY ts_event_ns DESC, id DESC
LIMIT $2
"""
# The newest blocks of a contract, newest end first (with a running total of their ticks)
_NEWEST_BLOCKS = """
SELECT seq, first_ts_ns, last_ts_ns, sum(tick_count) OVER (ORDER BY last_ts_ns DESC, seq DESC) AS total
FROM tick_blocks WHERE contract_id = $1
ORDER BY last_ts_ns DESC, seq DESC
LIMIT 1000
"""
_BLOCKS_SINCE = "SELECT seq FROM tick_blocks WHERE contract_id = $1 AND last_ts_ns >= $2"
_COUNT = "SELECT (SELECT count(*) FROM ticks) + (SELECT coalesce(sum(tick_count), 0) FROM tick_blocks)"
_PRUNE_LEDGER = "DELETE FROM tick_batches WHERE written_at < now() - make_interval(secs => $1)"
_PING = "SELECT 1"

_AGGRESSORS = {int(a): a for a in Aggressor}


def tick_row(tick: Tick, flags: int = 0) -> TickRow:
    """The COPY row for a tick: the fields the other kind lacks are NULL."""
    if type(tick) is Quote:
        return (tick[0], tick[1], tick[2], KIND_QUOTE, tick[3], tick[4], tick[5], tick[6], None, None, None, flags)
    # Anything else is taken for a Trade; a malformed one fails at COPY and is isolated there.
    return (tick[0], tick[1], tick[2], KIND_TRADE, None, None, None, None, tick[3], tick[4], tick[5], flags)


def _tick_from_record(record: Any) -> Tick:
    if record[3] == KIND_QUOTE:
        return Quote(record[0], record[1], record[2], record[4], record[5], record[6], record[7])
    return Trade(record[0], record[1], record[2], record[8], record[9], _AGGRESSORS[record[10]])


class TickRepository:
    """Reads and writes the `ticks` table. Connection failures raise Unavailable; bad rows raise as they are."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def copy_ticks(self, batch_id: str, rows: Sequence[TickRow]) -> int:
        """Write `rows` as one batch; returns how many were written now.

        Returns 0 when `batch_id` was stored before: the ledger row and the ticks commit together, so
        retrying a batch whose outcome is unknown writes it exactly once.
        """
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction():
                claimed = await conn.fetchval(_CLAIM_BATCH, batch_id, len(rows))
                if claimed is None:
                    return 0
                await conn.copy_records_to_table("ticks", records=rows, columns=TICK_COLUMNS)
        return len(rows)

    async def iter_ticks(
        self,
        contract_ids: Sequence[str],
        start_ns: int,
        end_ns: int,
        batch_size: int = 10_000,
    ) -> AsyncIterator[list[Tick]]:
        """Ticks of `contract_ids` with ts_event_ns in [start_ns, end_ns), rows and imported blocks, by
        ts_event_ns then the order they were stored (stream_tick_columns' order), in lists of at most
        `batch_size`. Reads one consistent snapshot on one connection, held until the iteration ends (close it
        with contextlib.aclosing when stopping early). Anomaly-flagged ticks are included.
        """
        if not contract_ids or start_ns >= end_ns:
            return
        size = max(1, batch_size)
        reader = cast(
            AsyncGenerator[TickColumns, None],
            stream_tick_columns(self._pool, contract_ids, start_ns, end_ns, batch_rows=size),
        )
        pending: list[Tick] = []
        async with contextlib.aclosing(reader) as batches:
            async for columns in batches:
                pending.extend(columns.ticks())
                while len(pending) >= size:
                    yield pending[:size]
                    del pending[:size]
        if pending:
            yield pending

    async def recent(self, contract_id: str, limit: int) -> list[Tick]:
        """The newest `limit` ticks of a contract, oldest first."""
        if limit <= 0:
            return []
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
                records = await conn.fetch(_SELECT_RECENT, contract_id, limit)
                candidates = [((r[1], r[11], 0), _tick_from_record(r)) for r in records]
                candidates += await self._recent_block_ticks(conn, contract_id, limit)
        candidates.sort(key=lambda item: item[0])
        return [tick for _, tick in candidates[-limit:]]

    @staticmethod
    async def _recent_block_ticks(
        conn: asyncpg.Connection, contract_id: str, limit: int
    ) -> list[tuple[tuple[int, int, int], Tick]]:
        """At least the newest `limit` block ticks of the contract, with their order keys (ts, seq, pos)."""
        newest = await conn.fetch(_NEWEST_BLOCKS, contract_id)
        if not newest:
            return []
        enough = next((i for i, r in enumerate(newest) if r["total"] >= limit), len(newest) - 1)
        # every tick newer than the oldest start among the blocks that hold `limit` ticks: those blocks and any
        # other that ends after it
        since = min(r["first_ts_ns"] for r in newest[: enough + 1])
        seqs = [r[0] for r in await conn.fetch(_BLOCKS_SINCE, contract_id, since)]
        out: list[tuple[tuple[int, int, int], Tick]] = []
        for seq, block in (await load_blocks(conn, seqs)).items():
            count = len(block)
            keep = slice(max(0, count - limit), count)
            ts, kind = block.ts[keep].tolist(), block.kind[keep].tolist()
            bid, ask, price = block.bid[keep].tolist(), block.ask[keep].tolist(), block.price[keep].tolist()
            bid_size, ask_size = block.bid_size[keep].tolist(), block.ask_size[keep].tolist()
            size, aggressor = block.size[keep].tolist(), block.aggressor[keep].tolist()
            for i, pos in enumerate(np.arange(keep.start, keep.stop).tolist()):
                tick: Tick
                if kind[i] == KIND_QUOTE:
                    tick = Quote(contract_id, ts[i], ts[i], bid[i], ask[i], bid_size[i], ask_size[i])
                else:
                    tick = Trade(contract_id, ts[i], ts[i], price[i], size[i], _AGGRESSORS[aggressor[i]])
                out.append(((ts[i], seq, pos), tick))
        return out

    async def count(self) -> int:
        with unavailable_on_connection_failure():
            return int(await self._pool.fetchval(_COUNT))

    async def prune_batch_ledger(self, older_than_s: float) -> None:
        """Forget batch ids older than any retry could be; the ticks themselves stay."""
        with unavailable_on_connection_failure():
            await self._pool.execute(_PRUNE_LEDGER, older_than_s)

    async def ping(self) -> None:
        with unavailable_on_connection_failure():
            await self._pool.fetchval(_PING)
