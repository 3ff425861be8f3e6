"""Positions and cash in exact dollars: realised on reductions and flips, commissions, unrealised, equity."""

from __future__ import annotations

from decimal import Decimal

from core_server.execution.accounts import CommissionSchedule
from core_server.execution.events import AccountBalanceChanged, PositionChanged
from core_server.execution.model import MarkPrice, OrderSide
from tests.unit.execution.execution_kit import ACC, BUY, ES, MES, NQ, SELL, D, Rig, ticks


def trade_at(rig: Rig, contract: str, side: OrderSide, qty: int, bid: str, ask: str, at: int) -> tuple[object, ...]:
    """A market order that fills on the quote `bid`/`ask` 100 ms (the latency) after `at`."""
    rig.submit(contract, side, qty, at=at)
    return rig.quote(contract, bid, ask, at=at + 100)


def test_es_five_point_winner_on_one_contract_is_250_gross_and_245_net() -> None:
    rig = Rig()
    trade_at(rig, ES, BUY, 1, "5999.75", "6000.00", at=0)  # bought at the ask, 6000.00
    events = trade_at(rig, ES, SELL, 1, "6005.00", "6005.25", at=1000)  # sold at the bid, 6005.00
    changed = next(e for e in events if isinstance(e, PositionChanged))
    assert changed.realised_ticks == 20 and changed.realised_pnl == D("250.00")
    balance = next(e for e in events if isinstance(e, AccountBalanceChanged))
    assert balance.realised_pnl == D("250.00") and balance.commission == D("2.50")
    account = rig.engine.account(ACC)
    assert account.realised_pnl == D("250") and account.commissions == D("5.00")
    assert account.balance == D("50245.00")
    assert rig.engine.position(ACC, ES).is_flat


def test_nq_ten_point_loser_on_two_contracts_is_minus_400_gross_and_minus_410_net() -> None:
    rig = Rig()
    trade_at(rig, NQ, BUY, 2, "20999.75", "21000.00", at=0)
    trade_at(rig, NQ, SELL, 2, "20990.00", "20990.25", at=1000)
    account = rig.engine.account(ACC)
    assert account.realised_pnl == D("-400.00") and account.commissions == D("10.00")
    assert account.balance == D("49590.00")


def test_mes_short_winner_on_three_contracts_with_a_per_root_commission() -> None:
    rig = Rig(commissions=CommissionSchedule({"MES": D("0.62")}))
    trade_at(rig, MES, SELL, 3, "6003.50", "6003.75", at=0)  # sold at 6003.50
    trade_at(rig, MES, BUY, 3, "5999.75", "6000.00", at=1000)  # covered at 6000.00
    account = rig.engine.account(ACC)
    assert account.realised_pnl == D("52.50")  # 3.5 points x $5 x 3
    assert account.commissions == D("3.72")  # 6 sides x $0.62
    assert account.balance == D("50048.78")


def test_es_short_winner_uses_the_point_value() -> None:
    rig = Rig()
    trade_at(rig, ES, SELL, 1, "6000.00", "6000.25", at=0)
    trade_at(rig, ES, BUY, 1, "5990.00", "5990.25", at=1000)
    assert rig.engine.account(ACC).realised_pnl == D("487.50")  # 9.75 points x $50


def test_adding_keeps_an_exact_average_and_reductions_realise_fifo() -> None:
    rig = Rig()
    trade_at(rig, ES, BUY, 1, "5999.75", "6000.00", at=0)
    trade_at(rig, ES, BUY, 2, "6000.75", "6001.00", at=1000)
    position = rig.engine.position(ACC, ES)
    assert position.net_qty == 3 and position.open_cost == ticks(ES, "6000.00") + 2 * ticks(ES, "6001.00")
    assert position.avg_price_ticks() == Decimal(72008) / 3  # 6000.666... points
    trade_at(rig, ES, SELL, 1, "6002.00", "6002.25", at=2000)
    position = rig.engine.position(ACC, ES)
    assert position.realised_ticks == 8 and position.realised_pnl == D("100.00")  # the 6000.00 lot first
    assert position.avg_price_ticks() == ticks(ES, "6001.00")


def test_a_flip_realises_the_old_side_and_opens_the_rest_at_the_fill_price() -> None:
    rig = Rig()
    trade_at(rig, ES, BUY, 1, "5999.75", "6000.00", at=0)
    events = trade_at(rig, ES, SELL, 3, "6002.00", "6002.25", at=1000)
    changed = next(e for e in events if isinstance(e, PositionChanged))
    assert changed.realised_pnl == D("100.00")
    assert changed.position.net_qty == -2 and changed.position.avg_price_ticks() == ticks(ES, "6002.00")
    assert rig.engine.account(ACC).commissions == D("10.00")  # 1 + 3 contracts


def test_unrealised_marks_to_the_last_trade_or_to_the_exit_side_of_the_quote() -> None:
    last = Rig(mark=MarkPrice.LAST_TRADE)
    exit_side = Rig(mark=MarkPrice.BID_ASK)
    for rig in (last, exit_side):
        trade_at(rig, ES, BUY, 2, "5999.75", "6000.00", at=0)
        rig.trade(ES, "6003.00", at=500)
        rig.quote(ES, "6002.50", "6002.75", at=600)
    by_trade = last.engine.unrealised(ACC, ES)
    assert (by_trade.mark, by_trade.points, by_trade.dollars) == (ticks(ES, "6003.00"), D("6.00"), D("300.00"))
    by_bid = exit_side.engine.unrealised(ACC, ES)
    assert (by_bid.mark, by_bid.points, by_bid.dollars) == (ticks(ES, "6002.50"), D("5.00"), D("250.00"))
    assert exit_side.engine.equity(ACC) == D("50000") - D("5.00") + D("250.00")


def test_a_short_is_marked_at_the_ask() -> None:
    rig = Rig(mark=MarkPrice.BID_ASK)
    trade_at(rig, NQ, SELL, 1, "21000.00", "21000.25", at=0)
    rig.quote(NQ, "21004.75", "21005.00", at=500)
    assert rig.engine.unrealised(ACC, NQ).dollars == D("-100.00")  # 5 points x $20
    assert rig.engine.equity(ACC) == D("49897.50")


def test_unrealised_is_zero_with_no_mark_and_when_flat() -> None:
    rig = Rig()
    trade_at(rig, ES, BUY, 1, "5999.75", "6000.00", at=0)
    assert rig.engine.unrealised(ACC, ES).mark is None and rig.engine.unrealised(ACC, ES).dollars == 0
    assert rig.engine.unrealised(ACC, NQ).dollars == 0
