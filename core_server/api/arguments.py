"""Request-argument checks shared by the servicers: ids, free text, limits, time ranges and optional symbols.

Each raises InvalidArgument naming the field, so every service words the same mistake the same way. Every
free-text field has a ceiling (README "Limits"): an id is at most MAX_ID_CHARS, a name MAX_NAME_CHARS, a
reason or note MAX_REASON_CHARS; none may hold NUL (PostgreSQL text cannot store it).
"""

from __future__ import annotations

from datetime import date

from core_server.model.errors import InvalidArgument
from core_server.model.symbols import parse_symbol

MAX_ID_CHARS = 128
MAX_NAME_CHARS = 64
MAX_REASON_CHARS = 500


def text(value: str, field: str, max_chars: int) -> str:
    """Free text as given (may be empty), refused when longer than `max_chars` or holding NUL."""
    if len(value) > max_chars:
        raise InvalidArgument(field, f"at most {max_chars} characters, not {len(value)}")
    if "\x00" in value:
        raise InvalidArgument(field, "must not contain NUL characters")
    return value


def identifier(value: str, field: str) -> str:
    """A required id (surrounding blanks ignored)."""
    stripped = text(value, field, MAX_ID_CHARS).strip()
    if not stripped:
        raise InvalidArgument(field, f"{field} is required")
    return stripped


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
