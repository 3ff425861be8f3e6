"""GatewayQuote and GatewayTrade payloads of the market hub, decoded exactly into Quote and Trade ticks.

Numbers decode straight from their JSON text into Decimal (msgspec reads the digits, no float in
between), then to whole ticks of the instrument. Quotes are partial updates: a field left out keeps
its last value, so each contract's top of book is merged here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import msgspec

from core_server.model.clock import NS_PER_SECOND
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import InstrumentSpec
from core_server.model.market_data import Aggressor, Quote, Tick, Trade

QUOTE_EVENT = "GatewayQuote"
TRADE_EVENT = "GatewayTrade"
DEPTH_EVENT = "GatewayDepth"

# TradeLogType: 0 Buy, 1 Sell (the aggressor side)
_AGGRESSORS: dict[int | None, Aggressor] = {0: Aggressor.BUY, 1: Aggressor.SELL}


class QuotePayload(msgspec.Struct):
    symbol: str = ""
    lastPrice: Decimal | None = None
    bestBid: Decimal | None = None
    bestAsk: Decimal | None = None
    bestBidSize: int | None = None  # not in the docs' model; read if a gateway sends it
    bestAskSize: int | None = None
    volume: int | None = None
    lastUpdated: str | None = None
    timestamp: str | None = None


class TradePayload(msgspec.Struct):
    price: Decimal
    volume: int
    timestamp: str
    type: int | None = None
    symbolId: str = ""


class MalformedPayload(Exception):
    """An event whose payload cannot become a tick; counted and skipped by the feed."""


_quote_args = msgspec.json.Decoder(tuple[str, QuotePayload]).decode
_trade_args = msgspec.json.Decoder(tuple[str, list[TradePayload] | TradePayload]).decode

_TAIL = re.compile(r"(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?")
_SECONDS_CACHE: dict[str, int] = {}


def timestamp_ns(text: str) -> int:
    """UTC ns of an ISO-8601 timestamp as the gateway prints it (`...01.123Z`, `...01.1234567+00:00`).

    The whole-second prefix is cached (consecutive events share it), the fraction is read to the
    nanosecond. A timestamp without an offset is taken as UTC.
    """
    head = text[:19]
    base = _SECONDS_CACHE.get(head)
    if base is None:
        base = _seconds_ns(head)
        if len(_SECONDS_CACHE) > 4096:
            _SECONDS_CACHE.clear()
        _SECONDS_CACHE[head] = base
    match = _TAIL.fullmatch(text, 19)
    if match is None:
        raise ValueError(f"not an ISO-8601 timestamp: {text[:40]!r}")
    digits, zone = match.groups()
    if digits:
        base += int(digits[:9].ljust(9, "0"))
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset_min = int(zone[1:3]) * 60 + int(zone[-2:])
        base -= sign * offset_min * 60 * NS_PER_SECOND
    return base


def _seconds_ns(head: str) -> int:
    if (
        len(head) != 19
        or head[4] != "-"
        or head[7] != "-"
        or head[10] not in "T "
        or head[13] != ":"
        or head[16] != ":"
    ):
        raise ValueError(f"not an ISO-8601 timestamp: {head!r}")
    moment = datetime(
        int(head[0:4]),
        int(head[5:7]),
        int(head[8:10]),
        int(head[11:13]),
        int(head[14:16]),
        int(head[17:19]),
        tzinfo=UTC,
    )
    return int(moment.timestamp()) * NS_PER_SECOND


@dataclass(slots=True)
class _Book:
    contract_id: str
    spec: InstrumentSpec
    bid: int | None = None
    ask: int | None = None
    bid_size: int = 0
    ask_size: int = 0
    last_ts: int = 0  # newest ts_event delivered for the contract (quotes and trades)


class MarketEventParser:
    """Turns market-hub invocations into ticks for the contracts it knows (ProjectX id -> ours)."""

    def __init__(self) -> None:
        self._books: dict[str, _Book] = {}
        self._tick_cache: dict[tuple[str, Decimal], int] = {}

    def add_contract(self, projectx_id: str, contract_id: str, spec: InstrumentSpec) -> None:
        self._books[projectx_id] = _Book(contract_id, spec)

    def reset_books(self) -> None:
        """Forget prices and sizes (a new connection must not merge into a pre-drop book); keep the
        per-contract time watermark so ts_event stays non-decreasing."""
        for book in self._books.values():
            book.bid = book.ask = None
            book.bid_size = book.ask_size = 0

    def raise_floor(self, contract_id: str, ts_ns: int) -> None:
        """Later ticks of `contract_id` are stamped no earlier than `ts_ns` (after a backfill)."""
        for book in self._books.values():
            if book.contract_id == contract_id and book.last_ts < ts_ns:
                book.last_ts = ts_ns

    def knows(self, projectx_id: str) -> bool:
        return projectx_id in self._books

    def parse(self, target: str, arguments: msgspec.Raw | bytes | str, ts_init: int) -> list[Tick]:
        """Ticks in one event; raises MalformedPayload for a payload that cannot be read."""
        try:
            if target == QUOTE_EVENT:
                contract, quote = _quote_args(arguments)
                return self._quote(contract, quote, ts_init)
            if target == TRADE_EVENT:
                contract, trades = _trade_args(arguments)
                return self._trades(contract, trades if isinstance(trades, list) else [trades], ts_init)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, InvalidArgument, RecursionError) as exc:
            raise MalformedPayload(f"{target}: {exc}") from None
        raise MalformedPayload(f"unexpected event {target[:60]!r}")

    def _book(self, projectx_id: str) -> _Book:
        book = self._books.get(projectx_id)
        if book is None:
            raise MalformedPayload(f"event for unsubscribed contract {projectx_id[:60]!r}")
        return book

    def _ticks(self, book: _Book, price: Decimal) -> int:
        key = (book.contract_id, price)
        ticks = self._tick_cache.get(key)
        if ticks is None:
            ticks = book.spec.ticks_from_price(price)
            if len(self._tick_cache) > 65536:
                self._tick_cache.clear()
            self._tick_cache[key] = ticks
        return ticks

    def _event_ts(self, book: _Book, text: str | None, ts_init: int) -> int:
        # The port promises non-decreasing ts_event per contract; quote and trade streams can
        # interleave a few ms out of order, so a late stamp is raised to the newest one.
        ts = timestamp_ns(text) if text else ts_init
        if ts < book.last_ts:
            ts = book.last_ts
        book.last_ts = ts
        return ts

    def _quote(self, projectx_id: str, payload: QuotePayload, ts_init: int) -> list[Tick]:
        book = self._book(projectx_id)
        if payload.bestBid is not None:
            book.bid = self._ticks(book, payload.bestBid)
        if payload.bestAsk is not None:
            book.ask = self._ticks(book, payload.bestAsk)
        if payload.bestBidSize is not None:
            book.bid_size = payload.bestBidSize
        if payload.bestAskSize is not None:
            book.ask_size = payload.bestAskSize
        if book.bid is None or book.ask is None:
            return []  # no complete top of book yet (e.g. a last-price-only update)
        if (
            payload.bestBid is None
            and payload.bestAsk is None
            and payload.bestBidSize is None
            and payload.bestAskSize is None
        ):
            return []  # a statistics-only update: the top of book did not change
        ts = self._event_ts(book, payload.timestamp or payload.lastUpdated, ts_init)
        return [Quote(book.contract_id, ts, ts_init, book.bid, book.ask, book.bid_size, book.ask_size)]

    def _trades(self, projectx_id: str, payloads: list[TradePayload], ts_init: int) -> list[Tick]:
        book = self._book(projectx_id)
        ticks: list[Tick] = []
        for p in payloads:
            if p.volume <= 0:
                raise MalformedPayload(f"trade volume {p.volume} is not positive")
            price = self._ticks(book, p.price)
            ts = self._event_ts(book, p.timestamp, ts_init)
            aggressor = _AGGRESSORS.get(p.type, Aggressor.NONE)
            ticks.append(Trade(book.contract_id, ts, ts_init, price, p.volume, aggressor))
        return ticks
