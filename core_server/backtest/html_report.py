"""A self-contained HTML report (no scripts, no network): summary, equity and drawdown, R distribution, a P&L
calendar by CME trading day, the days and every trade. Charts are inline SVG drawn from the report's values."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from core_server.backtest.report import TRADE_COLUMNS

W, H, PAD = 900, 220, 40
STYLE = """
body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 24px}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right;white-space:nowrap}th{background:#f3f3f3}
.pos{color:#12813a}.neg{color:#b3261e}h2{margin-top:28px}svg{background:#fafafa;border:1px solid #ddd}
.cal td{width:90px;height:46px;vertical-align:top;font-size:12px}.note{color:#666;font-size:12px}
"""


def _line(values: list[Decimal], colour: str, low: Decimal, high: Decimal) -> str:
    if not values:
        return ""
    span = high - low or Decimal(1)
    step = (W - 2 * PAD) / max(len(values) - 1, 1)
    points = " ".join(
        f"{PAD + i * step:.1f},{PAD + float((high - v) / span) * (H - 2 * PAD):.1f}" for i, v in enumerate(values)
    )
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>'


def _axis(low: Decimal, high: Decimal, title: str) -> str:
    return (
        f'<text x="{PAD}" y="16" font-size="12">{escape(title)}</text>'
        f'<text x="2" y="{PAD + 4}" font-size="10">{high}</text>'
        f'<text x="2" y="{H - PAD + 4}" font-size="10">{low}</text>'
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#999"/>'
    )


def equity_svg(report: dict[str, Any]) -> str:
    start = Decimal(report["run"]["starting_balance"])
    equity = [start, *(Decimal(p["equity"]) for p in report["equity"])]
    drawdown = [Decimal(0), *(Decimal(p["drawdown"]) for p in report["equity"])]
    low, high = min(equity), max(equity)
    dd_low = min(drawdown)
    return (
        f'<svg width="{W}" height="{H}" role="img">{_axis(low, high, "Equity ($) after each trade")}'
        f"{_line(equity, '#1f5fbf', low, high)}</svg><br>"
        f'<svg width="{W}" height="{H}" role="img">{_axis(dd_low, Decimal(0), "Drawdown ($)")}'
        f"{_line(drawdown, '#b3261e', dd_low, Decimal(0))}</svg>"
    )


def r_histogram_svg(report: dict[str, Any]) -> str:
    buckets: Counter[int] = Counter()
    for trade in report["trades"]:
        if trade["r"]:
            buckets[int(Decimal(trade["r"]).to_integral_value(rounding="ROUND_FLOOR"))] += 1
    if not buckets:
        return '<p class="note">No trade has an R (no initial stop known).</p>'
    first, last = min(buckets), max(buckets)
    slots = list(range(first, last + 1))
    top = max(buckets.values())
    width = (W - 2 * PAD) / len(slots)
    bars = []
    for i, slot in enumerate(slots):
        height = buckets[slot] / top * (H - 2 * PAD)
        x = PAD + i * width
        colour = "#12813a" if slot >= 0 else "#b3261e"
        bars.append(
            f'<rect x="{x:.1f}" y="{H - PAD - height:.1f}" width="{width * 0.9:.1f}" height="{height:.1f}" '
            f'fill="{colour}"><title>[{slot}R, {slot + 1}R): {buckets[slot]}</title></rect>'
            f'<text x="{x:.1f}" y="{H - PAD + 14}" font-size="10">{slot}R</text>'
        )
    label = f'<text x="{PAD}" y="16" font-size="12">R distribution</text>'
    return f'<svg width="{W}" height="{H}" role="img">{label}{"".join(bars)}</svg>'


def calendar_html(report: dict[str, Any]) -> str:
    days = {date.fromisoformat(d["date"]): Decimal(d["net"]) for d in report["days"]}
    if not days:
        return '<p class="note">No trading days.</p>'
    rows, week, current = [], ["<td></td>"] * 5, None
    for day in sorted(days):
        if day.weekday() > 4:
            continue
        key = day.isocalendar()[:2]
        if current is not None and key != current:
            rows.append("<tr>" + "".join(week) + "</tr>")
            week = ["<td></td>"] * 5
        current = key
        net = days[day]
        cls = "pos" if net > 0 else "neg" if net < 0 else ""
        week[day.weekday()] = f'<td class="{cls}">{day.isoformat()}<br><b>{net}</b></td>'
    rows.append("<tr>" + "".join(week) + "</tr>")
    head = "".join(f"<th>{d}</th>" for d in ("Mon", "Tue", "Wed", "Thu", "Fri"))
    return f'<table class="cal"><tr>{head}</tr>{"".join(rows)}</table>'


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...] | list[str]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = str(row.get(c, ""))
            cls = ' class="neg"' if c in ("net", "gross") and value.startswith("-") else ""
            cells.append(f"<td{cls}>{escape(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def render_html(report: dict[str, Any]) -> str:
    run = report["run"]
    title = (
        f"Backtest {run['strategy'] or 'commands'} {' '.join(run['contracts'])} {run['from'][:10]} to {run['to'][:10]}"
    )
    summary = [{"figure": k, "value": v} for k, v in report["summary"].items()]
    config = [{"setting": k, "value": v} for k, v in run.items()]
    risk = report["risk"]
    failed = (
        f'<p class="neg">The risk preset\'s evaluation failed on {escape(risk["failed_day"])}: '
        f"{escape(risk['failed_reason'])}</p>"
        if risk["failed_day"]
        else ""
    )
    day_cols = ["date", "orders_placed", "orders_filled", "orders_cancelled", "orders_denied", "trades", "net"]
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title><style>{STYLE}</style>'
        f"</head><body><h1>{escape(title)}</h1>{failed}"
        f"<h2>Summary</h2>{_table(summary, ['figure', 'value'])}"
        f"<h2>Equity and drawdown</h2>{equity_svg(report)}"
        f"<h2>R distribution</h2>{r_histogram_svg(report)}"
        f"<h2>P&amp;L calendar (CME trading day of the exit)</h2>{calendar_html(report)}"
        f"<h2>Days</h2>{_table(report['days'], day_cols)}"
        f"<h2>Trades</h2>{_table(report['trades'], TRADE_COLUMNS)}"
        f"<h2>Run</h2>{_table(config, ['setting', 'value'])}"
        "</body></html>\n"
    )
