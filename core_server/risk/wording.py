"""How risk reasons show money, contract counts and exchange times (exact Decimal, America/Chicago)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from core_server.model.clock import NS_PER_SECOND
from core_server.model.instruments import EXCHANGE_TZ


def money(amount: Decimal) -> str:
    """Dollars with cents and thousands separators: -$1,000.00."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def contracts(amount: Decimal | int) -> str:
    """A contract count without trailing zeros: 5, 5.1."""
    if isinstance(amount, int):
        return str(amount)
    text = f"{amount.normalize():f}"
    return text


def percent(share: Decimal) -> str:
    return f"{share * 100:.1f}%"


def ct_time(ts_ns: int) -> str:
    """Exchange wall clock, HH:MM (HH:MM:SS when the seconds matter) followed by CT."""
    local = datetime.fromtimestamp(ts_ns // NS_PER_SECOND, tz=EXCHANGE_TZ)
    return f"{local:%H:%M:%S} CT" if local.second else f"{local:%H:%M} CT"
