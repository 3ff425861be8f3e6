"""Trade Manager price messages: `{"type":"DATA","data":{"ticker","prices":{"ask","bid"},"tickinfo"}}` to Quotes.

Only DATA carries prices; other types (LOGS, ...) are counted and ignored. The stream has no
timestamps and no sizes, so a quote is stamped on arrival and its sizes are 0. Prices decode from
their JSON text straight into Decimal, then to whole ticks.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import msgspec

from core_server.model.errors import InvalidArgument
from core_server.model.instruments import Contract, InstrumentSpec
from core_server.model.market_data import Quote
from core_server.model.symbols import parse_symbol


class _Envelope(msgspec.Struct):
    type: str
    data: msgspec.Raw = msgspec.Raw(b"null")


class _Prices(msgspec.Struct):
    ask: Decimal | None = None
    bid: Decimal | None = None


class _TickInfo(msgspec.Struct):
    step: Decimal | None = None
    amnt: Decimal | None = None


class _Data(msgspec.Struct):
    ticker: str
    prices: _Prices
    tickinfo: _TickInfo | None = None


class MalformedMessage(Exception):
    """A message that cannot be read; counted and skipped."""


_envelope = msgspec.json.Decoder(_Envelope).decode
_data = msgspec.json.Decoder(_Data).decode


class _Book:
    __slots__ = ("ask", "bid", "contract_id", "last_ts", "spec")

    def __init__(self, contract_id: str, spec: InstrumentSpec) -> None:
        self.contract_id = contract_id
        self.spec = spec
        self.bid: int | None = None
        self.ask: int | None = None
        self.last_ts = 0


class QuoteStreamParser:
    """Maps tickers to the configured contracts: a continuous one (`NQ1!`, `NQ`) to its root's contract, a dated
    one (`NQZ2026`) to that month if it is one of ours."""

    def __init__(self, contracts: Sequence[Contract]) -> None:
        self._by_root = {c.root: _Book(c.id, c.spec) for c in contracts}
        self._dated = {book.contract_id: book for book in self._by_root.values()}  # every month given, by id
        self._tickers: dict[str, _Book | None] = {}
        self.ignored = 0  # messages of other types or other instruments

    def add_contract(self, contract: Contract) -> None:
        """`contract` becomes its root's contract (the front month rolled): the root's continuous ticker prices it
        from now on. A dated ticker of the earlier month still prices that month (its positions are closing)."""
        book = self._dated.get(contract.id) or _Book(contract.id, contract.spec)
        self._by_root[contract.root] = self._dated[contract.id] = book
        self._tickers.clear()

    def reset_books(self) -> None:
        for book in self._by_root.values():
            book.bid = book.ask = None

    def parse(self, text: str | bytes, ts_ns: int) -> Quote | None:
        """The quote in one message, or None for a message without one (raises MalformedMessage)."""
        try:
            envelope = _envelope(text)
            if envelope.type != "DATA":
                self.ignored += 1
                return None
            data = _data(envelope.data)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise MalformedMessage(str(exc)) from None
        book = self._book(data.ticker, ts_ns)
        if book is None:
            self.ignored += 1
            return None
        info = data.tickinfo
        if info is not None and info.step is not None and info.step != book.spec.tick_size:
            raise MalformedMessage(f"{data.ticker[:20]} tick step {info.step} is not {book.spec.tick_size}")
        try:
            if data.prices.bid is not None:
                book.bid = book.spec.ticks_from_price(data.prices.bid, "bid")
            if data.prices.ask is not None:
                book.ask = book.spec.ticks_from_price(data.prices.ask, "ask")
        except InvalidArgument as exc:
            raise MalformedMessage(str(exc)) from None
        if book.bid is None or book.ask is None:
            return None
        ts = ts_ns if ts_ns > book.last_ts else book.last_ts
        book.last_ts = ts
        return Quote(book.contract_id, ts, ts_ns, book.bid, book.ask, 0, 0)

    def _book(self, ticker: str, now_ns: int) -> _Book | None:
        if ticker in self._tickers:
            return self._tickers[ticker]
        try:
            contract = parse_symbol(ticker, now_ns)
        except InvalidArgument:
            raise MalformedMessage(f"unreadable ticker {ticker[:20]!r}") from None
        dated = not ticker.rstrip().endswith("!") and len(ticker.strip()) > len(contract.root)
        book = self._dated.get(contract.id) if dated else self._by_root.get(contract.root)
        if len(self._tickers) < 256:
            self._tickers[ticker] = book
        return book
