"""The pre-trade risk check for an order bound for a broker: the kernel's risk engine decides it, as for paper.

The order is shown to risk as the paper order it would be (same account, contract, side, size, prices) inside
one kernel command, so the decision is journaled like every other; nothing is placed in the paper engine.
"""

from __future__ import annotations

from core_server.brokers.model import BrokerOrderRequest
from core_server.execution.model import (
    AccountId,
    Order,
    OrderId,
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from core_server.kernel.kernel import TradingKernel
from core_server.live.shell import LiveKernel
from core_server.model.errors import VigilError
from core_server.model.symbols import parse_symbol

_TYPES = {
    "Market": OrderType.MARKET,
    "Limit": OrderType.LIMIT,
    "Stop": OrderType.STOP,
    "StopLimit": OrderType.STOP_LIMIT,
}


class BrokerRiskCheck:
    def __init__(self, shell: LiveKernel) -> None:
        self._shell = shell

    async def __call__(self, account_id: str, request: BrokerOrderRequest) -> str | None:
        def run(kernel: TradingKernel, now: int) -> str | None:
            try:
                contract = parse_symbol(request.symbol, now)
                spec = contract.spec
                limit = spec.ticks_from_price(request.limit_price) if request.limit_price is not None else None
                stop = spec.ticks_from_price(request.stop_price) if request.stop_price is not None else None
            except VigilError as exc:
                return f"{request.symbol}: {exc}"
            order = Order(
                OrderId(f"broker-{request.client_order_id}"), AccountId(account_id), contract.id,
                OrderSide.BUY if request.side == "Buy" else OrderSide.SELL, _TYPES[request.order_type],
                request.quantity, TimeInForce.DAY, OrderStatus.PENDING, OrderRole.STANDALONE, now, now, 0,
                limit_price=limit, stop_price=stop,
            )  # fmt: skip
            return kernel.risk.check(order, kernel.execution)

        return await self._shell.command(run)
