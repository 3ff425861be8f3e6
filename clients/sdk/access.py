"""Access models: roles, API keys (never their secrets, except once at creation) and the caller's identity."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(Enum):
    VIEWER = "viewer"  # read and stream
    TRADER = "trader"  # + orders, signals, strategies (on its granted accounts, or all)
    ADMIN = "admin"  # + risk rules, accounts, emergency stop and resume, keys


@dataclass(frozen=True, slots=True)
class ApiKey:
    name: str
    role: Role
    account_ids: tuple[str, ...]  # a trader's granted accounts; empty: every account
    created_ns: int
    revoked_ns: int  # 0 while the key works
    created_by: str
    prefix: str  # the secret's first characters, to tell keys apart

    @property
    def working(self) -> bool:
        return self.revoked_ns == 0


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # shown this once: the server keeps only its hash


@dataclass(frozen=True, slots=True)
class Identity:
    actor: str  # as the audit trail records it, e.g. "key:laptop", "static-key", "local"
    role: Role
    account_ids: tuple[str, ...]
