"""Tradovate market-data payloads to Vigil ticks: `md` quote events and compact tick-chart packets."""

from __future__ import annotations

from calendar import timegm
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, NamedTuple

from core_server.model.clock import NS_PER_MS, NS_PER_SECOND, Clock
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import Contract, InstrumentSpec
from core_server.model.market_data import Aggressor, Quote, Tick, Trade

_SECONDS_CACHE: dict[str, int] = {}
_SECONDS_CACHE_MAX = 4096
_MAX_DIGITS = 19  # every count, offset and ms timestamp fits; int() of 1E+999999 would run for minutes


class MalformedMessage(ValueError):
    """A message whose shape or values do not follow the protocol."""


def timestamp_ns(text: Any) -> int:
    """UTC ns of an ISO-8601 timestamp as Tradovate sends them (`2025-11-14T15:30:01.123Z`)."""
    if type(text) is not str or len(text) < 20 or text[10] != "T":
        raise MalformedMessage(f"bad timestamp {str(text)[:40]!r}")
    head = text[:19]
    seconds = _SECONDS_CACHE.get(head)
    if seconds is None:
        try:
            seconds = timegm(datetime.fromisoformat(head).timetuple())
        except ValueError:
            raise MalformedMessage(f"bad timestamp {text[:40]!r}") from None
        if len(_SECONDS_CACHE) >= _SECONDS_CACHE_MAX:
            _SECONDS_CACHE.clear()
        _SECONDS_CACHE[head] = seconds
    fraction_ns = 0
    rest = text[19:]
    if rest[0] == ".":
        end = 1
        while end < len(rest) and rest[end].isdigit():
            end += 1
        digits = rest[1:end]
        if not digits:
            raise MalformedMessage(f"bad timestamp {text[:40]!r}")
        fraction_ns = int(digits[:9].ljust(9, "0"))
        rest = rest[end:]
    if rest not in ("Z", "z", "+00:00"):
        raise MalformedMessage(f"timestamp not in UTC: {text[:40]!r}")
    return seconds * NS_PER_SECOND + fraction_ns


def iso_from_ns(ts_ns: int) -> str:
    """The millisecond ISO-8601 form Tradovate accepts in chart time ranges."""
    seconds, rem = divmod(ts_ns, NS_PER_SECOND)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{rem // NS_PER_MS:03d}Z"


def _number(value: Any, what: str) -> Decimal | int:
    if type(value) is int or type(value) is Decimal:
        return value
    raise MalformedMessage(f"{what} is not a number")


def _ticks(spec: InstrumentSpec, value: Any, what: str) -> int:
    price = _number(value, what)
    try:
        return spec.ticks_from_price(price if isinstance(price, Decimal) else Decimal(price), what)
    except InvalidArgument as exc:
        raise MalformedMessage(str(exc)) from None


def _size(value: Any, what: str) -> int:
    """Sizes are documented as possibly fractional; contracts are whole, so round to the nearest."""
    number = _number(value, what)
    if isinstance(number, Decimal):
        if not number.is_finite() or number.adjusted() >= _MAX_DIGITS:
            raise MalformedMessage(f"{what} is not a finite size")
        size = int(number.to_integral_value(ROUND_HALF_EVEN))
    else:
        size = number
    if size < 0 or size >= 10**_MAX_DIGITS:
        raise MalformedMessage(f"{what} is negative or out of range")
    return size


@dataclass(slots=True)
class _Book:
    """What is known of one contract: quote entries are partial updates, merged here."""

    bid: int | None = None
    ask: int | None = None
    bid_size: int = 0
    ask_size: int = 0
    last_price: int | None = None
    last_size: int = 0
    total_volume: int | None = None
    baseline: bool = True  # the next message is the subscription's first (a snapshot of the current state)


class QuoteParser:
    """Turns `md` events into Quote and Trade ticks for the contracts it knows by Tradovate contract id.

    Trades: a message is a new print when `TotalTradeVolume` grew (size = `Trade.size`, or the volume
    delta when the message has no Trade size) or, without a volume entry, when it carries a `Trade`
    entry. An unchanged volume means a re-sent snapshot of the last print. The first message after a
    subscribe is the state at subscription time: its quote is delivered, its Trade entry is not (that
    print happened before we were listening; a reconnect recovers it from tick history).
    """

    def __init__(self, clock: Clock, *, trades: bool = True) -> None:
        self._clock = clock
        self._trades = trades  # False: quotes only (the feed takes every print from a tick chart)
        self._contracts: dict[int, tuple[str, InstrumentSpec]] = {}
        self._books: dict[int, _Book] = {}
        self.coalesced_prints = 0  # messages whose volume grew by more than their trade size (prints hidden)
        self.coalesced_volume = 0  # contracts traded in prints no quote message showed
        self.unknown_contract_events = 0

    def add_contract(self, tradovate_id: int, contract: Contract) -> None:
        self._contracts[tradovate_id] = (contract.id, contract.spec)
        self._books.setdefault(tradovate_id, _Book())

    def expect_snapshot(self, tradovate_id: int) -> None:
        """Call before (re)subscribing: the next message for this contract is its first."""
        book = self._books.get(tradovate_id)
        if book is not None:
            book.baseline = True
            book.total_volume = None  # volume traded while we were away is not a print of the next message

    def parse(self, data: Any, out: list[Tick]) -> list[MalformedMessage]:
        """Append the ticks of one `md` event's `d` to `out`; return the quotes that were malformed (each
        skipped whole). Raises MalformedMessage when the payload itself is not a quotes event."""
        if type(data) is not dict:
            raise MalformedMessage("md event without an object payload")
        quotes = data.get("quotes")
        if quotes is None:
            return []  # doms / histograms: not subscribed, nothing to do
        if type(quotes) is not list:
            raise MalformedMessage("md quotes is not an array")
        errors: list[MalformedMessage] = []
        ts_init = self._clock.now_ns()
        for quote in quotes:
            try:
                self._parse_quote(quote, ts_init, out)
            except MalformedMessage as exc:
                errors.append(exc)
        return errors

    def _parse_quote(self, quote: Any, ts_init: int, out: list[Tick]) -> None:
        if type(quote) is not dict:
            raise MalformedMessage("quote is not an object")
        tradovate_id: Any = quote.get("contractId")
        known = self._contracts.get(tradovate_id) if type(tradovate_id) is int else None  # a list is unhashable
        if known is None:
            self.unknown_contract_events += 1
            return
        contract_id, spec = known
        ts = timestamp_ns(quote.get("timestamp"))
        entries = quote.get("entries")
        if type(entries) is not dict:
            raise MalformedMessage("quote entries is not an object")
        book = self._books[tradovate_id]
        # Validate everything before touching the book, so a bad message changes nothing.
        bid_p, bid_s = _entry(entries, "Bid", spec)
        ask_p, ask_s = _entry(entries, "Offer", spec)
        trade_p, trade_s = _entry(entries, "Trade", spec)
        volume_entry = entries.get("TotalTradeVolume")
        volume = None
        if volume_entry is not None:
            if type(volume_entry) is not dict:
                raise MalformedMessage("TotalTradeVolume is not an object")
            if volume_entry.get("size") is not None:
                volume = _size(volume_entry["size"], "TotalTradeVolume.size")
        baseline, book.baseline = book.baseline, False
        if "EmptyBook" in entries:
            book.bid = book.ask = None
        if bid_p is not None:
            book.bid = bid_p
        if bid_s is not None:
            book.bid_size = bid_s
        if ask_p is not None:
            book.ask = ask_p
        if ask_s is not None:
            book.ask_size = ask_s
        if trade_p is not None:
            book.last_price = trade_p
        if trade_s is not None:
            book.last_size = trade_s
        size = self._print_size(book, volume, "Trade" in entries, trade_s, baseline)
        if size and book.last_price is not None and self._trades:
            out.append(Trade(contract_id, ts, ts_init, book.last_price, size, Aggressor.NONE))
        if (bid_p is not None or ask_p is not None or bid_s is not None or ask_s is not None) and (
            book.bid is not None and book.ask is not None
        ):
            out.append(Quote(contract_id, ts, ts_init, book.bid, book.ask, book.bid_size, book.ask_size))

    def _print_size(
        self, book: _Book, volume: int | None, has_trade: bool, trade_size: int | None, baseline: bool
    ) -> int:
        """Size of the new print this message reports, or 0 when it reports none."""
        if volume is None:
            if baseline or not has_trade:
                return 0
            return trade_size if trade_size is not None else book.last_size
        previous, book.total_volume = book.total_volume, volume
        if baseline:
            return 0
        if previous is None or volume < previous:  # first volume seen, or the session rolled over
            return (trade_size if trade_size is not None else book.last_size) if has_trade else 0
        delta = volume - previous
        if delta == 0:
            return 0
        if trade_size is None:
            return delta
        if delta > trade_size:
            self.coalesced_prints += 1
            self.coalesced_volume += delta - trade_size
        return trade_size


def _entry(entries: dict[str, Any], key: str, spec: InstrumentSpec) -> tuple[int | None, int | None]:
    entry = entries.get(key)
    if entry is None:
        return None, None
    if type(entry) is not dict:
        raise MalformedMessage(f"{key} entry is not an object")
    price = entry.get("price")
    size = entry.get("size")
    return (
        None if price is None else _ticks(spec, price, f"{key}.price"),
        None if size is None else _size(size, f"{key}.size"),
    )


class ChartTick(NamedTuple):
    """One print of a compact tick chart."""

    ts_ns: int
    tick_id: int
    price: int
    size: int


def _integer(value: Any, what: str) -> int:
    if type(value) is int:
        if abs(value) >= 10**_MAX_DIGITS:
            raise MalformedMessage(f"{what} is out of range")
        return value
    if (
        type(value) is Decimal
        and value.is_finite()
        and value.adjusted() < _MAX_DIGITS
        and value == value.to_integral_value()
    ):
        return int(value)
    raise MalformedMessage(f"{what} is not an integer")


def decode_tick_packet(packet: dict[str, Any], spec: InstrumentSpec) -> list[ChartTick]:
    """The prints of one tick-chart packet: `timestamp_ms = bt + t`, `price = (bp + p) * ts`.

    `bp` and `p` count ticks of size `ts`; when `ts` is the instrument's own tick the sum is already
    our tick price, otherwise it is converted exactly through Decimal.
    """
    base_price = _integer(packet.get("bp"), "bp")
    base_ms = _integer(packet.get("bt"), "bt")
    tick_size = _number(packet.get("ts"), "ts")
    ticks = packet.get("tks")
    if type(ticks) is not list:
        raise MalformedMessage("tick packet without a tks array")
    same_grid = tick_size == spec.tick_size
    out: list[ChartTick] = []
    for tick in ticks:
        if type(tick) is not dict:
            raise MalformedMessage("tick is not an object")
        offset = base_price + _integer(tick.get("p"), "tick p")
        price = offset if same_grid else _ticks(spec, Decimal(offset) * tick_size, "tick price")
        tick_id = tick.get("id")
        out.append(
            ChartTick(
                (base_ms + _integer(tick.get("t"), "tick t")) * NS_PER_MS,
                tick_id if type(tick_id) is int else 0,
                price,
                _size(tick.get("s"), "tick s"),
            )
        )
    return out
