"""Binary COPY of tick columns, encoded with numpy: no Python object per row.

PostgreSQL's binary COPY row is a field count and, per field, a length (-1 for NULL) and big-endian bytes.
Quotes and trades have different NULL fields, so each kind has its own fixed record layout; a chunk that mixes
them is laid out in a byte matrix as wide as the wider record and the padding masked away.
"""

from __future__ import annotations

import numpy as np

from core_server.imports.chunk import KIND_QUOTE, Ticks
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


def _records(contract_id: str, ticks: Ticks, quote: bool) -> np.ndarray:
    contract = contract_id.encode()
    records = np.empty(len(ticks), dtype=_layout(len(contract), quote))
    records["count"] = len(TICK_COLUMNS)
    records["l_contract"] = len(contract)
    records["contract"] = contract
    records["l_ts"] = records["l_init"] = 8
    records["ts"] = records["init"] = ticks.ts  # imported history: created when it happened
    records["l_kind"] = 2
    records["kind"] = ticks.kind
    if quote:
        records["l_bid"] = records["l_ask"] = 8
        records["bid"], records["ask"] = ticks.bid, ticks.ask
        records["l_bid_size"] = records["l_ask_size"] = 4
        records["bid_size"], records["ask_size"] = ticks.bid_size, ticks.ask_size
        records["n_price"] = records["n_size"] = records["n_aggressor"] = _NULL
    else:
        for name in ("n_bid", "n_ask", "n_bid_size", "n_ask_size"):
            records[name] = _NULL
        records["l_price"], records["price"] = 8, ticks.price
        records["l_size"], records["size"] = 4, ticks.size
        records["l_aggressor"], records["aggressor"] = 2, ticks.aggressor
    records["l_flags"] = 2
    records["flags"] = ticks.flags
    return records


def encode_rows(contract_id: str, ticks: Ticks) -> bytes:
    """The binary COPY rows (no header or trailer) of `ticks`, in their order."""
    is_quote = ticks.kind == KIND_QUOTE
    quotes = int(is_quote.sum())
    if quotes == len(ticks):
        return _records(contract_id, ticks, True).tobytes()
    if quotes == 0:
        return _records(contract_id, ticks, False).tobytes()
    quote_bytes = _records(contract_id, ticks.take(is_quote), True)
    trade_bytes = _records(contract_id, ticks.take(~is_quote), False)
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
