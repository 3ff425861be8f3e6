"""Trades as CSV for a spreadsheet or another journal: one row per closed trade, money and R exact."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from core_server.analytics.facts import TradeFacts
from core_server.model.clock import NS_PER_SECOND

COLUMNS = (
    "trade_id", "account", "contract", "direction", "source", "strategy", "strategy_version", "opened_utc",
    "closed_utc", "trading_day", "quantity", "gross", "commissions", "net", "result_r", "mfe_r", "mae_r", "tags",
    "setup", "rating", "notes",
)  # fmt: skip


def _time(ns: int) -> str:
    whole, rest = divmod(ns, NS_PER_SECOND)
    stamp = datetime.fromtimestamp(whole, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{rest:09d}Z" if rest else f"{stamp}Z"


def r_text(value: Fraction | None) -> str:
    """Exact when it terminates within 6 places, else rounded half-even to 6 (a CSV has no fractions)."""
    if value is None:
        return ""
    quotient = Decimal(value.numerator) / Decimal(value.denominator)
    if 10**6 % value.denominator == 0:
        return format(quotient.normalize(), "f")
    return str(quotient.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


def trades_csv(trades: Iterable[TradeFacts]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for t in trades:
        writer.writerow((
            t.trade_id, t.account_id, t.contract_id, t.direction.name.lower(), t.source, t.strategy_id or "",
            t.strategy_version or "", _time(t.opened_ns), _time(t.closed_ns), t.trade_date.isoformat(), t.quantity,
            t.gross, t.commissions, t.net, r_text(t.result_r), r_text(t.mfe_r) if t.excursion_known else "",
            r_text(t.mae_r) if t.excursion_known else "", ";".join(t.tags), t.setup, t.rating or "", t.notes,
        ))  # fmt: skip
    return out.getvalue()
