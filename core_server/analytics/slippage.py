"""Slippage: what each fill cost against its order's reference price (Order.slippage_reference).

Slippage of a fill = (fill price - reference) signed against the trader (a buy above, or a sell below, its
reference is positive: paid; the other way is negative: price improvement), in ticks per contract, and in dollars
as those ticks x the tick value x the fill's quantity (the same as points x point value x quantity), exact.
A market order's reference is the quote it met when accepted, a stop's its stop price; a limit has none.

A round trip's slippage is the sum over the fills of its account and contract from its opening to its closing
instant (the attribution storage/analytics.py makes in SQL for the stored trades; this one serves backtests).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core_server.execution.model import Fill, Order
from core_server.model.instruments import INSTRUMENTS
from core_server.trades.model import RoundTrip


@dataclass(frozen=True, slots=True)
class Slippage:
    ticks: int  # per contract, adverse positive
    dollars: Decimal  # ticks x tick value x quantity


def fill_slippage(order: Order, fill: Fill) -> Slippage | None:
    """The slippage of one fill of `order`; None when the order has no reference price (a limit, or a market
    order accepted before its contract had any market)."""
    reference = order.slippage_reference
    if reference is None:
        return None
    ticks = (fill.price - reference) * fill.side.sign
    return Slippage(ticks, ticks * INSTRUMENTS[fill.contract_id[:-5]].tick_value * fill.quantity)


def trips_slippage(trips: Iterable[RoundTrip], orders: Iterable[Order], fills: Iterable[Fill]) -> dict[str, Decimal]:
    """Dollars of slippage per closed, executed trip (trade id -> amount; trips with no measured fill left out)."""
    by_id = {o.order_id: o for o in orders}
    measured: dict[tuple[str, str], tuple[list[int], list[Decimal]]] = {}
    for fill in sorted(fills, key=lambda f: f.ts_event):
        order = by_id.get(fill.order_id)
        slip = fill_slippage(order, fill) if order is not None else None
        if slip is not None:
            times, amounts = measured.setdefault((fill.account_id, fill.contract_id), ([], []))
            times.append(fill.ts_event)
            amounts.append(slip.dollars)
    out: dict[str, Decimal] = {}
    for trip in trips:
        if trip.closed_ns is None or trip.account_id is None:
            continue
        found = measured.get((trip.account_id, trip.contract_id))
        if found is None:
            continue
        times, amounts = found
        first, last = bisect_left(times, trip.opened_ns), bisect_right(times, trip.closed_ns)
        if first < last:
            out[trip.trade_id] = sum(amounts[first:last], Decimal(0))
    return out
