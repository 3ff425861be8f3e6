"""The store side of tick import: import runs with their checkpoint, de-duplication, and one transaction per chunk.

Imported ticks go to columnar blocks (storage/tick_blocks.py), not to the row table: a chunk's ticks of one
contract become a few blocks, written with its checkpoint in one transaction. De-duplication compares a chunk with
everything already stored in its time range, the decoded blocks and the live rows alike.

An import holds one connection for its whole run, and on it a session advisory lock on its import id, so two
runs of the same import never interleave; a crash releases the lock with the connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np
import numpy.typing as npt
import structlog

from core_server.imports.chunk import Ticks
from core_server.model.errors import FailedPrecondition
from core_server.storage.failures import unavailable_on_connection_failure
from core_server.storage.tick_blocks import BLOCK_COLUMNS, block_metas, block_records, load_blocks

log = structlog.get_logger(__name__)

IMPORT_LOCK_BASE = 0x5649_4749_4C5F_0000  # "VIGIL_" + import id: the advisory lock of one import run

_FIND_UNFINISHED = """
SELECT import_id, first_tick_id, lines_done, state FROM tick_imports
WHERE source_key = $1 AND status = 'running'
"""
_LAST_TICK_ID = "SELECT coalesce((SELECT last_value FROM ticks_id_seq WHERE is_called), 0)"
_CREATE = """
INSERT INTO tick_imports (source_key, source_name, options, status, first_tick_id)
VALUES ($1, $2, $3::jsonb, 'running', $4)
RETURNING import_id
"""
_TRY_LOCK = "SELECT pg_try_advisory_lock($1)"
_NO_FLUSH_WAIT = "SET LOCAL synchronous_commit TO off"
# The de-duplication lookup reads the ticks of the chunk's time range through the BRIN index on ts_event_ns. BRIN
# always scans ranges it has not summarized, and nothing summarizes the ranges a bulk load appends: without this,
# each chunk's lookup read every page the import had written so far (a sequential scan, quadratic in the file).
_SUMMARIZE = "SELECT brin_summarize_new_values('ticks_ts_brin')"
_USE_THE_INDEX = "SET LOCAL enable_seqscan TO off; SET LOCAL max_parallel_workers_per_gather TO 0"
_UNLOCK = "SELECT pg_advisory_unlock($1)"
_CHECKPOINT = """
UPDATE tick_imports SET lines_done = $2, state = $3::jsonb, updated_at = now() WHERE import_id = $1
"""
_FINISH = """
UPDATE tick_imports SET status = $2, error = $3, state = $4::jsonb, updated_at = now(), finished_at = now()
WHERE import_id = $1
"""
_EXISTING = """
SELECT kind, ts_event_ns, coalesce(bid, 0), coalesce(ask, 0), coalesce(bid_size, 0), coalesce(ask_size, 0),
       coalesce(price, 0), coalesce(size, 0), id > $4
FROM ticks
WHERE contract_id = $1 AND ts_event_ns >= $2 AND ts_event_ns <= $3
"""


@dataclass(frozen=True, slots=True)
class ImportRun:
    import_id: int
    first_tick_id: int
    lines_done: int
    state: dict[str, Any]
    resumed: bool


@dataclass(frozen=True, slots=True)
class ChunkResult:
    stored: int
    duplicates: int


_KEY_COLUMNS = ("kind", "ts", "bid", "ask", "bid_size", "ask_size", "price", "size")


def _key_matrix(ticks: Ticks) -> npt.NDArray[np.int64]:
    return np.stack([getattr(ticks, name) for name in _KEY_COLUMNS], axis=1)


def new_occurrences(existing: npt.NDArray[np.int64], keys: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Which rows of `keys` (in order) are not stored already. `existing`: stored rows of the range, the 8 key
    columns and a last column that is 1 for this import's own earlier chunks. The k-th occurrence of a key in the
    import (its own stored ones counted first) is new when k >= how often it was stored before the import."""
    both = np.ascontiguousarray(np.concatenate([existing[:, :8], keys]))
    _, inverse = np.unique(both.view(np.dtype((np.void, 8 * both.shape[1]))).ravel(), return_inverse=True)
    inverse = inverse.ravel()
    groups = int(inverse.max()) + 1
    of_existing, of_keys = inverse[: len(existing)], inverse[len(existing) :]
    mine = existing[:, 8] != 0
    before = np.bincount(of_existing[~mine], minlength=groups)
    seen = np.bincount(of_existing[mine], minlength=groups)
    order = np.argsort(of_keys, kind="stable")
    grouped = of_keys[order]
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys)) - np.searchsorted(grouped, grouped, side="left")
    keep: npt.NDArray[np.bool_] = seen[of_keys] + rank >= before[of_keys]
    return keep


def _all_stored_before(existing: npt.NDArray[np.int64], keys: npt.NDArray[np.int64], ts: npt.NDArray[np.int64]) -> bool:
    """The common case of a re-import, decided in one pass: the range holds exactly the chunk's ticks, none of them
    this import's own, in the chunk's time order. Then every tick is a duplicate (each key is stored as often as
    the chunk holds it); anything else takes new_occurrences."""
    if existing.shape[0] != keys.shape[0] or existing[:, 8].any():
        return False
    if len(ts) > 1 and bool((ts[1:] < ts[:-1]).any()):
        keys = keys[np.argsort(ts, kind="stable")]
    return bool(np.array_equal(existing[:, :8], keys))


class TickImportStore:
    """One import run on one connection (acquired from the pool for the run's length)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._locked: int | None = None
        self._summarize = True

    async def begin(self, source_key: str, source_name: str, options: dict[str, Any]) -> ImportRun:
        """Resume the unfinished run of this file and options, or start a new one."""
        conn = self._conn
        with unavailable_on_connection_failure():
            row = await conn.fetchrow(_FIND_UNFINISHED, source_key)
            if row is not None:
                await self._lock(row["import_id"])
                fresh = await conn.fetchrow(_FIND_UNFINISHED, source_key)
                if fresh is None or fresh["import_id"] != row["import_id"]:
                    raise FailedPrecondition("this import finished while we waited for it; run it again")
                return ImportRun(
                    fresh["import_id"], fresh["first_tick_id"], fresh["lines_done"], json.loads(fresh["state"]), True
                )
            first_tick_id = await conn.fetchval(_LAST_TICK_ID)
            try:
                import_id = await conn.fetchval(_CREATE, source_key, source_name, json.dumps(options), first_tick_id)
            except asyncpg.UniqueViolationError:
                raise FailedPrecondition("the same import is already running") from None
            await self._lock(import_id)
            return ImportRun(import_id, first_tick_id, 0, {}, False)

    async def _lock(self, import_id: int) -> None:
        if not await self._conn.fetchval(_TRY_LOCK, IMPORT_LOCK_BASE + import_id):
            raise FailedPrecondition(f"import {import_id} of this file is running right now")
        self._locked = import_id

    async def store_chunk(
        self,
        run: ImportRun,
        groups: Sequence[tuple[str, Ticks]],
        lines_done: int,
        state_after: Callable[[ChunkResult], dict[str, Any]],
    ) -> ChunkResult:
        """De-duplicate and COPY one chunk's ticks and move the checkpoint (the state `state_after` gives once
        the chunk's counts are known), all in one transaction."""
        conn = self._conn
        stored = duplicates = 0
        with unavailable_on_connection_failure():
            if self._summarize:
                try:
                    await conn.fetchval(_SUMMARIZE)  # the ranges the previous chunks filled
                except asyncpg.PostgresError as exc:  # e.g. a login that does not own the index
                    self._summarize = False
                    log.warning("import.brin_summarize_refused", reason=str(exc)[:200])
            async with conn.transaction():
                await conn.execute(_USE_THE_INDEX)
                # A chunk lost to a server crash before it reached the disk takes its checkpoint with it (one
                # transaction), so the import resumes before it: no need to wait for the WAL flush.
                await conn.execute(_NO_FLUSH_WAIT)
                records: list[tuple[object, ...]] = []
                for contract_id, ticks in groups:
                    if not len(ticks):
                        continue
                    keep = await self._new_ticks(run, contract_id, ticks)
                    kept = ticks if keep is None else ticks.take(keep)
                    duplicates += len(ticks) - len(kept)
                    if len(kept):
                        records += await block_records(conn, contract_id, kept)
                        stored += len(kept)
                if records:
                    await conn.copy_records_to_table("tick_blocks", records=records, columns=BLOCK_COLUMNS)
                result = ChunkResult(stored, duplicates)
                await conn.execute(_CHECKPOINT, run.import_id, lines_done, json.dumps(state_after(result)))
        return result

    async def _new_ticks(self, run: ImportRun, contract_id: str, ticks: Ticks) -> npt.NDArray[np.bool_] | None:
        """Which ticks are not stored already (None: all of them). A tick the file holds k times is new from
        its (e + 1)th occurrence on, where e is how often it was stored (as a row or in a block) before this
        import started; rows and blocks with ids above run.first_tick_id are this import's own."""
        low, high = int(ticks.ts.min()), int(ticks.ts.max())
        rows = await self._conn.fetch(_EXISTING, contract_id, low, high, run.first_tick_id)
        parts = [np.array(rows, dtype=np.int64).reshape(-1, 9)] if rows else []
        metas = await block_metas(self._conn, [contract_id], low, high + 1)
        blocks = await load_blocks(self._conn, [m.seq for m in metas])
        for meta in metas:  # by (first_ts, seq): blocks that do not overlap come out in time order
            block = blocks[meta.seq]
            inside = slice(int(np.searchsorted(block.ts, low)), int(np.searchsorted(block.ts, high, side="right")))
            if inside.stop > inside.start:
                columns = [getattr(block, name)[inside] for name in _KEY_COLUMNS]
                mine = np.full(inside.stop - inside.start, int(meta.seq > run.first_tick_id), dtype=np.int64)
                parts.append(np.stack([*columns, mine], axis=1, dtype=np.int64))
        if not parts:
            return None
        existing = np.concatenate(parts)
        keys = _key_matrix(ticks)
        if _all_stored_before(existing, keys, ticks.ts):
            return np.zeros(len(ticks), dtype=np.bool_)
        return new_occurrences(existing, keys)

    async def finish(self, run: ImportRun, status: str, state: dict[str, Any], error: str = "") -> None:
        with unavailable_on_connection_failure():
            await self._conn.execute(_FINISH, run.import_id, status, error[:500], json.dumps(state))

    async def release(self) -> None:
        if self._locked is not None:
            try:
                await self._conn.fetchval(_UNLOCK, IMPORT_LOCK_BASE + self._locked)
            finally:
                self._locked = None
