"""API keys: name, role, granted accounts and the SHA-256 of the secret (never the secret). Revoked keys stay."""

from __future__ import annotations

from typing import Any

import asyncpg

from core_server.access.keys import ApiKey, Role
from core_server.model.errors import AlreadyExists
from core_server.storage.failures import unavailable_on_connection_failure

_COLUMNS = "name, role, account_ids, secret_sha256, prefix, created_ns, created_by, revoked_ns"
_SELECT = f"SELECT {_COLUMNS} FROM api_keys ORDER BY id"
_INSERT = f"INSERT INTO api_keys ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
_REVOKE = f"""
UPDATE api_keys SET revoked_ns = $2 WHERE lower(name) = lower($1) AND revoked_ns IS NULL RETURNING {_COLUMNS}
"""


def _key(record: Any) -> ApiKey:
    accounts = record["account_ids"]
    return ApiKey(
        record["name"],
        Role[record["role"].upper()],
        tuple(accounts) if accounts is not None else None,
        bytes(record["secret_sha256"]),
        record["prefix"],
        record["created_ns"],
        record["created_by"],
        record["revoked_ns"],
    )


class ApiKeyRepository:
    """Implements access.keyring.KeyStore."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def load(self) -> list[ApiKey]:
        with unavailable_on_connection_failure():
            return [_key(r) for r in await self._pool.fetch(_SELECT)]

    async def insert(self, key: ApiKey) -> None:
        accounts = list(key.account_ids) if key.account_ids is not None else None
        try:
            with unavailable_on_connection_failure():
                await self._pool.execute(
                    _INSERT, key.name, key.role.label, accounts, key.secret_sha256, key.prefix, key.created_ns,
                    key.created_by, key.revoked_ns,
                )  # fmt: skip
        except asyncpg.UniqueViolationError:
            raise AlreadyExists("name", f"a working key is already named {key.name!r}; revoke it first") from None

    async def revoke(self, name: str, revoked_ns: int) -> ApiKey | None:
        with unavailable_on_connection_failure():
            record = await self._pool.fetchrow(_REVOKE, name, revoked_ns)
        return _key(record) if record is not None else None
