"""Risk events (every decision and breach, for the append-only audit log) and what a risk step returns.

A step returns a RiskResult: the events it decided and the execution commands the shell must run within
the same tick (cancel all orders, flatten). Denials are events with a reason, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import NamedTuple

from core_server.execution.commands import CancelAllOrders, FlattenAccount
from core_server.execution.model import AccountId, OrderId


class RiskStatus(IntEnum):
    """Share of the daily loss limit used: safe < 50 %, warning [50, 70), danger [70, 90], locked > 90 %."""

    SAFE = 1
    WARNING = 2
    DANGER = 3
    LOCKED = 4  # also: soft-locked until the next trading day (daily loss, loss streak)
    FAILED = 5  # a hard breach: failed for good


class RiskEventKind(IntEnum):
    ORDER_ALLOWED = 1
    ORDER_DENIED = 2
    STATUS_CHANGED = 3
    BREACH = 4
    LOCKED = 5
    UNLOCKED = 6
    FAILED = 7
    EMERGENCY_STOP = 8
    RESUMED = 9
    RULES_CHANGED = 10

    @property
    def label(self) -> str:
        return self.name.lower()


class Rule(IntEnum):
    """Which rule an event is about (NONE for decisions no rule made, e.g. an order allowed)."""

    NONE = 1
    DAILY_LOSS = 2
    TRAILING_DRAWDOWN = 3
    MAX_CONTRACTS = 4
    MAX_POSITION_SIZE = 5
    MAX_CONCURRENT_POSITIONS = 6
    CONSECUTIVE_LOSSES = 7
    COOLDOWN = 8
    TRADING_HOURS = 9
    FLAT_BY = 10
    CONSISTENCY = 11
    EMERGENCY_STOP = 12
    STAGE_FAILURE = 14  # a kernel stage failed on this account: held until an operator resumes it
    MAX_ORDER_SIZE = 13

    @property
    def label(self) -> str:
        return self.name.lower()


Number = Decimal | int | str


@dataclass(frozen=True, slots=True)
class RiskEvent:
    kind: RiskEventKind
    account_id: AccountId | None  # None: engine-wide (emergency stop, resume)
    ts_event: int
    rule: Rule
    reason: str
    numbers: tuple[tuple[str, Number], ...] = ()  # the figures behind the decision, by name
    order_id: OrderId | None = None

    def number(self, name: str) -> Number | None:
        return next((value for key, value in self.numbers if key == name), None)


RiskAction = CancelAllOrders | FlattenAccount


class RiskResult(NamedTuple):
    events: tuple[RiskEvent, ...]
    actions: tuple[RiskAction, ...]

    def __bool__(self) -> bool:
        return bool(self.events or self.actions)


NOTHING = RiskResult((), ())


def close_out(account_id: AccountId) -> tuple[RiskAction, ...]:
    """What a breach, the flat-by time or an emergency stop asks of the execution engine, in order."""
    return CancelAllOrders(account_id), FlattenAccount(account_id)
