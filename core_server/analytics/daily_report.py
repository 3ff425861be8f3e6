"""The daily report of one account: the trading day's trades, P&L and statistics, the rules' usage (daily loss
used, distance to the trailing floor), the month's calendar and the equity with its drawdown, as plain text and
as one self-contained HTML file (inline CSS and SVG charts, nothing fetched).

Rule usage here is realised: the day's net P&L against the daily loss limit, and the end-of-day balance against
the trailing floor of the equity history (open positions are in the live risk status, not in a report of the
closed day).
"""

from __future__ import annotations

import calendar
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from core_server.analytics.facts import TradeFacts
from core_server.analytics.pnl_calendar import EquityDay, PnlCalendar
from core_server.analytics.statistics import Statistics
from core_server.model.clock import NS_PER_SECOND

_ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class RuleUsage:
    daily_loss_limit: Decimal | None
    daily_loss_used: Decimal  # the day's realised net loss (0 on a winning day)
    floor: Decimal | None  # the trailing-drawdown threshold at the day's end
    distance_to_floor: Decimal | None  # end balance - floor

    @property
    def daily_loss_share(self) -> Decimal | None:
        if not self.daily_loss_limit:
            return None
        return self.daily_loss_used / self.daily_loss_limit


@dataclass(frozen=True, slots=True)
class DailyReport:
    account_id: str
    day: date
    trades: tuple[TradeFacts, ...]
    statistics: Statistics  # of the day's trades
    month: PnlCalendar  # the day's month, to date
    equity: tuple[EquityDay, ...]  # the trading days of the month to date
    usage: RuleUsage
    generated_ns: int


def rule_usage(day_net: Decimal, limit: Decimal | None, equity_day: EquityDay | None) -> RuleUsage:
    floor = equity_day.floor if equity_day is not None else None
    distance = equity_day.end_balance - floor if equity_day is not None and floor is not None else None
    return RuleUsage(limit, -day_net if day_net < 0 else _ZERO, floor, distance)


def _money(value: Decimal | None) -> str:
    if value is None:
        return "—"
    shown = value.quantize(CENT)
    return f"-${-shown:,}" if shown < 0 else f"${shown:,}"


def _dec(value: Fraction | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(value.numerator) / Decimal(value.denominator)


def _share(value: Fraction | Decimal | None) -> str:
    return "—" if value is None else f"{(_dec(value) * 100).quantize(Decimal('0.1'))} %"


def _ratio(value: Fraction | Decimal | None) -> str:
    return "—" if value is None else str(_dec(value).quantize(CENT))


def _time(ns: int) -> str:
    return datetime.fromtimestamp(ns // NS_PER_SECOND, tz=UTC).strftime("%H:%M:%S")


def _lines(r: DailyReport) -> list[tuple[str, str]]:
    s, u = r.statistics, r.usage
    return [
        ("Net P&L", _money(s.net_pnl)),
        ("Trades", f"{s.trades} ({s.wins} won, {s.losses} lost, {s.scratches} scratch)"),
        ("Win rate", _share(s.win_rate)),
        ("Commissions", _money(s.commissions)),
        ("Profit factor", _ratio(s.profit_factor)),
        ("Expectancy", f"{_money(None if s.expectancy is None else _dec(s.expectancy))} / {_ratio(s.expectancy_r)} R"),
        ("Largest win / loss", f"{_money(s.largest_win)} / {_money(s.largest_loss)}"),
        ("Daily loss used", f"{_money(u.daily_loss_used)} of {_money(u.daily_loss_limit)} "
                            f"({_share(u.daily_loss_share)})"),
        ("Trailing floor", f"{_money(u.floor)} (distance {_money(u.distance_to_floor)})"),
        ("Month to date", f"{_money(r.month.total.net)} over {r.month.total.trades} trades"),
    ]  # fmt: skip


def report_text(r: DailyReport) -> str:
    out = [f"Vigil daily report: {r.account_id}, trading day {r.day.isoformat()}", ""]
    width = max(len(k) for k, _ in _lines(r))
    out += [f"{k.ljust(width)}  {v}" for k, v in _lines(r)]
    out.append("")
    if r.trades:
        out.append("Trades (exit UTC, contract, side, qty, net, R):")
        for t in r.trades:
            result = t.result_r
            r_text = "—" if result is None else _ratio(result)
            out.append(f"  {_time(t.closed_ns)}  {t.contract_id}  {t.direction.name.lower():5}  {t.quantity}  "
                       f"{_money(t.net):>12}  {r_text}")  # fmt: skip
    else:
        out.append("No trades closed this trading day.")
    return "\n".join(out) + "\n"


# -- HTML ------------------------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px}h2{font-size:16px;margin-top:24px}
table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}.up{color:#1a7f37}.down{color:#cf222e}
.cal td{width:90px;height:44px;vertical-align:top;border:1px solid #ddd}.cal .win{background:#dafbe1}
.cal .loss{background:#ffebe9}.muted{color:#999}
"""


def _cls(value: Decimal) -> str:
    return "up" if value > 0 else "down" if value < 0 else ""


def _equity_svg(days: Sequence[EquityDay], width: int = 640, height: int = 220) -> str:
    """Balance (line), high-water mark (dashed) and floor (red) on top; the drawdown as bars underneath. Floats
    appear only here, as drawing coordinates; every figure shown as text is exact."""
    if not days:
        return "<p class='muted'>No trading days yet.</p>"
    top_h, gap = int(height * 0.65), 10
    values = [float(d.end_balance) for d in days] + [float(d.high_water) for d in days]
    values += [float(d.floor) for d in days if d.floor is not None]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / max(1, len(days) - 1) if len(days) > 1 else 0.0

    def y(v: float) -> float:
        return top_h - (v - low) / span * (top_h - 10) - 5

    def line(points: list[float], style: str) -> str:
        coords = " ".join(f"{i * step:.1f},{y(v):.1f}" for i, v in enumerate(points))
        return f"<polyline fill='none' {style} points='{coords}'/>"

    parts = [line([float(d.end_balance) for d in days], "stroke='#0969da' stroke-width='2'")]
    parts.append(line([float(d.high_water) for d in days], "stroke='#1a7f37' stroke-dasharray='4 3'"))
    if all(d.floor is not None for d in days):
        parts.append(line([float(d.floor) for d in days if d.floor is not None], "stroke='#cf222e'"))
    deepest = max(float(d.drawdown) for d in days) or 1.0
    bar_w = max(1.0, width / len(days) - 1)
    for i, d in enumerate(days):
        h = float(d.drawdown) / deepest * (height - top_h - gap)
        parts.append(f"<rect x='{i * step - bar_w / 2:.1f}' y='{top_h + gap}' width='{bar_w:.1f}' height='{h:.1f}' "
                     "fill='#cf222e' opacity='0.6'/>")  # fmt: skip
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='-8 0 {width + 16} "
        f"{height}'>{''.join(parts)}</svg><p class='muted'>Blue: end-of-day balance; green dashed: high-water mark; "
        f"red: trailing floor; bars: drawdown (deepest {_money(max(d.drawdown for d in days))}).</p>"
    )


def _calendar_html(r: DailyReport) -> str:
    days = {d.start: d for d in r.month.days}
    weeks = {w.start: w for w in r.month.weeks}
    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in ("Mon", "Tue", "Wed", "Thu", "Fri", "Week")) + "</tr>"]
    for week in calendar.Calendar().monthdatescalendar(r.day.year, r.day.month):
        cells = []
        for day in week[:5]:
            period = days.get(day)
            if day.month != r.day.month:
                cells.append("<td></td>")
            elif period is None:
                cells.append(f"<td><span class='muted'>{day.day}</span></td>")
            else:
                kind = "win" if period.net > 0 else "loss" if period.net < 0 else ""
                cells.append(f"<td class='{kind}'>{day.day}<br><b>{_money(period.net)}</b><br>"
                             f"<span class='muted'>{period.trades} tr</span></td>")  # fmt: skip
        total = weeks.get(week[0])
        cells.append(f"<td><b>{_money(total.net)}</b></td>" if total else "<td></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='cal'>{''.join(rows)}</table>"


def report_html(r: DailyReport) -> str:
    e = html.escape
    figures = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in _lines(r))
    trades = "".join(
        f"<tr><td>{_time(t.closed_ns)}</td><td>{e(t.contract_id)}</td><td>{t.direction.name.lower()}</td>"
        f"<td>{t.quantity}</td><td class='{_cls(t.net)}'>{_money(t.net)}</td>"
        f"<td>{'—' if t.result_r is None else _ratio(t.result_r)}</td><td>{e(', '.join(t.tags))}</td></tr>"
        for t in r.trades
    )
    trade_table = (
        f"<table><tr><th>exit (UTC)</th><th>contract</th><th>side</th><th>qty</th><th>net</th><th>R</th>"
        f"<th>tags</th></tr>{trades}</table>"
        if r.trades
        else "<p class='muted'>No trades closed this trading day.</p>"
    )
    title = f"Vigil daily report: {e(r.account_id)}, {r.day.isoformat()}"
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title><style>{_CSS}</style></head>"
        f"<body><h1>{title}</h1><table>{figures}</table><h2>Trades</h2>{trade_table}"
        f"<h2>Equity and drawdown, {calendar.month_name[r.day.month]} {r.day.year}</h2>{_equity_svg(r.equity)}"
        f"<h2>P&amp;L calendar</h2>{_calendar_html(r)}</body></html>\n"
    )
