"""String columns as numpy byte views: offsets, lengths and fixed-width byte matrices, without per-row Python."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]


def as_string_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous utf8/large_utf8 array (chunks combined, nulls as empty text)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.string())
    if column.null_count:
        column = column.fill_null("")
    return column


def offsets_and_data(column: pa.Array) -> tuple[I64, U8]:
    """Start offsets (n + 1, into `data`) and the bytes of a string array."""
    buffers = column.buffers()
    width = np.int64 if pa.types.is_large_string(column.type) else np.int32
    n = len(column)
    if n == 0 or buffers[2] is None:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(buffers[1], dtype=width)[column.offset : column.offset + n + 1].astype(np.int64)
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    return offsets, data


def byte_matrix(offsets: I64, data: U8, rows: I64, width: int) -> U8:
    """The first `width` bytes of each of `rows` (all at least that long) as a (len(rows), width) matrix."""
    starts = offsets[rows]
    if len(rows) and width and np.all(np.diff(starts) == width):
        begin = int(starts[0])
        return data[begin : begin + len(rows) * width].reshape(len(rows), width)
    gathered: U8 = data[starts[:, None] + np.arange(width, dtype=np.int64)[None, :]]
    return gathered


def digits_value(matrix: U8, start: int, end: int) -> I64:
    """The decimal number written in columns [start, end) of every row (the caller checked they are digits)."""
    width = end - start
    value: npt.NDArray[np.signedinteger[Any]] = matrix[:, start].astype(np.int32 if width <= 9 else np.int64)
    value -= 48
    for j in range(start + 1, end):
        value *= 10
        value += matrix[:, j]
        value -= 48
    return value.astype(np.int64, copy=False)
