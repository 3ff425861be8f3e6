"""Where a trade came from."""

from __future__ import annotations

from enum import StrEnum


class TradeSource(StrEnum):
    SIGNAL = "signal"  # a confirmed signal's Signal Lab trade
    PAPER = "paper"  # a paper-execution position
    MANUAL = "manual"  # entered by hand
    STRATEGY = "strategy"  # placed by a strategy
    IMPORTED = "imported"  # rebuilt from a broker's history: in the journal, never in live risk
