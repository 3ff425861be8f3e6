"""Statistics straight from round trips: what a backtest report (or any caller holding RoundTrips) uses.

Open trips and signal-only trips (never executed on an account) are left out, as the AnalyticsService does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal

from core_server.analytics.facts import TradeFacts, facts_of
from core_server.analytics.statistics import Statistics, compute_statistics
from core_server.calendar.trading_day import trading_day_of
from core_server.trades.model import RoundTrip


def closed_facts(
    trips: Iterable[RoundTrip], *, source: str | None = None, book: Callable[[int], date] = trading_day_of
) -> list[TradeFacts]:
    """The facts of the closed, executed trips (source: e.g. "backtest"; book: exit ns -> trading day)."""
    return [facts_of(t, book, source) for t in trips if t.closed_ns is not None and t.account_id is not None]


def round_trip_statistics(
    trips: Iterable[RoundTrip],
    *,
    starting_balance: Decimal | None = None,
    days: Sequence[date] | None = None,
    source: str | None = None,
    book: Callable[[int], date] = trading_day_of,
) -> Statistics:
    return compute_statistics(
        closed_facts(trips, source=source, book=book), starting_balance=starting_balance, days=days
    )
