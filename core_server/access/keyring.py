"""KeyRing: the keys this server accepts (static keys from the configuration and named keys from the store),
looked up on every RPC from memory; creations and revocations go to the store first, then to memory.

Static keys (VIGIL_API_KEYS) are admin keys, compared in constant time. A named key is found by the SHA-256 of
the presented secret (a lookup by hash reveals nothing usable about a secret).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from typing import Protocol

from core_server.access.keys import (
    PREFIX_CHARS,
    STATIC_ACTOR,
    ApiKey,
    Caller,
    Role,
    actor_of,
    key_name,
    new_secret,
    secret_hash,
)
from core_server.model.errors import AlreadyExists, InvalidArgument, NotFound


class KeyStore(Protocol):
    async def load(self) -> list[ApiKey]:
        """Every key, working and revoked, oldest first."""
        ...

    async def insert(self, key: ApiKey) -> None:
        """AlreadyExists("name") when a working key has this name (case-insensitive)."""
        ...

    async def revoke(self, name: str, revoked_ns: int) -> ApiKey | None:
        """The working key of this name, now revoked; None when there is none."""
        ...


class KeyRing:
    def __init__(self, store: KeyStore, static_keys: Sequence[str] = ()) -> None:
        self._store = store
        self._static = tuple(k.encode() for k in static_keys)
        self._by_hash: dict[bytes, ApiKey] = {}
        self._all: list[ApiKey] = []

    async def load(self) -> None:
        self._all = await self._store.load()
        self._by_hash = {k.secret_sha256: k for k in self._all if k.working}

    @property
    def has_static_keys(self) -> bool:
        return bool(self._static)

    @property
    def has_named_keys(self) -> bool:
        return bool(self._by_hash)

    def identify(self, token: str) -> Caller | None:
        """The caller a presented secret identifies; None when it is no key of this server."""
        presented = token.encode()
        static = False
        for key in self._static:  # every key compared, so the time taken tells nothing about which matched
            static |= hmac.compare_digest(presented, key)
        if static:
            return Caller(STATIC_ACTOR, Role.ADMIN)
        named = self._by_hash.get(secret_hash(token))
        if named is None:
            return None
        accounts = frozenset(named.account_ids) if named.account_ids is not None else None
        return Caller(actor_of(named), named.role, accounts, named.name)

    def keys(self, *, include_revoked: bool = False) -> list[ApiKey]:
        return [k for k in self._all if include_revoked or k.working]

    async def create(
        self, name: str, role: Role, account_ids: Iterable[str] | None, *, created_by: str, now_ns: int
    ) -> tuple[ApiKey, str]:
        """A new key and its secret (returned this once, never stored)."""
        name = key_name(name)
        accounts = tuple(dict.fromkeys(account_ids)) if account_ids else None
        if accounts is not None and role is not Role.TRADER:
            raise InvalidArgument("accounts", "only a trader key is limited to accounts")
        if any(k.name.casefold() == name.casefold() for k in self._by_hash.values()):
            raise AlreadyExists("name", f"a working key is already named {name!r}; revoke it first")
        secret = new_secret()
        key = ApiKey(name, role, accounts, secret_hash(secret), secret[:PREFIX_CHARS], now_ns, created_by)
        await self._store.insert(key)
        self._all.append(key)
        self._by_hash[key.secret_sha256] = key
        return key, secret

    async def revoke(self, name: str, *, now_ns: int) -> ApiKey:
        name = key_name(name)
        revoked = await self._store.revoke(name, now_ns)
        if revoked is None:
            raise NotFound("name", f"no working key named {name!r}")
        self._by_hash.pop(revoked.secret_sha256, None)
        self._all = [revoked if k.secret_sha256 == revoked.secret_sha256 else k for k in self._all]
        return revoked
