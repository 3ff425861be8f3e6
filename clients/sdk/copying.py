"""Copy groups (CopyGroupService): one source fanned out to follower accounts, and each follower's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class CopySourceKind(StrEnum):
    WEBHOOK = "webhook"  # source: the alert's strategy name
    STRATEGY = "strategy"  # source: a Vigil strategy id
    ACCOUNT = "account"  # source: the leader account (id or name)


class CopySizing(StrEnum):
    FIXED = "fixed"  # `quantity` contracts of the follower's contract
    MULTIPLIER = "multiplier"  # floor(source quantity x multiplier), x10 as micros
    RISK = "risk"  # floor(risk_dollars / (stop distance in ticks x tick value))


class CopyAction(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"
    CANCEL = "cancel"
    MODIFY = "modify"


class CopyStatus(StrEnum):
    PLACED = "placed"
    DENIED = "denied"  # the follower's own risk refused it
    REFUSED = "refused"  # invalid for the follower (no stop to size from, unknown contract)
    REJECTED = "rejected"  # the exchange rejected it
    SKIPPED = "skipped"  # sized to zero


@dataclass(frozen=True, slots=True)
class CopyOutcome:
    group_id: str
    account_id: str  # the follower
    source_ref: str  # "signal:<id>", "strategy:<id>" or "account:<id>"
    source_order_ids: tuple[str, ...]
    action: CopyAction
    status: CopyStatus
    contract_id: str
    quantity: int
    order_ids: tuple[str, ...]
    detail: str
    ts_ns: int


@dataclass(frozen=True, slots=True)
class CopyFollower:
    """A follower and its sizing rule; build one with `fixed`, `times` or `risk`."""

    account_id: str
    sizing: CopySizing
    quantity: int = 0
    multiplier: Decimal | None = None
    risk_dollars: Decimal | None = None
    micros_only: bool = False
    last_outcome: CopyOutcome | None = None  # answers only

    @classmethod
    def fixed(cls, account_id: str, quantity: int, *, micros_only: bool = False) -> CopyFollower:
        return cls(account_id, CopySizing.FIXED, quantity=quantity, micros_only=micros_only)

    @classmethod
    def times(cls, account_id: str, multiplier: Decimal | str | int, *, micros_only: bool = False) -> CopyFollower:
        return cls(account_id, CopySizing.MULTIPLIER, multiplier=Decimal(multiplier), micros_only=micros_only)

    @classmethod
    def risk(cls, account_id: str, dollars: Decimal | str | int, *, micros_only: bool = False) -> CopyFollower:
        return cls(account_id, CopySizing.RISK, risk_dollars=Decimal(dollars), micros_only=micros_only)

    def describe(self) -> str:
        if self.sizing is CopySizing.FIXED:
            text = f"fixed {self.quantity}"
        elif self.sizing is CopySizing.MULTIPLIER:
            text = f"x{self.multiplier}"
        else:
            text = f"risk ${self.risk_dollars}"
        return text + (" micros" if self.micros_only else "")


@dataclass(frozen=True, slots=True)
class CopyGroup:
    group_id: str
    name: str
    source_kind: CopySourceKind
    source: str
    followers: tuple[CopyFollower, ...]
    paused: bool
    created_ns: int
    updated_ns: int
