"""Binary COPY of tick columns, encoded with numpy: no Python object per row.

PostgreSQL's binary COPY row is a field count and, per field, a length (-1 for NULL) and big-endian bytes.
Quotes and trades have different NULL fields, so each kind has its own fixed record layout; a chunk that mixes
them is laid out in a byte matrix as wide as the wider record and the padding masked away.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from core_server.imports.chunk import KIND_QUOTE, KIND_TRADE, Ticks
from core_server.storage.ticks import TICK_COLUMNS

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
_NULL = -1
MIX_BLOCK_ROWS = 16_384


def _layout(contract_bytes: int, quote: bool) -> np.dtype:
    fields: list[tuple[str, str]] = [("count", ">i2"), ("l_contract", ">i4"), ("contract", f"S{contract_bytes}")]
    fields += [("l_ts", ">i4"), ("ts", ">i8"), ("l_init", ">i4"), ("init", ">i8"), ("l_kind", ">i4"), ("kind", ">i2")]
    if quote:
        fields += [("l_bid", ">i4"), ("bid", ">i8"), ("l_ask", ">i4"), ("ask", ">i8")]
        fields += [("l_bid_size", ">i4"), ("bid_size", ">i4"), ("l_ask_size", ">i4"), ("ask_size", ">i4")]
        fields += [("n_price", ">i4"), ("n_size", ">i4"), ("n_aggressor", ">i4")]
    else:
        fields += [("n_bid", ">i4"), ("n_ask", ">i4"), ("n_bid_size", ">i4"), ("n_ask_size", ">i4")]
        fields += [("l_price", ">i4"), ("price", ">i8"), ("l_size", ">i4"), ("size", ">i4")]
        fields += [("l_aggressor", ">i4"), ("aggressor", ">i2")]
    fields += [("l_flags", ">i4"), ("flags", ">i2")]
    return np.dtype(fields)


_CONSTANT_FIELDS = {
    "count": len(TICK_COLUMNS), "l_ts": 8, "l_init": 8, "l_kind": 2, "l_bid": 8, "l_ask": 8, "l_bid_size": 4,
    "l_ask_size": 4, "n_price": _NULL, "n_size": _NULL, "n_aggressor": _NULL, "n_bid": _NULL, "n_ask": _NULL,
    "n_bid_size": _NULL, "n_ask_size": _NULL, "l_price": 8, "l_size": 4, "l_aggressor": 2, "l_flags": 2,
}  # fmt: skip


def _template(contract: bytes, quote: bool) -> np.ndarray:
    """One record with every field that is the same for all rows of this contract and kind filled in."""
    record = np.zeros(1, dtype=_layout(len(contract), quote))
    for name in record.dtype.names or ():
        if name in _CONSTANT_FIELDS:
            record[name] = _CONSTANT_FIELDS[name]
    record["l_contract"] = len(contract)
    record["contract"] = contract
    record["kind"] = KIND_QUOTE if quote else KIND_TRADE
    return record


def _records(contract_id: str, ticks: Ticks, rows: npt.NDArray[np.bool_] | None, quote: bool) -> np.ndarray:
    """The COPY records of `ticks` (those where `rows` is True, or all) of one kind."""

    def column(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return values if rows is None else values[rows]

    ts = column(ticks.ts)
    records = np.repeat(_template(contract_id.encode(), quote), len(ts))
    records["ts"] = ts
    records["init"] = ts  # imported history: created when it happened
    if quote:
        records["bid"] = column(ticks.bid)
        records["ask"] = column(ticks.ask)
        records["bid_size"] = column(ticks.bid_size)
        records["ask_size"] = column(ticks.ask_size)
    else:
        records["price"] = column(ticks.price)
        records["size"] = column(ticks.size)
        records["aggressor"] = column(ticks.aggressor)
    flags = column(ticks.flags)
    if flags.any():
        records["flags"] = flags
    return records


def encode_rows(contract_id: str, ticks: Ticks) -> bytes:
    """The binary COPY rows (no header or trailer) of `ticks`, in their order."""
    is_quote = ticks.kind == KIND_QUOTE
    quotes = int(is_quote.sum())
    if quotes == len(ticks):
        return _records(contract_id, ticks, None, True).tobytes()
    if quotes == 0:
        return _records(contract_id, ticks, None, False).tobytes()
    quote_bytes = _records(contract_id, ticks, is_quote, True)
    trade_bytes = _records(contract_id, ticks, ~is_quote, False)
    q_width, t_width = quote_bytes.dtype.itemsize, trade_bytes.dtype.itemsize
    quotes_u8 = quote_bytes.view(np.uint8).reshape(-1, q_width)
    trades_u8 = trade_bytes.view(np.uint8).reshape(-1, t_width)
    width = max(q_width, t_width)
    parts: list[bytes] = []
    q_at = t_at = 0
    # Block by block: the padded matrix of a block stays in cache (about 2.5x faster than one big matrix).
    for start in range(0, len(ticks), MIX_BLOCK_ROWS):
        kinds = is_quote[start : start + MIX_BLOCK_ROWS]
        n_quotes = int(kinds.sum())
        n_trades = len(kinds) - n_quotes
        matrix = np.zeros((len(kinds), width), dtype=np.uint8)
        matrix[kinds, :q_width] = quotes_u8[q_at : q_at + n_quotes]
        matrix[~kinds, :t_width] = trades_u8[t_at : t_at + n_trades]
        q_at += n_quotes
        t_at += n_trades
        used = np.ones((len(kinds), width), dtype=np.bool_)
        used[kinds, q_width:] = False
        used[~kinds, t_width:] = False
        parts.append(matrix[used].tobytes())
    return b"".join(parts)


def copy_payload(parts: list[bytes]) -> bytes:
    return HEADER + b"".join(parts) + TRAILER
