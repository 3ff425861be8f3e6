"""Backtest runs in the store (migration 0030): settings, status and progress, and once done the summary and report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from core_server.storage.failures import unavailable_on_connection_failure

ACTIVE = ("queued", "running")


@dataclass(slots=True)
class RunRow:
    run_id: str
    sweep_id: str
    status: str
    settings: dict[str, Any]
    params: dict[str, str]
    contract_id: str
    created_ns: int
    started_ns: int = 0
    finished_ns: int = 0
    ticks_done: int = 0
    ticks_total: int = 0
    reached_ns: int = 0
    error: str = ""
    summary: dict[str, str] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status not in ACTIVE


_COLUMNS = (
    "run_id, sweep_id, status, settings, params, contract_id, created_ns, started_ns, finished_ns, ticks_done, "
    "ticks_total, reached_ns, error, summary"
)
_INSERT = f"INSERT INTO backtest_runs ({_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)"
_UPDATE = """
UPDATE backtest_runs SET status = $2, started_ns = $3, finished_ns = $4, ticks_done = $5, ticks_total = $6,
    reached_ns = $7, error = $8, summary = $9, report = COALESCE($10, report)
WHERE run_id = $1
"""
_INTERRUPTED = """
UPDATE backtest_runs SET status = 'failed', error = 'the server stopped before the run finished', finished_ns = $1
WHERE status IN ('queued', 'running')
"""


def _row(record: Any) -> RunRow:
    return RunRow(
        record["run_id"], record["sweep_id"], record["status"], json.loads(record["settings"]),
        json.loads(record["params"]), record["contract_id"], record["created_ns"], record["started_ns"],
        record["finished_ns"], record["ticks_done"], record["ticks_total"], record["reached_ns"], record["error"],
        json.loads(record["summary"]),
    )  # fmt: skip


class BacktestRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def insert(self, rows: list[RunRow]) -> None:
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.executemany(_INSERT, [_values(r) for r in rows])

    async def update(self, row: RunRow, report: str | None = None) -> None:
        with unavailable_on_connection_failure():
            await self._pool.execute(
                _UPDATE, row.run_id, row.status, row.started_ns, row.finished_ns, row.ticks_done, row.ticks_total,
                row.reached_ns, row.error, json.dumps(row.summary, sort_keys=True), report,
            )  # fmt: skip

    async def get(self, run_id: str) -> RunRow | None:
        with unavailable_on_connection_failure():
            record = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM backtest_runs WHERE run_id = $1", run_id)
        return _row(record) if record is not None else None

    async def report(self, run_id: str) -> str | None:
        with unavailable_on_connection_failure():
            text = await self._pool.fetchval("SELECT report FROM backtest_runs WHERE run_id = $1", run_id)
        return str(text) if text is not None else None

    async def list(self, sweep_id: str = "", limit: int = 50) -> list[RunRow]:
        with unavailable_on_connection_failure():
            if sweep_id:
                records = await self._pool.fetch(
                    f"SELECT {_COLUMNS} FROM backtest_runs WHERE sweep_id = $1 ORDER BY created_ns, run_id LIMIT $2",
                    sweep_id, limit,
                )  # fmt: skip
            else:
                records = await self._pool.fetch(
                    f"SELECT {_COLUMNS} FROM backtest_runs ORDER BY created_ns DESC, run_id DESC LIMIT $1", limit
                )
        return [_row(r) for r in records]

    async def mark_interrupted(self, now_ns: int) -> int:
        """Runs left queued or running by a server that stopped: failed (their workers died with it)."""
        with unavailable_on_connection_failure():
            status = await self._pool.execute(_INTERRUPTED, now_ns)
        return int(status.split()[-1])


def _values(r: RunRow) -> tuple[object, ...]:
    return (
        r.run_id, r.sweep_id, r.status, json.dumps(r.settings, sort_keys=True), json.dumps(r.params, sort_keys=True),
        r.contract_id, r.created_ns, r.started_ns, r.finished_ns, r.ticks_done, r.ticks_total, r.reached_ns, r.error,
        json.dumps(r.summary, sort_keys=True),
    )  # fmt: skip
