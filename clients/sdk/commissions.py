"""Commission rates (CommissionService): what a paper account pays per contract per side, all-in, by root."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class CommissionRate:
    root: str  # "ES", "MES", ...
    rate: Decimal  # dollars per contract per side the account pays
    server_rate: Decimal  # the server's schedule for the root
    overridden: bool  # the account's own rate
