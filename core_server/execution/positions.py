"""Net positions per account and contract, with FIFO lots so realised P&L stays in exact integer ticks.

Realised P&L pairs each reducing contract with the oldest open lot (FIFO, as futures clearing does); over a
round trip back to flat it equals the average-cost result. The average entry price is the open lots' total
cost divided by the open quantity, derived as a Decimal only when asked.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from core_server.execution.model import AccountId, Position
from core_server.model.instruments import InstrumentSpec

_ZERO = Decimal(0)


@dataclass(slots=True)
class _Ledger:
    lots: deque[list[int]] = field(default_factory=deque)  # [price ticks, signed quantity], oldest first
    net_qty: int = 0
    open_cost: int = 0
    realised_ticks: int = 0
    realised_pnl: Decimal = _ZERO
    commissions: Decimal = _ZERO


class PositionBook:
    """Positions of every account; apply a fill and get back the new Position and what it realised."""

    def __init__(self) -> None:
        self._ledgers: dict[tuple[AccountId, str], _Ledger] = {}

    def apply_fill(
        self, account_id: AccountId, contract_id: str, spec: InstrumentSpec, signed_qty: int, price: int, fee: Decimal
    ) -> tuple[Position, int, Decimal]:
        """Book a fill of `signed_qty` (> 0 buy) at `price` ticks; returns (position, realised ticks, dollars)."""
        ledger = self._ledgers.setdefault((account_id, contract_id), _Ledger())
        realised = 0
        remaining = signed_qty
        lots = ledger.lots
        while remaining and lots and (lots[0][1] > 0) != (remaining > 0):
            lot = lots[0]
            closing = min(abs(remaining), abs(lot[1]))
            direction = 1 if lot[1] > 0 else -1  # a long lot gains when price rises
            realised += (price - lot[0]) * closing * direction
            lot[1] -= closing * direction
            ledger.open_cost -= lot[0] * closing
            remaining += closing * direction
            if lot[1] == 0:
                lots.popleft()
        if remaining:
            lots.append([price, remaining])
            ledger.open_cost += price * abs(remaining)
        ledger.net_qty += signed_qty
        dollars = spec.tick_value * realised
        ledger.realised_ticks += realised
        ledger.realised_pnl += dollars
        ledger.commissions += fee
        return self._value(account_id, contract_id, ledger), realised, dollars

    def get(self, account_id: AccountId, contract_id: str) -> Position:
        ledger = self._ledgers.get((account_id, contract_id))
        if ledger is None:
            return Position(account_id, contract_id, 0, 0, 0, _ZERO, _ZERO)
        return self._value(account_id, contract_id, ledger)

    def of_account(self, account_id: AccountId) -> tuple[Position, ...]:
        return tuple(self._value(a, c, led) for (a, c), led in self._ledgers.items() if a == account_id)

    def all(self) -> tuple[Position, ...]:
        return tuple(self._value(a, c, led) for (a, c), led in self._ledgers.items())

    def lots(self) -> tuple[tuple[AccountId, str, tuple[tuple[int, int], ...]], ...]:
        """Open lots of every position, (price ticks, signed quantity) oldest first: what a restore needs."""
        return tuple((a, c, tuple((p, q) for p, q in led.lots)) for (a, c), led in self._ledgers.items())

    def lots_of(self, account_id: AccountId, contract_id: str) -> tuple[tuple[int, int], ...]:
        ledger = self._ledgers.get((account_id, contract_id))
        return () if ledger is None else tuple((p, q) for p, q in ledger.lots)

    def restore(self, position: Position, lots: tuple[tuple[int, int], ...]) -> None:
        """Put back one position exactly as it was (net, cost, realised, commissions and its FIFO lots)."""
        self._ledgers[(position.account_id, position.contract_id)] = _Ledger(
            deque([p, q] for p, q in lots),
            position.net_qty,
            position.open_cost,
            position.realised_ticks,
            position.realised_pnl,
            position.commissions,
        )

    def clear(self, account_id: AccountId) -> tuple[Position, ...]:
        """Forget the account's positions (reset); returns the flat positions that replaced open ones."""
        cleared = []
        for key in [k for k in self._ledgers if k[0] == account_id]:
            if self._ledgers.pop(key).net_qty:
                cleared.append(Position(account_id, key[1], 0, 0, 0, _ZERO, _ZERO))
        return tuple(cleared)

    @staticmethod
    def _value(account_id: AccountId, contract_id: str, led: _Ledger) -> Position:
        return Position(
            account_id, contract_id, led.net_qty, led.open_cost, led.realised_ticks, led.realised_pnl, led.commissions
        )
