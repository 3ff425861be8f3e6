"""Builders of hand-written TradeFacts for the analytics tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core_server.analytics.facts import TradeFacts
from core_server.excursions.model import Direction

MINUTE_NS = 60 * 1_000_000_000
DAY = date(2025, 3, 3)  # a Monday


def fact(
    gross: str,
    commissions: str = "5",
    *,
    n: int = 1,
    closed_ns: int | None = None,
    hold_minutes: int = 1,
    day: date = DAY,
    risk: int | None = 10,
    realised: int = 0,
    mfe: int = 0,
    mae: int = 0,
    qty: int = 1,
    break_even: bool = False,
    **extra: object,
) -> TradeFacts:
    closed = n if closed_ns is None else closed_ns
    return TradeFacts(
        trade_id=f"T-{n:03d}",
        account_id=str(extra.pop("account_id", "A-1")),
        contract_id=str(extra.pop("contract_id", "NQH2025")),
        direction=extra.pop("direction", Direction.LONG),  # type: ignore[arg-type]
        source=str(extra.pop("source", "manual")),
        opened_ns=closed - hold_minutes * MINUTE_NS,
        closed_ns=closed,
        trade_date=day,
        quantity=qty,
        gross=Decimal(gross),
        commissions=Decimal(commissions),
        risk_ticks=risk,
        realised_ticks=realised,
        mfe_ticks=mfe,
        mae_ticks=mae,
        tick_value=Decimal(5),
        break_even_exit=break_even,
        **extra,  # type: ignore[arg-type]
    )
