"""Price bands: how far from the market a limit or stop price may lie before the order is refused as a mistake.

A buy limit 100x above the market fills at once at the market, and a sell limit at 25 on MNQ does the same the
other way: both are typing mistakes that a real exchange's price banding would reject. The reference is the
last trade, else the quote's midpoint; a price farther from it than `band x reference` is an InvalidArgument
naming the price field. With no market price yet for the contract there is nothing to measure against, and
the priced order is refused (FailedPrecondition) rather than accepted unchecked. Market orders are never
banded. Micros follow their mini's band unless given their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from core_server.model.errors import FailedPrecondition, InvalidArgument
from core_server.model.instruments import INSTRUMENTS, InstrumentSpec
from core_server.model.market_data import Quote, Trade

DEFAULT_BAND = Decimal("0.10")


@dataclass(frozen=True, slots=True)
class PriceBands:
    """The allowed distance from the market as a fraction of its price, per root (`roots`) or by default."""

    default: Decimal = DEFAULT_BAND
    roots: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, band in (("default", self.default), *self.roots.items()):
            if not isinstance(band, Decimal) or not band.is_finite() or not Decimal(0) < band <= 1:
                raise InvalidArgument("price_band", f"{name}: a fraction in (0, 1], not {band!r}")
        unknown = sorted(set(self.roots) - set(INSTRUMENTS))
        if unknown:
            raise InvalidArgument("price_band", f"unknown root {unknown[0]!r}")

    def band(self, spec: InstrumentSpec) -> Decimal:
        own = self.roots.get(spec.root)
        if own is None and spec.micro_of is not None:
            own = self.roots.get(spec.micro_of)
        return self.default if own is None else own

    def check_prices(
        self, spec: InstrumentSpec, contract_id: str, prices: Iterable[tuple[str, int | None]], reference: int | None
    ) -> None:
        """Each given (field, ticks) within the band around `reference` (ticks); None prices are not given."""
        for field_name, price in prices:
            if price is None:
                continue
            if reference is None:
                raise FailedPrecondition(
                    f"no market price for {contract_id} yet to check the {field_name} against (price band); "
                    "retry once it has quoted"
                )
            self.check(spec, price, reference, field_name)

    def check(self, spec: InstrumentSpec, price: int, reference: int, field: str) -> None:
        """InvalidArgument naming `field` when `price` (ticks) lies beyond the band around `reference` (ticks)."""
        band = self.band(spec)
        if abs(price - reference) <= band * reference:
            return
        raise InvalidArgument(
            field,
            f"{spec.format_ticks(price)} is more than {(band * 100).normalize():f}% away from the market "
            f"{spec.format_ticks(reference)} (price band)",
        )


def reference_price(quote: Quote | None, last_trade: Trade | None) -> int | None:
    """The band's centre in ticks: the last trade, else the quote's midpoint (floored to the tick), else None."""
    if last_trade is not None:
        return last_trade.price
    if quote is not None:
        return (quote.bid + quote.ask) // 2
    return None
