"""UDF symbols: which Vigil contract a UDF symbol names, its LibrarySymbolInfo, and symbol search.

Two kinds of ticker: the continuous front month `NQ1!` (also asked for as `NQ` or `CME:NQ1!`), whose history
follows the front month across rolls, and a dated contract, ticker `NQZ2026` (asked for in any form the core
parses: NQZ6, NQZ2026, CON.F.US.ENQ.Z26).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clients.sdk import Contract, Instrument
from clients.udf.bars import INTRADAY_MULTIPLIERS, SUPPORTED_RESOLUTIONS
from clients.udf.sessions import TIME_ZONE, SymbolSessions

CONTINUOUS_SUFFIX = "1!"
SYMBOL_TYPE = "futures"


@dataclass(frozen=True, slots=True)
class Ticker:
    """What a UDF ticker stands for: a root's continuous front month, or one dated contract."""

    root: str
    contract_id: str = ""  # empty for the continuous front month

    @property
    def continuous(self) -> bool:
        return not self.contract_id

    @property
    def text(self) -> str:
        return f"{self.root}{CONTINUOUS_SUFFIX}" if self.continuous else self.contract_id


def bare_symbol(symbol: str) -> str:
    """The symbol without an `EXCHANGE:` prefix, upper-cased (TradingView sends `CME:NQ1!` or `NQ1!`)."""
    return symbol.strip().rpartition(":")[2].strip().upper()


def continuous_root(symbol: str, roots: set[str]) -> str | None:
    """The root when `symbol` names a continuous front month (`NQ1!` or a bare root `NQ`), else None."""
    text = bare_symbol(symbol)
    root = text.removesuffix(CONTINUOUS_SUFFIX)
    return root if root in roots else None


def price_format(tick_size: Decimal) -> tuple[int, int]:
    """(pricescale, minmov) for a decimal tick: 0.25 -> (100, 25), 0.1 -> (10, 1), 1 -> (1, 1)."""
    exponent = tick_size.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    pricescale = 10**places
    return pricescale, int(tick_size * pricescale)


def symbol_info(
    instrument: Instrument, ticker: Ticker, sessions: SymbolSessions, contract: Contract, streaming: bool, now_ns: int
) -> dict[str, Any]:
    """A LibrarySymbolInfo (snake_case names, as the UDF adapter accepts them) for `ticker`."""
    pricescale, minmov = price_format(instrument.tick_size)
    name = ticker.text
    if ticker.continuous:
        description = f"{instrument.description} (continuous, front month {contract.contract_id})"
    else:
        description = f"{instrument.description} {contract.contract_id}"
    return {
        "name": name,
        "ticker": name,
        "full_name": f"{instrument.exchange}:{name}",
        "description": description,
        "type": SYMBOL_TYPE,
        "exchange": instrument.exchange,
        "listed_exchange": instrument.exchange,
        "timezone": TIME_ZONE,
        "session": sessions.session,
        "session_holidays": sessions.holidays,
        "corrections": sessions.corrections,
        "format": "price",
        "pricescale": pricescale,
        "minmov": minmov,
        "minmove2": 0,
        "fractional": False,
        "has_intraday": True,
        "has_daily": True,
        "has_weekly_and_monthly": False,
        "has_empty_bars": False,
        "intraday_multipliers": list(INTRADAY_MULTIPLIERS),
        "daily_multipliers": ["1"],
        "supported_resolutions": list(SUPPORTED_RESOLUTIONS),
        "visible_plots_set": "ohlcv",
        "volume_precision": 0,
        "currency_code": "USD",
        "data_status": "streaming" if streaming else "endofday",
        "expired": False if ticker.continuous else contract.expiry_ns <= now_ns,
    } | ({} if ticker.continuous else {"expiration_date": contract.expiry_ns // 1_000_000_000})


def search(instruments: list[Instrument], query: str, kind: str, exchange: str, limit: int) -> list[dict[str, str]]:
    """SearchSymbolResultItems: each matching instrument's continuous symbol, then its front contract."""
    text = bare_symbol(query)
    found: list[dict[str, str]] = []
    if kind and kind.lower() != SYMBOL_TYPE:
        return found
    for instrument in instruments:
        if exchange and exchange.upper() != instrument.exchange.upper():
            continue
        front = instrument.front_contract.contract_id
        names = (f"{instrument.root}{CONTINUOUS_SUFFIX}", front)
        haystack = f"{instrument.root} {front} {instrument.description}".upper()
        if text and text.removesuffix(CONTINUOUS_SUFFIX) not in haystack:
            continue
        for name in names:
            found.append(
                {
                    "symbol": name,
                    "full_name": f"{instrument.exchange}:{name}",
                    "description": instrument.description
                    + (" (continuous)" if name.endswith(CONTINUOUS_SUFFIX) else f" {front}"),
                    "exchange": instrument.exchange,
                    "ticker": name,
                    "type": SYMBOL_TYPE,
                }
            )
    return found[:limit]
