"""Paper account cash: commission schedule per instrument root and the balance ledger of each account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from core_server.execution.model import Account, AccountId

DEFAULT_COMMISSION = Decimal("2.50")  # dollars per contract per side


class CommissionSchedule:
    """Dollars per contract per side, by instrument root; roots not listed pay the default."""

    def __init__(self, per_root: Mapping[str, Decimal] | None = None, default: Decimal = DEFAULT_COMMISSION) -> None:
        self.default = default
        self.per_root = dict(per_root or {})
        for root, rate in (*self.per_root.items(), ("default", default)):
            if not isinstance(rate, Decimal) or rate < 0:
                raise ValueError(f"commission for {root} must be a non-negative Decimal")

    def rate(self, root: str) -> Decimal:
        return self.per_root.get(root, self.default)

    def for_fill(self, root: str, quantity: int) -> Decimal:
        return self.rate(root) * quantity


class AccountBook:
    """Every paper account's cash: balance = start + realised - commissions (all exact Decimal)."""

    def __init__(self) -> None:
        self._accounts: dict[AccountId, Account] = {}

    def __contains__(self, account_id: object) -> bool:
        return account_id in self._accounts

    def get(self, account_id: AccountId) -> Account:
        return self._accounts[account_id]

    def all(self) -> tuple[Account, ...]:
        return tuple(self._accounts.values())

    def open(self, account_id: AccountId, starting_balance: Decimal) -> Account:
        account = Account(account_id, starting_balance, Decimal(0), Decimal(0))
        self._accounts[account_id] = account
        return account

    def restore(self, account: Account) -> None:
        self._accounts[account.account_id] = account

    def reset(self, account_id: AccountId) -> Account:
        return self.open(account_id, self._accounts[account_id].starting_balance)

    def book_fill(self, account_id: AccountId, realised: Decimal, commission: Decimal) -> Account:
        old = self._accounts[account_id]
        new = replace(old, realised_pnl=old.realised_pnl + realised, commissions=old.commissions + commission)
        self._accounts[account_id] = new
        return new
