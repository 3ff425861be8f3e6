"""AnalyticsDesk: statistics, the P&L calendar, equity and excursions over the stored closed trades.

The facts of every closed trade are read once and kept in memory until the store's fingerprint changes (a trade
closed) or the journal is edited here, so a query over 100,000 trades is pure computation. Trades are booked
on the CME trade date of their exit (the session table; the 17:00 CT rule outside it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core_server.analytics.facts import TradeFacts, cme_booking
from core_server.analytics.filters import GroupBy, TradeQuery, group, select
from core_server.analytics.pnl_calendar import EquityDay, PnlCalendar, equity_history, pnl_calendar, trading_dates
from core_server.analytics.statistics import Statistics, compute_statistics
from core_server.calendar.sessions import TradingCalendar
from core_server.calendar.windows import SessionWindows
from core_server.execution.model import AccountId
from core_server.live.execution_desk import ExecutionDesk
from core_server.live.shell import LiveKernel
from core_server.live.trade_desk import TradeDesk
from core_server.model.errors import InvalidArgument, NotFound, Unavailable
from core_server.storage.analytics import AnalyticsRepository
from core_server.trades.model import JournalNotes, RoundTrip

MAX_EQUITY_DAYS = 3660


@dataclass(frozen=True, slots=True)
class GroupedStatistics:
    overall: Statistics
    groups: tuple[tuple[str, Statistics], ...]


class AnalyticsDesk:
    def __init__(
        self,
        shell: LiveKernel,
        store: AnalyticsRepository,
        trades: TradeDesk,
        execution: ExecutionDesk,
        calendar: TradingCalendar,
        windows: SessionWindows | None = None,
    ) -> None:
        self._shell = shell
        self._store = store
        self._trades = trades
        self._execution = execution
        self._calendar = calendar
        self._book = cme_booking(calendar)
        self.windows = windows or SessionWindows()
        self._facts: list[TradeFacts] = []
        self._accounts: frozenset[str] = frozenset()
        self._fingerprint: tuple[int, int] | None = None
        self._lock = asyncio.Lock()

    # -- reading ------------------------------------------------------------------------------------------------

    async def closed_trades(self) -> list[TradeFacts]:
        """Every closed executed trade, exit order; what the journal writer still queues is stored first."""
        with contextlib.suppress(Unavailable):
            await self._shell.writer.flush()
        async with self._lock:
            fingerprint = await self._store.fingerprint()
            if fingerprint != self._fingerprint:
                self._facts = await self._store.closed_trades(self._book)
                self._accounts = frozenset(t.account_id for t in self._facts)
                self._fingerprint = fingerprint
            return self._facts

    def resolve_account(self, reference: str, field: str = "account_id") -> str:
        """A paper account's id from its id or name, or the account of imported trades as written."""
        found = self._execution.account_named(reference)
        if found is not None:
            return str(found)
        if reference in self._accounts:
            return reference
        raise NotFound(field, f"no account with the id or name {reference!r}")

    def starting_balance(self, account_id: str) -> Decimal | None:
        """A paper account's starting balance; None for another account (imported trades)."""
        accounts = self._execution.engine.accounts()
        return next((a.starting_balance for a in accounts if a.account_id == account_id), None)

    def book(self, ts_ns: int) -> date:
        return self._book(ts_ns)

    def trading_days(self, first: date, last: date) -> list[date]:
        """CME trade dates in [first, last] (Monday-to-Friday outside the session table)."""
        table_first, table_last = self._calendar.first_trade_date, self._calendar.last_trade_date
        if first > last:
            return []
        if table_first <= first and last <= table_last:
            return [s.trade_date for s in self._calendar.sessions_between(first, last)]
        return trading_dates(first, last)

    # -- queries ------------------------------------------------------------------------------------------------

    async def select(self, query: TradeQuery) -> list[TradeFacts]:
        return select(await self.closed_trades(), query, self.windows)

    async def statistics(self, query: TradeQuery, by: GroupBy | None = None) -> GroupedStatistics:
        chosen = await self.select(query)
        balance = self.starting_balance(next(iter(query.account_ids))) if len(query.account_ids) == 1 else None
        days = self._span(chosen, query)
        overall = compute_statistics(chosen, starting_balance=balance, days=days)
        groups: tuple[tuple[str, Statistics], ...] = ()
        if by is not None:
            groups = tuple(
                (label, compute_statistics(trades)) for label, trades in group(chosen, by, self.windows).items()
            )
        return GroupedStatistics(overall, groups)

    async def calendar(self, query: TradeQuery, first: date, last: date) -> PnlCalendar:
        return pnl_calendar(await self.select(query), first, last)

    async def equity(
        self, account_id: str, first: date | None, last: date | None
    ) -> tuple[Decimal, tuple[EquityDay, ...]]:
        trades = [t for t in await self.closed_trades() if t.account_id == account_id]
        paper = self.starting_balance(account_id)
        balance = paper or Decimal(0)
        rules = None if paper is None else self._shell.kernel.risk.rules(AccountId(account_id))
        today = self.book(self._shell.clock.now_ns())
        start = first or (trades[0].trade_date if trades else today)
        end = last or max(today, trades[-1].trade_date if trades else today)
        if (end - start).days > MAX_EQUITY_DAYS:
            raise InvalidArgument("from_date", f"at most {MAX_EQUITY_DAYS} days of equity at once")
        return balance, equity_history(trades, balance, self.trading_days(start, end), rules)

    def _span(self, trades: Sequence[TradeFacts], query: TradeQuery) -> list[date] | None:
        """The trading days the selection covers: the filter's date range, else first to last booked trade."""
        if not trades:
            return None
        first = query.from_date or min(t.trade_date for t in trades)
        last = query.to_date or max(t.trade_date for t in trades)
        if (last - first) > timedelta(days=3660):
            return None
        return self.trading_days(first, last)

    # -- journal --------------------------------------------------------------------------------------------------

    async def update_journal(self, trade_id: str, notes: JournalNotes) -> RoundTrip:
        trip = await self._trades.set_journal(trade_id, notes)
        async with self._lock:
            self._fingerprint = None  # journal fields are in the facts
        return trip
