"""Alert bodies to fields: JSON objects, or the plain-text key=value line format, whatever the Content-Type.

TradingView posts the alert message verbatim and labels it application/json only when it is valid JSON, so
the header is ignored. A body whose first non-blank character is `{` or `[` is JSON and must be an object;
numbers in it decode as exact Decimals, never floats. Anything else is the plain-text format: `key=value`
pairs separated by spaces, commas, semicolons or new lines, a value with spaces in double quotes:

    secret=s3cret ticker=NQ1! action=buy price=25341.25 time=2025-11-27T15:00:00Z interval=5 session="NY AM"

Keys are the JSON field names (aliases included) and every value is text, converted like a quoted JSON value.
A form-encoded body (`ticker=NQ1!&action=buy&price=25341.25`, what curl -d and HTML forms send) is read as
such, percent-decoding included. A key may appear once in every format: a repeat is a 422 naming the key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from clients.webhook_bridge.rejection import AlertRejected

_JSON = msgspec.json.Decoder(dict[str, Any], float_hook=Decimal)
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SEPARATORS = re.compile(r"[\s,;]*")
_FORM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=[^&\s]*(?:&[A-Za-z_][A-Za-z0-9_]*=[^&\s]*)+")
_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"\r\n]*)"|([^\s,;"]+))')
# Secret values are blanked in the raw payload kept for the Signal Lab; the field names match secret_of's.
_JSON_SECRET = re.compile(r'("(?:passphrase|secret|key|token)"\s*:\s*)("(?:[^"\\]|\\.)*"|(?![{\[])[^\s,}\]]+)')
_TEXT_SECRET = re.compile(r'(?<![A-Za-z0-9_])((?:passphrase|secret|key|token)=)("[^"\r\n]*"|[^\s,;"]+)')
REDACTED = "[redacted]"


@dataclass(frozen=True, slots=True)
class DecodedBody:
    """The body as text and the fields found in it; `is_json` tells which format it was."""

    text: str
    fields: dict[str, Any]
    is_json: bool

    def redacted_text(self, secret: str | None = None) -> str:
        """The body verbatim, except the values of passphrase/secret/key/token fields and any other
        occurrence of `secret` (the one presented, which may have come in the URL)."""
        if self.is_json:
            text = _JSON_SECRET.sub(rf'\1"{REDACTED}"', self.text)
        else:
            text = _TEXT_SECRET.sub(rf"\1{REDACTED}", self.text)
        return text.replace(secret, REDACTED) if secret else text


def decode_body(body: bytes) -> DecodedBody:
    """The fields of an alert body; AlertRejected (400 for non-UTF-8 or bad syntax, 415 for binary, 422 for a
    repeated key) otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AlertRejected(
            400, "", f"the body is not valid UTF-8: byte 0x{body[error.start]:02x} at byte offset {error.start}"
        ) from None
    text = text.removeprefix("\ufeff")
    binary = _BINARY.search(text)
    if binary is not None:
        raise AlertRejected(415, "", f"the body looks binary (control character at {binary.start()})")
    stripped = text.strip()
    if not stripped:
        raise AlertRejected(400, "", "the body is empty; send the alert as JSON or key=value text")
    if stripped[0] in "{[":
        return DecodedBody(text, _json_fields(stripped), is_json=True)
    if _FORM.fullmatch(stripped):
        return DecodedBody(text, _form_fields(stripped), is_json=False)
    return DecodedBody(text, _text_fields(stripped), is_json=False)


def _json_fields(text: str) -> dict[str, Any]:
    try:
        fields = _JSON.decode(text)
    except msgspec.ValidationError:
        raise AlertRejected(400, "", "a JSON body must be an object ({...})") from None
    except msgspec.DecodeError as error:
        raise AlertRejected(400, "", f"malformed JSON: {error}") from None
    except RecursionError:
        raise AlertRejected(400, "", "malformed JSON: nested too deeply") from None
    _refuse_repeated_keys(text)
    return fields


def _refuse_repeated_keys(text: str) -> None:
    """JSON allows a key twice and decoders keep the last; an alert with two prices is ambiguous: 422."""

    def pairs(items: list[tuple[str, Any]]) -> None:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                raise AlertRejected(422, key, "given more than once; send each field once")
            seen.add(key)

    json.loads(text, object_pairs_hook=pairs, parse_float=str, parse_int=str, parse_constant=str)


def _form_fields(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError) as error:
        raise AlertRejected(400, "", f"a form-encoded body (a=1&b=2) that does not decode: {error}") from None
    for key, value in pairs:
        if key in fields:
            raise AlertRejected(422, key, "given more than once; send each field once")
        fields[key] = value
    return fields


def _text_fields(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    position = 0
    while position < len(text):
        pair = _PAIR.match(text, position)
        if pair is None:
            raise AlertRejected(
                400,
                "",
                f"a text body must be key=value pairs (JSON must start with '{{'); stuck at character {position}",
            )
        key = pair.group(1)
        if key in fields:
            raise AlertRejected(422, key, "given more than once; send each field once")
        fields[key] = pair.group(2) if pair.group(2) is not None else pair.group(3)
        gap = _SEPARATORS.match(text, pair.end())
        position = gap.end() if gap else pair.end()
        if position == pair.end() and position < len(text):
            raise AlertRejected(400, "", f"separate key=value pairs with spaces, commas or new lines (at {position})")
    return fields
