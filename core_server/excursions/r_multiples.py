"""Exact R-multiples from tick distances, and their rounded text for display only."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from core_server.model.errors import InvalidArgument

ExactR = Fraction | Decimal | int  # never float: an R setting must be exact


def exact_r(value: ExactR, field: str) -> Fraction:
    """`value` as a Fraction; a float, bool or non-finite value is an InvalidArgument naming `field`."""
    if isinstance(value, bool) or not isinstance(value, Fraction | Decimal | int):
        raise InvalidArgument(field, f"must be an exact number (int, Decimal or Fraction), got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidArgument(field, f"must be finite, got {value!r}")
    return Fraction(value)


def r_multiple(favourable_ticks: int, risk_ticks: int) -> Fraction:
    """R of a price `favourable_ticks` in the trade's favour (negative: against it) on a risk of `risk_ticks`."""
    return Fraction(favourable_ticks, risk_ticks)


def display_r(r: Fraction, places: int = 2) -> Decimal:
    """`r` rounded half away from zero to `places` decimals, computed on integers so nothing rounds twice."""
    scaled = r * 10**places
    magnitude = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(-magnitude if scaled < 0 else magnitude).scaleb(-places)


def format_r(r: Fraction | None, places: int = 2) -> str:
    """'+1.00R', '-0.60R', '0.00R'; '-' for no value (an open trade's result)."""
    if r is None:
        return "-"
    shown = display_r(r, places)
    sign = "+" if shown > 0 else ""
    return f"{sign}{shown}R"
