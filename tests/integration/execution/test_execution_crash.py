"""Crash safety: a server killed with SIGKILL restarts on the same database with every order, position and
balance exactly as it acknowledged them, and a restored resting order still works."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import grpc

from tests.kit.eventually import eventually
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import execution_pb2_grpc as pb_grpc


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def vigil_process(
    database_url: str,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, pb_grpc.ExecutionServiceStub]]:
    address = f"127.0.0.1:{_free_port()}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VIGIL_LISTEN": address,
        "VIGIL_FEED": "simulated",
        "VIGIL_SIM_SEED": "5",
        "VIGIL_SIM_RATE": "500",
        "VIGIL_SYMBOLS": "ES",
        "VIGIL_LOG_LEVEL": "warning",
        "VIGIL_LOG_FORMAT": "json",
        "GRPC_VERBOSITY": "ERROR",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "core_server",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = pb_grpc.ExecutionServiceStub(channel)

            async def up() -> bool:
                assert process.returncode is None, "the server exited"
                try:
                    await stub.ListAccounts(pb.ListAccountsRequest(), timeout=1)
                except grpc.aio.AioRpcError:
                    return False
                return True

            await eventually(up, timeout=30)
            yield process, stub
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def _state(stub: pb_grpc.ExecutionServiceStub) -> tuple[object, ...]:
    orders = (await stub.ListOrders(pb.ListOrdersRequest(account_id="paper"))).orders
    positions = (await stub.ListPositions(pb.ListPositionsRequest(account_id="paper"))).positions
    account = (await stub.GetAccount(pb.GetAccountRequest(account_id="paper"))).account
    fills = (await stub.ListFills(pb.ListFillsRequest(account_id="paper"))).fills
    return (
        list(orders),
        [(p.contract_id, p.quantity, p.average_price, p.realized_pnl) for p in positions],
        (account.starting_balance, account.balance, account.realized_pnl, account.commissions),
        list(fills),
    )


def _spec(side: int, order_type: int, **prices: str) -> pb.OrderSpec:
    return pb.OrderSpec(
        symbol="ES", side=side, type=order_type, quantity=1, time_in_force=pb.TIME_IN_FORCE_GTC, **prices
    )


async def test_a_killed_server_restores_orders_positions_and_balances_exactly(database_url: str) -> None:
    async with vigil_process(database_url) as (process, stub):
        await stub.SubmitOrder(pb.SubmitOrderRequest(account_id="paper", order=_spec(1, pb.ORDER_TYPE_MARKET)))

        async def filled() -> pb.Fill | None:
            fills = (await stub.ListFills(pb.ListFillsRequest(account_id="paper"))).fills
            return fills[0] if fills else None

        fill = await eventually(filled)
        price = Decimal(fill.price)
        far_below, far_above = str(price - 400), str(price + 400)
        limit = await stub.SubmitOrder(
            pb.SubmitOrderRequest(account_id="paper", order=_spec(1, pb.ORDER_TYPE_LIMIT, limit_price=far_below))
        )
        stop = await stub.SubmitOrder(
            pb.SubmitOrderRequest(account_id="paper", order=_spec(2, pb.ORDER_TYPE_STOP, stop_price=far_below))
        )
        await stub.SubmitOco(
            pb.SubmitOcoRequest(
                account_id="paper",
                first=_spec(2, pb.ORDER_TYPE_LIMIT, limit_price=far_above),
                second=_spec(1, pb.ORDER_TYPE_LIMIT, limit_price=far_below),
            )
        )

        async def all_working() -> bool:
            open_orders = (await stub.ListOrders(pb.ListOrdersRequest(account_id="paper", open_only=True))).orders
            # updated_ns moves on once the arrival is stored: only then is it part of what a crash keeps
            return len(open_orders) == 4 and all(
                o.status == pb.ORDER_STATUS_WORKING and o.updated_ns > o.created_ns for o in open_orders
            )

        await eventually(all_working)
        before = await _state(stub)
        process.send_signal(signal.SIGKILL)
        await process.wait()

    async with vigil_process(database_url) as (_, stub):
        after = await _state(stub)
        assert after == before
        assert before[1][0][1] == 1  # the open long survived
        moved = await stub.ModifyOrder(
            pb.ModifyOrderRequest(order_id=limit.order.order_id, limit_price=str(price - 300))
        )
        assert moved.order.limit_price == str(price - 300) and moved.order.status == pb.ORDER_STATUS_WORKING
        cancelled = await stub.CancelOrder(pb.CancelOrderRequest(order_id=stop.order.order_id))
        assert cancelled.order.status == pb.ORDER_STATUS_CANCELLED
        fresh = await stub.SubmitOrder(
            pb.SubmitOrderRequest(account_id="paper", order=_spec(1, pb.ORDER_TYPE_LIMIT, limit_price=far_below))
        )
        assert fresh.order.order_id == "O-6"  # ids continue after the restored ones


async def test_a_killed_server_restores_reduce_only_orders_and_bracket_distances(database_url: str) -> None:
    async with vigil_process(database_url) as (process, stub):
        bracket = pb.BracketSpec(
            entry=_spec(1, pb.ORDER_TYPE_MARKET),
            stop_loss=pb.BracketExit(points="200"),
            take_profit=pb.BracketExit(r_multiple="2"),
        )
        placed = await stub.SubmitBracket(pb.SubmitBracketRequest(account_id="paper", bracket=bracket))
        entry_id, sl_id, tp_id = (o.order_id for o in placed.orders)

        async def orders() -> dict[str, pb.Order]:
            listed = (await stub.ListOrders(pb.ListOrdersRequest(account_id="paper"))).orders
            return {o.order_id: o for o in listed}

        async def anchored() -> pb.Order | None:
            entry = (await orders())[entry_id]
            return entry if entry.status == pb.ORDER_STATUS_FILLED else None

        fill = Decimal((await eventually(anchored)).average_fill_price)
        reduce = pb.OrderSpec(
            symbol="ES", side=2, type=pb.ORDER_TYPE_LIMIT, quantity=3, limit_price=str(fill + 150), reduce_only=True,
            time_in_force=pb.TIME_IN_FORCE_GTC,
        )  # fmt: skip
        cut = (await stub.SubmitOrder(pb.SubmitOrderRequest(account_id="paper", order=reduce))).order
        waiting = pb.BracketSpec(
            entry=_spec(1, pb.ORDER_TYPE_LIMIT, limit_price=str(fill - 100)),
            stop_loss_ticks=40,
            take_profit=pb.BracketExit(r_multiple="1.5"),
        )
        held = await stub.SubmitBracket(pb.SubmitBracketRequest(account_id="paper", bracket=waiting))

        async def settled() -> bool:
            open_orders = (await stub.ListOrders(pb.ListOrdersRequest(account_id="paper", open_only=True))).orders
            arrived = [o for o in open_orders if o.status != pb.ORDER_STATUS_PENDING_PARENT]
            return len(open_orders) == 6 and all(o.updated_ns > o.created_ns for o in arrived)

        await eventually(settled)
        before = await _state(stub)
        process.send_signal(signal.SIGKILL)
        await process.wait()

    async with vigil_process(database_url) as (_, stub):
        after = await _state(stub)
        assert after == before
        restored = {o.order_id: o for o in after[0]}  # type: ignore[attr-defined]
        sl, tp = restored[sl_id], restored[tp_id]
        assert (Decimal(sl.stop_price), Decimal(tp.limit_price)) == (fill - 200, fill + 400)
        assert (sl.offset_ticks, tp.target_r, sl.reduce_only, tp.reduce_only) == (800, "2", True, True)
        assert (restored[cut.order_id].quantity, restored[cut.order_id].reduce_only) == (1, True)
        held_sl, held_tp = (restored[o.order_id] for o in held.orders[1:])
        assert (held_sl.status, held_sl.offset_ticks, held_tp.target_r) == (pb.ORDER_STATUS_PENDING_PARENT, 40, "1.5")
        # the restored orders still work: a flatten cancels them and closes the long at market
        await stub.FlattenAccount(pb.FlattenAccountRequest(account_id="paper"))

        async def flat() -> bool:
            positions = (await stub.ListPositions(pb.ListPositionsRequest(account_id="paper"))).positions
            return all(p.quantity == 0 for p in positions)

        await eventually(flat)
        assert not (await stub.ListOrders(pb.ListOrdersRequest(account_id="paper", open_only=True))).orders
