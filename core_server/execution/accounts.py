"""Paper account cash: commission schedule per instrument root and the balance ledger of each account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from core_server.execution.model import Account, AccountId

DEFAULT_COMMISSION = Decimal("2.50")  # dollars per contract per side: the flat rate of a bare schedule
MAX_COMMISSION = Decimal(1000)  # dollars per contract per side; anything above is a typo
COMMISSION_PLACES = 4

# Per side, all-in (broker commission + exchange and clearing fees + NFA fee), dollars per contract: typical
# retail rates on a Tradovate / NinjaTrader free plan (README "Commissions" gives the sources). Micros pay a
# fraction of a mini: the exchange charges them about a quarter, and the broker's own commission is smaller.
BROKER_RATES: dict[str, Decimal] = {
    "ES": Decimal("2.88"),
    "NQ": Decimal("2.88"),
    "YM": Decimal("2.88"),
    "RTY": Decimal("2.88"),
    "MES": Decimal("0.72"),
    "MNQ": Decimal("0.72"),
    "MYM": Decimal("0.72"),
    "M2K": Decimal("0.72"),
}


def check_rate(root: str, rate: object) -> Decimal:
    if not isinstance(rate, Decimal) or not rate.is_finite() or not 0 <= rate <= MAX_COMMISSION:
        raise ValueError(f"commission for {root} must be a Decimal from 0 to {MAX_COMMISSION}")
    if rate != rate.quantize(Decimal(1).scaleb(-COMMISSION_PLACES)):
        raise ValueError(f"commission for {root} has more than {COMMISSION_PLACES} decimals")
    return rate


class CommissionSchedule:
    """Dollars per contract per side, by instrument root; roots not listed pay the default. An account may
    override the rate of any root (`set_account`); the others keep the schedule's."""

    def __init__(self, per_root: Mapping[str, Decimal] | None = None, default: Decimal = DEFAULT_COMMISSION) -> None:
        self.default = default
        self.per_root = dict(per_root or {})
        for root, rate in (*self.per_root.items(), ("default", default)):
            if not isinstance(rate, Decimal) or rate < 0:
                raise ValueError(f"commission for {root} must be a non-negative Decimal")
        self.accounts: dict[AccountId, dict[str, Decimal]] = {}

    @classmethod
    def broker(cls, overrides: Mapping[str, Decimal] | None = None, flat: Decimal | None = None) -> CommissionSchedule:
        """The documented per-root defaults (BROKER_RATES), or one `flat` rate for every root, then `overrides`."""
        rates = dict.fromkeys(BROKER_RATES, flat) if flat is not None else dict(BROKER_RATES)
        rates.update(overrides or {})
        return cls(rates, default=flat if flat is not None else DEFAULT_COMMISSION)

    def copy(self) -> CommissionSchedule:
        """The same rates, with the account overrides of its own (an engine changes only its copy)."""
        twin = CommissionSchedule(self.per_root, self.default)
        twin.accounts = {a: dict(r) for a, r in self.accounts.items()}
        return twin

    def server_rate(self, root: str) -> Decimal:
        return self.per_root.get(root, self.default)

    def rate(self, root: str, account_id: AccountId | None = None) -> Decimal:
        if account_id is not None:
            own = self.accounts.get(account_id)
            if own is not None and root in own:
                return own[root]
        return self.per_root.get(root, self.default)

    def for_fill(self, root: str, quantity: int, account_id: AccountId | None = None) -> Decimal:
        return self.rate(root, account_id) * quantity

    def account_overrides(self, account_id: AccountId) -> dict[str, Decimal]:
        return dict(self.accounts.get(account_id, {}))

    def set_account(self, account_id: AccountId, overrides: Mapping[str, Decimal]) -> None:
        """Replace an account's overrides whole (empty: the account pays the schedule's rates)."""
        checked = {root: check_rate(root, rate) for root, rate in overrides.items()}
        if checked:
            self.accounts[account_id] = checked
        else:
            self.accounts.pop(account_id, None)

    def all_overrides(self) -> tuple[tuple[AccountId, tuple[tuple[str, Decimal], ...]], ...]:
        return tuple((a, tuple(sorted(r.items()))) for a, r in sorted(self.accounts.items()))


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
