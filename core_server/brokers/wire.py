"""Defensive reads of broker answers: a field of the wrong type reads as absent, never as an exception.

Brokers' REST answers and socket events are parsed field by field; a list where an id belongs must not raise
TypeError (unhashable) and a huge or non-numeric quantity must not raise ValueError or run int() for minutes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

_LIMIT = 10**18  # every broker id, quantity and count fits


def whole(value: Any) -> int:
    """An integer field (an int, or an integral Decimal), 0 when absent, malformed or out of range."""
    if type(value) is int:
        return value if -_LIMIT < value < _LIMIT else 0
    if type(value) is Decimal and value.is_finite() and value.adjusted() < 18 and value == value.to_integral_value():
        return int(value)
    return 0


def key(value: Any) -> int | str | None:
    """A value usable as a lookup key (an int or a string); None for lists, objects and the rest."""
    return value if type(value) is int or type(value) is str else None


def items(value: Any) -> list[Any]:
    """A JSON array field, or no items when the field is anything else."""
    return value if type(value) is list else []
