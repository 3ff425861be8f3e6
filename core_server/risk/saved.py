"""SavedAccount: the part of an account's risk state that must survive a restart (locks, peak, day, streak).

Everything else is rebuilt from the paper engine (balance, positions) and the rules. A plain value with a
JSON-ready form (`to_json`/`from_json`, exact decimal text) so a store can keep it without knowing the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from core_server.risk.events import RiskStatus, Rule
from core_server.risk.state import AccountState


@dataclass(frozen=True, slots=True)
class SavedAccount:
    account_id: str
    trading_day: date
    day_start_equity: Decimal
    peak: Decimal
    eod_balance: Decimal
    status: RiskStatus
    lock_rule: Rule | None
    lock_reason: str
    failed_rule: Rule | None
    failed_reason: str
    consecutive_losses: int
    cooldown_until_ns: int
    flat_by_done: bool
    day_results: tuple[tuple[date, Decimal], ...]
    trips: tuple[tuple[str, Decimal, Decimal], ...]  # contract, realised, fees of the open round trip
    held_reason: str = ""  # an operator hold (a failing stage); kept until released

    @property
    def held(self) -> bool:
        return bool(self.held_reason)

    @property
    def locked(self) -> bool:
        return self.lock_rule is not None or self.failed_rule is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "trading_day": self.trading_day.isoformat(),
            "day_start_equity": str(self.day_start_equity),
            "peak": str(self.peak),
            "eod_balance": str(self.eod_balance),
            "status": self.status.name.lower(),
            "lock_rule": self.lock_rule.label if self.lock_rule is not None else None,
            "lock_reason": self.lock_reason,
            "failed_rule": self.failed_rule.label if self.failed_rule is not None else None,
            "failed_reason": self.failed_reason,
            "consecutive_losses": self.consecutive_losses,
            "cooldown_until_ns": self.cooldown_until_ns,
            "flat_by_done": self.flat_by_done,
            "day_results": [[d.isoformat(), str(r)] for d, r in self.day_results],
            "trips": [[c, str(r), str(f)] for c, r, f in self.trips],
            "held_reason": self.held_reason,
        }

    @classmethod
    def from_json(cls, account_id: str, data: dict[str, Any]) -> SavedAccount:
        def rule(name: str | None) -> Rule | None:
            return Rule[name.upper()] if name else None

        return cls(
            account_id=account_id,
            trading_day=date.fromisoformat(data["trading_day"]),
            day_start_equity=Decimal(data["day_start_equity"]),
            peak=Decimal(data["peak"]),
            eod_balance=Decimal(data["eod_balance"]),
            status=RiskStatus[data["status"].upper()],
            lock_rule=rule(data["lock_rule"]),
            lock_reason=data["lock_reason"],
            failed_rule=rule(data["failed_rule"]),
            failed_reason=data["failed_reason"],
            consecutive_losses=int(data["consecutive_losses"]),
            cooldown_until_ns=int(data["cooldown_until_ns"]),
            flat_by_done=bool(data["flat_by_done"]),
            day_results=tuple((date.fromisoformat(d), Decimal(r)) for d, r in data["day_results"]),
            trips=tuple((c, Decimal(r), Decimal(f)) for c, r, f in data["trips"]),
            held_reason=str(data.get("held_reason", "")),
        )


def saved_of(state: AccountState) -> SavedAccount:
    return SavedAccount(
        account_id=state.account_id,
        trading_day=state.trading_day,
        day_start_equity=state.day_start_equity,
        peak=state.peak,
        eod_balance=state.eod_balance,
        status=state.status,
        lock_rule=state.lock_rule,
        lock_reason=state.lock_reason,
        failed_rule=state.failed_rule,
        failed_reason=state.failed_reason,
        consecutive_losses=state.consecutive_losses,
        cooldown_until_ns=state.cooldown_until_ns,
        flat_by_done=state.flat_by_done,
        day_results=tuple(state.day_results),
        trips=tuple((c, t[0], t[1]) for c, t in state.trips.items() if t[0] or t[1]),
        held_reason=state.held_reason,
    )


def apply_saved(state: AccountState, saved: SavedAccount) -> None:
    """Put a freshly tracked account back where it was saved (its holdings and balance come from elsewhere)."""
    state.trading_day = saved.trading_day
    state.day_start_equity = saved.day_start_equity
    state.peak = saved.peak
    state.eod_balance = saved.eod_balance
    state.status = saved.status
    state.lock_rule, state.lock_reason = saved.lock_rule, saved.lock_reason
    state.failed_rule, state.failed_reason = saved.failed_rule, saved.failed_reason
    state.consecutive_losses = saved.consecutive_losses
    state.cooldown_until_ns = saved.cooldown_until_ns
    state.flat_by_done = saved.flat_by_done
    state.day_results = list(saved.day_results)
    state.trips = {c: [r, f] for c, r, f in saved.trips}
    state.held_reason = saved.held_reason
