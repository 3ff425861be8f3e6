"""Broker fills booked into the paper engine: a bound account's fills enter the kernel as the same events paper
fills make (OrderAccepted, OrderWorking, OrderFilled, PositionChanged, AccountBalanceChanged), at the broker's
price, so risk, trades, excursions, analytics and the journal treat them exactly as paper fills.

The fill already happened at the broker: no pre-trade check can refuse it, and nothing rests on the simulated
exchange. The order it makes is a filled market order tagged `broker:<fill id>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core_server.execution.commands import BookBrokerFill
from core_server.execution.events import ExecutionEvent, OrderAccepted, OrderWorking
from core_server.execution.model import Liquidity, Order, OrderRole, OrderStatus, OrderType, TimeInForce
from core_server.model.errors import InvalidArgument

if TYPE_CHECKING:
    from core_server.execution.engine import PaperExecutionEngine

MAX_FILL_QUANTITY = 10_000


def book_broker_fill(
    engine: PaperExecutionEngine, command: BookBrokerFill, now_ns: int, out: list[ExecutionEvent]
) -> None:
    engine._account(command.account_id)  # NotFound for an unknown account
    contract_id, spec = engine._contract(command.contract_id, now_ns, "contract_id")
    quantity = command.quantity
    if type(quantity) is not int or not 0 < quantity <= MAX_FILL_QUANTITY:
        raise InvalidArgument("quantity", f"a broker fill of 1 to {MAX_FILL_QUANTITY} contracts")
    price = spec.ticks_from_price(command.price, "price")
    x = engine._x
    routed = x.orders.get(command.order_id) if command.order_id is not None else None
    if (
        routed is not None
        and routed.account_id == command.account_id
        and routed.contract_id == contract_id
        and routed.side is command.side
        and routed.is_open
    ):  # the order Vigil sent: its fill, then what follows a fill (bracket exits, OCO siblings)
        taken = min(quantity, routed.leaves_qty)
        x._apply_fill(routed, taken, price, Liquidity.TAKER, now_ns, out)
        quantity -= taken
        if quantity == 0:
            return
    order = Order(
        order_id=x.next_order_id(), account_id=command.account_id, contract_id=contract_id, side=command.side,
        order_type=OrderType.MARKET, quantity=quantity, time_in_force=TimeInForce.DAY, status=OrderStatus.WORKING,
        role=OrderRole.STANDALONE, submitted_ns=now_ns, arrival_ns=now_ns, expire_ns=0,
        tag=f"broker:{command.broker_fill_id}"[:64],
    )  # fmt: skip
    x.set(order)
    out.append(OrderAccepted(order, now_ns))
    out.append(OrderWorking(order.account_id, order.order_id, quantity, now_ns))
    x._apply_fill(order, quantity, price, Liquidity.TAKER, now_ns, out)
