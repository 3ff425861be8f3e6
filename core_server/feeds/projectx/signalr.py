"""SignalR JSON hub protocol (client side): handshake, 0x1E record framing and the message types.

Per dotnet/aspnetcore HubProtocol.md: every message is a JSON object terminated by the record
separator, several may share one websocket frame, and the first record the server sends answers
the handshake (`{}` or `{"error": ...}`).
"""

from __future__ import annotations

from typing import Final

import msgspec

RECORD_SEPARATOR: Final = "\x1e"

INVOCATION: Final = 1
STREAM_ITEM: Final = 2
COMPLETION: Final = 3
STREAM_INVOCATION: Final = 4
CANCEL_INVOCATION: Final = 5
PING: Final = 6
CLOSE: Final = 7
ACK: Final = 8  # stateful reconnect (not negotiated by this client)
SEQUENCE: Final = 9

HANDSHAKE_REQUEST: Final = '{"protocol":"json","version":1}' + RECORD_SEPARATOR
PING_RECORD: Final = '{"type":6}' + RECORD_SEPARATOR


class HubMessage(msgspec.Struct):
    """Any hub message; `arguments` and `result` stay raw JSON until the target is known."""

    type: int
    target: str = ""
    invocationId: str | None = None
    arguments: msgspec.Raw = msgspec.Raw(b"[]")
    error: str | None = None
    result: msgspec.Raw | None = None
    allowReconnect: bool = False


class HandshakeResponse(msgspec.Struct):
    error: str | None = None


class ProtocolError(Exception):
    """A record that is not a valid hub message (bad JSON, wrong shape, too large)."""


_decode_message = msgspec.json.Decoder(HubMessage).decode
_decode_handshake = msgspec.json.Decoder(HandshakeResponse).decode
_encode = msgspec.json.Encoder().encode


class RecordReader:
    """Splits websocket text into records, carrying an unterminated tail over to the next frame.

    Servers normally end every frame on a separator; the carry only guards against one that
    splits a record. A tail that grows beyond `max_record_chars` is dropped as malformed.
    """

    __slots__ = ("_max", "_tail", "dropped")

    def __init__(self, max_record_chars: int) -> None:
        self._max = max_record_chars
        self._tail = ""
        self.dropped = 0  # oversized records and tails discarded

    def feed(self, text: str) -> list[str]:
        if self._tail:
            text = self._tail + text
            self._tail = ""
        parts = text.split(RECORD_SEPARATOR)
        tail = parts.pop()
        if tail:
            if len(tail) > self._max:
                self.dropped += 1
            else:
                self._tail = tail
        if self._max and any(len(p) > self._max for p in parts):
            kept = [p for p in parts if len(p) <= self._max]
            self.dropped += len(parts) - len(kept)
            return kept
        return parts

    def reset(self) -> None:
        self._tail = ""


def decode_message(record: str) -> HubMessage:
    try:
        return _decode_message(record)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        raise ProtocolError(str(exc)) from None


def handshake_error(record: str) -> str | None:
    """None when `record` accepts the handshake, otherwise the server's reason."""
    try:
        return _decode_handshake(record).error
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        return f"unreadable handshake response: {exc}"


def encode_invocation(invocation_id: str, target: str, *arguments: object) -> str:
    message = {"type": INVOCATION, "invocationId": invocation_id, "target": target, "arguments": list(arguments)}
    return _encode(message).decode() + RECORD_SEPARATOR


def encode_close(error: str | None = None) -> str:
    message: dict[str, object] = {"type": CLOSE}
    if error is not None:
        message["error"] = error
    return _encode(message).decode() + RECORD_SEPARATOR
