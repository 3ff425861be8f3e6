"""The one parser of decimal text from outside (requests, settings): exact, finite and bounded, or InvalidArgument.

Why bounds at all: Decimal's default context carries 28 significant digits. A value such as 1e28 parses, but
any quotient of it by a tick size or a dollar amount (`divmod`, `//`) raises DivisionImpossible deep inside an
engine, long after the request was accepted. Every number the server keeps (prices, money, shares) is far
smaller than MAX_MAGNITUDE and has at most MAX_PLACES decimals, so refusing anything beyond them here leaves
every later computation comfortably inside the context's precision. Callers narrow the range further
(`low`/`high`, `places`) to what their field means.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from core_server.model.errors import InvalidArgument

MAX_CHARS = 40  # "-12345678901234.1234567890" is 26; anything longer is not a number a trader typed
MAX_PLACES = 10
MAX_MAGNITUDE = Decimal(10) ** 15
_ONE = Decimal(1)
# Plain ASCII decimal notation only: Decimal() would also take "NaN", "Infinity", "1_000" and non-ASCII digits.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_decimal(
    text: str,
    field: str,
    *,
    places: int = MAX_PLACES,
    low: Decimal | None = None,
    high: Decimal | None = None,
) -> Decimal | None:
    """The exact value of `text` (surrounding blanks ignored), or None for blank text (the field was not given).

    InvalidArgument naming `field` for text that is not a finite decimal, has more than `places` decimals, or
    lies outside [low, high] (and always outside +/- MAX_MAGNITUDE). "-0" reads as 0."""
    stripped = text.strip()
    if not stripped:
        return None
    if len(stripped) > MAX_CHARS:
        raise InvalidArgument(field, f"a decimal number of at most {MAX_CHARS} characters is expected")
    if not _DECIMAL.fullmatch(stripped):
        raise InvalidArgument(field, f"not a decimal number: {stripped!r}")
    try:
        value = Decimal(stripped)
    except InvalidOperation:  # an exponent beyond what Decimal can hold at all
        raise InvalidArgument(field, f"not a representable number: {stripped!r}") from None
    return bounded_decimal(value, field, places=places, low=low, high=high)


def bounded_decimal(
    value: Decimal,
    field: str,
    *,
    places: int = MAX_PLACES,
    low: Decimal | None = None,
    high: Decimal | None = None,
) -> Decimal:
    """`value` checked as `parse_decimal` checks parsed text (for Decimals that arrive already built)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidArgument(field, f"must be a finite decimal number, not {value!r}")
    if low is not None and value < low:
        raise InvalidArgument(field, f"must be at least {low}, not {value}")
    if high is not None and value > high:
        raise InvalidArgument(field, f"must be at most {high}, not {value}")
    if value.copy_abs() > MAX_MAGNITUDE:
        raise InvalidArgument(field, f"must be within +/-{MAX_MAGNITUDE:,}")
    if value.is_zero():
        value = Decimal(0)  # -0 and 0E-50 are plain 0
    elif value.as_tuple().exponent > 0:  # type: ignore[operator]
        value = value.quantize(_ONE)  # 5E+4 reads back as 50000
    if _places(value) > places:
        raise InvalidArgument(field, f"at most {places} decimal places")
    return value


def _places(value: Decimal) -> int:
    """Decimals after the point once trailing zeros are dropped (exact: no rounding, unlike normalize())."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    zeros = 0
    while zeros < len(digits) - 1 and digits[-1 - zeros] == 0:
        zeros += 1
    return max(0, -(exponent + zeros))
