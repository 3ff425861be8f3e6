"""Broker account models: an account's mode (PAPER, BOUND, LIVE), broker connection states, broker orders and
positions, reconciliation and flatten reports. Prices are exact Decimals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class AccountMode(StrEnum):
    PAPER = "PAPER"
    BOUND = "BOUND"  # bound to a broker, live routing off: nothing is sent
    LIVE = "LIVE"  # orders go to the broker


class Broker(StrEnum):
    TRADOVATE = "tradovate"
    PROJECTX = "projectx"


@dataclass(frozen=True, slots=True)
class BrokerState:
    broker: Broker
    environment: str
    configured: bool
    state: str
    detail: str
    account_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountBinding:
    account_id: str
    name: str
    mode: AccountMode
    broker: Broker | None = None
    environment: str = ""
    broker_account: str = ""
    bound_by: str = ""
    bound_ns: int = 0
    live_changed_by: str = ""
    live_changed_ns: int = 0

    @property
    def is_live(self) -> bool:
        return self.mode is AccountMode.LIVE


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    symbol: str
    net_qty: int
    avg_price: Decimal | None


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    order_id: str
    client_order_id: str
    symbol: str
    side: str
    quantity: int
    order_type: str
    status: str
    limit_price: Decimal | None
    stop_price: Decimal | None
    filled_qty: int


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str
    symbol: str
    vigil: str
    broker: str


@dataclass(frozen=True, slots=True)
class Reconciliation:
    account_id: str
    ts_ns: int
    positions: tuple[BrokerPosition, ...]
    open_orders: tuple[BrokerOrder, ...]
    differences: tuple[Difference, ...]


@dataclass(frozen=True, slots=True)
class BrokerPlacement:
    client_order_id: str
    accepted: bool
    order_id: str
    leg_ids: tuple[str, ...]
    reason: str
    recovered: bool


@dataclass(frozen=True, slots=True)
class BrokerFlatten:
    account_id: str
    cancelled_order_ids: tuple[str, ...]
    closed_symbols: tuple[str, ...]
    remaining: tuple[BrokerPosition, ...]
    errors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BrokerAuditRecord:
    """One entry of an account's broker audit trail: what happened (`kind`), who caused it, and the details."""

    ts_ns: int
    actor: str
    kind: str
    detail: dict[str, object]
