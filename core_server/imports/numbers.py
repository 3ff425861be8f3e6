"""Exact decimal text to whole ticks and sizes, column at a time.

Prices are cast by pyarrow to decimal128 with 9 places (exact: no float is involved); its unscaled integer
times the instrument's ticks per point must be a whole multiple of 10**9, else the price is off the tick
grid. A column with any text pyarrow cannot cast takes the slow lane: a regular expression marks the
parseable rows and only those are cast; the rest count as unparseable.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core_server.imports.text import I64, as_string_array
from core_server.imports.timestamps import BoolArray

PLACES = 9
SCALE = 10**PLACES
MAX_SIZE = 2**31 - 1  # the ticks table keeps sizes as integer
_PRICE_TEXT = r"^\s*-?\d{1,9}(\.\d{0,9})?\s*$"
_SIZE_TEXT = r"^\s*-?\d{1,12}(\.0*)?\s*$"


@dataclass(slots=True)
class Numbers:
    values: I64
    ok: BoolArray  # parsed
    flagged: BoolArray  # parsed but refused: off the tick grid (prices), negative (sizes)


def ticks_per_point(tick_size: Decimal) -> int:
    per_point = 1 / tick_size
    if per_point != per_point.to_integral_value():
        raise ValueError(f"tick size {tick_size} does not divide one point")
    return int(per_point)


def _decimal_words(array: pa.Array) -> tuple[I64, I64]:
    words = np.frombuffer(array.buffers()[1], dtype=np.int64)[2 * array.offset : 2 * (array.offset + len(array))]
    return words[0::2], words[1::2]


def _cast_or_slow(array: pa.Array, target: pa.DataType, pattern: str) -> tuple[pa.Array, BoolArray]:
    """`array` cast to `target`, and which rows parsed. Unparseable rows are null in the result."""
    try:
        cast = pc.cast(array, target)
        ok = np.ones(len(array), dtype=np.bool_)
        if cast.null_count:
            ok = cast.is_valid().to_numpy(zero_copy_only=False)
        return cast, ok
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    trimmed = pc.utf8_trim_whitespace(array)
    if pa.types.is_integer(target):
        trimmed = pc.replace_substring_regex(trimmed, r"\.0*$", "")
    else:
        trimmed = pc.replace_substring_regex(trimmed, r"(\.\d*?)0+$", r"\1")  # 6774.2500000000 is 6774.25
    valid = pc.match_substring_regex(trimmed, pattern)
    cleaned = pc.if_else(valid, trimmed, pa.scalar(None, pa.string()))
    return pc.cast(cleaned, target), valid.to_numpy(zero_copy_only=False).astype(np.bool_)


def parse_prices(column: pa.Array | pa.ChunkedArray, per_point: int) -> Numbers:
    """Whole ticks of decimal price text; `flagged` marks prices off the grid (and zero or negative ones)."""
    array = as_string_array(column)
    decimals, ok = _cast_or_slow(array, pa.decimal128(18, PLACES), _PRICE_TEXT)
    low, _high = _decimal_words(decimals)  # 18 digits always fit the low word
    scaled = np.where(ok, low, 0) * per_point
    ticks, remainder = np.divmod(scaled, SCALE)
    flagged = ok & ((remainder != 0) | (ticks <= 0))
    return Numbers(ticks, ok, flagged)


def parse_sizes(column: pa.Array | pa.ChunkedArray) -> Numbers:
    """Whole sizes; `flagged` marks negative ones. Sizes beyond the store's integer are unparseable."""
    array = as_string_array(column)
    cast, ok = _cast_or_slow(array, pa.int64(), _SIZE_TEXT)
    values = cast.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    ok &= values <= MAX_SIZE
    flagged = ok & (values < 0)
    return Numbers(np.where(ok, values, 0), ok, flagged)
