"""Example: a bracket on the paper account, then the account and the tracked trades with their R.

python -m clients.sdk.examples.paper_trading     (VIGIL_TARGET and VIGIL_API_KEY choose the server and key)
"""

import asyncio

from clients.sdk import VigilClient, bracket, market


async def main() -> None:
    async with VigilClient() as vigil:  # VIGIL_TARGET, else 127.0.0.1:50051
        result = await vigil.submit_bracket(
            "paper", bracket(market("ES", "buy", 1), stop_loss_ticks=20, take_profit_ticks=40)
        )
        for order in result.orders:
            print(order.order_id, order.order_type.value, order.side.value, order.status.value)
        print("equity", (await vigil.get_account("paper")).equity)
        await asyncio.sleep(0.5)  # the paper exchange fills after 50-200 ms of simulated latency
        for trade in await vigil.list_trades(open_only=True):
            print(
                trade.contract_id, trade.direction.value, trade.entry_price, trade.current_r, trade.mfe_r, trade.mae_r
            )


if __name__ == "__main__":
    asyncio.run(main())
