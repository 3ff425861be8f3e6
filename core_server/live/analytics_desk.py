"""AnalyticsDesk: statistics, the P&L calendar, equity and excursions over the stored closed trades.

The facts of every closed trade are read once and kept in memory until the store's fingerprint changes (a trade
closed) or the journal is edited here, so a query over 100,000 trades is pure computation. Trades are booked
on the CME trade date of their exit (the session table; the 17:00 CT rule outside it).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from bisect import bisect_left, bisect_right
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import structlog

from core_server.analytics.columns import Columns, TradeIndex, column_statistics
from core_server.analytics.daily_report import DailyReport, rule_usage
from core_server.analytics.export import trades_csv
from core_server.analytics.facts import TradeFacts, cme_booking
from core_server.analytics.filters import EntryClock, GroupBy, TradeQuery, group, select
from core_server.analytics.imports import ImportFormat, import_history
from core_server.analytics.pnl_calendar import EquityDay, PnlCalendar, equity_history, pnl_calendar, trading_dates
from core_server.analytics.statistics import Statistics, compute_statistics
from core_server.bus import Bus, Subscription
from core_server.calendar.sessions import TradingCalendar
from core_server.calendar.windows import SessionWindows
from core_server.execution.model import AccountId
from core_server.live.execution_desk import ExecutionDesk
from core_server.live.journal import TRADES_TOPIC, TradeUpdate
from core_server.live.shell import LiveKernel
from core_server.live.trade_desk import TradeDesk
from core_server.model.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from core_server.storage.analytics import AnalyticsRepository, ClosedRows, facts_from_rows
from core_server.trades.model import JournalNotes, RoundTrip

log = structlog.get_logger(__name__)

MAX_EQUITY_DAYS = 3660
MEMO_SIZE = 64
# At most one open and one closing update, conflated: only whether a trade closed matters (a queue of every update
# that nobody drains without a query compacted its full length at each update once closed trades filled it).
UPDATES_KEPT = 3


def _closes(update: TradeUpdate) -> bool:
    """Conflation keeps the latest update, and the latest closing one apart from it."""
    return update.trip.closed_ns is not None


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Loaded:
    """The closed trades as a desk keeps them: facts in exit order, their days, accounts, positions, the entry
    clock and the integer columns' index (None when an amount has more than 4 decimals)."""

    facts: list[TradeFacts]
    days: list[date]
    accounts: frozenset[str]
    positions: dict[str, int]
    clock: EntryClock
    index: TradeIndex | None

    @classmethod
    def of(cls, facts: list[TradeFacts], windows: SessionWindows, columns: Columns | None = None) -> _Loaded:
        clock = EntryClock(windows)
        columns = columns if columns is not None else Columns.build(facts)
        return cls(
            facts,
            [t.trade_date for t in facts],
            frozenset(t.account_id for t in facts),
            {t.trade_id: i for i, t in enumerate(facts)},
            clock,
            None if columns is None else TradeIndex(facts, columns, clock),
        )


def _prepare(rows: ClosedRows, book: Callable[[int], date], windows: SessionWindows) -> _Loaded:
    """Stored rows to what the desk keeps, with the index's codes built (pure; runs in a worker thread)."""
    loaded = _Loaded.of(facts_from_rows(rows, book), windows)
    if loaded.index is not None:
        loaded.index.build_codes()
    return loaded


@dataclass(frozen=True, slots=True)
class ImportSummary:
    stored: tuple[str, ...]  # ids of the trades newly stored
    duplicates: int  # trips already stored by an earlier import
    executions: int
    open_at_end: int


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
        bus: Bus | None = None,
    ) -> None:
        self._shell = shell
        self._store = store
        self._trades = trades
        self._execution = execution
        self._calendar = calendar
        self._book = cme_booking(calendar)
        self.windows = windows or SessionWindows()
        self._facts: list[TradeFacts] = []
        self._days: list[date] = []  # each fact's trading day, ascending (exits are booked in time order)
        self._clock = EntryClock(self.windows)
        # Integer columns of the facts for the statistics (None when an amount has more than 4 decimals: then the
        # per-trade code computes them, with the same results).
        self._index: TradeIndex | None = None
        self._positions: dict[str, int] = {}  # trade id -> position in the facts
        # answers (computed or being computed) for the facts as they stand
        self._memo: dict[tuple[object, ...], asyncio.Future[Any]] = {}
        self._accounts: frozenset[str] = frozenset()
        self._fingerprint: tuple[int, int] | None = None
        self._lock = asyncio.Lock()
        # With the bus, a stored trade that closed marks the facts stale and no query asks the store whether
        # anything changed; without it (or after the subscription was lost), the store's fingerprint is read.
        self._updates: Subscription[TradeUpdate] | None = None
        if bus is not None:
            self._updates = bus.subscribe(TRADES_TOPIC, maxsize=UPDATES_KEPT, conflate=_closes)

    # -- reading ------------------------------------------------------------------------------------------------

    async def closed_trades(self) -> list[TradeFacts]:
        """Every closed executed trade, exit order; what the journal writer still queues is stored first."""
        with contextlib.suppress(Unavailable):
            await self._shell.writer.flush()
        async with self._lock:
            if self._fingerprint is not None and self._updates is not None and not self._updates.closed:
                if await self.closed_since_read():
                    await self._append_closed()
                return self._facts
            await self._read_all()
            return self._facts

    async def warm(self) -> None:
        """Read the stored closed trades in the background at start, so the first query finds them in memory (a
        query meanwhile waits for this read instead of starting its own). Never raises: a failed read is logged and
        the first query reads again."""
        try:
            async with self._lock:
                if self._fingerprint is None:
                    started = time.perf_counter()
                    await self._read_all()
                    ms = int((time.perf_counter() - started) * 1000)
                    log.info("analytics.warmed", trades=len(self._facts), ms=ms)
        except Exception as error:  # the server runs on; the first query reads (and reports) again
            log.warning("analytics.warm_failed", error=str(error))

    async def _read_all(self) -> None:
        """Read every closed trade again if the store changed (the caller holds the lock). The rows convert to
        facts, columns and index in a worker thread: 100,000 of them take seconds, which the event loop (and the
        kernel on it) must not wait for."""
        fingerprint = await self._store.fingerprint()
        if fingerprint == self._fingerprint:
            return
        rows = await self._store.closed_rows()
        self._install(await asyncio.to_thread(_prepare, rows, self._book, self.windows))
        self._fingerprint = fingerprint

    def _load(self, facts: list[TradeFacts], columns: Columns | None = None) -> None:
        """Take `facts` (exit order) as the closed trades: days, accounts, columns and index, a cleared memo."""
        self._install(_Loaded.of(facts, self.windows, columns))

    def _install(self, loaded: _Loaded) -> None:
        self._facts, self._days, self._accounts = loaded.facts, loaded.days, loaded.accounts
        self._positions, self._clock, self._index = loaded.positions, loaded.clock, loaded.index
        self._memo.clear()

    async def _append_closed(self) -> None:
        """Read only the trades that closed since the last one known, and add them (a new trade closes after
        every known one; one that does not, e.g. at the same nanosecond with a smaller id, reloads the order)."""
        facts = self._facts
        last = facts[-1].closed_ns if facts else 0
        new = [t for t in await self._store.closed_trades(self._book, last) if t.trade_id not in self._positions]
        if not new:
            return
        key = (facts[-1].closed_ns, facts[-1].trade_id) if facts else None
        if key is not None and (new[0].closed_ns, new[0].trade_id) < key:
            self._load(sorted((*facts, *new), key=lambda t: (t.closed_ns, t.trade_id)))
        else:
            index, more = self._index, Columns.build(new)
            columns = index.columns.extend(more) if index is not None and more is not None else None
            self._load([*facts, *new], columns)
        self._fingerprint = (len(self._facts), self._facts[-1].closed_ns)

    def trade_updates_buffered(self) -> int:
        """Trade updates the bus holds for this desk (at most UPDATES_KEPT: two conflated, and the newest)."""
        return self._updates.pending() if self._updates is not None else 0

    async def closed_since_read(self) -> bool:
        """Whether a stored trade has closed since the facts were read (known from the bus alone)."""
        updates = self._updates
        assert updates is not None
        changed = False
        while updates.pending():
            changed |= any(u.trip.closed_ns is not None for u in await updates.next_batch(UPDATES_KEPT))
        return changed

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
        """The trades the query selects, in exit order; a date range is cut by bisection first."""
        await self.closed_trades()
        return await asyncio.to_thread(self._selector(), query)

    def _selector(self) -> Callable[[TradeQuery], list[TradeFacts]]:
        """A pure function of the trades as they stand now (it keeps its own references: a reload meanwhile
        does not change what it selects from), to run off the event loop."""
        facts, days, clock = self._facts, self._days, self._clock

        def pick(query: TradeQuery) -> list[TradeFacts]:
            lo = bisect_left(days, query.from_date) if query.from_date else 0
            hi = bisect_right(days, query.to_date) if query.to_date else len(facts)
            return select(facts[lo:hi] if (lo, hi) != (0, len(facts)) else facts, query, clock)

        return pick

    async def _memoised(self, key: tuple[object, ...], compute: Callable[[], Awaitable[_T]]) -> _T:
        """The answer for `key` while the stored trades are unchanged (a changed fingerprint clears the memo)."""
        await self.closed_trades()
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            # The answer being computed is remembered as it starts: the same question asked meanwhile (a screen
            # asks for the statistics per session and per hour at once, both with the overall figures) waits for
            # it instead of computing it again. A failed computation is forgotten, so the next call tries again.
            found = self._memo[key] = asyncio.ensure_future(compute())
            found.add_done_callback(lambda done: self._forget_failed(key, done))
        return await asyncio.shield(found)

    def _forget_failed(self, key: tuple[object, ...], done: asyncio.Future[object]) -> None:
        if (done.cancelled() or done.exception() is not None) and self._memo.get(key) is done:
            del self._memo[key]

    async def statistics(self, query: TradeQuery, by: GroupBy | None = None) -> GroupedStatistics:
        balance = self.starting_balance(next(iter(query.account_ids))) if len(query.account_ids) == 1 else None
        overall = await self._memoised(("overall", query, balance), lambda: self._overall(query, balance))
        groups: tuple[tuple[str, Statistics], ...] = ()
        if by is not None:
            groups = await self._memoised(("groups", query, by), lambda: self._groups(query, by))
        return GroupedStatistics(overall, groups)

    # The computations run in a worker thread over the trades as they stood when asked: 100,000 trades take tens
    # of milliseconds (the first question after a start, longer), which the kernel on the event loop must not
    # wait for; the thread yields the interpreter to the loop every switch interval.

    async def _overall(self, query: TradeQuery, balance: Decimal | None) -> Statistics:
        await self.closed_trades()
        index, pick, span = self._index, self._selector(), self._span

        def compute() -> Statistics:
            if index is not None:
                columns = index.columns.take(index.select(query))
                return column_statistics(columns, starting_balance=balance, days=span(columns.facts, query))
            chosen = pick(query)
            return compute_statistics(chosen, starting_balance=balance, days=span(chosen, query), presorted=True)

        return await asyncio.to_thread(compute)

    async def _groups(self, query: TradeQuery, by: GroupBy) -> tuple[tuple[str, Statistics], ...]:
        await self.closed_trades()
        index, pick, clock = self._index, self._selector(), self._clock

        def compute() -> tuple[tuple[str, Statistics], ...]:
            if index is not None:
                return tuple(
                    (label, column_statistics(index.columns.take(positions)))
                    for label, positions in index.groups(by, index.select(query))
                )
            return tuple(
                (label, compute_statistics(trades, presorted=True))
                for label, trades in group(pick(query), by, clock).items()
            )

        return await asyncio.to_thread(compute)

    async def calendar(self, query: TradeQuery, first: date, last: date) -> PnlCalendar:
        narrowed = replace(
            query,
            from_date=max(first, query.from_date) if query.from_date else first,
            to_date=min(last, query.to_date) if query.to_date else last,
        )
        return await self._memoised(("calendar", query, first, last), lambda: self._month_totals(narrowed, first, last))

    async def _month_totals(self, query: TradeQuery, first: date, last: date) -> PnlCalendar:
        await self.closed_trades()
        pick = self._selector()
        return await asyncio.to_thread(lambda: pnl_calendar(pick(query), first, last))

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
        key = ("equity", account_id, start, end, balance, rules)
        days = self.trading_days(start, end)
        history = await self._memoised(
            key, lambda: asyncio.to_thread(equity_history, trades, balance, days, rules, presorted=True)
        )
        return balance, history

    def _span(self, trades: Sequence[TradeFacts], query: TradeQuery) -> list[date] | None:
        """The trading days the selection covers: the filter's date range, else first to last booked trade."""
        if not trades:
            return None
        first = query.from_date or min(t.trade_date for t in trades)
        last = query.to_date or max(t.trade_date for t in trades)
        if (last - first) > timedelta(days=3660):
            return None
        return self.trading_days(first, last)

    # -- coaching -------------------------------------------------------------------------------------------------

    def paper_accounts(self) -> list[str]:
        return [str(a.account_id) for a in self._execution.engine.accounts()]

    async def best_session(self, account_id: str) -> tuple[str | None, int]:
        """The account's session window with the best expectancy (net per trade), and its closed trades."""
        query = TradeQuery(account_ids=frozenset({account_id}))
        groups = await self._memoised(("groups", query, GroupBy.SESSION), lambda: self._groups(query, GroupBy.SESSION))
        count = sum(s.trades for _, s in groups)
        ranked = [(s.expectancy, label) for label, s in groups if s.expectancy is not None]
        return (max(ranked)[1] if ranked else None), count

    async def average_loser_hold(self, account_id: str) -> int | None:
        query = TradeQuery(account_ids=frozenset({account_id}))
        overall = await self._memoised(("overall", query, None), lambda: self._overall(query, None))
        return overall.average_hold_loss_ns

    # -- daily report -------------------------------------------------------------------------------------------

    async def daily_report(self, account_id: str, day: date | None = None) -> DailyReport:
        """The account's report for the trading day `day` (default: the current one)."""
        now = self._shell.clock.now_ns()
        day = day or self.book(now)
        trades = [t for t in await self.closed_trades() if t.account_id == account_id]
        paper = self.starting_balance(account_id)
        rules = None if paper is None else self._shell.kernel.risk.rules(AccountId(account_id))
        first = day.replace(day=1)
        days = self.trading_days(first, day) or [day]
        equity = equity_history(trades, paper or Decimal(0), days, rules, presorted=True)
        todays = tuple(t for t in trades if t.trade_date == day)
        statistics = compute_statistics(todays, presorted=True)
        usage = rule_usage(
            statistics.net_pnl,
            None if rules is None else rules.daily_loss_limit,
            next((e for e in equity if e.day == day), None),
        )
        month = pnl_calendar(trades, first, day)
        return DailyReport(account_id, day, todays, statistics, month, equity, usage, now)

    # -- imports and exports -------------------------------------------------------------------------------------

    async def import_history(
        self, text: str, fmt: ImportFormat | None, account: str, tz: ZoneInfo, fee: Decimal
    ) -> ImportSummary:
        """Rebuild the file's round trips and store the new ones as imported trades (never in live risk: they are
        closed rows no restore reads, and no risk state counts them). A paper account's name is refused."""
        result = import_history(text, fmt=fmt, account=account, tz=tz, commission_per_contract=fee)
        for trip in result.trips:
            if self._execution.account_named(trip.account) is not None:
                raise FailedPrecondition(
                    f"account {trip.account!r} is a paper account; imported history needs an account of its own"
                )
        stored = await self._store.save_imported(result.trips)
        async with self._lock:
            self._fingerprint = None
        return ImportSummary(tuple(stored), len(result.trips) - len(stored), result.executions, result.open_at_end)

    async def export_csv(self, query: TradeQuery) -> tuple[str, int]:
        chosen = await self.select(query)
        return trades_csv(chosen), len(chosen)

    # -- journal --------------------------------------------------------------------------------------------------

    async def update_journal(self, trade_id: str, notes: JournalNotes) -> RoundTrip:
        """Store the trade's journal fields, and change them in the facts in place (no reload)."""
        trip = await self._trades.set_journal(trade_id, notes)
        async with self._lock:
            position = self._positions.get(trade_id)
            if position is not None and self._fingerprint is not None:
                facts = list(self._facts)
                facts[position] = replace(
                    facts[position], tags=notes.tags, setup=notes.setup, notes=notes.notes, rating=notes.rating
                )
                self._load(facts, None if self._index is None else replace(self._index.columns, facts=tuple(facts)))
        return trip
