"""Alert fields to one normalised Alert: aliases, exact prices, whole contracts, zoned times, timeframes.

Aliases (PROTOCOLS §3.5), the first one present wins:
    secret    passphrase | secret | key | token            (or the URL path, which wins)
    symbol    ticker | symbol
    side      action | data | order_action | strategy.order_action | side | direction, else the sentiment
    sentiment sentiment | market_position | strategy.market_position
    quantity  quantity | contracts | qty | order_contracts | strategy.order_contracts   (default 1)
    price     signal_price | price | close | signalPrice | strategy.order_price        (required)
    fired at  timenow | signal_time | date | time          (RFC 3339 with a zone; default: when received)
    bar time  bar_time, or `time` when a fire time is also given (TradingView {{time}} is the bar's open,
              {{timenow}} the fire time; templates that send only "time" usually fill it with {{timenow}})
    timeframe interval | timeframe                          (default 1m)
    htf_bias, session, strategy (a strategy in the URL path wins)
Sides: buy/long/bullish and sell/short/bearish in any case. exit, close, flat, cancel and add are not
signals, nor is a buy/sell whose sentiment is flat or opposite (that closes or reduces a position).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import msgspec

from clients.sdk import SignalDirection, SignalInput, Timeframe
from clients.webhook_bridge.body import DecodedBody, decode_body
from clients.webhook_bridge.rejection import AlertRejected

SECRET_FIELDS = ("passphrase", "secret", "key", "token")
MAX_QUANTITY = 1000
MAX_PRICE = Decimal(1_000_000_000)
PRICE_QUANTUM = Decimal("1e-8")
MAX_LABEL = 64
STRATEGY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

ZonedTime = Annotated[datetime, msgspec.Meta(tz=True)]

_WORDS = {
    "buy": SignalDirection.BULLISH,
    "long": SignalDirection.BULLISH,
    "bullish": SignalDirection.BULLISH,
    "sell": SignalDirection.BEARISH,
    "short": SignalDirection.BEARISH,
    "bearish": SignalDirection.BEARISH,
}
_NOT_SIGNALS = ("exit", "close", "flat", "cancel", "add")

# TradingView {{interval}} values and our own names. Case matters: TradingView's "1M" is one month.
_TIMEFRAMES = {
    "1": Timeframe.M1,
    "1m": Timeframe.M1,
    "5": Timeframe.M5,
    "5m": Timeframe.M5,
    "15": Timeframe.M15,
    "15m": Timeframe.M15,
    "60": Timeframe.H1,
    "60m": Timeframe.H1,
    "1h": Timeframe.H1,
    "1H": Timeframe.H1,
    "240": Timeframe.H4,
    "240m": Timeframe.H4,
    "4h": Timeframe.H4,
    "4H": Timeframe.H4,
    "D": Timeframe.D1,
    "1D": Timeframe.D1,
    "1d": Timeframe.D1,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_NS = 2**63 - 1


class StrategyBlock(msgspec.Struct):
    """The nested `strategy` object of the common TradingView strategy template."""

    order_action: str | None = None
    order_contracts: Decimal | None = None
    order_price: Decimal | None = None
    market_position: str | None = None


class RawAlert(msgspec.Struct):
    """Every field the bridge reads, typed; unknown fields are ignored."""

    ticker: str | None = None
    symbol: str | None = None
    action: str | None = None
    data: str | None = None
    order_action: str | None = None
    side: str | None = None
    direction: str | None = None
    sentiment: str | None = None
    market_position: str | None = None
    quantity: Decimal | None = None
    contracts: Decimal | None = None
    qty: Decimal | None = None
    order_contracts: Decimal | None = None
    signal_price: Decimal | None = None
    price: Decimal | None = None
    close: Decimal | None = None
    signalPrice: Decimal | None = None  # TradersPost's spelling
    time: ZonedTime | None = None
    timenow: ZonedTime | None = None
    date: ZonedTime | None = None
    signal_time: ZonedTime | None = None
    bar_time: ZonedTime | None = None
    interval: str | int | None = None
    timeframe: str | int | None = None
    htf_bias: str | None = None
    session: str | None = None
    strategy: StrategyBlock | str | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """A normalised alert, ready to submit; `idempotency_key` is equal for repeated deliveries of one alert."""

    strategy: str
    symbol: str
    direction: SignalDirection
    price: Decimal
    quantity: int
    signal_time_ns: int  # when the alert fired
    time_given: bool  # False: the alert had no time and `signal_time_ns` is when the bridge received it
    bar_time_ns: int  # open of the bar that fired; 0 when the alert did not say
    timeframe: Timeframe
    htf_bias: str
    session: str
    raw_payload: str
    idempotency_key: str

    def signal_input(self) -> SignalInput:
        return SignalInput(
            symbol=self.symbol,
            direction=self.direction,
            signal_price=self.price,
            signal_time_ns=self.signal_time_ns,
            timeframe=self.timeframe,
            htf_bias=self.htf_bias,
            session=self.session,
            strategy=self.strategy,
            quantity=self.quantity,
            raw_payload=self.raw_payload,
            source="webhook",
            idempotency_key=self.idempotency_key,
            bar_time_ns=self.bar_time_ns,
        )


def secret_of(fields: dict[str, Any]) -> str | None:
    """The shared secret in the body (passphrase, secret, key or token), if any."""
    for name in SECRET_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def strategy_of(fields: dict[str, Any]) -> str:
    """The strategy named in the body, or "" (it selects the secret before the body is validated)."""
    value = fields.get("strategy")
    return value.strip() if isinstance(value, str) else ""


def parse_alert(body: bytes, *, path_strategy: str = "", now_ns: Callable[[], int] = time.time_ns) -> Alert:
    """decode_body then normalise; AlertRejected (400, 415 or 422) is the only error it raises."""
    return normalise(decode_body(body), path_strategy=path_strategy, received_ns=now_ns())


def normalise(decoded: DecodedBody, *, path_strategy: str = "", received_ns: int, secret: str | None = None) -> Alert:
    """The Alert in decoded fields; AlertRejected with status 422 and the field at fault otherwise.

    `secret`, the one presented (body or URL), is blanked in the kept raw payload like body secrets are.
    """
    try:
        raw = msgspec.convert(decoded.fields, RawAlert, strict=False)
    except msgspec.ValidationError as error:
        raise _rejection_from(error) from None
    strategy = _strategy(path_strategy, raw.strategy)
    block = raw.strategy if isinstance(raw.strategy, StrategyBlock) else StrategyBlock()
    symbol = _symbol(raw)
    direction = _direction(raw, block)
    price = _price(raw, block)
    quantity = _quantity(raw, block)
    fired = _first(("timenow", raw.timenow), ("signal_time", raw.signal_time), ("date", raw.date))
    bar = _first(("bar_time", raw.bar_time), ("time", raw.time if fired else None))
    fired = fired or _first(("time", raw.time))
    signal_time_ns = _ns(*fired) if fired else received_ns
    bar_time_ns = _ns(*bar) if bar else 0
    timeframe = _timeframe(raw)
    key = idempotency_key(strategy, symbol, direction, signal_time_ns, bar_time_ns, price, timeframe)
    return Alert(
        strategy=strategy,
        symbol=symbol,
        direction=direction,
        price=price,
        quantity=quantity,
        signal_time_ns=signal_time_ns,
        time_given=fired is not None,
        bar_time_ns=bar_time_ns,
        timeframe=timeframe,
        htf_bias=_label("htf_bias", raw.htf_bias),
        session=_label("session", raw.session),
        raw_payload=decoded.redacted_text(secret),
        idempotency_key=key,
    )


def idempotency_key(
    strategy: str,
    symbol: str,
    direction: SignalDirection,
    signal_time_ns: int,
    bar_time_ns: int,
    price: Decimal,
    timeframe: Timeframe,
) -> str:
    """sha256 (hex) over what makes two deliveries the same alert; labels, quantity and layout are left out."""
    fields = [
        "webhook",
        strategy,
        symbol.upper(),
        direction.value,
        signal_time_ns,
        bar_time_ns,
        _plain(price),
        timeframe.value,
    ]
    # JSON quoting keeps field boundaries unambiguous whatever the strings contain.
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


def _rejection_from(error: msgspec.ValidationError) -> AlertRejected:
    message = str(error)
    reason, _, path = message.partition(" - at `$")
    field = path.rstrip("`").lstrip(".")
    reason = reason.replace("`", "").replace(" | null", "").replace("decimal", "number")
    if "timezone component" in reason:
        reason = "a time needs a zone, e.g. 2025-11-27T15:00:00Z (naive times are ambiguous)"
    return AlertRejected(422, field, reason[:1].lower() + reason[1:])


def _first(*candidates: tuple[str, Any]) -> tuple[str, Any] | None:
    return next(((name, value) for name, value in candidates if value is not None), None)


def _strategy(path_strategy: str, body: StrategyBlock | str | None) -> str:
    if path_strategy:
        name, field = path_strategy, "strategy (URL path)"
    elif isinstance(body, str) and body.strip():
        name, field = body.strip(), "strategy"
    else:
        return ""
    if not STRATEGY_NAME.fullmatch(name):
        raise AlertRejected(422, field, "a strategy name is 1-64 letters, digits, '.', '_' or '-'")
    return name


def _symbol(raw: RawAlert) -> str:
    found = _first(("ticker", raw.ticker), ("symbol", raw.symbol))
    if found is None or not found[1].strip():
        raise AlertRejected(422, "symbol", "missing: send ticker or symbol (e.g. NQ1!, NQZ2025)")
    name, value = found
    symbol = str(value).strip()
    if len(symbol) > MAX_LABEL or any(c.isspace() for c in symbol):
        raise AlertRejected(422, name, f"not a symbol: {_show(symbol)}")
    return symbol


def _side_word(name: str, value: str) -> SignalDirection | None:
    word = value.strip().lower()
    if word in _WORDS:
        return _WORDS[word]
    if word in _NOT_SIGNALS:
        return None
    raise AlertRejected(422, name, f"unknown action {_show(value)}; use buy, sell, long, short, bullish or bearish")


def _direction(raw: RawAlert, block: StrategyBlock) -> SignalDirection:
    side = _first(
        ("action", raw.action),
        ("data", raw.data),
        ("order_action", raw.order_action),
        ("strategy.order_action", block.order_action),
        ("side", raw.side),
        ("direction", raw.direction),
    )
    sentiment = _first(
        ("sentiment", raw.sentiment),
        ("market_position", raw.market_position),
        ("strategy.market_position", block.market_position),
    )
    chosen = side or sentiment
    if chosen is None:
        raise AlertRejected(422, "action", "missing: send action, side or direction (buy/sell, long/short, ...)")
    direction = _side_word(*chosen)
    if direction is None:
        raise AlertRejected(
            422, chosen[0], f"unsupported action for signals: {_show(chosen[1])} (signals are buy/sell entries)"
        )
    if side is not None and sentiment is not None and _side_word(*sentiment) is not direction:
        raise AlertRejected(
            422,
            sentiment[0],
            f"unsupported action for signals: {_show(side[1])} with sentiment {_show(sentiment[1])}"
            " closes or reduces a position",
        )
    return direction


def _price(raw: RawAlert, block: StrategyBlock) -> Decimal:
    found = _first(
        ("signal_price", raw.signal_price),
        ("price", raw.price),
        ("close", raw.close),
        ("signalPrice", raw.signalPrice),
        ("strategy.order_price", block.order_price),
    )
    if found is None:
        raise AlertRejected(422, "price", "missing: send signal_price, price or close (e.g. {{close}})")
    name, value = found
    try:
        valid = value.is_finite() and 0 < value <= MAX_PRICE and value == value.quantize(PRICE_QUANTUM)
    except InvalidOperation:
        valid = False
    if not valid:
        raise AlertRejected(422, name, f"must be a positive price with at most 8 decimals, got {_show(str(value))}")
    return Decimal(_plain(value, keep_zeros=True))


def _quantity(raw: RawAlert, block: StrategyBlock) -> int:
    found = _first(
        ("quantity", raw.quantity),
        ("contracts", raw.contracts),
        ("qty", raw.qty),
        ("order_contracts", raw.order_contracts),
        ("strategy.order_contracts", block.order_contracts),
    )
    if found is None:
        return 1
    name, value = found
    if not (value.is_finite() and 1 <= value <= MAX_QUANTITY):
        raise AlertRejected(422, name, f"must be 1 to {MAX_QUANTITY} contracts, got {_show(str(value))}")
    if value != value.to_integral_value():
        raise AlertRejected(422, name, f"must be a whole number of contracts, got {_show(str(value))}")
    return int(value)


def _ns(name: str, value: datetime) -> int:
    ns = (value - _EPOCH) // timedelta(microseconds=1) * 1000
    if not 0 < ns <= _MAX_NS:
        raise AlertRejected(422, name, f"out of range: {value.isoformat()}")
    return ns


def _timeframe(raw: RawAlert) -> Timeframe:
    found = _first(("interval", raw.interval), ("timeframe", raw.timeframe))
    if found is None:
        return Timeframe.M1
    name, value = found
    timeframe = _TIMEFRAMES.get(str(value).strip())
    if timeframe is None:
        raise AlertRejected(
            422, name, f"unsupported timeframe {_show(str(value))}; use 1, 5, 15, 60, 240 or 1D (or 1m ... 4h, 1d)"
        )
    return timeframe


def _label(name: str, value: str | None) -> str:
    text = (value or "").strip()
    if len(text) > MAX_LABEL:
        raise AlertRejected(422, name, f"at most {MAX_LABEL} characters")
    return text


def _plain(value: Decimal, keep_zeros: bool = False) -> str:
    """Fixed-point text: "25341.25"; without `keep_zeros` trailing zeros go, so equal prices give equal text."""
    return format(value if keep_zeros else value.normalize(), "f")


def _show(text: str) -> str:
    """A caller's value quoted for an error message, cut short so a reply never mirrors a large body."""
    return repr(text if len(text) <= 40 else text[:40] + "...")
