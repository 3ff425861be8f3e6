"""Live trading across front-month rolls: the same roll a continuous backtest runs, at the same instant.

The server resolves a continuous symbol of VIGIL_SYMBOLS (`NQ1!`, `NQ`) to its front month at start, and an alert or
order naming `NQ1!` resolves it again whenever it arrives (model.symbols.parse_symbol). When the front month
changes (SPEC §1: the 17:00 CT open of the trading day 8 calendar days before expiry, `Contract.roll_ns`), the
roller, checking the clock every second:

1. adds the new front month to the kernel and, in one stored command, runs the kernel's roll
   (kernel.front_roll, the backtests' code): every account's orders in the old contract are cancelled, its
   position there is closed at market (tag and exit reason `roll`; a LIVE account's close goes to its broker like
   any kernel order), and the strategies move to the new contract;
2. gives the new contract its market-data memory and asks the feed to stream it (feeds subscribe on the live
   connection, or at the next connect).

The old contract keeps streaming until the server stops (its closing orders need its quotes). A roll the store
could not take (Unavailable) is tried again at the next check; nothing of it was kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import structlog

from core_server.model.clock import NS_PER_SECOND, Clock
from core_server.model.errors import InvalidArgument, Unavailable
from core_server.model.instruments import Contract, front_contract
from core_server.model.symbols import parse_symbol
from core_server.ports import RollingFeed

if TYPE_CHECKING:
    from core_server.kernel.kernel import TradingKernel
    from core_server.live.shell import LiveKernel
    from core_server.market_data.engine import FeedBinding, MarketDataEngine

log = structlog.get_logger(__name__)

CHECK_EVERY_S = 1.0
RESUME_WAIT_NS = 30 * NS_PER_SECOND  # how long a roll missed while stopped waits for the old month's first quote
ROLL_ACTOR = "roll"


class FrontMonthRoller:
    """Rolls the continuous symbols' contracts (`fronts`: the front months resolved at start) as the clock passes
    their roll instants."""

    def __init__(
        self,
        clock: Clock,
        shell: LiveKernel,
        market: MarketDataEngine,
        binding: FeedBinding,
        feed: RollingFeed,
        fronts: Iterable[Contract],
        *,
        check_every_s: float = CHECK_EVERY_S,
    ) -> None:
        self._clock = clock
        self._shell = shell
        self._market = market
        self._binding = binding
        self._feed = feed
        self._fronts = {contract.root: contract for contract in fronts}
        self._check_every_s = check_every_s
        self.rolls: list[tuple[int, Contract, Contract]] = []  # (instant, old, new) of every roll run
        self._resumed: dict[str, int] = {}  # a missed roll's old month -> when it was resumed (waits for a quote)

    def fronts(self) -> tuple[Contract, ...]:
        return tuple(self._fronts.values())

    def resume_missed(self) -> list[Contract]:
        """At start, after the restore: an account still holding a position or open orders in an earlier month of
        a rolling root (the server was stopped across the roll) gets that month streamed again, and the roller
        rolls it at its first check, as it would have at the roll instant. A month that has expired is left to
        the account's owner (logged: nothing trades it any more). Returns the months resumed."""
        now = self._clock.now_ns()
        view = self._shell.kernel.commands.execution
        held: set[str] = set()
        for account in view.accounts():
            held.update(p.contract_id for p in view.positions(account.account_id) if p.net_qty)
            held.update(o.contract_id for o in view.open_orders(account.account_id))
        resumed: list[Contract] = []
        for contract_id in sorted(held):
            try:
                contract = parse_symbol(contract_id, now, field="contract_id")
            except InvalidArgument:
                continue
            front = self._fronts.get(contract.root)
            if front is None or contract.roll_ns > now:  # not a rolling root, or not an earlier month
                continue
            if now >= contract.expiry_ns:
                log.warning("contract.roll_missed_expired", contract=contract.id, front=front.id)
                continue
            self._shell.apply(self._adder(contract))
            self._market.add_contract(self._binding, contract)
            self._feed.add_contract(contract)
            if contract.roll_ns < self._fronts[contract.root].roll_ns:
                self._fronts[contract.root] = contract
            self._resumed[contract.id] = now
            resumed.append(contract)
            log.warning("contract.roll_missed", contract=contract.id, front=front.id)
        return resumed

    async def run(self) -> None:
        while True:
            try:
                await self.roll_due()
            except Exception:  # a bug must not end the rolls of the other roots or of later quarters
                log.exception("contract.roll_failed")
            await asyncio.sleep(self._wait_s())

    def _wait_s(self) -> float:
        if not self._fronts:
            return self._check_every_s
        if self._resumed:
            return self._check_every_s
        due = min(contract.roll_ns for contract in self._fronts.values()) - self._clock.now_ns()
        if due <= 0:  # a roll still to run (the store refused it): the next check, not a busy loop
            return self._check_every_s
        return min(self._check_every_s, due / NS_PER_SECOND)

    async def roll_due(self) -> None:
        """Roll every root whose front month's roll instant has passed."""
        for root, old in list(self._fronts.items()):
            now = self._clock.now_ns()
            if now < old.roll_ns or self._awaits_market(old, now):
                continue
            new = front_contract(root, now)
            try:
                refused = await self._roll(old, new)
            except Unavailable as exc:
                log.warning("contract.roll_deferred", old=old.id, new=new.id, reason=str(exc))
                continue
            self._fronts[root] = new
            self.rolls.append((now, old, new))
            log.info("contract.rolled", old=old.id, new=new.id, refused=refused)

    def _awaits_market(self, old: Contract, now: int) -> bool:
        """A resumed month is rolled once the kernel has its market (a paper close needs a quote), or after
        RESUME_WAIT_NS without one."""
        since = self._resumed.get(old.id)
        if since is None:
            return False
        if self._shell.kernel.commands.execution.quote(old.id) is None and now - since < RESUME_WAIT_NS:
            return True
        del self._resumed[old.id]
        return False

    def _adder(self, contract: Contract) -> Callable[[TradingKernel, int], None]:
        return lambda kernel, now: self._add_to_kernel(kernel, contract, now)

    def _add_to_kernel(self, kernel: TradingKernel, contract: Contract, now: int) -> None:
        if kernel.market.get(contract.id) is None:
            kernel.add_contract(contract, complete_from_ns=now, quote_only=self._binding.quote_only)

    async def _roll(self, old: Contract, new: Contract) -> list[str]:

        def roll(kernel: TradingKernel, now: int) -> list[str]:
            self._add_to_kernel(kernel, new, now)
            return kernel.roll_front_month(old, new, now)

        refused = await self._shell.command(roll, actor=ROLL_ACTOR)
        self._market.add_contract(self._binding, new)
        self._feed.add_contract(new)
        for reason in refused:
            log.warning("contract.roll_refused", old=old.id, new=new.id, reason=reason)
        return refused
