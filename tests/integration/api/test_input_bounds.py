"""Bad input never reaches the engines (issue 9 §2): unrepresentable numbers, expired contracts, prices far from
the market, oversized orders, proto3 zero defaults, duplicate names and oversized free text, each refused with
the field it names, over a real server (stepped ES replay at 6000.00/6000.25, TestClock, real PostgreSQL)."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from tests.integration.execution.desk import T0, S, bad_field, order
from tests.integration.risk.risk_desk import RiskDesk, open_risk_desk
from tests.kit.feeds import ES
from vigil.v1 import common_pb2, signals_pb2_grpc
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import risk_pb2 as rpb
from vigil.v1 import signals_pb2 as spb

HUGE = "1e28"  # Decimal's default context holds 28 digits: quotients of these used to raise DivisionImpossible


async def refused(call: Any, request: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(request)
    return caught.value


async def invalid(call: Any, request: Any) -> str:
    """The field an INVALID_ARGUMENT names."""
    error = await refused(call, request)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details())
    return bad_field(error)


def submit(rd: RiskDesk, spec: pb.OrderSpec, account_id: str = "paper") -> pb.SubmitOrderRequest:
    return pb.SubmitOrderRequest(account_id=account_id, order=spec)


async def test_prices_and_amounts_too_large_to_represent_are_invalid_arguments_naming_the_field(
    database_url: str,
) -> None:
    async with open_risk_desk(database_url) as rd:
        x = rd.orders
        lmt = order(order_type=pb.ORDER_TYPE_LIMIT, limit_price=HUGE)
        assert await invalid(x.SubmitOrder, submit(rd, lmt)) == "order.limit_price"
        stp = order(side=pb.ORDER_SIDE_BUY, order_type=pb.ORDER_TYPE_STOP, stop_price="1E+30")
        assert await invalid(x.SubmitOrder, submit(rd, stp)) == "order.stop_price"
        bracket = pb.BracketSpec(entry=order(), stop_loss_price=HUGE, take_profit_ticks=8)
        request = pb.SubmitBracketRequest(account_id="paper", bracket=bracket)
        assert await invalid(x.SubmitBracket, request) == "bracket.stop_loss_price"
        balance = pb.CreateAccountRequest(name="big", starting_balance="1e30")
        assert await invalid(x.CreateAccount, balance) == "starting_balance"

        for rules, field in [
            (rpb.RiskRules(daily_loss_limit="1e30"), "rules.daily_loss_limit"),
            (rpb.RiskRules(trailing_drawdown="1e30"), "rules.trailing_drawdown"),
            (rpb.RiskRules(trailing_drawdown="2000", trailing_lock_offset="1e30"), "rules.trailing_lock_offset"),
            (rpb.RiskRules(micro_fraction="0." + "1" * 40), "rules.micro_fraction"),
            (rpb.RiskRules(consistency_limit="1e-40"), "rules.consistency_limit"),
            (rpb.RiskRules(cooldown_minutes=2**31 - 1), "rules.cooldown_minutes"),
            (rpb.RiskRules(max_contracts=2**31 - 1), "rules.max_contracts"),
            (
                rpb.RiskRules(max_contracts=5, scaling_tiers=[rpb.ScalingTier(min_balance="0", max_contracts=2),
                                                              rpb.ScalingTier(min_balance=HUGE, max_contracts=5)]),
                "rules.scaling_tiers[1].min_balance",
            ),
        ]:  # fmt: skip
            request = rpb.SetRulesRequest(account_id="paper", rules=rules, use_rules=True)
            assert await invalid(rd.risk.SetRules, request) == field

        async with grpc.aio.insecure_channel(rd.desk.running.address) as channel:
            signals = signals_pb2_grpc.SignalServiceStub(channel)
            signal = spb.SignalInput(
                symbol=ES.id, direction=spb.SIGNAL_DIRECTION_BULLISH, signal_price=HUGE,
                signal_time_ns=T0 + S, timeframe=common_pb2.TIMEFRAME_1M, strategy="orb",
            )  # fmt: skip
            assert await invalid(signals.SubmitSignal, spb.SubmitSignalRequest(input=signal)) == "input.signal_price"


async def test_contracts_outside_their_listing_are_refused_for_orders_and_signals(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        # 18 Nov 2026: ESH2020 expired long ago; ESZ2028 is the ninth quarterly ahead, not listed yet.
        for symbol in ("ESH2020", "ESZ2028"):
            spec = pb.OrderSpec(symbol=symbol, side=pb.ORDER_SIDE_BUY, type=pb.ORDER_TYPE_MARKET, quantity=1)
            assert await invalid(rd.orders.SubmitOrder, submit(rd, spec)) == "order.symbol"
        oco = pb.SubmitOcoRequest(
            account_id="paper",
            first=order(order_type=pb.ORDER_TYPE_LIMIT, limit_price="5990.00"),
            second=pb.OrderSpec(symbol="NQH2020", side=pb.ORDER_SIDE_SELL, type=pb.ORDER_TYPE_LIMIT, quantity=1,
                                limit_price="9000.00"),
        )  # fmt: skip
        assert await invalid(rd.orders.SubmitOco, oco) == "second.symbol"
        async with grpc.aio.insecure_channel(rd.desk.running.address) as channel:
            signals = signals_pb2_grpc.SignalServiceStub(channel)
            signal = spb.SignalInput(
                symbol="ESH2020", direction=spb.SIGNAL_DIRECTION_BULLISH, signal_price="3000.00",
                signal_time_ns=T0 + S, timeframe=common_pb2.TIMEFRAME_1M, strategy="orb",
            )  # fmt: skip
            assert await invalid(signals.SubmitSignal, spb.SubmitSignalRequest(input=signal)) == "input.symbol"
        working = (await rd.orders.ListOrders(pb.ListOrdersRequest(account_id="paper", open_only=True))).orders
        assert list(working) == []


async def test_priced_orders_far_from_the_market_are_refused_naming_the_price_field(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        x = rd.orders
        # The market is 6000.00/6000.25: a buy limit 100x away, a sell limit at 25, a stop and a stop-limit's
        # limit beyond the default 10 % band.
        far = [
            (order(order_type=pb.ORDER_TYPE_LIMIT, limit_price="600000.00"), "order.limit_price"),
            (order(side=pb.ORDER_SIDE_SELL, order_type=pb.ORDER_TYPE_LIMIT, limit_price="25.00"), "order.limit_price"),
            (order(order_type=pb.ORDER_TYPE_STOP, stop_price="6700.00"), "order.stop_price"),
            (
                order(order_type=pb.ORDER_TYPE_STOP_LIMIT, stop_price="6010.00", limit_price="7000.00"),
                "order.limit_price",
            ),
        ]
        for spec, field in far:
            assert await invalid(x.SubmitOrder, submit(rd, spec)) == field
        near = (await x.SubmitOrder(submit(rd, order(order_type=pb.ORDER_TYPE_LIMIT, limit_price="5500.00")))).order
        assert near.status != pb.ORDER_STATUS_DENIED
        modify = pb.ModifyOrderRequest(order_id=near.order_id, limit_price="100.00")
        assert await invalid(x.ModifyOrder, modify) == "limit_price"
        entry = order(order_type=pb.ORDER_TYPE_LIMIT, limit_price="60000.00")
        bracket = pb.SubmitBracketRequest(
            account_id="paper", bracket=pb.BracketSpec(entry=entry, stop_loss_ticks=8, take_profit_ticks=8)
        )
        assert await invalid(x.SubmitBracket, bracket) == "bracket.entry.limit_price"


async def test_an_order_above_the_default_max_order_size_is_denied_with_the_numbers(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        denied = (await rd.orders.SubmitOrder(submit(rd, order(qty=101)))).order
        assert denied.status == pb.ORDER_STATUS_DENIED
        assert denied.reason == "max order size: 101 ES exceeds 100 contracts per order"
        allowed = (await rd.orders.SubmitOrder(submit(rd, order(qty=100)))).order
        assert allowed.status != pb.ORDER_STATUS_DENIED


async def test_create_account_refuses_impossible_balances_and_duplicate_names_and_names_work_as_ids(
    database_url: str,
) -> None:
    async with open_risk_desk(database_url) as rd:
        x = rd.orders
        for balance in ("0", "-100", "NaN", "Infinity", "0.001", "1e9", "50,000"):
            request = pb.CreateAccountRequest(name=f"eval {balance}", starting_balance=balance)
            assert await invalid(x.CreateAccount, request) == "starting_balance", balance
        # Omitted (or blank): the documented default, $50,000.
        blank = (await x.CreateAccount(pb.CreateAccountRequest(name="blank", starting_balance="  "))).account
        assert blank.starting_balance == "50000"
        made = (await x.CreateAccount(pb.CreateAccountRequest(name="eval-1", starting_balance="25000"))).account
        assert made.starting_balance == "25000"
        for name in ("eval-1", "EVAL-1", " eval-1 ", "paper", made.account_id):
            error = await refused(x.CreateAccount, pb.CreateAccountRequest(name=name))
            assert error.code() is grpc.StatusCode.ALREADY_EXISTS, name

        by_name = (await x.GetAccount(pb.GetAccountRequest(account_id="eval-1"))).account
        assert by_name.account_id == made.account_id
        placed = (await x.SubmitOrder(submit(rd, order(), account_id="eval-1"))).order
        assert placed.account_id == made.account_id
        rules = await rd.risk.SetRules(rpb.SetRulesRequest(account_id="eval-1", preset="topstep_50k"))
        assert rules.rules.preset == "topstep_50k"
        status = (await rd.risk.GetRiskStatus(rpb.GetRiskStatusRequest(account_id="eval-1"))).statuses
        assert [s.account_id for s in status] == [made.account_id]
        error = await refused(x.GetAccount, pb.GetAccountRequest(account_id="nobody"))
        assert error.code() is grpc.StatusCode.NOT_FOUND


async def test_oversized_free_text_is_refused_naming_the_field(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        big = "x" * 100_000
        assert await invalid(rd.risk.EmergencyStop, rpb.EmergencyStopRequest(reason=big)) == "reason"
        status = (await rd.risk.GetRiskStatus(rpb.GetRiskStatusRequest(account_id="paper"))).statuses[0]
        assert not status.emergency_stop
        assert await invalid(rd.orders.GetAccount, pb.GetAccountRequest(account_id=big)) == "account_id"
        assert await invalid(rd.orders.CancelOrder, pb.CancelOrderRequest(order_id=big)) == "order_id"
        assert await invalid(rd.risk.SetRules, rpb.SetRulesRequest(account_id="paper", preset=big)) == "preset"
        windows = rpb.RiskRules(trading_windows=[big])
        request = rpb.SetRulesRequest(account_id="paper", rules=windows, use_rules=True)
        assert await invalid(rd.risk.SetRules, request) == "rules.trading_windows"
        async with grpc.aio.insecure_channel(rd.desk.running.address) as channel:
            signals = signals_pb2_grpc.SignalServiceStub(channel)
            assert await invalid(signals.ListSignals, spb.ListSignalsRequest(strategy=big)) == "strategy"
            assert await invalid(signals.GetSignal, spb.GetSignalRequest(signal_id=big)) == "signal_id"
