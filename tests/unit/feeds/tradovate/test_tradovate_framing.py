"""The Tradovate frame codec: server frames in, newline-separated requests out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_server.feeds.tradovate.framing import (
    HEARTBEAT,
    FrameError,
    FrameKind,
    decode_frame,
    encode_body,
    encode_request,
    loads,
)

LIMIT = 1 << 20


def test_open_heartbeat_and_close_frames_are_recognised() -> None:
    assert decode_frame("o", LIMIT).kind is FrameKind.OPEN
    assert decode_frame("h", LIMIT).kind is FrameKind.HEARTBEAT
    close = decode_frame('c[3000,"Go away!"]', LIMIT)
    assert (close.kind, close.close_code, close.close_reason) == (FrameKind.CLOSE, 3000, "Go away!")
    assert decode_frame("c", LIMIT).kind is FrameKind.CLOSE


def test_an_array_frame_carries_several_messages_with_exact_decimal_prices() -> None:
    frame = decode_frame('a[{"s":200,"i":0},{"e":"md","d":{"p":25341.25,"n":7}}]', LIMIT)
    assert frame.kind is FrameKind.ARRAY
    assert frame.messages[0] == {"s": 200, "i": 0}
    price = frame.messages[1]["d"]["p"]
    assert type(price) is Decimal and price == Decimal("25341.25")
    assert type(frame.messages[1]["d"]["n"]) is int


def test_binary_frames_are_read_as_utf8_text() -> None:
    assert decode_frame(b'a[{"s":200,"i":1}]', LIMIT).messages == [{"s": 200, "i": 1}]


@pytest.mark.parametrize(
    "raw",
    ["", "x", "hh", "oops", "a", "a[{", 'a{"e":"md"}', "a42", "c{", "c5", b"\xff\xfe"],
    ids=[
        "empty",
        "unknown",
        "long-h",
        "long-o",
        "a-empty",
        "a-broken",
        "a-object",
        "a-number",
        "c-broken",
        "c-num",
        "bad-utf8",
    ],
)
def test_malformed_frames_raise_frame_error(raw: str | bytes) -> None:
    with pytest.raises(FrameError):
        decode_frame(raw, LIMIT)


def test_oversized_frames_are_refused_before_parsing() -> None:
    with pytest.raises(FrameError, match="oversized"):
        decode_frame("a[" + " " * 100 + "]", 64)


def test_requests_are_endpoint_id_query_and_body_on_four_lines() -> None:
    assert encode_request("authorize", 0, "token") == "authorize\n0\n\ntoken"
    assert encode_request("contract/find", 3, query="name=NQZ6") == "contract/find\n3\nname=NQZ6\n"
    body = encode_body({"symbol": "NQZ6"})
    assert encode_request("md/subscribeQuote", 1, body) == 'md/subscribeQuote\n1\n\n{"symbol":"NQZ6"}'
    assert HEARTBEAT == "[]"


def test_loads_keeps_every_fraction_exact() -> None:
    assert loads("[2123.3, 0.1, 1e2]") == [Decimal("2123.3"), Decimal("0.1"), Decimal("1E+2")]
