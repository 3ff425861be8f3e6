"""Request-argument checks shared by the servicers: limits, time ranges and optional symbols.

Each raises InvalidArgument naming the field, so every service words the same mistake the same way.
"""

from __future__ import annotations

from datetime import date

from core_server.model.errors import InvalidArgument
from core_server.model.symbols import parse_symbol


def bounded(value: int, field: str, default: int, maximum: int) -> int:
    """A count where 0 means `default`; negative or above `maximum` is refused."""
    if value < 0 or value > maximum:
        raise InvalidArgument(field, f"0 (meaning {default}) to {maximum}")
    return value or default


def time_range(from_ns: int, to_ns: int) -> None:
    """[from_ns, to_ns) with 0 meaning unbounded on that side."""
    if from_ns < 0:
        raise InvalidArgument("from_ns", "must not be negative (0 means unbounded)")
    if to_ns < 0:
        raise InvalidArgument("to_ns", "must not be negative (0 means unbounded)")
    if from_ns and to_ns and from_ns >= to_ns:
        raise InvalidArgument("from_ns", "must be before to_ns")


def optional_contract_id(symbol: str, now_ns: int, field: str = "symbol") -> str:
    """The canonical contract of `symbol`, or "" when no symbol was given (no filter)."""
    return parse_symbol(symbol, now_ns, field).id if symbol.strip() else ""


def optional_date(text: str, field: str) -> date | None:
    """A YYYY-MM-DD date, or None when the field is empty."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidArgument(field, f"{text!r} is not a date; use YYYY-MM-DD") from None
