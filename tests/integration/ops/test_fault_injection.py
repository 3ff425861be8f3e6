"""Fault injection: a scripted trading session on a real server process, killed with SIGKILL after seeded steps and
restarted on the same store, ends with the same orders, fills, positions, trades and risk state as the same script
run without interruption.

The feed is a replay of a scripted CSV at speed 0 (the same prices in both runs and after every restart), so each
step's outcome depends only on the steps before it: a market bracket entry fills at the scripted ask, its exits and
the other orders rest, cancels and modifies act on stored orders, a reduce-only market order closes part of the
position (a trade). Ids and clocks differ between runs; everything is compared by client order id.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import grpc
import pytest

from tests.kit.eventually import eventually
from tests.kit.postgres import _execute, drop_database, with_database
from vigil.v1 import common_pb2, signals_pb2, signals_pb2_grpc
from vigil.v1 import execution_pb2 as epb
from vigil.v1 import execution_pb2_grpc as epb_grpc
from vigil.v1 import market_data_pb2 as mpb
from vigil.v1 import market_data_pb2_grpc as mpb_grpc
from vigil.v1 import risk_pb2 as rpb
from vigil.v1 import risk_pb2_grpc as rpb_grpc
from vigil.v1 import trades_pb2 as tpb
from vigil.v1 import trades_pb2_grpc as tpb_grpc

BUY, SELL = epb.ORDER_SIDE_BUY, epb.ORDER_SIDE_SELL
MARKET, LIMIT, STOP = epb.ORDER_TYPE_MARKET, epb.ORDER_TYPE_LIMIT, epb.ORDER_TYPE_STOP
GTC = epb.TIME_IN_FORCE_GTC
ACCOUNT = "fault-injection"


@pytest.fixture
async def second_database_url(postgres_admin_url: str, migrated_template: str) -> AsyncIterator[str]:
    """A second fresh database: the uninterrupted run's store."""
    name = f"t_{uuid4().hex}"
    await _execute(postgres_admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"')
    try:
        yield with_database(postgres_admin_url, name)
    finally:
        await drop_database(postgres_admin_url, name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SCRIPT_SECOND = int(time.time()) - 1  # the scripted market's second (UTC), shared by both runs


def _script_csv(path: Path) -> Path:
    """One quote and one print a second ago: the book every step of both runs trades against."""
    moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(SCRIPT_SECOND))
    path.write_text(
        "ts,contract,kind,bid,ask,bid_size,ask_size,price,size,aggressor\n"
        f"{moment}.100Z,NQZ6,quote,25340.00,25340.25,5,6,,,\n"
        f"{moment}.200Z,NQZ6,trade,,,,,25340.25,2,buy\n"
        f"{moment}.300Z,NQZ6,quote,25340.00,25340.25,5,6,,,\n"
    )
    return path


@dataclass
class Stubs:
    execution: epb_grpc.ExecutionServiceStub
    trades: tpb_grpc.TradeServiceStub
    risk: rpb_grpc.RiskServiceStub
    signals: signals_pb2_grpc.SignalServiceStub
    market: mpb_grpc.MarketDataServiceStub


@asynccontextmanager
async def server(database_url: str, script: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, Stubs]]:
    address = f"127.0.0.1:{_free_port()}"
    env = {
        **os.environ, "DATABASE_URL": database_url, "VIGIL_LISTEN": address, "VIGIL_SYMBOLS": "NQZ2026",
        "VIGIL_FEED": "replay", "VIGIL_REPLAY_FILE": str(script), "VIGIL_REPLAY_SPEED": "0",
        "VIGIL_PAPER_SLIPPAGE_TICKS": "0", "VIGIL_LOG_LEVEL": "warning", "VIGIL_LOG_FORMAT": "json",
        "GRPC_VERBOSITY": "ERROR",
    }  # fmt: skip
    log = script.with_suffix(f".{address.rsplit(':', 1)[1]}.log")
    with log.open("wb") as log_file:  # the server's own log: why it exited, when it did
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "core_server", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log_file,
        )  # fmt: skip
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stubs = Stubs(
                epb_grpc.ExecutionServiceStub(channel),
                tpb_grpc.TradeServiceStub(channel),
                rpb_grpc.RiskServiceStub(channel),
                signals_pb2_grpc.SignalServiceStub(channel),
                mpb_grpc.MarketDataServiceStub(channel),
            )

            async def up() -> bool:
                assert process.returncode is None, f"the server exited: {log.read_text()[-3000:]}"
                try:
                    await stubs.execution.ListAccounts(epb.ListAccountsRequest(), timeout=1)
                except grpc.aio.AioRpcError:
                    return False
                return True

            await eventually(up, timeout=60)
            yield process, stubs
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


def _order(cid: str, side: int, kind: int, quantity: int, limit: str = "", stop: str = "", **more: Any) -> Any:
    return epb.OrderSpec(
        symbol="NQZ2026", side=side, type=kind, quantity=quantity, limit_price=limit, stop_price=stop,
        time_in_force=GTC, client_order_id=cid, **more,
    )  # fmt: skip


async def _order_id(stubs: Stubs, account: str, cid: str) -> str:
    orders = (await stubs.execution.ListOrders(epb.ListOrdersRequest(account_id=account))).orders
    return next(o.order_id for o in orders if o.client_order_id == cid)


async def _account(stubs: Stubs) -> str:
    accounts = (await stubs.execution.ListAccounts(epb.ListAccountsRequest())).accounts
    found = [a.account_id for a in accounts if a.name == ACCOUNT]
    if found:
        return found[0]
    return (await stubs.execution.CreateAccount(epb.CreateAccountRequest(name=ACCOUNT))).account.account_id


Step = Callable[[Stubs, str], Awaitable[Any]]


async def _market_quoted(stubs: Stubs, account: str) -> None:
    """Wait until the scripted quote is in the book: a market order before it would be rejected (no quote)."""

    async def quoted() -> bool:
        try:
            quote = (await stubs.market.GetQuote(mpb.GetQuoteRequest(symbol="NQZ2026"))).quote
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND
            return False
        return (quote.bid, quote.ask) == ("25340.00", "25340.25")

    await eventually(quoted, timeout=60)


async def _settled(stubs: Stubs, account: str) -> None:
    """Wait until no order is still on its way to the simulated exchange (the paper latency) and every fill is in
    the store (ListOrders reads the engine, ListFills the store, which the journal writer fills a moment later)."""

    async def arrived() -> bool:
        orders = (await stubs.execution.ListOrders(epb.ListOrdersRequest(account_id=account))).orders
        if any(o.status == epb.ORDER_STATUS_SUBMITTED for o in orders):
            return False
        fills = (await stubs.execution.ListFills(epb.ListFillsRequest(account_id=account))).fills
        return sum(f.quantity for f in fills) == sum(o.filled_quantity for o in orders)  # the store caught up

    await eventually(arrived, timeout=60)


async def bracket(stubs: Stubs, account: str) -> Any:
    spec = epb.BracketSpec(entry=_order("b1", BUY, MARKET, 3), stop_loss_ticks=40, take_profit_ticks=80)
    return await stubs.execution.SubmitBracket(epb.SubmitBracketRequest(account_id=account, bracket=spec))


async def resting_limit(stubs: Stubs, account: str) -> Any:
    return await stubs.execution.SubmitOrder(
        epb.SubmitOrderRequest(account_id=account, order=_order("l1", BUY, LIMIT, 1, "25300.00"))
    )


async def cancel_limit(stubs: Stubs, account: str) -> Any:
    order_id = await _order_id(stubs, account, "l1")
    return await stubs.execution.CancelOrder(epb.CancelOrderRequest(order_id=order_id))


async def resting_stop(stubs: Stubs, account: str) -> Any:
    return await stubs.execution.SubmitOrder(
        epb.SubmitOrderRequest(account_id=account, order=_order("s1", SELL, STOP, 1, stop="25320.00"))
    )


async def modify_stop(stubs: Stubs, account: str) -> Any:
    order_id = await _order_id(stubs, account, "s1")
    return await stubs.execution.ModifyOrder(epb.ModifyOrderRequest(order_id=order_id, stop_price="25310.00"))


async def reduce_position(stubs: Stubs, account: str) -> Any:
    return await stubs.execution.SubmitOrder(
        epb.SubmitOrderRequest(account_id=account, order=_order("r1", SELL, MARKET, 1, reduce_only=True))
    )


async def second_entry(stubs: Stubs, account: str) -> Any:
    return await stubs.execution.SubmitOrder(
        epb.SubmitOrderRequest(account_id=account, order=_order("m2", BUY, MARKET, 2))
    )


async def submit_signal(stubs: Stubs, account: str) -> Any:
    """A bullish signal at the scripted price, fired just now (as TradingView's {{timenow}}): validated against the
    scripted market, then waiting for its candle to close. Fired at the script's own second instead, it was over the
    120 s age limit whenever the killed run reached this step more than two minutes after the script began (a
    loaded machine), and was rejected there while the uninterrupted run kept it pending."""
    signal_input = signals_pb2.SignalInput(
        symbol="NQZ2026", direction=signals_pb2.SIGNAL_DIRECTION_BULLISH, signal_price="25340.25",
        signal_time_ns=time.time_ns() - 500_000_000, timeframe=common_pb2.TIMEFRAME_1M, strategy="orb",
        source="sdk", idempotency_key="fault-injection-1",
    )  # fmt: skip
    return await stubs.signals.SubmitSignal(signals_pb2.SubmitSignalRequest(input=signal_input))


async def close_position(stubs: Stubs, account: str) -> Any:
    return await stubs.execution.ClosePosition(epb.ClosePositionRequest(account_id=account, symbol="NQZ2026"))


SCRIPT: tuple[Step, ...] = (
    bracket,
    resting_limit,
    cancel_limit,
    resting_stop,
    modify_stop,
    reduce_position,
    second_entry,
    submit_signal,
    close_position,
)


async def snapshot(stubs: Stubs, account: str) -> dict[str, Any]:
    """Everything the session left, free of ids and clocks: orders named by client id (bracket legs by parent)."""
    orders = (await stubs.execution.ListOrders(epb.ListOrdersRequest(account_id=account))).orders
    names = {o.order_id: o.client_order_id for o in orders if o.client_order_id}
    for o in orders:
        if not o.client_order_id:
            parent = names.get(o.parent_order_id, "?")
            names[o.order_id] = f"{parent}/{epb.OrderType.Name(o.type)}/{epb.OrderSide.Name(o.side)}"
    order_rows = sorted(
        (
            names[o.order_id],
            o.side,
            o.type,
            o.quantity,
            o.filled_quantity,
            o.limit_price,
            o.stop_price,
            epb.OrderStatus.Name(o.status),
            o.average_fill_price,
            names.get(o.parent_order_id, ""),
            o.reason,
        )
        for o in orders
    )
    fills = (await stubs.execution.ListFills(epb.ListFillsRequest(account_id=account))).fills
    fill_rows = sorted((names.get(f.order_id, "?"), f.side, f.quantity, f.price) for f in fills)
    positions = (await stubs.execution.ListPositions(epb.ListPositionsRequest(account_id=account))).positions
    position_rows = sorted(_without_ids(p) for p in positions)
    trades = (await stubs.trades.ListTrades(tpb.ListTradesRequest(account_id=account))).trades
    trade_rows = sorted(_without_ids(t) for t in trades)
    risk = (await stubs.risk.GetRiskStatus(rpb.GetRiskStatusRequest(account_id=account))).statuses
    risk_rows = sorted(_without_ids(s) for s in risk)
    signals = (await stubs.signals.ListSignals(signals_pb2.ListSignalsRequest())).signals
    signal_rows = sorted(
        (
            s.input.idempotency_key,
            signals_pb2.SignalStatus.Name(s.status),
            s.waiting_for,
            s.entry_price,
            s.stop_price,
            s.risk_points,
            s.candles_waited,
            tuple(e.kind for e in s.events),
        )
        for s in signals
    )
    return {"orders": order_rows, "fills": fill_rows, "positions": position_rows, "trades": trade_rows,
            "risk": risk_rows, "signals": signal_rows}  # fmt: skip


def _without_ids(message: Any) -> str:
    """The message's fields except ids and times (which differ between runs)."""
    copy = type(message)()
    copy.CopyFrom(message)
    for field, _ in list(copy.ListFields()):
        if field.name.endswith(("_id", "_ns", "_ids")) or field.name in ("id", "account"):
            copy.ClearField(field.name)
    return str(copy).replace("\n", " ")


async def run(database_url: str, script: Path, kill_after: set[int]) -> dict[str, Any]:
    """Run SCRIPT, killing the server with SIGKILL right after each step in `kill_after` and restarting it."""
    step = 0
    while True:
        async with server(database_url, script) as (process, stubs):
            account = await _account(stubs)
            await _market_quoted(stubs, account)
            while step < len(SCRIPT):
                await SCRIPT[step](stubs, account)
                await _settled(stubs, account)
                step += 1
                if step - 1 in kill_after:
                    process.send_signal(signal.SIGKILL)
                    await process.wait()
                    break
            else:
                await _settled(stubs, account)
                return await snapshot(stubs, account)


@pytest.mark.parametrize("seed", [14])
async def test_sigkill_at_seeded_steps_ends_like_an_uninterrupted_run(
    seed: int, database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    script = _script_csv(tmp_path / "script.csv")
    expected = await run(second_database_url, script, set())
    assert expected["fills"] and expected["trades"] and expected["signals"], "the script trades and signals"
    kills = set(random.Random(seed).sample(range(len(SCRIPT) - 1), 4))  # four kills among the first eight steps
    assert await run(database_url, script, kills) == expected
