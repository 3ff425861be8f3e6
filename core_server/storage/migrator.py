"""Forward-only schema migrations: NNNN_description.sql files applied in order under an advisory lock."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import asyncpg
import structlog

log = structlog.get_logger(__name__)

MIGRATIONS_PACKAGE = "core_server.storage.migrations"
# Any fixed bigint works; every Vigil process migrating the same database must use the same one.
MIGRATION_LOCK_KEY = 0x5649_4749_4C5F_4D49  # "VIGIL_MI"
_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
_SELECT_APPLIED = "SELECT version FROM schema_migrations"
_RECORD_APPLIED = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"
_LOCK = "SELECT pg_advisory_lock($1)"
_UNLOCK = "SELECT pg_advisory_unlock($1)"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(package: str = MIGRATIONS_PACKAGE) -> list[Migration]:
    """The migrations shipped in `package`, oldest first. A misnamed or duplicate file is an error."""
    found: dict[int, Migration] = {}
    for entry in resources.files(package).iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.match(entry.name)
        if match is None:
            raise ValueError(f"migration file {entry.name!r} is not named NNNN_description.sql")
        version = int(match["version"])
        if version in found:
            raise ValueError(f"two migrations have version {version:04d}")
        found[version] = Migration(version, match["name"], entry.read_text(encoding="utf-8"))
    return [found[version] for version in sorted(found)]


async def migrate(pool: asyncpg.Pool, migrations: Sequence[Migration] | None = None) -> list[int]:
    """Apply the migrations this database has not seen, each in its own transaction; returns their versions.

    Concurrent callers (two servers starting at once) serialize on a session advisory lock, so each
    migration runs exactly once.
    """
    pending = load_migrations() if migrations is None else list(migrations)
    applied_now: list[int] = []
    async with pool.acquire() as conn:
        await conn.execute(_LOCK, MIGRATION_LOCK_KEY)
        try:
            await conn.execute(_CREATE_LEDGER)
            applied = {row["version"] for row in await conn.fetch(_SELECT_APPLIED)}
            for migration in pending:
                if migration.version in applied:
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(_RECORD_APPLIED, migration.version, migration.name)
                log.info("store.migration_applied", version=migration.version, name=migration.name)
                applied_now.append(migration.version)
            unknown = sorted(applied - {m.version for m in pending})
            if unknown:
                log.warning("store.schema_newer_than_code", unknown_versions=unknown)
        finally:
            if not conn.is_closed():
                await conn.execute(_UNLOCK, MIGRATION_LOCK_KEY)
    return applied_now
