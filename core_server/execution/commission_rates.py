"""An account's stored commission overrides: what the journal writes and the start path loads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core_server.execution.model import AccountId


@dataclass(frozen=True, slots=True)
class StoredCommissionRates:
    """An account's whole set of per-root overrides (empty: it pays the server's schedule)."""

    account_id: AccountId
    rates: tuple[tuple[str, Decimal], ...]


class CommissionStore(Protocol):
    async def load(self) -> Mapping[AccountId, Mapping[str, Decimal]]:
        """Every account's overrides (Unavailable when the store is down)."""
        ...
