"""Tick storage: binary COPY in exactly-once batches, and ordered reads for replay."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg

from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.storage.failures import unavailable_on_connection_failure

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
_SELECT_RANGE = f"""
SELECT {_SELECT_COLUMNS} FROM ticks
WHERE contract_id = ANY($1::text[]) AND ts_event_ns >= $2 AND ts_event_ns < $3
ORDER BY ts_event_ns, id
"""
_SELECT_RECENT = f"""
SELECT {_SELECT_COLUMNS} FROM ticks
WHERE contract_id = $1
ORDER BY ts_event_ns DESC, id DESC
LIMIT $2
"""
_COUNT = "SELECT count(*) FROM ticks"
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
        """Ticks of `contract_ids` with ts_event_ns in [start_ns, end_ns), by ts_event_ns then arrival, in
        lists of at most `batch_size`. Reads one consistent snapshot on one connection, held until the
        iteration ends (close it with contextlib.aclosing when stopping early). Anomaly-flagged ticks
        are included.
        """
        if not contract_ids or start_ns >= end_ns:
            return
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
                cursor = await conn.cursor(_SELECT_RANGE, list(contract_ids), start_ns, end_ns)
                while True:
                    records = await cursor.fetch(batch_size)
                    if not records:
                        return
                    yield [_tick_from_record(record) for record in records]

    async def recent(self, contract_id: str, limit: int) -> list[Tick]:
        """The newest `limit` ticks of a contract, oldest first."""
        if limit <= 0:
            return []
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_RECENT, contract_id, limit)
        return [_tick_from_record(record) for record in reversed(records)]

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
