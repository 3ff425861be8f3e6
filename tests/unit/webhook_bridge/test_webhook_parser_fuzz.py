"""Property tests of the alert parser: any body gives an Alert or AlertRejected, and valid alerts round-trip."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.sdk import SignalDirection, Timeframe
from clients.webhook_bridge import Alert, AlertRejected, parse_alert

RECEIVED_NS = 1_764_255_660_000_000_000
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALIASES = [
    "passphrase",
    "secret",
    "key",
    "token",
    "ticker",
    "symbol",
    "action",
    "data",
    "order_action",
    "side",
    "direction",
    "sentiment",
    "market_position",
    "quantity",
    "contracts",
    "qty",
    "order_contracts",
    "signal_price",
    "price",
    "close",
    "signalPrice",
    "time",
    "timenow",
    "date",
    "signal_time",
    "bar_time",
    "interval",
    "timeframe",
    "htf_bias",
    "session",
    "strategy",
    "order_price",
]
WORDS = ["buy", "sell", "long", "short", "bullish", "bearish", "exit", "flat", "1", "5", "1D", "NQ1!", "25341.25"]


def parse(body: bytes, path_strategy: str = "") -> Alert | AlertRejected:
    try:
        return parse_alert(body, path_strategy=path_strategy, now_ns=lambda: RECEIVED_NS)
    except AlertRejected as rejected:
        assert 400 <= rejected.status < 500 and isinstance(rejected.reason, str) and rejected.reason
        return rejected


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(WORDS),
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(ALIASES) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.sampled_from(ALIASES) | st.text(max_size=10), json_values, max_size=12)


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_ever_raise_the_parsers_own_error(body: bytes) -> None:
    parse(body)


@FUZZ
@given(json_objects | st.lists(json_values, max_size=3) | json_scalars, st.sampled_from(["", "orb", "bad name"]))
def test_arbitrary_json_only_ever_raises_the_parsers_own_error(value: object, path_strategy: str) -> None:
    parse(json.dumps(value).encode(), path_strategy)


text_tokens = st.one_of(
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(ALIASES), st.sampled_from(WORDS) | st.text(max_size=12)),
    st.text(alphabet=string.printable + '="{}[]:,;', max_size=20),
)


@FUZZ
@given(st.lists(text_tokens, max_size=10), st.sampled_from([" ", ",", "\n", "; ", ""]))
def test_arbitrary_text_only_ever_raises_the_parsers_own_error(tokens: list[str], separator: str) -> None:
    parse(separator.join(tokens).encode())


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_unicode_only_ever_raises_the_parsers_own_error(text: str) -> None:
    parse(text.encode("utf-8", "surrogatepass"))


# -- valid alerts round-trip --------------------------------------------------------------------------------

SIDES = {
    "buy": SignalDirection.BULLISH,
    "long": SignalDirection.BULLISH,
    "bullish": SignalDirection.BULLISH,
    "sell": SignalDirection.BEARISH,
    "short": SignalDirection.BEARISH,
    "bearish": SignalDirection.BEARISH,
}
INTERVALS = {"1": Timeframe.M1, "5": Timeframe.M5, "15": Timeframe.M15, "60": Timeframe.H1, "240": Timeframe.H4}
INTERVALS |= {"1D": Timeframe.D1, "D": Timeframe.D1, "1m": Timeframe.M1, "4h": Timeframe.H4, "1d": Timeframe.D1}
SAFE = string.ascii_letters + string.digits + "-_.!@#$%^&*()+"


@dataclass(frozen=True)
class Case:
    """A valid alert, its fields as (alias, text, is_number) and what the parser must make of it."""

    fields: tuple[tuple[str, str, bool], ...]
    symbol: str
    direction: SignalDirection
    price: Decimal
    quantity: int
    signal_time_ns: int
    timeframe: Timeframe
    session: str
    strategy: str

    def as_json(self) -> bytes:
        parts = [f"{json.dumps(k)}: {v if number else json.dumps(v)}" for k, v, number in self.fields]
        return ("{" + ", ".join(parts) + "}").encode()

    def as_text(self) -> bytes:
        return " ".join(f'{k}="{v}"' if " " in v else f"{k}={v}" for k, v, _ in self.fields).encode()


def _mixed_case(word: str, flips: list[bool]) -> str:
    return "".join(c.upper() if flip else c for c, flip in zip(word, flips + [False] * len(word), strict=False))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    fields: list[tuple[str, str, bool]] = []
    secret_alias = draw(st.sampled_from(["passphrase", "secret", "key", "token"]))
    fields.append((secret_alias, draw(st.text(SAFE, min_size=1, max_size=20)), False))
    symbol = draw(st.sampled_from(["NQ1!", "NQZ2025", "CME_MINI:ES1!", "MNQH26", "es1!"]))
    fields.append((draw(st.sampled_from(["ticker", "symbol"])), symbol, False))
    word = draw(st.sampled_from(sorted(SIDES)))
    side_alias = draw(st.sampled_from(["action", "data", "order_action", "side", "direction"]))
    fields.append((side_alias, _mixed_case(word, draw(st.lists(st.booleans(), max_size=7))), False))
    price = Decimal(draw(st.integers(min_value=1, max_value=40_000_000))) * Decimal("0.25")
    price_text = format(price, "f")
    fields.append(
        (draw(st.sampled_from(["signal_price", "price", "close", "signalPrice"])), price_text, draw(st.booleans()))
    )
    quantity = draw(st.integers(min_value=1, max_value=1000))
    style = draw(st.sampled_from(["absent", "number", "string", "decimal"]))
    if style == "absent":
        quantity = 1
    else:
        text = f"{quantity}.0" if style == "decimal" else str(quantity)
        fields.append(
            (draw(st.sampled_from(["quantity", "contracts", "qty", "order_contracts"])), text, style == "number")
        )
    signal_time_ns = RECEIVED_NS
    if draw(st.booleans()):
        offset = timezone(timedelta(minutes=draw(st.integers(min_value=-12 * 60, max_value=14 * 60))))
        naive = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
        moment = naive.replace(tzinfo=offset)
        signal_time_ns = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000
        fields.append((draw(st.sampled_from(["time", "timenow", "date", "signal_time"])), moment.isoformat(), False))
    timeframe = Timeframe.M1
    if draw(st.booleans()):
        interval = draw(st.sampled_from(sorted(INTERVALS)))
        timeframe = INTERVALS[interval]
        fields.append((draw(st.sampled_from(["interval", "timeframe"])), interval, False))
    session = draw(st.sampled_from(["", "NY AM", "London", "Asia"]))
    if session:
        fields.append(("session", session, False))
    strategy = draw(st.sampled_from(["", "orb", "signal-lab.v2"]))
    if strategy:
        fields.append(("strategy", strategy, False))
    order = draw(st.permutations(range(len(fields))))
    return Case(
        fields=tuple(fields[i] for i in order),
        symbol=symbol,
        direction=SIDES[word],
        price=price,
        quantity=quantity,
        signal_time_ns=signal_time_ns,
        timeframe=timeframe,
        session=session,
        strategy=strategy,
    )


@FUZZ
@given(cases())
def test_valid_alerts_round_trip_to_the_expected_values_in_json_and_text(case: Case) -> None:
    from_json = parse(case.as_json())
    from_text = parse(case.as_text())

    secret_alias = next(k for k, _, _ in case.fields if k in ("passphrase", "secret", "key", "token"))
    blanked = (f'"{secret_alias}": "[redacted]"', f"{secret_alias}=[redacted]")
    for got, kept in zip((from_json, from_text), blanked, strict=True):
        assert isinstance(got, Alert), got
        assert kept in got.raw_payload
        assert (got.symbol, got.direction, got.price, got.quantity) == (
            case.symbol,
            case.direction,
            case.price,
            case.quantity,
        )
        assert (got.signal_time_ns, got.timeframe, got.session, got.strategy) == (
            case.signal_time_ns,
            case.timeframe,
            case.session,
            case.strategy,
        )
    assert isinstance(from_json, Alert) and isinstance(from_text, Alert)
    assert from_json.idempotency_key == from_text.idempotency_key == parse(case.as_json()).idempotency_key  # type: ignore[union-attr]
