"""Normalising alerts: aliases, sides, whole contracts, exact prices, zoned times, timeframes, idempotency keys."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from clients.sdk import SignalAction, SignalDirection, Timeframe
from clients.webhook_bridge import Alert, AlertRejected, decode_body, parse_alert, secret_of

RECEIVED_NS = 1_764_255_660_000_000_000  # 2025-11-27T15:01:00Z
FIRED_NS = 1_764_255_600_000_000_000  # 2025-11-27T15:00:00Z


def alert(payload: dict[str, object] | str, path_strategy: str = "") -> Alert:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return parse_alert(body.encode(), path_strategy=path_strategy, now_ns=lambda: RECEIVED_NS)


def refusal(payload: dict[str, object] | str, path_strategy: str = "") -> AlertRejected:
    with pytest.raises(AlertRejected) as caught:
        alert(payload, path_strategy)
    return caught.value


def minimal(**fields: object) -> dict[str, object]:
    payload: dict[str, object] = {"ticker": "NQ1!", "action": "buy", "price": "25341.25"}
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not None}


def test_a_traderspost_strategy_alert_normalises_every_field() -> None:
    got = alert(
        {
            "ticker": "NQ1!",
            "action": "sell",
            "sentiment": "short",
            "quantity": "2",
            "price": "25341.25",
            "time": "2025-11-27T15:00:00Z",
            "interval": "5",
            "passphrase": "s3cret",
        },
        path_strategy="orb",
    )

    assert (got.strategy, got.symbol, got.direction, got.price, got.quantity) == (
        "orb",
        "NQ1!",
        SignalDirection.BEARISH,
        Decimal("25341.25"),
        2,
    )
    assert (got.signal_time_ns, got.time_given, got.bar_time_ns, got.timeframe) == (FIRED_NS, True, 0, Timeframe.M5)
    assert "s3cret" not in got.raw_payload and '"ticker": "NQ1!"' in got.raw_payload


def test_a_signal_lab_alert_keeps_its_bias_session_and_bar_time() -> None:
    got = alert(
        {
            "symbol": "CME_MINI:NQZ2025",
            "direction": "Bullish",
            "signal_price": 25341.25,
            "htf_bias": "bullish",
            "session": "NY AM",
            "time": "2025-11-27T14:55:00Z",
            "timenow": "2025-11-27T15:00:00Z",
            "timeframe": "5m",
            "strategy": "signal-lab",
        }
    )

    assert (got.symbol, got.direction, got.price) == ("CME_MINI:NQZ2025", SignalDirection.BULLISH, Decimal("25341.25"))
    assert (got.htf_bias, got.session, got.strategy) == ("bullish", "NY AM", "signal-lab")
    assert got.signal_time_ns == FIRED_NS and got.bar_time_ns == FIRED_NS - 300 * 10**9
    signal_input = got.signal_input()
    assert signal_input.source == "webhook" and signal_input.bar_time_ns == got.bar_time_ns
    assert signal_input.idempotency_key == got.idempotency_key and len(got.idempotency_key) == 64


def test_a_pickmytrade_alert_with_string_values_and_a_token() -> None:
    got = alert({"symbol": "MNQ1!", "date": "2025-11-27T15:00:00Z", "data": "buy", "quantity": "1", "price": "21000"})

    assert (got.symbol, got.direction, got.quantity, got.price) == ("MNQ1!", SignalDirection.BULLISH, 1, Decimal(21000))
    assert got.signal_time_ns == FIRED_NS


def test_the_nested_strategy_block_of_the_common_template_supplies_side_quantity_and_price() -> None:
    got = alert(
        {
            "ticker": "ES1!",
            "strategy": {"order_action": "buy", "order_contracts": 3, "order_price": 6000.5, "market_position": "long"},
        }
    )

    assert (got.direction, got.quantity, got.price, got.strategy) == (
        SignalDirection.BULLISH,
        3,
        Decimal("6000.5"),
        "",
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"action": "BUY"}, SignalDirection.BULLISH),
        ({"action": None, "data": "Long"}, SignalDirection.BULLISH),
        ({"action": None, "order_action": "sell"}, SignalDirection.BEARISH),
        ({"action": None, "side": "short"}, SignalDirection.BEARISH),
        ({"action": None, "direction": "bearish"}, SignalDirection.BEARISH),
        ({"action": "buy", "sentiment": "long"}, SignalDirection.BULLISH),
    ],
)
def test_every_side_alias_and_word_is_understood(fields: dict[str, object], expected: SignalDirection) -> None:
    assert alert(minimal(**fields)).direction is expected


@pytest.mark.parametrize(
    ("fields", "action", "direction", "quantity"),
    [
        ({"action": "exit"}, SignalAction.EXIT, SignalDirection.NONE, 0),
        ({"action": "CLOSE", "quantity": 2}, SignalAction.EXIT, SignalDirection.NONE, 2),
        ({"action": "flat"}, SignalAction.EXIT, SignalDirection.NONE, 0),
        ({"action": "cancel"}, SignalAction.CANCEL, SignalDirection.NONE, 1),
        ({"action": "add"}, SignalAction.ADD, SignalDirection.NONE, 1),
        ({"action": "add", "sentiment": "short"}, SignalAction.ADD, SignalDirection.BEARISH, 1),
        ({"action": "buy", "sentiment": "flat"}, SignalAction.EXIT, SignalDirection.BULLISH, 0),
        ({"action": "sell", "sentiment": "FLAT"}, SignalAction.EXIT, SignalDirection.BEARISH, 0),
        ({"action": "buy", "sentiment": "short", "quantity": 1}, SignalAction.EXIT, SignalDirection.BULLISH, 1),
        ({"action": "buy", "sentiment": "bearish"}, SignalAction.EXIT, SignalDirection.BULLISH, 0),
        ({"action": "buy", "sentiment": "long"}, SignalAction.ENTRY, SignalDirection.BULLISH, 1),
        ({"action": "sell", "sentiment": "bearish"}, SignalAction.ENTRY, SignalDirection.BEARISH, 1),
        ({"action": "sell"}, SignalAction.ENTRY, SignalDirection.BEARISH, 1),
    ],
)
def test_every_traderspost_action_and_sentiment_maps_to_an_action_side_and_quantity(
    fields: dict[str, object], action: SignalAction, direction: SignalDirection, quantity: int
) -> None:
    got = alert(minimal(**fields))
    assert (got.action, got.direction, got.quantity) == (action, direction, quantity)


def test_an_exit_or_cancel_needs_no_price_and_keys_on_its_action_and_quantity() -> None:
    exit_all = alert({"ticker": "NQ1!", "action": "exit", "time": "2025-11-27T15:00:00Z"})
    exit_one = alert({"ticker": "NQ1!", "action": "exit", "quantity": 1, "time": "2025-11-27T15:00:00Z"})
    cancel = alert({"ticker": "NQ1!", "action": "cancel", "time": "2025-11-27T15:00:00Z"})
    assert exit_all.price == Decimal(0) and exit_all.quantity == 0
    assert len({exit_all.idempotency_key, exit_one.idempotency_key, cancel.idempotency_key}) == 3
    assert refusal({"ticker": "NQ1!", "action": "add"}).field == "price"  # an add is an entry: it needs one


@pytest.mark.parametrize(
    "fields", [{"action": None, "sentiment": "bullish"}, {"action": None, "market_position": "short"}]
)
def test_a_bare_sentiment_is_not_an_order(fields: dict[str, object]) -> None:
    rejected = refusal(minimal(**fields))
    assert (rejected.status, rejected.field) == (422, "action")


@pytest.mark.parametrize(("value", "expected"), [(1, 1), ("2", 2), ("1.0", 1), (3.0, 3), ("1000", 1000), ("1e1", 10)])
def test_quantities_are_whole_contracts_from_strings_or_numbers(value: object, expected: int) -> None:
    assert alert(minimal(quantity=value)).quantity == expected


@pytest.mark.parametrize("value", ["1.5", 0.5, 0, -1, "1001", "NaN", "lots", True, [1]])
def test_fractional_or_out_of_range_quantities_are_refused(value: object) -> None:
    rejected = refusal(minimal(quantity=value))

    assert (rejected.status, rejected.field) == (422, "quantity")


def test_quantity_aliases_are_read_and_default_to_one() -> None:
    assert alert(minimal(contracts="4")).quantity == 4
    assert alert(minimal(qty=5)).quantity == 5
    assert alert(minimal(order_contracts="6")).quantity == 6
    assert alert(minimal()).quantity == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"ticker":"NQ1!","action":"buy","price":25341.10}', "25341.10"),
        ('{"ticker":"NQ1!","action":"buy","close":"25341.25"}', "25341.25"),
        ('{"ticker":"NQ1!","action":"buy","signalPrice":0.1}', "0.1"),
        ('{"ticker":"NQ1!","action":"buy","price":2.5e4}', "25000"),
        ('{"ticker":"NQ1!","action":"buy","signal_price":"1.23456789","price":"9"}', "1.23456789"),
    ],
)
def test_prices_are_exact_decimals_from_strings_or_numbers(body: str, expected: str) -> None:
    price = alert(body).price

    assert isinstance(price, Decimal) and str(price) == expected


@pytest.mark.parametrize("value", ["abc", "0", -5, "1e400", "NaN", "Infinity", "0.000000001", "25,341.25", None])
def test_missing_or_impossible_prices_are_refused(value: object) -> None:
    rejected = refusal(minimal(price=value))

    assert rejected.status == 422 and rejected.field == "price"


def test_times_need_a_zone_and_convert_to_utc_nanoseconds() -> None:
    assert alert(minimal(time="2025-11-27T09:00:00-06:00")).signal_time_ns == FIRED_NS
    assert alert(minimal(timenow="2025-11-27T15:00:00.250Z")).signal_time_ns == FIRED_NS + 250_000_000
    assert alert(minimal(signal_time="2025-11-27 15:00:00Z")).signal_time_ns == FIRED_NS

    naive = refusal(minimal(time="2025-11-27T15:00:00"))
    assert (naive.status, naive.field) == (422, "time") and "zone" in naive.reason
    garbage = refusal(minimal(timenow="yesterday"))
    assert (garbage.status, garbage.field) == (422, "timenow")


def test_an_alert_without_a_time_is_stamped_when_received() -> None:
    got = alert(minimal())

    assert (got.signal_time_ns, got.time_given, got.bar_time_ns) == (RECEIVED_NS, False, 0)


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("1", Timeframe.M1),
        ("5", Timeframe.M5),
        ("15", Timeframe.M15),
        ("60", Timeframe.H1),
        ("240", Timeframe.H4),
        ("1D", Timeframe.D1),
        ("D", Timeframe.D1),
        ("1m", Timeframe.M1),
        ("5m", Timeframe.M5),
        ("4h", Timeframe.H4),
        ("1d", Timeframe.D1),
        (15, Timeframe.M15),
        (None, Timeframe.M1),
    ],
)
def test_tradingview_intervals_map_to_timeframes(interval: object, expected: Timeframe) -> None:
    assert alert(minimal(interval=interval)).timeframe is expected


@pytest.mark.parametrize("interval", ["3", "30", "1M", "1W", "W", "S", "2h", ""])
def test_unsupported_intervals_are_refused(interval: str) -> None:
    rejected = refusal(minimal(interval=interval))

    assert (rejected.status, rejected.field) == (422, "interval") and "unsupported timeframe" in rejected.reason


def test_a_strategy_in_the_url_path_wins_over_the_body() -> None:
    assert alert(minimal(strategy="from-body"), path_strategy="from-path").strategy == "from-path"
    assert alert(minimal(strategy=" from-body ")).strategy == " from-body "  # stored exactly
    assert refusal(minimal(strategy="x"), path_strategy="has spaces").field == "strategy (URL path)"


@pytest.mark.parametrize("name", ["Signal Lab NQ", "Стратегия НК", "🚀 breakout v2", "x" * 200])
def test_a_strategy_name_in_the_body_is_free_text_kept_exactly(name: str) -> None:
    assert alert(minimal(strategy=name)).strategy == name


@pytest.mark.parametrize(("name", "words"), [("x" * 201, "at most 200"), ("tab\there", "control character at 3")])
def test_a_strategy_name_is_one_line_of_at_most_200_characters(name: str, words: str) -> None:
    rejected = refusal(minimal(strategy=name))
    assert rejected.field == "strategy" and words in rejected.reason


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"action": "buy", "price": 1}, "symbol"),
        ({"ticker": "  ", "action": "buy", "price": 1}, "symbol"),
        ({"ticker": "NQ 1!", "action": "buy", "price": 1}, "ticker"),
        ({"ticker": 123, "action": "buy", "price": 1}, "ticker"),
        ({"ticker": "NQ1!", "price": 1}, "action"),
        ({"ticker": "NQ1!", "action": "hold", "price": 1}, "action"),
        (
            {"ticker": "NQ1!", "action": "buy", "price": 1, "strategy": {"order_contracts": "x"}},
            "strategy.order_contracts",
        ),
        ({"ticker": "NQ1!", "action": "buy", "price": 1, "session": "x" * 65}, "session"),
    ],
)
def test_invalid_fields_are_refused_naming_the_field(payload: dict[str, object], field: str) -> None:
    rejected = refusal(payload)

    assert (rejected.status, rejected.field) == (422, field)


def test_the_secret_is_read_from_any_of_its_aliases() -> None:
    assert secret_of(decode_body(b'{"passphrase": "a"}').fields) == "a"
    assert secret_of(decode_body(b'{"token": "t", "key": "k"}').fields) == "k"
    assert secret_of(decode_body(b"secret=s ticker=NQ1!").fields) == "s"
    assert secret_of(decode_body(b'{"key": 1234}').fields) == "1234"
    assert secret_of(decode_body(b'{"key": true, "ticker": "NQ1!"}').fields) is None


def test_the_idempotency_key_is_stable_across_layout_and_representation() -> None:
    as_json = alert('{"ticker":"NQ1!","action":"buy","price":25341.25,"time":"2025-11-27T15:00:00Z","quantity":1}')
    reordered = alert(
        '{\n  "time": "2025-11-27T09:00:00-06:00", "price": "25341.250", "action": "BUY", "ticker": "nq1!",'
        ' "quantity": "2", "session": "NY AM"}'
    )
    as_text = alert("ticker=NQ1! action=buy price=25341.25 time=2025-11-27T15:00:00Z")

    assert as_json.idempotency_key == reordered.idempotency_key == as_text.idempotency_key


@pytest.mark.parametrize(
    "change",
    [
        {"price": "25341.50"},
        {"action": "sell"},
        {"time": "2025-11-27T15:01:00Z"},
        {"ticker": "ES1!"},
        {"interval": "5"},
        {"timenow": "2025-11-27T15:00:00Z"},  # makes `time` the bar time
    ],
)
def test_the_idempotency_key_differs_when_the_alert_does(change: dict[str, object]) -> None:
    base = minimal(time="2025-11-27T15:00:00Z")

    assert alert(base).idempotency_key != alert({**base, **change}).idempotency_key


def test_the_idempotency_key_depends_on_the_strategy() -> None:
    base = minimal(time="2025-11-27T15:00:00Z")

    assert alert(base, "a").idempotency_key != alert(base, "b").idempotency_key


def test_a_quantity_type_other_than_contracts_is_refused_not_misread() -> None:
    assert alert(minimal(quantity=2, quantityType="fixed_quantity")).quantity == 2
    rejected = refusal(minimal(action="exit", quantity=50, quantityType="percent_of_position"))
    assert (rejected.status, rejected.field) == (422, "quantityType")
