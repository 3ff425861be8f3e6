"""Tradovate WebSocket framing: SockJS-style server frames in, newline-separated requests out."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

HEARTBEAT = "[]"  # the client heartbeat, sent as its own text frame


class FrameKind(Enum):
    OPEN = "o"
    HEARTBEAT = "h"
    ARRAY = "a"
    CLOSE = "c"


class Frame(NamedTuple):
    """One server frame. `messages` holds an `a` frame's JSON objects; `close_*` a `c` frame's payload."""

    kind: FrameKind
    messages: list[Any]
    close_code: int = 0
    close_reason: str = ""


class FrameError(ValueError):
    """A frame that does not follow the protocol; the reason never quotes the frame (it may be huge)."""


OPEN_FRAME = Frame(FrameKind.OPEN, [])
HEARTBEAT_FRAME = Frame(FrameKind.HEARTBEAT, [])


_DECODER = json.JSONDecoder(parse_float=Decimal)  # one decoder: json.loads would build one per call


def loads(text: str) -> Any:
    """JSON with every non-integer number as an exact Decimal (25341.25 never becomes a binary float).

    Raises ValueError for anything unreadable, including a number whose exponent Decimal cannot hold
    (`1E+99999999999`, decimal.InvalidOperation) and nesting deeper than the decoder's stack (RecursionError)."""
    try:
        return _DECODER.decode(text)
    except (ArithmeticError, RecursionError) as exc:
        raise ValueError(f"unreadable JSON: {type(exc).__name__}") from None


def decode_frame(raw: str | bytes, max_bytes: int) -> Frame:
    """Parse one server frame; raises FrameError for empty, oversized, unknown or malformed frames."""
    if len(raw) > max_bytes:
        raise FrameError(f"oversized frame: {len(raw)} bytes > {max_bytes}")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FrameError("binary frame that is not UTF-8") from None
    if not raw:
        raise FrameError("empty frame")
    kind = raw[0]
    if kind == "a":
        try:
            messages = loads(raw[1:])
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the decoder's stack
            raise FrameError("'a' frame payload is not valid JSON") from None
        if type(messages) is not list:
            raise FrameError("'a' frame payload is not a JSON array")
        return Frame(FrameKind.ARRAY, messages)
    if kind == "h" and len(raw) == 1:
        return HEARTBEAT_FRAME
    if kind == "o" and len(raw) == 1:
        return OPEN_FRAME
    if kind == "c":
        return _close_frame(raw[1:])
    raise FrameError(f"unknown frame type {raw[:1]!r} (length {len(raw)})")


def _close_frame(payload: str) -> Frame:
    try:
        body = loads(payload) if payload else []
    except (ValueError, RecursionError):
        raise FrameError("'c' frame payload is not valid JSON") from None
    if type(body) is not list:
        raise FrameError("'c' frame payload is not a JSON array")
    code = body[0] if body and type(body[0]) is int else 0
    reason = body[1] if len(body) > 1 and isinstance(body[1], str) else ""
    return Frame(FrameKind.CLOSE, [], code, reason[:200])


def encode_request(endpoint: str, request_id: int, body: str = "", query: str = "") -> str:
    """`endpoint\\nid\\nquery\\nbody`: the empty lines are required even when query and body are empty."""
    return f"{endpoint}\n{request_id}\n{query}\n{body}"


def encode_body(value: Any) -> str:
    """A compact JSON request body (ids, symbols and timestamps only: never a float price)."""
    return json.dumps(value, separators=(",", ":"))
