"""Copy groups and what became of each follower's copy (value types; the engine is copying.engine).

A group has one source and N followers. The source is one of:

    webhook   a TradingView/TradersPost strategy name: the orders the kernel places for that strategy's
              signals (signal execution on the signal account), its exits, cancels and reversals;
    strategy  a Vigil strategy id: the commands the strategy host runs for it;
    account   a leader account: the orders a client (API, SDK, CLI, TUI) places on it by hand.

Each follower is an account (paper or broker-bound: the kernel's commands are the same) with a sizing rule and
`micros_only` (it trades the micro of a mini source: NQ -> MNQ, ES -> MES, YM -> MYM, RTY -> M2K, 1 mini = 10
micros). Its own risk rules decide every copy (the per-account pre-trade check), so a refusal is the
follower's alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from core_server.execution.model import AccountId, OrderId

MAX_FOLLOWERS = 100
MAX_FIXED_QUANTITY = 1_000
MAX_MULTIPLIER = Decimal(100)
MAX_RISK_DOLLARS = Decimal(1_000_000)


class SourceKind(StrEnum):
    WEBHOOK = "webhook"
    STRATEGY = "strategy"
    ACCOUNT = "account"


class SizingKind(StrEnum):
    FIXED = "fixed"  # always `quantity` contracts (of the follower's own contract: micros if micros_only)
    MULTIPLIER = "multiplier"  # the source quantity x `multiplier` (in minis; x10 as micros), rounded down
    RISK = "risk"  # floor(`risk_dollars` / (stop distance in ticks x the follower contract's tick value))


@dataclass(frozen=True, slots=True)
class Sizing:
    kind: SizingKind
    quantity: int = 0
    multiplier: Decimal = Decimal(0)
    risk_dollars: Decimal = Decimal(0)

    def describe(self) -> str:
        if self.kind is SizingKind.FIXED:
            return f"fixed {self.quantity}"
        if self.kind is SizingKind.MULTIPLIER:
            return f"x{format(self.multiplier.normalize(), 'f')}"
        return f"risk ${format(self.risk_dollars, 'f')}"


@dataclass(frozen=True, slots=True)
class Follower:
    account_id: AccountId
    sizing: Sizing
    micros_only: bool = False


@dataclass(frozen=True, slots=True)
class CopyGroup:
    group_id: str
    name: str
    source_kind: SourceKind
    source: str  # the webhook strategy name, the Vigil strategy id or the leader account id
    followers: tuple[Follower, ...]
    paused: bool = False
    created_ns: int = 0
    updated_ns: int = 0

    def follower(self, account_id: AccountId) -> Follower | None:
        for follower in self.followers:
            if follower.account_id == account_id:
                return follower
        return None


class CopyAction(StrEnum):
    ENTRY = "entry"  # a new order or bracket
    EXIT = "exit"  # a close, flatten, reverse or reduce-only order
    CANCEL = "cancel"
    MODIFY = "modify"


class CopyStatus(StrEnum):
    PLACED = "placed"  # the follower's command went through (its orders are working or filled)
    DENIED = "denied"  # the follower's own risk check refused it
    REFUSED = "refused"  # the command was invalid for the follower (unknown account, contract, no stop to size)
    REJECTED = "rejected"  # the exchange (paper or broker) rejected the follower's order
    SKIPPED = "skipped"  # nothing to do for this follower (sized to zero, no position to close)


@dataclass(frozen=True, slots=True)
class CopyOutcome:
    """One follower's copy of one source command, recorded against the source (its signal or order)."""

    group_id: str
    account_id: AccountId
    source_ref: str  # "signal:<id>", "strategy:<id>" or "account:<id>"
    source_order_ids: tuple[OrderId, ...]
    action: CopyAction
    status: CopyStatus
    contract_id: str
    quantity: int
    order_ids: tuple[OrderId, ...]
    detail: str
    ts_ns: int


@dataclass(frozen=True, slots=True)
class GroupChange:
    """A group created, updated, paused or resumed (`group`), or deleted (`deleted`), to store with its command."""

    group: CopyGroup
    deleted: bool = False
