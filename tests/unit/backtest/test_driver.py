"""The backtest driver on hand-made tapes: fills in $ through the kernel, gaps, a tick spanning stop and target,
event-time arrivals, a risk preset's failed day, determinism and the bracket-a-day strategy stage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core_server.backtest.bracket_a_day import BracketADay
from core_server.backtest.config import BacktestConfig, FillModel
from core_server.backtest.driver import Backtest, BacktestCancelled
from core_server.backtest.report import build_report
from core_server.backtest.source import TickList
from core_server.execution.commands import ExecutionCommand, ExitOffset, SubmitBracket, SubmitOrder
from core_server.execution.model import AccountId, OrderSide, OrderType
from core_server.model.clock import NS_PER_MS, NS_PER_SECOND
from core_server.model.market_data import Tick
from core_server.trades.model import ExitReason
from tests.kit.feeds import ES, quote, trade
from tests.kit.time import ct

T0 = ct(2026, 11, 18, 9, 0)  # Wednesday, regular session
S, MS = NS_PER_SECOND, NS_PER_MS
ACC = AccountId("backtest")
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def cfg(**kw: object) -> BacktestConfig:
    settings: dict[str, object] = {"fill": FillModel.ideal(), "start_ns": T0 - S, "end_ns": T0 + 3600 * S}
    settings.update(kw)
    return BacktestConfig((ES,), **settings)  # type: ignore[arg-type]


def run(ticks: list[Tick], commands: list[tuple[int, ExecutionCommand]], **kw: object) -> Backtest:
    backtest = Backtest(cfg(**kw), commands=commands)
    backtest.run(TickList(ticks, batch=3))
    return backtest


def bracket(side: OrderSide, entry: str, stop: str, target: str, kind: OrderType = OrderType.LIMIT) -> SubmitBracket:
    return SubmitBracket(ACC, ES.id, side, 1, kind, Decimal(stop), Decimal(target), entry_price=Decimal(entry))


def test_a_five_point_winner_is_250_dollars_gross_and_5_in_commissions() -> None:
    ticks = [quote(ES, T0, "6000.00", "6000.25"), quote(ES, T0 + 2 * S, "6001.00", "6001.25"),
             trade(ES, T0 + 3 * S, "6005.50"), quote(ES, T0 + 4 * S, "6005.25", "6005.50")]  # fmt: skip
    command = SubmitBracket(ACC, ES.id, BUY, 1, OrderType.MARKET, Decimal("5995.25"), Decimal("6005.25"))
    backtest = run(ticks, [(T0 + S, command)])
    assert not backtest.refused
    (trip,) = backtest.record.closed_trips()
    assert trip.avg_entry_ticks == ES.spec.ticks_from_price("6000.25")
    assert trip.gross == Decimal("250.00") and trip.commissions == Decimal("5.00") and trip.net == Decimal("245.00")
    assert trip.exit_reason is ExitReason.TARGET and trip.result_r == 1


def test_a_gap_through_entry_and_stop_fills_both_on_the_one_tick() -> None:
    # A sell limit at 6783.25 with its stop at 6788.25; the market gaps from 6780 to 6790 in one quote: the entry
    # fills at its limit; its stop is already through, so the engine refuses the stop leg (STOP_THROUGH) and closes
    # the trade at market on the same tick, at the ask (execution.linkage).
    ticks = [quote(ES, T0, "6780.00", "6780.25"), quote(ES, T0 + 2 * S, "6790.00", "6790.25")]
    backtest = run(ticks, [(T0 + S, bracket(SELL, "6783.25", "6788.25", "6778.25"))])
    (trip,) = backtest.record.closed_trips()
    assert [ES.spec.format_ticks(f.price) for f in backtest.record.fills] == ["6783.25", "6790.25"]
    assert trip.opened_ns == trip.closed_ns == T0 + 2 * S
    assert trip.exit_reason is ExitReason.CLOSE
    assert trip.gross == Decimal("-350.00") and trip.net == Decimal("-355.00")


def test_a_tick_spanning_stop_and_target_fills_the_stop() -> None:
    # Long 6000.25, stop 5995.25, target 6005.25; one quote with its bid below the stop and its ask above the
    # target: a sell exits at the bid, so the stop fills and the target does not (the conservative reading).
    ticks = [quote(ES, T0, "6000.00", "6000.25"), quote(ES, T0 + 2 * S, "6000.00", "6000.25"),
             quote(ES, T0 + 3 * S, "5995.00", "6005.50")]  # fmt: skip
    command = SubmitBracket(ACC, ES.id, BUY, 1, OrderType.MARKET, Decimal("5995.25"), Decimal("6005.25"))
    backtest = run(ticks, [(T0 + S, command)])
    (trip,) = backtest.record.closed_trips()
    assert trip.exit_reason is ExitReason.STOP
    assert ES.spec.format_ticks(backtest.record.fills[-1].price) == "5995.00"
    assert trip.gross == Decimal("-262.50")


def test_an_order_arrives_at_its_due_instant_against_the_last_quote() -> None:
    # 100 ms latency: the market buy sent at T0+1s arrives at T0+1.1s, before the next tick (T0+2s), and fills at
    # the ask of the quote standing then.
    ticks = [quote(ES, T0, "6000.00", "6000.25"), quote(ES, T0 + 2 * S, "6010.00", "6010.25")]
    order = SubmitOrder(ACC, ES.id, BUY, 1, OrderType.MARKET)
    backtest = run(ticks, [(T0 + S, order)], fill=FillModel(latency_min_ms=100, latency_max_ms=100))
    (fill,) = backtest.record.fills
    assert (ES.spec.format_ticks(fill.price), fill.ts_event) == ("6000.25", T0 + S + 100 * MS)


def test_the_report_sums_market_and_stop_slippage_against_each_orders_reference() -> None:
    # A market buy accepted at the 6000.25 ask fills 100 ms later at 6001.25 (the quote moved meanwhile): 4 ticks
    # x $12.50 = $50. Its stop at 5995.25 is gapped through and fills at the 5990.00 bid: 5.25 points = 21 ticks
    # = $262.50. Slippage paid: $312.50; the gross carries the same money (-$562.50: 11.25 points x $50).
    ticks = [quote(ES, T0, "6000.00", "6000.25"), quote(ES, T0 + S + 50 * MS, "6001.00", "6001.25"),
             quote(ES, T0 + 2 * S, "5990.00", "5990.25")]  # fmt: skip
    command = SubmitBracket(ACC, ES.id, BUY, 1, OrderType.MARKET, Decimal("5995.25"), Decimal("6010.25"))
    backtest = run(ticks, [(T0 + S, command)], fill=FillModel(latency_min_ms=100, latency_max_ms=100))
    entry = backtest.record.orders[0]
    assert entry.reference_price == ES.spec.ticks_from_price("6000.25")
    assert [ES.spec.format_ticks(f.price) for f in backtest.record.fills] == ["6001.25", "5990.00"]
    summary = build_report(backtest.config, backtest.record)["summary"]
    assert (summary["gross"], summary["slippage"]) == ("-562.50", "312.50")


def test_the_same_inputs_and_seed_give_the_same_decisions_and_another_seed_other_draws() -> None:
    ticks = [quote(ES, T0 + i * 250 * MS, f"{6000 + (i % 7) * 0.25:.2f}", f"{6000.25 + (i % 7) * 0.25:.2f}")
             for i in range(400)]  # fmt: skip
    near = ExitOffset(Decimal(3))
    commands: list[tuple[int, ExecutionCommand]] = [
        (T0 + k * 7 * S, SubmitBracket(ACC, ES.id, BUY if k % 2 else SELL, 1, OrderType.MARKET, near, near))
        for k in range(1, 14)
    ]
    paper = FillModel(slippage_ticks=2, latency_min_ms=50, latency_max_ms=400)

    def figures(seed: int) -> list[object]:
        record = run(ticks, commands, fill=paper, seed=seed).record
        return [*record.fills, *record.trips.values()]

    assert figures(3) == figures(3)
    assert len(figures(3)) > 30
    assert figures(3) != figures(4)  # other latency and slippage draws


def test_a_preset_reports_the_day_the_evaluation_failed() -> None:
    # Topstep 50K: the $2,000 drawdown fails the account. Five contracts long from 6000.25; a trade at 5992.00
    # is 8.25 points x 5 x $50 = $2,062.50 down.
    ticks = [quote(ES, T0, "6000.00", "6000.25"), quote(ES, T0 + 2 * S, "6000.00", "6000.25"),
             quote(ES, T0 + 3 * S, "5992.00", "5992.25"), trade(ES, T0 + 3 * S, "5992.00")]  # fmt: skip
    order = SubmitOrder(ACC, ES.id, BUY, 5, OrderType.MARKET)
    backtest = run(ticks, [(T0 + S, order)], preset="topstep_50k")
    record = backtest.record
    assert record.failed_day == date(2026, 11, 18), record.risk


def test_the_bracket_a_day_stage_trades_once_each_day_and_a_run_can_be_cancelled() -> None:
    start = ct(2026, 11, 16, 8, 0)
    ticks = [quote(ES, ct(2026, 11, d, 8, 30) + i * S, "6000.00", "6000.25") for d in (16, 17) for i in range(3600)]
    config = cfg(start_ns=start, end_ns=ct(2026, 11, 18, 0, 0))
    stage = BracketADay("backtest", ES.id, start)
    record = Backtest(config, strategies=stage).run(TickList(ticks, batch=1000))
    assert stage.placed == 2 and len(record.orders) == 6  # an entry and two exits a day
    assert [f.ts_event for f in record.fills] == [ct(2026, 11, 16, 9, 0), ct(2026, 11, 17, 9, 0)]
    polls = iter([False, True])
    try:
        Backtest(config, strategies=BracketADay("backtest", ES.id, start)).run(
            TickList(ticks, batch=1000), cancelled=lambda: next(polls)
        )
    except BacktestCancelled:
        pass
    else:
        raise AssertionError("not cancelled")
