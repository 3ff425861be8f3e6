"""Opening the pool: clear StoreUnreachable messages, bounded waits, and DSNs safe to log."""

from __future__ import annotations

from pathlib import Path

import pytest

from core_server.model.errors import Unavailable
from core_server.storage.database import connect_pool, describe_dsn
from core_server.storage.failures import StoreUnreachable
from tests.kit.postgres import with_database


def test_describe_dsn_strips_passwords_and_keeps_the_rest() -> None:
    assert describe_dsn("postgresql://vigil:s3cret@db.example:5432/vigil?sslmode=require&password=x") == (
        "postgresql://vigil@db.example:5432/vigil?sslmode=require"
    )
    assert describe_dsn("postgresql://postgres:@/postgres?host=/var/lib/vigil/pgdata") == (
        "postgresql://postgres@/postgres?host=/var/lib/vigil/pgdata"
    )
    assert describe_dsn("postgres://:only-a-password@h/db") == "postgres://h/db"
    assert describe_dsn("host=db user=vigil password=s3cret dbname=x") == "host=db user=vigil password=*** dbname=x"


async def test_an_unreachable_server_raises_store_unreachable_within_the_bound() -> None:
    dsn = "postgresql://vigil:s3cret@127.0.0.1:1/vigil"

    with pytest.raises(StoreUnreachable) as raised:
        await connect_pool(dsn, timeout_s=0.3)

    message = str(raised.value)
    assert message.startswith("cannot reach PostgreSQL at postgresql://vigil@127.0.0.1:1/vigil: ")
    assert "s3cret" not in message
    assert "\n" not in message
    assert isinstance(raised.value, Unavailable)


async def test_a_missing_unix_socket_raises_store_unreachable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnreachable, match="no server socket"):
        await connect_pool(f"postgresql://postgres@/postgres?host={tmp_path}", timeout_s=0.3)


async def test_a_missing_database_fails_at_once_naming_the_database(postgres_admin_url: str) -> None:
    with pytest.raises(StoreUnreachable, match="no_such_db"):
        await connect_pool(with_database(postgres_admin_url, "no_such_db"), timeout_s=30)


async def test_a_malformed_url_raises_store_unreachable() -> None:
    with pytest.raises(StoreUnreachable, match="check the database URL"):
        await connect_pool("postgresql://vigil:pw@host:notaport/db", timeout_s=0.3)
