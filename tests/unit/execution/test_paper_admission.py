"""Orders the paper engine refuses before anything changes (issue 9 §2): contracts outside their listing, and
limit and stop prices beyond the price band around the market (10 % by default; per root overridable)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_server.execution.commands import ClosePosition, ModifyOrder, ReversePosition, SubmitBracket, SubmitOrder
from core_server.execution.model import TimeInForce
from core_server.execution.price_bands import PriceBands
from core_server.model.errors import FailedPrecondition, InvalidArgument
from tests.unit.execution.execution_kit import ACC, BUY, LMT, MKT, SELL, STL, STP, T0, D, Rig

MNQ = "MNQM2026"


def banded(**roots: str) -> Rig:
    bands = PriceBands(roots={root: Decimal(band) for root, band in roots.items()})
    rig = Rig(price_bands=bands)
    rig.quote("NQM2026", "20000.00", "20000.25", at=0)
    rig.trade("NQM2026", "20000.00", at=0)
    rig.quote(MNQ, "20000.00", "20000.25", at=0)
    return rig


def refused(rig: Rig, command: object, error: type[Exception] = InvalidArgument) -> str:
    before = rig.engine.snapshot()
    with pytest.raises(error) as raised:
        rig.engine.execute(command, T0)  # type: ignore[arg-type]
    assert rig.engine.snapshot() == before  # nothing changed
    return getattr(raised.value, "field", str(raised.value))


def order(contract: str, side: object, order_type: object, limit: str | None = None, stop: str | None = None) -> object:
    return SubmitOrder(ACC, contract, side, 1, order_type, TimeInForce.DAY,  # type: ignore[arg-type]
                       D(limit) if limit else None, D(stop) if stop else None)  # fmt: skip


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (order("NQM2026", BUY, LMT, limit="2000000.00"), "limit_price"),  # 100x the market
        (order(MNQ, SELL, LMT, limit="25.00"), "limit_price"),
        (order("NQM2026", BUY, STP, stop="22000.25"), "stop_price"),
        (order("NQM2026", SELL, STP, stop="17999.75"), "stop_price"),
        (order("NQM2026", BUY, STL, limit="23000.00", stop="20010.00"), "limit_price"),
    ],
)
def test_prices_beyond_the_band_are_refused_naming_the_field(command: object, field: str) -> None:
    assert refused(banded(), command) == field


def test_prices_at_the_band_edge_are_accepted() -> None:
    rig = banded()
    # 10 % of the last trade 20000.00 is 2000.00.
    assert rig.submit("NQM2026", BUY, 1, LMT, limit="18000.00")
    assert rig.submit("NQM2026", SELL, 1, LMT, limit="22000.00")
    assert rig.submit("NQM2026", BUY, 1, STP, stop="22000.00")


def test_a_root_band_overrides_the_default_and_a_micro_follows_its_mini() -> None:
    rig = banded(NQ="0.01")
    assert refused(rig, order("NQM2026", BUY, LMT, limit="19799.75")) == "limit_price"
    assert refused(rig, order(MNQ, BUY, LMT, limit="19799.75")) == "limit_price"  # MNQ reads NQ's band
    assert rig.submit(MNQ, BUY, 1, LMT, limit="19800.00")  # its own centre: the mid, 20000.00 floored
    assert rig.submit("ESM2026", BUY, 1, MKT)  # market orders are never banded (and wait for a quote)


def test_a_priced_order_with_no_market_yet_is_a_failed_precondition() -> None:
    rig = Rig(price_bands=PriceBands())
    refused(rig, order("ESM2026", BUY, LMT, limit="6000.00"), FailedPrecondition)


def test_a_bracket_entry_and_a_modification_are_banded_too() -> None:
    rig = banded()
    far_entry = SubmitBracket(ACC, "NQM2026", BUY, 1, LMT, D("29990.00"), D("30010.00"), D("30000.00"))
    assert refused(rig, far_entry) == "entry_price"
    placed = rig.submit("NQM2026", BUY, 1, LMT, limit="19990.00")
    assert refused(rig, ModifyOrder(ACC, placed, None, D("100.00"), None)) == "limit_price"
    rig.engine.execute(ModifyOrder(ACC, placed, None, D("19995.00"), None), T0)


@pytest.mark.parametrize(("contract", "reason"), [("NQH2020", "expired"), ("NQM2027", "not listed until")])
def test_a_contract_outside_its_listing_is_refused_naming_the_contract(contract: str, reason: str) -> None:
    rig = Rig()  # 10 March 2026: NQH2026 to NQH2027 are listed
    with pytest.raises(InvalidArgument, match=reason) as raised:
        rig.engine.execute(order(contract, BUY, MKT), T0)  # type: ignore[arg-type]
    assert raised.value.field == "contract_id"
    assert rig.submit("NQH2027", BUY, 1, MKT)


def test_reversing_needs_a_listed_contract_but_closing_does_not() -> None:
    rig = Rig()
    rig.quote("NQH2026", "20000.00", "20000.25", at=0)
    rig.submit("NQH2026", BUY, 1, MKT)
    rig.quote("NQH2026", "20000.00", "20000.25", at=200)
    assert rig.engine.position(ACC, "NQH2026").net_qty == 1
    after_expiry = T0 + 11 * 24 * 3600 * 10**9  # NQH2026 expired on 20 March
    with pytest.raises(InvalidArgument, match="expired"):
        rig.engine.execute(ReversePosition(ACC, "NQH2026"), after_expiry)
    assert rig.engine.open_orders(ACC) == ()  # refused before anything was cancelled
    closing = rig.engine.execute(ClosePosition(ACC, "NQH2026"), after_expiry)
    assert closing  # a position left in an expired contract can still be closed
