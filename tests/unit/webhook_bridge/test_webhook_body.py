"""Alert bodies: JSON with exact numbers or key=value text, whatever the header; secrets blanked in the raw copy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clients.webhook_bridge import AlertRejected, decode_body


def refusal(body: bytes) -> AlertRejected:
    with pytest.raises(AlertRejected) as caught:
        decode_body(body)
    return caught.value


def test_json_numbers_decode_as_exact_decimals_never_floats() -> None:
    decoded = decode_body(b'{"price": 25341.1, "quantity": 2, "nested": {"close": 0.1}}')

    assert decoded.is_json
    assert decoded.fields == {"price": Decimal("25341.1"), "quantity": 2, "nested": {"close": Decimal("0.1")}}
    assert type(decoded.fields["price"]) is Decimal


def test_json_that_starts_after_blank_lines_or_a_byte_order_mark_is_still_json() -> None:
    assert decode_body(b'\n  {"ticker": "NQ1!"}\n').fields == {"ticker": "NQ1!"}
    assert decode_body('\ufeff{"ticker": "NQ1!"}'.encode()).fields == {"ticker": "NQ1!"}


def test_text_pairs_split_on_spaces_commas_semicolons_and_new_lines_with_quoted_values() -> None:
    decoded = decode_body(b'secret=s3 ticker=NQ1!, action=buy;price=25341.25\nsession="NY AM" htf_bias=""')

    assert not decoded.is_json
    assert decoded.fields == {
        "secret": "s3",
        "ticker": "NQ1!",
        "action": "buy",
        "price": "25341.25",
        "session": "NY AM",
        "htf_bias": "",
    }


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        (b"", 400, "", "empty"),
        (b"  \n ", 400, "", "empty"),
        (b'{"ticker": "NQ1!"', 400, "", "malformed JSON"),
        (b'{"ticker": NaN}', 400, "", "malformed JSON"),
        (b'["NQ1!", "buy"]', 400, "", "must be an object"),
        (b"long NQ1! now", 400, "", "key=value"),
        (b"ticker=NQ1! ticker=ES1!", 422, "ticker", "more than once"),
        (b'{"ticker": "NQ1!", "price": 1, "ticker": "ES1!"}', 422, "ticker", "more than once"),
        (b"ticker=NQ1!&price=1&price=2", 422, "price", "more than once"),
        (b'ticker="NQ1!"action=buy', 400, "", "separate"),
        (b"price=", 400, "", "key=value"),
        (b"\xff\xfe{}", 400, "", "not valid UTF-8: byte 0xff at byte offset 0"),
        (b'{"ticker": "NQ\xe2\x82"}', 400, "", "at byte offset 14"),
        (b"ticker=NQ1!\x00", 415, "", "binary"),
        (b"\x89PNG\r\n\x1a\n", 400, "", "byte offset 0"),
    ],
)
def test_unreadable_bodies_are_refused_with_a_status_and_a_reason(
    body: bytes, status: int, field: str, words: str
) -> None:
    rejected = refusal(body)

    assert (rejected.status, rejected.field) == (status, field)
    assert words in rejected.reason


def test_raw_json_keeps_the_body_verbatim_except_every_secret_value() -> None:
    body = (
        b'{"passphrase": "p@ss", "ticker":"NQ1!", "key":12345, "price": 1,'
        b' "multiple_accounts":[{"token":"t-1","account_id":"2"}], "note": "keys are fine"}'
    )

    redacted = decode_body(body).redacted_text()

    assert redacted == (
        '{"passphrase": "[redacted]", "ticker":"NQ1!", "key":"[redacted]", "price": 1,'
        ' "multiple_accounts":[{"token":"[redacted]","account_id":"2"}], "note": "keys are fine"}'
    )


def test_raw_text_blanks_secret_pairs_and_any_other_copy_of_the_presented_secret() -> None:
    decoded = decode_body(b'secret=abc ticker=NQ1! note="abc in a note" monkey=1')

    assert decoded.redacted_text() == 'secret=[redacted] ticker=NQ1! note="abc in a note" monkey=1'
    assert decoded.redacted_text("abc") == 'secret=[redacted] ticker=NQ1! note="[redacted] in a note" monkey=1'


def test_an_escaped_secret_key_is_still_blanked_through_the_presented_secret() -> None:
    decoded = decode_body(b'{"pass\\u0070hrase": "hunter2", "ticker": "NQ1!"}')

    assert decoded.fields["passphrase"] == "hunter2"
    assert "hunter2" not in decoded.redacted_text("hunter2")


def test_a_form_encoded_body_is_read_as_form_fields_with_percent_decoding() -> None:
    decoded = decode_body(b"ticker=CME_MINI%3ANQ1%21&action=buy&price=25341.25&strategy=Signal+Lab+NQ")
    assert decoded.fields == {
        "ticker": "CME_MINI:NQ1!",
        "action": "buy",
        "price": "25341.25",
        "strategy": "Signal Lab NQ",
    }
