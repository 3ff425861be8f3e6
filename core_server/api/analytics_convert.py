"""AnalyticsService requests -> queries, and statistics, calendars and equity -> vigil.v1 analytics messages.

Exact values become decimal text: a Decimal as it is; a Fraction exactly when it terminates within 6 places
(1/4 -> "0.25"), else rounded half-even to 6 places (1/3 -> "0.333333"); None -> "".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from core_server.analytics.facts import TradeFacts
from core_server.analytics.filters import NO_WINDOW, TradeQuery
from core_server.analytics.pnl_calendar import EquityDay, PnlTotal
from core_server.analytics.statistics import Bucket, Drawdown, Statistics
from core_server.api import arguments, enums
from core_server.api.trades_convert import DIRECTION_TO_PROTO
from core_server.calendar.windows import SessionWindows
from core_server.excursions.tracked import TradeSource
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS
from vigil.v1 import analytics_pb2 as pb

PLACES = 6
_QUANTUM = Decimal(1).scaleb(-PLACES)
MAX_FILTER_VALUES = 64
MIN_YEAR, MAX_YEAR = 1970, 2200
SOURCES = frozenset(s.value for s in TradeSource) | {"backtest"}
GROUP_BY = enums.GROUP_BY.from_proto
_DIRECTIONS = enums.TRADE_DIRECTION.from_proto


def fraction_text(value: Fraction | None) -> str:
    if value is None:
        return ""
    quotient = Decimal(value.numerator) / Decimal(value.denominator)
    if 10**PLACES % value.denominator == 0:  # terminates within PLACES decimals: exact
        return format(quotient.normalize(), "f")
    return str(quotient.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN))


def money_text(value: Decimal | None) -> str:
    return "" if value is None else str(value)


# -- requests -----------------------------------------------------------------------------------------------------


def _values(values: Sequence[str], field: str, max_chars: int = arguments.MAX_ID_CHARS) -> list[str]:
    if len(values) > MAX_FILTER_VALUES:
        raise InvalidArgument(field, f"at most {MAX_FILTER_VALUES} values")
    out = []
    for v in values:
        text = arguments.text(v, field, max_chars).strip()
        if not text:
            raise InvalidArgument(field, "values must not be empty")
        out.append(text)
    return out


def query_from_proto(
    f: pb.AnalyticsFilter, resolve_account: Callable[[str, str], str], windows: SessionWindows
) -> TradeQuery:
    accounts = frozenset(resolve_account(a, "filter.account_ids") for a in _values(f.account_ids, "filter.account_ids"))
    roots = frozenset(r.upper() for r in _values(f.roots, "filter.roots"))
    unknown_roots = roots - set(INSTRUMENTS)
    if unknown_roots:
        raise InvalidArgument("filter.roots", f"unknown instrument root {sorted(unknown_roots)[0]!r}")
    if f.direction and f.direction not in _DIRECTIONS:
        raise InvalidArgument("filter.direction", f"unknown direction {f.direction}")
    names = frozenset(_values(f.session_windows, "filter.session_windows", arguments.MAX_NAME_CHARS))
    unknown = names - set(windows.names) - {NO_WINDOW}
    if unknown:
        raise InvalidArgument("filter.session_windows", f"unknown session window {sorted(unknown)[0]!r}")
    if len(f.hours) > 24 or any(not 0 <= h <= 23 for h in f.hours):
        raise InvalidArgument("filter.hours", "hours are 0 to 23")
    if len(f.weekdays) > 7 or any(not 1 <= d <= 7 for d in f.weekdays):
        raise InvalidArgument("filter.weekdays", "weekdays are 1 (Monday) to 7 (Sunday)")
    if f.strategy_version < 0:
        raise InvalidArgument("filter.strategy_version", "must not be negative (0 means any)")
    sources = frozenset(_values(f.sources, "filter.sources"))
    if sources - SOURCES:
        raise InvalidArgument("filter.sources", f"unknown source {sorted(sources - SOURCES)[0]!r}")
    from_date = arguments.optional_date(arguments.text(f.from_date, "filter.from_date", 32), "filter.from_date")
    to_date = arguments.optional_date(arguments.text(f.to_date, "filter.to_date", 32), "filter.to_date")
    if from_date and to_date and from_date > to_date:
        raise InvalidArgument("filter.from_date", "must not be after to_date")
    return TradeQuery(
        account_ids=accounts,
        strategy_id=arguments.text(f.strategy_id, "filter.strategy_id", arguments.MAX_ID_CHARS).strip(),
        strategy_version=f.strategy_version or None,
        roots=roots,
        direction=_DIRECTIONS.get(f.direction),
        session_windows=names,
        hours=frozenset(f.hours),
        weekdays=frozenset(d - 1 for d in f.weekdays),
        from_date=from_date,
        to_date=to_date,
        sources=sources,
        tags=frozenset(_values(f.tags, "filter.tags", arguments.MAX_NAME_CHARS)),
        setup=arguments.text(f.setup, "filter.setup", arguments.MAX_NAME_CHARS).strip(),
    )


def month_range(from_month: str, to_month: str, max_months: int) -> tuple[date, date]:
    """[first day of from_month, last day of to_month] from YYYY-MM texts."""
    first = _month(from_month, "from_month")
    last = _month(to_month, "to_month") if to_month.strip() else first
    if last < first:
        raise InvalidArgument("to_month", "must not be before from_month")
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months > max_months:
        raise InvalidArgument("to_month", f"at most {max_months} months")
    following = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def _month(text: str, field: str) -> date:
    value = arguments.text(text, field, 16).strip()
    if not value:
        raise InvalidArgument(field, "a month is required (YYYY-MM)")
    try:
        year, month = value.split("-")
        if not MIN_YEAR <= int(year) <= MAX_YEAR:
            raise ValueError(year)
        return date(int(year), int(month), 1)
    except ValueError:
        raise InvalidArgument(field, f"{value!r} is not a month; use YYYY-MM") from None


# -- responses ------------------------------------------------------------------------------------------------------


def buckets_to_proto(buckets: Sequence[Bucket]) -> list[pb.RBucket]:
    return [pb.RBucket(low=fraction_text(b.low), high=fraction_text(b.high), count=b.count) for b in buckets]


def drawdown_to_proto(d: Drawdown) -> pb.DrawdownFigure:
    return pb.DrawdownFigure(
        amount=money_text(d.amount),
        percent=fraction_text(d.percent),
        peak_ns=d.peak_ns or 0,
        trough_ns=d.trough_ns or 0,
        recovered_ns=d.recovered_ns or 0,
    )


def statistics_to_proto(s: Statistics) -> pb.Statistics:
    f = fraction_text
    return pb.Statistics(
        trades=s.trades, wins=s.wins, losses=s.losses, scratches=s.scratches, win_rate=f(s.win_rate),
        net_pnl=money_text(s.net_pnl), gross_pnl=money_text(s.gross_pnl), gross_profit=money_text(s.gross_profit),
        gross_loss=money_text(s.gross_loss), average_win=f(s.average_win), average_loss=f(s.average_loss),
        largest_win=money_text(s.largest_win), largest_loss=money_text(s.largest_loss),
        profit_factor=f(s.profit_factor), payoff_ratio=f(s.payoff_ratio), expectancy=f(s.expectancy),
        r_trades=s.r_trades, expectancy_r=f(s.expectancy_r), sqn=money_text(s.sqn),
        max_drawdown=drawdown_to_proto(s.max_drawdown), trading_days=s.trading_days, winning_days=s.winning_days,
        losing_days=s.losing_days, sharpe=money_text(s.sharpe), sortino=money_text(s.sortino),
        longest_win_streak=s.longest_win_streak, longest_loss_streak=s.longest_loss_streak,
        commissions=money_text(s.commissions), slippage=money_text(s.slippage),
        average_hold_ns=s.average_hold_ns or 0, average_hold_win_ns=s.average_hold_win_ns or 0,
        average_hold_loss_ns=s.average_hold_loss_ns or 0, average_mfe_r=f(s.average_mfe_r),
        average_mae_r=f(s.average_mae_r), average_mfe_r_losers=f(s.average_mfe_r_losers),
        average_mae_r_winners=f(s.average_mae_r_winners), be_scratches=s.be_scratches,
        be_scratch_r_given_up=f(s.be_scratch_r_given_up), left_on_table_r=f(s.left_on_table_r),
        left_on_table=money_text(s.left_on_table), r_distribution=buckets_to_proto(s.r_distribution),
        mfe_distribution=buckets_to_proto(s.mfe_distribution), mae_distribution=buckets_to_proto(s.mae_distribution),
    )  # fmt: skip


def period_to_proto(p: PnlTotal) -> pb.PnlPeriod:
    return pb.PnlPeriod(
        date=p.start.isoformat(),
        net_pnl=money_text(p.net),
        gross_pnl=money_text(p.gross),
        commissions=money_text(p.commissions),
        trades=p.trades,
        wins=p.wins,
        losses=p.losses,
        win_rate=fraction_text(p.win_rate),
    )


def equity_day_to_proto(e: EquityDay) -> pb.EquityDay:
    return pb.EquityDay(
        date=e.day.isoformat(),
        start_balance=money_text(e.start_balance),
        end_balance=money_text(e.end_balance),
        net_pnl=money_text(e.net),
        high_water=money_text(e.high_water),
        floor=money_text(e.floor),
        drawdown=money_text(e.drawdown),
        trades=e.trades,
    )


def excursion_to_proto(t: TradeFacts, be_scratch: bool) -> pb.ExcursionPoint:
    return pb.ExcursionPoint(
        trade_id=t.trade_id,
        contract_id=t.contract_id,
        direction=DIRECTION_TO_PROTO[t.direction],
        result_r=fraction_text(t.result_r),
        mfe_r=fraction_text(t.mfe_r),
        mae_r=fraction_text(t.mae_r),
        net_pnl=money_text(t.net),
        closed_ns=t.closed_ns,
        be_scratch=be_scratch,
    )
