"""UdfDatafeed: the UDF endpoints' answers, computed from the core through the SDK (no HTTP in here)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import structlog

from clients.sdk import (
    Contract,
    Instrument,
    InvalidArgumentError,
    NotFoundError,
    SessionCalendar,
    Timeframe,
    VigilClient,
)
from clients.udf.bars import SUPPORTED_RESOLUTIONS, first_start_from
from clients.udf.continuous import ContractChain
from clients.udf.errors import UdfError, UnknownSymbolError
from clients.udf.history import HistoryReader, HistoryRequest
from clients.udf.marks import fill_mark, session_marks, signal_mark, signal_time_ns
from clients.udf.sessions import SymbolSessions, symbol_sessions
from clients.udf.symbols import SYMBOL_TYPE, Ticker, bare_symbol, continuous_root, search, symbol_info

log = structlog.get_logger(__name__)

MAX_SIGNALS = 1000  # ListSignals' most per call
MAX_FILLS = 2000  # ListFills' most per call
PERCENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class ResolvedSymbol:
    ticker: Ticker
    instrument: Instrument
    contract: Contract  # the dated contract, or the continuous ticker's front month now


class UdfDatafeed:
    """One per edge process; `account_id` is whose fills and positions are shown unless a request names one."""

    def __init__(self, client: VigilClient, account_id: str = "paper") -> None:
        self.client = client
        self.account_id = account_id
        self._chain = ContractChain(client)
        self._history = HistoryReader(client, self._chain)
        self._calendar: SessionCalendar | None = None
        self._sessions: SymbolSessions | None = None
        self._calendar_lock = asyncio.Lock()

    async def config(self) -> dict[str, Any]:
        exchanges = sorted({i.exchange for i in await self.client.list_instruments()})
        return {
            "supported_resolutions": list(SUPPORTED_RESOLUTIONS),
            "supports_group_request": False,
            "supports_search": True,
            "supports_marks": True,
            "supports_timescale_marks": True,
            "supports_time": True,
            "exchanges": [{"value": "", "name": "All Exchanges", "desc": ""}]
            + [{"value": e, "name": e, "desc": f"{e} Globex"} for e in exchanges],
            "symbols_types": [{"name": "Futures", "value": SYMBOL_TYPE}],
            "currency_codes": ["USD"],
        }

    async def resolve(self, symbol: str) -> ResolvedSymbol:
        """The ticker, instrument and contract a UDF symbol names; UnknownSymbolError for anything else."""
        if not symbol.strip():
            raise UnknownSymbolError(symbol, "empty")
        instruments = {i.root: i for i in await self.client.list_instruments()}
        root = continuous_root(symbol, set(instruments))
        if root is not None:
            instrument = instruments[root]
            return ResolvedSymbol(Ticker(root), instrument, instrument.front_contract)
        try:
            contract = await self.client.resolve_symbol(bare_symbol(symbol))
        except InvalidArgumentError as error:
            raise UnknownSymbolError(symbol, error.reason) from None
        return ResolvedSymbol(Ticker(contract.root, contract.contract_id), instruments[contract.root], contract)

    async def symbol_info(self, symbol: str) -> dict[str, Any]:
        resolved = await self.resolve(symbol)
        sessions = await self._symbol_sessions()
        now_ns = await self.server_time_ns()
        streaming = resolved.instrument.streaming and resolved.contract == resolved.instrument.front_contract
        return symbol_info(resolved.instrument, resolved.ticker, sessions, resolved.contract, streaming, now_ns)

    async def search(self, query: str, kind: str, exchange: str, limit: int) -> list[dict[str, str]]:
        return search(await self.client.list_instruments(), query, kind, exchange, limit)

    async def history(
        self, symbol: str, timeframe: Timeframe, to_s: int, from_s: int | None, countback: int | None
    ) -> dict[str, Any]:
        resolved = await self.resolve(symbol)
        return await self._history.history(HistoryRequest(resolved.ticker, timeframe, to_s, from_s, countback))

    async def marks(
        self, symbol: str, timeframe: Timeframe, from_s: int, to_s: int, account_id: str | None
    ) -> list[dict[str, Any]]:
        """Signals on the ticker's contracts and the account's fills in them, as bar marks, oldest first."""
        resolved = await self.resolve(symbol)
        start_ns, end_ns = first_start_from(timeframe, from_s), first_start_from(timeframe, to_s)
        if start_ns >= end_ns:
            return []
        segments = await self._chain.segments(resolved.ticker, start_ns, end_ns)
        found: list[tuple[int, dict[str, Any]]] = []
        for segment in segments:
            # A signal is received after it fires, so every signal placed in the segment was received after its
            # start; a replayed or late one may be received long after the segment's end (the newest 1000 count).
            signals = await self.client.list_signals(
                symbol=segment.contract_id, from_ns=segment.start_ns, limit=MAX_SIGNALS
            )
            for signal in signals:
                placed_ns = signal_time_ns(signal)
                if segment.start_ns <= placed_ns < segment.end_ns:
                    found.append((placed_ns, signal_mark(signal, timeframe)))
        for fill in await self._fills(account_id, start_ns, end_ns):
            if any(s.contract_id == fill.contract_id and s.start_ns <= fill.ts_ns < s.end_ns for s in segments):
                found.append((fill.ts_ns, fill_mark(fill, timeframe)))
        found.sort(key=lambda pair: pair[0])
        return [mark for _, mark in found]

    async def timescale_marks(self, symbol: str, timeframe: Timeframe, from_s: int, to_s: int) -> list[dict[str, Any]]:
        await self.resolve(symbol)
        calendar = await self._session_calendar()
        start_ns, end_ns = first_start_from(timeframe, from_s), first_start_from(timeframe, to_s)
        return session_marks(calendar.sessions, timeframe, start_ns, end_ns)

    async def server_time_ns(self) -> int:
        """The core's clock (a replay or test clock when the core runs one)."""
        return (await self.client.get_feed_status()).server_time_ns

    async def quotes(self, symbols: list[str]) -> dict[str, Any]:
        return {"s": "ok", "d": [await self._quote(symbol) for symbol in symbols]}

    async def _quote(self, symbol: str) -> dict[str, Any]:
        try:
            resolved = await self.resolve(symbol)
            snapshot = await self.client.get_quote(resolved.contract.contract_id)
        except (UdfError, NotFoundError) as error:
            reason = error.errmsg if isinstance(error, UdfError) else error.message
            return {"s": "error", "n": symbol, "v": {}, "errmsg": reason}
        days = await self.client.list_candles(
            resolved.contract.contract_id, Timeframe.D1, limit=2, include_forming=True
        )
        today = days[-1] if days else None
        previous = days[-2] if len(days) > 1 else None
        quote = snapshot.quote
        last = snapshot.last_trade.price if snapshot.last_trade is not None else (today.close if today else quote.bid)
        values: dict[str, Any] = {
            "short_name": resolved.ticker.text,
            "exchange": resolved.instrument.exchange,
            "description": resolved.instrument.description,
            "original_name": f"{resolved.instrument.exchange}:{resolved.ticker.text}",
            "lp": last,
            "ask": quote.ask,
            "bid": quote.bid,
            "spread": quote.spread,
            "volume": snapshot.day_volume,
        }
        if today is not None:
            values |= {"open_price": today.open, "high_price": today.high, "low_price": today.low}
        if previous is not None:
            change = last - previous.close
            values |= {
                "prev_close_price": previous.close,
                "ch": change,
                "chp": (change * 100 / previous.close).quantize(PERCENT) if previous.close else Decimal(0),
            }
        return {"s": "ok", "n": symbol, "v": values}

    async def _fills(self, account_id: str | None, start_ns: int, end_ns: int) -> list[Any]:
        account = account_id or self.account_id
        try:
            return list(await self.client.list_fills(account, from_ns=start_ns, to_ns=end_ns, limit=MAX_FILLS))
        except NotFoundError:
            if account_id:
                raise UdfError(404, f"account: {account_id!r} does not exist") from None
            log.warning("udf.account_missing", account_id=account)
            return []

    async def _session_calendar(self) -> SessionCalendar:
        async with self._calendar_lock:
            if self._calendar is None:
                self._calendar = await self.client.list_sessions()
            return self._calendar

    async def _symbol_sessions(self) -> SymbolSessions:
        calendar = await self._session_calendar()
        if self._sessions is None:
            self._sessions = symbol_sessions(calendar)
        return self._sessions
