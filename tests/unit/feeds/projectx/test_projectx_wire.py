"""SignalR framing and GatewayQuote/GatewayTrade decoding: exact prices, partial quotes, bad payloads."""

from __future__ import annotations

import json

import msgspec
import pytest

from core_server.feeds.projectx import signalr
from core_server.feeds.projectx.messages import MalformedPayload, MarketEventParser, timestamp_ns
from core_server.model.clock import NS_PER_SECOND
from core_server.model.instruments import Contract
from core_server.model.market_data import Aggressor, Quote, Trade
from tests.kit.time import utc

NQ = Contract("NQ", 2026, 12)
PX = NQ.projectx_id
T0 = utc(2025, 11, 14, 15, 30, 1)


def _parser() -> MarketEventParser:
    parser = MarketEventParser()
    parser.add_contract(PX, NQ.id, NQ.spec)
    return parser


def _args(*values: object) -> bytes:
    return json.dumps(list(values)).encode()


def test_record_reader_splits_records_and_carries_an_unterminated_tail() -> None:
    reader = signalr.RecordReader(1000)
    assert reader.feed('{"type":6}\x1e{"type":1,') == ['{"type":6}']
    assert reader.feed('"target":"X"}\x1e') == ['{"type":1,"target":"X"}']
    assert reader.feed("") == []


def test_record_reader_drops_records_longer_than_the_limit() -> None:
    reader = signalr.RecordReader(20)
    assert reader.feed("x" * 30 + '\x1e{"type":6}\x1e') == ['{"type":6}']
    assert reader.dropped == 1


def test_invocation_and_handshake_use_the_json_hub_protocol() -> None:
    record = signalr.encode_invocation("0", "SubscribeContractQuotes", PX)
    assert record.endswith("\x1e")
    assert json.loads(record[:-1]) == {
        "type": 1,
        "invocationId": "0",
        "target": "SubscribeContractQuotes",
        "arguments": [PX],
    }
    assert signalr.HANDSHAKE_REQUEST == '{"protocol":"json","version":1}\x1e'
    assert signalr.handshake_error("{}") is None
    assert signalr.handshake_error('{"error":"Requested protocol \'x\' is not available."}') is not None


def test_decode_message_keeps_arguments_raw_and_rejects_garbage() -> None:
    message = signalr.decode_message('{"type":1,"target":"GatewayQuote","arguments":["a",{"bestBid":1.25}]}')
    assert message.type == 1 and bytes(message.arguments) == b'["a",{"bestBid":1.25}]'
    with pytest.raises(signalr.ProtocolError):
        signalr.decode_message("not json")
    with pytest.raises(signalr.ProtocolError):
        signalr.decode_message('{"target":"no type"}')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-11-14T15:30:01Z", T0),
        ("2025-11-14T15:30:01.123Z", T0 + 123_000_000),
        ("2025-11-14T15:30:01.1234567+00:00", T0 + 123_456_700),
        ("2025-11-14T15:30:01.123456789Z", T0 + 123_456_789),
        ("2025-11-14T10:30:01.5-05:00", T0 + 500_000_000),
        ("2025-11-14T15:30:01", T0),
    ],
)
def test_timestamps_parse_to_the_nanosecond(text: str, expected: int) -> None:
    assert timestamp_ns(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2025-11-14T15:30:01.12x", "2025-13-14T15:30:01Z"])
def test_bad_timestamps_raise(text: str) -> None:
    with pytest.raises(ValueError):
        timestamp_ns(text)


def test_quote_prices_are_exact_ticks_and_partial_updates_merge() -> None:
    parser = _parser()
    raw = b'["' + PX.encode() + b'",{"bestBid":25329.00,"bestAsk":25329.250000000,"timestamp":"2025-11-14T15:30:01Z"}]'
    (first,) = parser.parse("GatewayQuote", raw, 5)
    assert first == Quote(NQ.id, T0, 5, 101316, 101317, 0, 0)
    (second,) = parser.parse("GatewayQuote", _args(PX, {"bestAsk": 25329.5, "timestamp": "2025-11-14T15:30:02Z"}), 6)
    assert (second.bid, second.ask, second.ts_event) == (101316, 101318, T0 + NS_PER_SECOND)
    sized = parser.parse(
        "GatewayQuote", _args(PX, {"bestBidSize": 7, "bestAskSize": 9, "timestamp": "2025-11-14T15:30:02Z"}), 7
    )
    assert (sized[0].bid_size, sized[0].ask_size) == (7, 9)


def test_a_quote_without_both_sides_or_without_price_fields_yields_nothing() -> None:
    parser = _parser()
    assert parser.parse("GatewayQuote", _args(PX, {"bestBid": 100.0}), 1) == []
    parser.parse("GatewayQuote", _args(PX, {"bestAsk": 100.25}), 1)
    assert parser.parse("GatewayQuote", _args(PX, {"lastPrice": 100.0, "volume": 5}), 1) == []


def test_reset_books_forgets_prices_but_not_the_time_watermark() -> None:
    parser = _parser()
    parser.parse(
        "GatewayQuote", _args(PX, {"bestBid": 100.0, "bestAsk": 100.25, "timestamp": "2025-11-14T15:30:05Z"}), 1
    )
    parser.reset_books()
    assert parser.parse("GatewayQuote", _args(PX, {"bestAsk": 100.5}), 2) == []
    (quote,) = parser.parse("GatewayQuote", _args(PX, {"bestBid": 100.25, "timestamp": "2025-11-14T15:30:01Z"}), 3)
    assert quote.ts_event == T0 + 4 * NS_PER_SECOND  # raised to the newest stamp seen


def test_trades_arrive_as_arrays_or_single_objects_with_their_aggressor() -> None:
    parser = _parser()
    batch = [
        {"symbolId": "F.US.ENQ", "price": 25329.25, "timestamp": "2025-11-14T15:30:01.120Z", "type": 0, "volume": 2},
        {"symbolId": "F.US.ENQ", "price": 25329.0, "timestamp": "2025-11-14T15:30:01.120Z", "type": 1, "volume": 1},
    ]
    ticks = parser.parse("GatewayTrade", _args(PX, batch), 9)
    assert ticks == [
        Trade(NQ.id, T0 + 120_000_000, 9, 101317, 2, Aggressor.BUY),
        Trade(NQ.id, T0 + 120_000_000, 9, 101316, 1, Aggressor.SELL),
    ]
    single = {"price": 25329.5, "timestamp": "2025-11-14T15:30:02Z", "volume": 3}
    (trade,) = parser.parse("GatewayTrade", _args(PX, single), 9)
    assert (trade.price, trade.aggressor) == (101318, Aggressor.NONE)


@pytest.mark.parametrize(
    ("target", "arguments"),
    [
        ("GatewayQuote", _args(PX, {"bestBid": 25329.1, "bestAsk": 25329.25})),  # off the 0.25 grid
        ("GatewayQuote", _args(PX, {"bestBid": "abc"})),
        ("GatewayTrade", _args(PX, [{"price": 1.0, "timestamp": "2025-11-14T15:30:01Z", "volume": 0}])),
        ("GatewayTrade", _args(PX, [{"price": 1.0, "timestamp": "soon", "volume": 1}])),
        ("GatewayTrade", _args("CON.F.US.XYZ.Z26", [])),
        ("GatewayTrade", b"not json"),
        ("GatewayDepth", _args(PX, [])),
    ],
)
def test_unreadable_payloads_raise_malformed(target: str, arguments: bytes) -> None:
    with pytest.raises(MalformedPayload):
        _parser().parse(target, msgspec.Raw(arguments), 1)
