"""CommissionDesk: each paper account's commission rates for the servicers (per side, all-in, by root).

An account pays the server's schedule (the documented defaults, VIGIL_COMMISSION, VIGIL_COMMISSIONS) unless it
overrides a root. A change runs as one kernel command and is stored with it (table paper_commission_rates), so a
store that refuses leaves the rates as they were; it applies to the account's next fill, never to past ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from core_server.execution.commission_rates import StoredCommissionRates
from core_server.execution.model import AccountId
from core_server.kernel.kernel import TradingKernel
from core_server.live.ports import JournalBatch
from core_server.live.shell import LiveKernel
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS


@dataclass(frozen=True, slots=True)
class RootRate:
    root: str
    rate: Decimal  # what the account pays, dollars per contract per side
    server_rate: Decimal  # what the server's schedule says
    overridden: bool


class CommissionDesk:
    def __init__(self, shell: LiveKernel) -> None:
        self._shell = shell

    def rates(self, account_id: AccountId) -> tuple[RootRate, ...]:
        """Every root's rate for the account (NotFound: no such account)."""
        engine = self._shell.kernel.execution
        engine.account(account_id)
        schedule = engine.commissions
        own = schedule.account_overrides(account_id)
        return tuple(
            RootRate(root, own.get(root, schedule.server_rate(root)), schedule.server_rate(root), root in own)
            for root in INSTRUMENTS
        )

    async def set_rates(
        self, account_id: AccountId, rates: Mapping[str, Decimal], reset: Iterable[str] = (), reset_all: bool = False
    ) -> tuple[RootRate, ...]:
        """Override the given roots, put the `reset` ones (or all, first) back to the server's rate, in one stored
        step. InvalidArgument / NotFound / Unavailable: nothing changed."""
        engine = self._shell.kernel.execution
        engine.account(account_id)
        reset = tuple(reset)
        for root in reset:
            if root not in INSTRUMENTS:
                known = ", ".join(INSTRUMENTS)
                raise InvalidArgument("reset_roots", f"unknown instrument root {root!r}; known: {known}")
            if root in rates:
                raise InvalidArgument("reset_roots", f"{root} is both set and reset")
        overrides = {} if reset_all else engine.commissions.account_overrides(account_id)
        for root in reset:
            overrides.pop(root, None)
        overrides.update(rates)

        def run(kernel: TradingKernel, now: int) -> None:
            kernel.execution.set_commission_overrides(account_id, overrides)

        def stored(batch: JournalBatch) -> None:
            batch.commission_rates.append(StoredCommissionRates(account_id, tuple(sorted(overrides.items()))))

        await self._shell.command(run, extra=stored)
        return self.rates(account_id)


def restore_commissions(kernel: TradingKernel, stored: Mapping[AccountId, Mapping[str, Decimal]]) -> None:
    """Put back the stored overrides of the accounts the engine has (start path)."""
    engine = kernel.execution
    known = {a.account_id for a in engine.accounts()}
    for account_id, rates in stored.items():
        if account_id in known:
            engine.set_commission_overrides(account_id, rates)
