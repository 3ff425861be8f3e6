"""How a trade's excursion is measured: the price source and the break-even rule, with their defaults."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from core_server.excursions.r_multiples import ExactR, exact_r
from core_server.model.errors import InvalidArgument


class PriceSource(StrEnum):
    LAST = "last"  # the last trade price, for longs and shorts alike
    BID_ASK = "bid_ask"  # the price the trade would exit on: the bid for a long, the ask for a short


DEFAULT_PRICE_SOURCE = PriceSource.LAST
DEFAULT_BREAK_EVEN_TRIGGER_R = Fraction(1)


@dataclass(frozen=True, slots=True)
class ExcursionSettings:
    """Defaults: last-trade prices; break-even on, moving the stop to entry + 0 ticks once MFE reaches +1R.

    The offset is in ticks in the trade's favour (+2 on a long: entry + 2 ticks; on a short: entry - 2).
    A tracker also checks that the break-even stop lies strictly between the initial stop and the trigger.
    """

    price_source: PriceSource = DEFAULT_PRICE_SOURCE
    break_even_enabled: bool = True
    break_even_trigger_r: ExactR = DEFAULT_BREAK_EVEN_TRIGGER_R
    break_even_offset_ticks: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.price_source, PriceSource):
            raise InvalidArgument("price_source", f"use one of {', '.join(PriceSource)}")
        if exact_r(self.break_even_trigger_r, "break_even_trigger_r") <= 0:
            raise InvalidArgument("break_even_trigger_r", f"must be above 0R, got {self.break_even_trigger_r!r}")
        if isinstance(self.break_even_offset_ticks, bool) or not isinstance(self.break_even_offset_ticks, int):
            raise InvalidArgument("break_even_offset_ticks", "must be whole ticks")

    @property
    def trigger_r(self) -> Fraction:
        return Fraction(self.break_even_trigger_r)


DEFAULT_EXCURSION_SETTINGS = ExcursionSettings()
