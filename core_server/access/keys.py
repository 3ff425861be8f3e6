"""Roles, API keys and callers: values only (no I/O).

A key's secret is `vgl_` + 43 URL-safe characters (256 random bits from `secrets`); the store keeps only its
SHA-256. A fast hash is the right tool here: a slow password hash (bcrypt, argon2) exists to make guessing
low-entropy passwords expensive, but nobody can guess 2^256 secrets, and a slow hash would cost milliseconds
on every RPC.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import IntEnum

from core_server.model.errors import InvalidArgument

SECRET_PREFIX = "vgl_"
PREFIX_CHARS = 8  # of the secret, shown in listings to tell keys apart (4 random characters after "vgl_")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Actors that are not named keys (the audit trail's `actor`).
STATIC_ACTOR = "static-key"  # a key from VIGIL_API_KEYS
LOCAL_ACTOR = "local"  # no-key mode on loopback


class Role(IntEnum):
    """Ordered: a role may do everything the roles below it may."""

    VIEWER = 1  # read and stream
    TRADER = 2  # + orders, signals, strategies (on its granted accounts, or all)
    ADMIN = 3  # + risk rules, presets, accounts, emergency stop and resume, keys, live-routing switches

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise InvalidArgument("role", f"{text!r} is not one of viewer, trader, admin") from None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A named key as stored (never its secret)."""

    name: str
    role: Role
    account_ids: tuple[str, ...] | None  # a trader's granted accounts; None: every account
    secret_sha256: bytes
    prefix: str
    created_ns: int
    created_by: str
    revoked_ns: int | None = None

    @property
    def working(self) -> bool:
        return self.revoked_ns is None


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the actor the audit trail records, its role and (for a trader) its granted accounts."""

    actor: str
    role: Role
    account_ids: frozenset[str] | None = None  # None: every account
    key_name: str = ""  # a named key's name ('' for static keys and no-key mode)

    def may_change(self, account_id: str) -> bool:
        return self.role is Role.ADMIN or self.account_ids is None or account_id in self.account_ids


def key_name(text: str, field: str = "name") -> str:
    name = text.strip()
    if not _NAME.match(name):
        raise InvalidArgument(field, "1 to 64 characters: letters, digits, '.', '_' and '-'")
    return name


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def actor_of(key: ApiKey) -> str:
    return f"key:{key.name}"
