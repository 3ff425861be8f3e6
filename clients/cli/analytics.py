"""`vigil stats`, `vigil calendar`, `vigil equity`, `vigil journal`: how the trading is going, from the journal."""

from __future__ import annotations

import argparse
import calendar as month_grid
from dataclasses import asdict
from datetime import date
from decimal import Decimal

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk.analytics import AnalyticsFilter, GroupBy, ImportFormat, PnlPeriod, Statistics
from clients.sdk.trades import TradeDirection

_DIRECTIONS = {"long": TradeDirection.LONG, "short": TradeDirection.SHORT}
_NS_PER_SECOND = 1_000_000_000


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = commands.add_parser("stats", help="trading statistics of the closed trades (filters narrow them)")
    _filters(stats)
    stats.add_argument("--by", choices=[g.value for g in GroupBy if g.value], help="also per group")
    stats.set_defaults(run=_stats)
    cal = commands.add_parser("calendar", help="net P&L per CME trading day of a month, with week totals")
    cal.add_argument("month", nargs="?", default=None, help="YYYY-MM (default: this month)")
    cal.add_argument("--to", dest="to_month", default=None, help="last month YYYY-MM (default: the same)")
    _filters(cal)
    cal.set_defaults(run=_calendar)
    equity = commands.add_parser("equity", help="an account's daily balance, high-water mark, drawdown and floor")
    equity.add_argument("account")
    equity.add_argument("--from", dest="from_date", default=None, help="first trading day YYYY-MM-DD")
    equity.add_argument("--to", dest="to_date", default=None, help="last trading day YYYY-MM-DD")
    equity.set_defaults(run=_equity)
    journal = commands.add_parser("journal", help="set a trade's tags, setup, notes and rating")
    journal.add_argument("trade_id")
    journal.add_argument("--tag", dest="tags", action="append", default=[], help="a tag (repeat for several)")
    journal.add_argument("--setup", default="")
    journal.add_argument("--notes", default="")
    journal.add_argument("--rating", type=int, default=0, help="1 to 5 (0 clears)")
    journal.set_defaults(run=_journal)
    imports = commands.add_parser("import-trades", help="import a broker's history CSV into the journal")
    imports.add_argument("file", help="Tradovate Performance or Fills CSV, or NinjaTrader executions CSV")
    imports.add_argument("--format", choices=[f.value for f in ImportFormat if f.value], default="")
    imports.add_argument("--account", default="", help="the account the trades belong to (default: the file's)")
    imports.add_argument("--time-zone", default="", help="zone of the file's times (default America/Chicago)")
    imports.add_argument("--commission", default=None, help="per contract per side where the file has none")
    imports.set_defaults(run=_import)
    export = commands.add_parser("export", help="the closed trades as CSV, or the statistics as JSON")
    export.add_argument("what", choices=("trades", "stats"))
    _filters(export)
    export.add_argument("--by", choices=[g.value for g in GroupBy if g.value], help="stats: also per group")
    export.add_argument("--output", "-o", default="", help="write to this file instead of stdout")
    export.set_defaults(run=_export)
    report = commands.add_parser("report", help="an account's daily report (text, or --html FILE)")
    report.add_argument("account")
    report.add_argument("--date", default=None, help="trading day YYYY-MM-DD (default: the current one)")
    report.add_argument("--html", default="", help="also write the self-contained HTML report to this file")
    report.set_defaults(run=_report)


def _filters(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--account", dest="accounts", action="append", default=[], help="account id or name (repeatable)")
    add("--strategy", default="", help="strategy id")
    add("--strategy-version", type=int, default=0)
    add("--root", dest="roots", action="append", default=[], help="instrument root, e.g. NQ (repeatable)")
    add("--direction", choices=sorted(_DIRECTIONS), default=None)
    add("--session", dest="sessions", action="append", default=[], help='session window, e.g. "NY AM"')
    add("--hour", dest="hours", action="append", type=int, default=[], help="entry hour, US Eastern, 0-23")
    add("--weekday", dest="weekdays", action="append", type=int, default=[], help="1 Monday .. 7 Sunday")
    add("--from", dest="from_date", default=None, help="first booked trading day YYYY-MM-DD")
    add("--to-date", dest="to_date", default=None, help="last booked trading day YYYY-MM-DD")
    add("--source", dest="sources", action="append", default=[], help="manual, strategy, signal, imported, ...")
    add("--tag", dest="tags", action="append", default=[], help="trades carrying this tag (repeatable: all of them)")
    add("--setup", default="")


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def filter_of(args: argparse.Namespace) -> AnalyticsFilter:
    return AnalyticsFilter(
        account_ids=tuple(args.accounts),
        strategy_id=args.strategy,
        strategy_version=args.strategy_version,
        roots=tuple(args.roots),
        direction=_DIRECTIONS[args.direction] if args.direction else None,
        session_windows=tuple(args.sessions),
        hours=tuple(args.hours),
        weekdays=tuple(args.weekdays),
        from_date=_date(args.from_date),
        to_date=_date(args.to_date),
        sources=tuple(args.sources),
        tags=tuple(args.tags),
        setup=args.setup,
    )


def _text(value: Decimal | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value}{suffix}"


def _percent(share: Decimal | None) -> str:
    return "-" if share is None else f"{(share * 100).quantize(Decimal('0.1'))} %"


def _duration(ns: int) -> str:
    seconds = ns // _NS_PER_SECOND
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m{seconds % 60:02d}s" if ns else "-"


def statistics_rows(s: Statistics) -> list[tuple[object, ...]]:
    dd = s.max_drawdown
    return [
        ("trades", f"{s.trades} ({s.wins} W / {s.losses} L / {s.scratches} scratch)"),
        ("win rate", _percent(s.win_rate)),
        ("net P&L", _text(s.net_pnl)),
        ("gross P&L", _text(s.gross_pnl)),
        ("commissions", _text(s.commissions)),
        ("slippage", _text(s.slippage)),
        ("average win / loss", f"{_text(s.average_win)} / {_text(s.average_loss)}"),
        ("largest win / loss", f"{_text(s.largest_win)} / {_text(s.largest_loss)}"),
        ("profit factor", _text(s.profit_factor)),
        ("payoff ratio", _text(s.payoff_ratio)),
        ("expectancy", f"{_text(s.expectancy)} $  {_text(s.expectancy_r, 'R')} ({s.r_trades} with R)"),
        ("SQN", _text(s.sqn)),
        ("max drawdown", f"{dd.amount} ({_percent(dd.percent)})"),
        ("Sharpe / Sortino", f"{_text(s.sharpe)} / {_text(s.sortino)}"),
        ("days", f"{s.trading_days} ({s.winning_days} up / {s.losing_days} down)"),
        ("streaks", f"{s.longest_win_streak} wins / {s.longest_loss_streak} losses"),
        ("average hold", f"{_duration(s.average_hold_ns)} (W {_duration(s.average_hold_win_ns)}, "
         f"L {_duration(s.average_hold_loss_ns)})"),
        ("MFE / MAE", f"{_text(s.average_mfe_r, 'R')} / {_text(s.average_mae_r, 'R')}"),
        ("MFE of losers", _text(s.average_mfe_r_losers, "R")),
        ("MAE of winners", _text(s.average_mae_r_winners, "R")),
        ("BE scratches", f"{s.be_scratches} (gave up {_text(s.be_scratch_r_given_up, 'R')})"),
        ("left on the table", f"{_text(s.left_on_table_r, 'R')}  {_text(s.left_on_table)} $"),
    ]  # fmt: skip


def _stats(ctx: Context) -> int:
    by = GroupBy(ctx.args.by) if ctx.args.by else GroupBy.NONE
    report = ctx.client.get_statistics(filter_of(ctx.args), by)
    if ctx.as_json:
        ctx.print_json({"overall": asdict(report.overall), "groups": [[k, asdict(s)] for k, s in report.groups]})
        return exit_codes.OK
    ctx.table(("statistic", "value"), statistics_rows(report.overall))
    if report.groups:
        ctx.print()
        rows: list[tuple[object, ...]] = [
            (label, s.trades, _percent(s.win_rate), _text(s.net_pnl), _text(s.profit_factor), _text(s.expectancy_r))
            for label, s in report.groups
        ]
        ctx.table((by.value, "trades", "win rate", "net", "PF", "exp R"), rows)
    return exit_codes.OK


def calendar_lines(year: int, month: int, days: dict[date, PnlPeriod], weeks: dict[date, PnlPeriod]) -> list[str]:
    """A Monday-to-Friday grid of net P&L (and trade counts) with each week's total on the right."""
    width = 12
    lines = [f"{month_grid.month_name[month]} {year}".center(width * 6), "".join(
        h.rjust(width) for h in ("Mon", "Tue", "Wed", "Thu", "Fri", "Week"))]  # fmt: skip
    for week in month_grid.Calendar().monthdatescalendar(year, month):
        cells = []
        for day in week[:5]:
            period = days.get(day)
            if day.month != month:
                cells.append("".rjust(width))
            elif period is None:
                cells.append(f"{day.day:>2}      .".rjust(width))
            else:
                cells.append(f"{day.day:>2} {period.net_pnl:>8}".rjust(width))
        total = weeks.get(week[0])
        cells.append((str(total.net_pnl) if total else "").rjust(width))
        lines.append("".join(cells))
    return lines


def _calendar(ctx: Context) -> int:
    month = ctx.args.month or date.today().strftime("%Y-%m")
    result = ctx.client.get_calendar(month, ctx.args.to_month, filter_of(ctx.args))
    if ctx.as_json:
        ctx.print_json(asdict(result))
        return exit_codes.OK
    days = {d.date: d for d in result.days}
    weeks = {w.date: w for w in result.weeks}
    for m in result.months or ():
        for line in calendar_lines(m.date.year, m.date.month, days, weeks):
            ctx.print(line)
        win = _percent(m.win_rate)
        ctx.print(f"month: {m.net_pnl} net, {m.trades} trades, win rate {win}, commissions {m.commissions}")
        ctx.print()
    if not result.months:
        ctx.print("no trades booked in that range")
    return exit_codes.OK


def _equity(ctx: Context) -> int:
    curve = ctx.client.get_equity_curve(ctx.args.account, ctx.args.from_date, ctx.args.to_date)
    if ctx.as_json:
        ctx.print_json(asdict(curve))
        return exit_codes.OK
    rows: list[tuple[object, ...]] = [
        (d.date, d.start_balance, d.end_balance, d.net_pnl, d.high_water, d.drawdown, _text(d.floor), d.trades)
        for d in curve.days
    ]
    ctx.table(("day", "start", "end", "net", "high water", "drawdown", "floor", "trades"), rows)
    ctx.print(f"starting balance {curve.starting_balance}, max drawdown {_text(curve.max_drawdown)}")
    return exit_codes.OK


def _journal(ctx: Context) -> int:
    a = ctx.args
    trade = ctx.client.update_journal(a.trade_id, a.tags, a.setup, a.notes, a.rating)
    if ctx.as_json:
        ctx.print_json(asdict(trade))
        return exit_codes.OK
    ctx.print(f"{trade.trade_id}: tags {', '.join(trade.tags) or '-'}; setup {trade.setup or '-'}; "
              f"rating {trade.rating or '-'}")  # fmt: skip
    return exit_codes.OK


def _import(ctx: Context) -> int:
    a = ctx.args
    try:
        with open(a.file, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except OSError as error:
        print(f"vigil: cannot read {a.file}: {error.strerror}", file=ctx.err)
        return exit_codes.USAGE
    try:
        fee = Decimal(a.commission) if a.commission else None
    except ArithmeticError:
        print(f"vigil: --commission {a.commission!r} is not an amount", file=ctx.err)
        return exit_codes.USAGE
    summary = ctx.client.import_trades(text, ImportFormat(a.format), a.account, a.time_zone, fee)
    if ctx.as_json:
        ctx.print_json(asdict(summary))
        return exit_codes.OK
    ctx.print(
        f"imported {summary.imported} trades from {summary.executions} executions; "
        f"{summary.duplicates} already imported; {summary.open_at_end} positions still open left out"
    )
    return exit_codes.OK


def _export(ctx: Context) -> int:
    a = ctx.args
    if a.what == "trades":
        text = ctx.client.export_trades(filter_of(a))
    else:
        text = ctx.client.export_statistics(filter_of(a), GroupBy(a.by) if a.by else GroupBy.NONE) + "\n"
    if a.output:
        with open(a.output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        ctx.print(f"wrote {a.output}")
    else:
        ctx.out.write(text)
    return exit_codes.OK


def _report(ctx: Context) -> int:
    a = ctx.args
    report = ctx.client.get_daily_report(a.account, a.date)
    if a.html:
        with open(a.html, "w", encoding="utf-8") as handle:
            handle.write(report.html)
    if ctx.as_json:
        ctx.print_json({k: v for k, v in asdict(report).items() if k != "html"})
        return exit_codes.OK
    ctx.out.write(report.text)
    if a.html:
        ctx.print(f"wrote {a.html}")
    return exit_codes.OK
