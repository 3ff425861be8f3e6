"""Alert fields to one normalised Alert: aliases, exact prices, whole contracts, zoned times, timeframes.

Aliases (PROTOCOLS §3.5), the first one present wins:
    secret    passphrase | secret | key | token            (or the URL path, which wins)
    symbol    ticker | symbol
    side      action | data | order_action | strategy.order_action | side | direction, else the sentiment
    sentiment sentiment | market_position | strategy.market_position
    quantity  quantity | contracts | qty | order_contracts | strategy.order_contracts   (default 1)
    price     signal_price | price | close | signalPrice | strategy.order_price        (required)
    fired at  timenow | signal_time | timestamp | date | time   (RFC 3339 with a zone, or epoch seconds or
              milliseconds; default: when the bridge first received this exact body within the retry window)
    bar time  bar_time, or `time` when a fire time is also given (TradingView {{time}} is the bar's open,
              {{timenow}} the fire time; templates that send only "time" usually fill it with {{timenow}})
    timeframe interval | timeframe                          (default 1m)
    htf_bias, session, strategy (free text up to 200 characters; a strategy in the URL path wins)
    stop loss stopLoss | sl     take profit  takeProfit | tp   (TradersPost objects, or a number = a price)
Actions (TradersPost, any case): buy/long/bullish and sell/short/bearish open (entry); exit, close and flat
close the strategy's position (with a quantity: reduce by that many); a buy/sell whose sentiment is flat, or
opposite to it (a partial cover), is an exit of that side; cancel cancels the strategy's working orders and
pending signals; add adds to the open position. A bare sentiment is not an order: `action` is required.
Fields the bridge does not read are kept in the raw payload and listed in the answer as ignored.
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
from typing import Any

import msgspec

from clients.sdk import BracketLeg, SignalAction, SignalDirection, SignalInput, Timeframe
from clients.webhook_bridge.body import DecodedBody, decode_body
from clients.webhook_bridge.legs import bracket_leg
from clients.webhook_bridge.rejection import AlertRejected

SECRET_FIELDS = ("passphrase", "secret", "key", "token")
MAX_QUANTITY = 1000
MAX_PRICE = Decimal(1_000_000_000)
PRICE_QUANTUM = Decimal("1e-8")
MAX_LABEL = 64
MAX_STRATEGY = 200
STRATEGY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # URL path segments and secret names only
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
EPOCH_MS_FROM = 10**11  # an epoch number at or above this is milliseconds (10^11 s is the year 5138)

TimeValue = Any  # text (RFC 3339, or epoch digits) or a number; checked by _ns

_WORDS = {
    "buy": SignalDirection.BULLISH,
    "long": SignalDirection.BULLISH,
    "bullish": SignalDirection.BULLISH,
    "sell": SignalDirection.BEARISH,
    "short": SignalDirection.BEARISH,
    "bearish": SignalDirection.BEARISH,
}
_EXITS = ("exit", "close", "flat")
_SENTIMENTS = {**_WORDS, "flat": None}

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
    quantityType: str | None = None  # TradersPost: only fixed_quantity (contracts) is supported
    signal_price: Decimal | None = None
    price: Decimal | None = None
    close: Decimal | None = None
    signalPrice: Decimal | None = None  # TradersPost's spelling
    time: TimeValue | None = None
    timenow: TimeValue | None = None
    timestamp: TimeValue | None = None
    date: TimeValue | None = None
    signal_time: TimeValue | None = None
    bar_time: TimeValue | None = None
    interval: str | int | None = None
    timeframe: str | int | None = None
    htf_bias: str | None = None
    session: str | None = None
    strategy: StrategyBlock | str | None = None
    stopLoss: Any = None
    takeProfit: Any = None
    sl: Any = None
    tp: Any = None


# Every field the bridge reads (the rest are listed as ignored); secrets are read by access checks.
KNOWN_FIELDS = frozenset((*RawAlert.__struct_fields__, *SECRET_FIELDS))


@dataclass(frozen=True, slots=True)
class Alert:
    """A normalised alert, ready to submit; `idempotency_key` is equal for repeated deliveries of one alert."""

    strategy: str
    symbol: str
    action: SignalAction
    direction: SignalDirection  # NONE for an exit, cancel or add that names no side
    price: Decimal  # 0 when an exit or cancel gives none
    quantity: int  # an exit's 0 is the whole position
    signal_time_ns: int  # when the alert fired
    time_given: bool  # False: the alert had no time and `signal_time_ns` is when the bridge received it
    bar_time_ns: int  # open of the bar that fired; 0 when the alert did not say
    timeframe: Timeframe
    htf_bias: str
    session: str
    raw_payload: str
    idempotency_key: str
    stop_loss: BracketLeg | None = None
    take_profit: BracketLeg | None = None
    ignored: tuple[str, ...] = ()  # fields present that the bridge does not read (kept in raw_payload)

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
            action=self.action,
            stop_loss=self.stop_loss,
            take_profit=self.take_profit,
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
    return value if isinstance(value, str) else ""


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
    action, direction = _intent(raw, block)
    price = _price(raw, block, required=action not in (SignalAction.EXIT, SignalAction.CANCEL))
    quantity = _quantity(raw, block, default=0 if action is SignalAction.EXIT else 1)
    stop_loss = bracket_leg(_first(("stopLoss", raw.stopLoss), ("sl", raw.sl)), target=False)
    take_profit = bracket_leg(_first(("takeProfit", raw.takeProfit), ("tp", raw.tp)), target=True)
    fired = _first(
        ("timenow", raw.timenow), ("signal_time", raw.signal_time), ("timestamp", raw.timestamp), ("date", raw.date)
    )
    bar = _first(("bar_time", raw.bar_time), ("time", raw.time if fired else None))
    fired = fired or _first(("time", raw.time))
    signal_time_ns = _ns(*fired) if fired else received_ns
    bar_time_ns = _ns(*bar) if bar else 0
    timeframe = _timeframe(raw)
    key = idempotency_key(
        strategy, symbol, direction, signal_time_ns, bar_time_ns, price, timeframe, action=action, quantity=quantity
    )
    return Alert(
        strategy=strategy,
        symbol=symbol,
        action=action,
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
        stop_loss=stop_loss,
        take_profit=take_profit,
        ignored=tuple(sorted(name for name in decoded.fields if name not in KNOWN_FIELDS)),
    )


def idempotency_key(
    strategy: str,
    symbol: str,
    direction: SignalDirection,
    signal_time_ns: int,
    bar_time_ns: int,
    price: Decimal,
    timeframe: Timeframe,
    *,
    action: SignalAction = SignalAction.ENTRY,
    quantity: int = 1,
) -> str:
    """sha256 (hex) over what makes two deliveries the same alert; labels and layout are left out, and the
    quantity too for entries (an exit of 1 is not an exit of all, so exits, cancels and adds add both)."""
    fields: list[object] = [
        "webhook",
        strategy,
        symbol.upper(),
        direction.value,
        signal_time_ns,
        bar_time_ns,
        _plain(price),
        timeframe.value,
    ]
    if action is not SignalAction.ENTRY:
        fields += [action.value, quantity]
    # JSON quoting keeps field boundaries unambiguous whatever the strings contain.
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


def _rejection_from(error: msgspec.ValidationError) -> AlertRejected:
    message = str(error)
    reason, _, path = message.partition(" - at `$")
    field = path.rstrip("`").lstrip(".")
    reason = reason.replace("`", "").replace(" | null", "").replace("decimal", "number")
    return AlertRejected(422, field, reason[:1].lower() + reason[1:])


def _first(*candidates: tuple[str, Any]) -> tuple[str, Any] | None:
    return next(((name, value) for name, value in candidates if value is not None), None)


def _strategy(path_strategy: str, body: StrategyBlock | str | None) -> str:
    if path_strategy:
        if not STRATEGY_NAME.fullmatch(path_strategy):
            raise AlertRejected(
                422, "strategy (URL path)", "a strategy in the URL is 1-64 letters, digits, '.', '_' or '-'"
            )
        return path_strategy
    if not isinstance(body, str) or not body.strip():
        return ""
    # Free text, stored exactly as sent: any UTF-8 (spaces, Cyrillic, emoji) up to MAX_STRATEGY characters.
    if len(body) > MAX_STRATEGY:
        raise AlertRejected(422, "strategy", f"at most {MAX_STRATEGY} characters, got {len(body)}")
    control = _CONTROL.search(body)
    if control is not None:
        raise AlertRejected(422, "strategy", f"control character at {control.start()}: a name is one line of text")
    return body


def _symbol(raw: RawAlert) -> str:
    found = _first(("ticker", raw.ticker), ("symbol", raw.symbol))
    if found is None or not found[1].strip():
        raise AlertRejected(422, "symbol", "missing: send ticker or symbol (e.g. NQ1!, NQZ2025)")
    name, value = found
    symbol = str(value).strip()
    if len(symbol) > MAX_LABEL or any(c.isspace() for c in symbol):
        raise AlertRejected(422, name, f"not a symbol: {_show(symbol)}")
    return symbol


def _intent(raw: RawAlert, block: StrategyBlock) -> tuple[SignalAction, SignalDirection]:
    """The action and side an alert asks for (TradersPost semantics, see the module docstring)."""
    side = _first(
        ("action", raw.action),
        ("data", raw.data),
        ("order_action", raw.order_action),
        ("strategy.order_action", block.order_action),
        ("side", raw.side),
        ("direction", raw.direction),
    )
    if side is None:
        raise AlertRejected(
            422,
            "action",
            "missing: send action (buy, sell, exit, close, cancel or add); a sentiment alone is not an order",
        )
    sentiment = _first(
        ("sentiment", raw.sentiment),
        ("market_position", raw.market_position),
        ("strategy.market_position", block.market_position),
    )
    stance: SignalDirection | None = None
    flat = False
    if sentiment is not None:
        word = sentiment[1].strip().lower()
        if word not in _SENTIMENTS:
            raise AlertRejected(
                422, sentiment[0], f"unknown sentiment {_show(sentiment[1])}; use long, short, bullish, bearish or flat"
            )
        stance, flat = _SENTIMENTS[word], word == "flat"
    name, value = side
    word = value.strip().lower()
    if word in _EXITS:
        return SignalAction.EXIT, SignalDirection.NONE
    if word == "cancel":
        return SignalAction.CANCEL, SignalDirection.NONE
    if word == "add":
        return SignalAction.ADD, stance or SignalDirection.NONE
    direction = _WORDS.get(word)
    if direction is None:
        raise AlertRejected(
            422, name, f"unknown action {_show(value)}; use buy, sell, exit, close, cancel or add (or long/short)"
        )
    if flat or (stance is not None and stance is not direction):
        return SignalAction.EXIT, direction  # closes (flat) or reduces (a partial cover) the opposite side
    return SignalAction.ENTRY, direction


def _price(raw: RawAlert, block: StrategyBlock, *, required: bool) -> Decimal:
    found = _first(
        ("signal_price", raw.signal_price),
        ("price", raw.price),
        ("close", raw.close),
        ("signalPrice", raw.signalPrice),
        ("strategy.order_price", block.order_price),
    )
    if found is None:
        if not required:
            return Decimal(0)  # an exit or cancel needs no price
        raise AlertRejected(422, "price", "missing: send signal_price, price or close (e.g. {{close}})")
    name, value = found
    try:
        valid = value.is_finite() and 0 < value <= MAX_PRICE and value == value.quantize(PRICE_QUANTUM)
    except InvalidOperation:
        valid = False
    if not valid:
        raise AlertRejected(422, name, f"must be a positive price with at most 8 decimals, got {_show(str(value))}")
    return Decimal(_plain(value, keep_zeros=True))


def _quantity(raw: RawAlert, block: StrategyBlock, *, default: int) -> int:
    found = _first(
        ("quantity", raw.quantity),
        ("contracts", raw.contracts),
        ("qty", raw.qty),
        ("order_contracts", raw.order_contracts),
        ("strategy.order_contracts", block.order_contracts),
    )
    if raw.quantityType is not None and raw.quantityType.strip().lower() != "fixed_quantity":
        raise AlertRejected(
            422,
            "quantityType",
            f"only fixed_quantity is supported (quantity is contracts), got {_show(raw.quantityType)}",
        )
    if found is None:
        return default
    name, value = found
    if not (value.is_finite() and 1 <= value <= MAX_QUANTITY):
        raise AlertRejected(422, name, f"must be 1 to {MAX_QUANTITY} contracts, got {_show(str(value))}")
    if value != value.to_integral_value():
        raise AlertRejected(422, name, f"must be a whole number of contracts, got {_show(str(value))}")
    return int(value)


def _ns(name: str, value: TimeValue) -> int:
    """A time field in UTC ns: RFC 3339 with a zone, or epoch seconds / milliseconds (number or digits)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise AlertRejected(422, name, "a time is ISO 8601 text with a zone, or epoch seconds or milliseconds")
    text = str(value).strip()
    if isinstance(value, int | Decimal) or re.fullmatch(r"\d+(\.\d+)?", text):
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal(-1)
        ns = int(number * (1_000_000 if number >= EPOCH_MS_FROM else 1_000_000_000))
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise AlertRejected(
                422, name, f"not a time: {_show(text)}; use ISO 8601 with a zone (2025-11-27T15:00:00Z) or epoch s/ms"
            ) from None
        if moment.tzinfo is None:
            raise AlertRejected(422, name, "a time needs a zone, e.g. 2025-11-27T15:00:00Z (naive times are ambiguous)")
        ns = (moment - _EPOCH) // timedelta(microseconds=1) * 1000
    if not 0 < ns <= _MAX_NS:
        raise AlertRejected(422, name, f"out of range: {_show(text)}")
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
