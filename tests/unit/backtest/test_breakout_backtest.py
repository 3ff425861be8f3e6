"""The first-hour breakout (SPEC §7) backtested through the StrategyHost: the worked day trade by trade in dollars,
and Friday's unfilled ladder living over the weekend to Monday's cancel (5 minutes before the open)."""

from __future__ import annotations

from datetime import datetime

from core_server.backtest.config import FillModel
from core_server.backtest.driver import Backtest
from core_server.backtest.report import build_report
from core_server.backtest.source import TickList
from core_server.backtest_jobs.settings import RunSettings
from core_server.backtest_jobs.strategies import strategy_stage
from core_server.execution.model import OrderRole
from core_server.model.clock import NS_PER_SECOND
from core_server.model.instruments import EASTERN_TZ, Contract
from core_server.model.market_data import Tick
from tests.kit.feeds import quote, trade
from tests.kit.time import et

ES = Contract("ES", 2025, 12)
S = NS_PER_SECOND


def step(ts: int, price: str) -> list[Tick]:
    """A quote with its bid at `price` (ask one tick above) and a trade at `price`."""
    ask = f"{float(price) + 0.25:.2f}"
    return [quote(ES, ts, price, ask), trade(ES, ts, price)]


def first_hour(y: int, m: int, d: int) -> list[Tick]:
    """Trades between 6772.50 and 6774.25 from 09:30 to 10:29 ET (SPEC §7's worked range)."""
    prices = ["6773.00", "6774.25", "6772.50", "6773.50"]
    return [t for i in range(60) for t in step(et(y, m, d, 9, 30) + i * 60 * S, prices[i % 4])]


def run(ticks: list[Tick], first: str, last: str) -> tuple[Backtest, dict[str, object]]:
    settings = RunSettings(ES.id, first, last, "first-hour-breakout")
    config = settings.config()
    assert config.fill == FillModel.ideal()
    stage, _, setup = strategy_stage(settings, config)
    backtest = Backtest(config, strategies=stage)
    setup(backtest)
    record = backtest.run(TickList(ticks, batch=50))
    return backtest, build_report(config, record)


def test_the_worked_breakout_day_trade_by_trade_in_dollars() -> None:
    day = (2025, 10, 8)  # a Wednesday
    ticks = first_hour(*day)
    path = [("10:31", "6780.00"), ("10:40", "6783.50"), ("10:50", "6777.75"), ("11:00", "6785.00"),
            ("11:10", "6792.50"), ("11:20", "6797.00"), ("11:30", "6780.00")]  # fmt: skip
    for hhmm, price in path:
        hour, minute = map(int, hhmm.split(":"))
        ticks += step(et(*day, hour, minute), price)
    backtest, report = run(ticks, "2025-10-08", "2025-10-08")
    entries = sorted(
        (o.side.name, ES.spec.format_ticks(o.limit_price or 0))
        for o in backtest.record.orders
        if o.role is OrderRole.BRACKET_ENTRY
    )
    assert entries == sorted(
        [("SELL", p) for p in ("6783.25", "6792.25", "6801.25", "6810.25", "6819.25")]
        + [("BUY", p) for p in ("6763.50", "6754.50", "6745.50", "6736.50", "6727.50")]
    )
    placed = {o.submitted_ns for o in backtest.record.orders if o.role is OrderRole.BRACKET_ENTRY}
    assert placed == {et(*day, 10, 30)}
    rows = [{k: t[k] for k in ("side", "entry_price", "stop", "target", "exit_price", "exit_reason", "gross",
                                "commission", "net", "r", "strategy")} for t in report["trades"]]  # type: ignore[union-attr]  # fmt: skip
    assert rows == [
        {"side": "short", "entry_price": "6783.25", "stop": "6788.25", "target": "6778.25", "exit_price": "6778.25",
         "exit_reason": "TP", "gross": "250.00", "commission": "5.00", "net": "245.00", "r": "1.0000",
         "strategy": "first-hour-breakout"},
        {"side": "short", "entry_price": "6792.25", "stop": "6797.25", "target": "6787.25", "exit_price": "6797.25",
         "exit_reason": "SL", "gross": "-250.00", "commission": "5.00", "net": "-255.00", "r": "-1.0000",
         "strategy": "first-hour-breakout"},
    ]  # fmt: skip
    assert report["summary"]["net"] == "-10.00"  # type: ignore[index]
    (day_row,) = report["days"]  # type: ignore[misc]
    placed_notes = [n["message"] for n in day_row["strategy_events"] if n["kind"] == "placed"]
    assert placed_notes == [
        "first hour high 6774.25 low 6772.50: sells at 6783.25, 6792.25, 6801.25, 6810.25, 6819.25; "
        "buys at 6763.50, 6754.50, 6745.50, 6736.50, 6727.50"
    ]  # the day's levels, as the strategy computed them


def test_fridays_unfilled_ladder_lives_over_the_weekend_to_mondays_cancel() -> None:
    ticks = first_hour(2025, 10, 10) + step(et(2025, 10, 10, 11, 0), "6775.00")
    ticks += step(et(2025, 10, 13, 8, 0), "6775.00") + step(et(2025, 10, 13, 9, 0), "6775.25")
    backtest, report = run(ticks, "2025-10-10", "2025-10-13")
    entries = [o for o in backtest.record.orders if o.role is OrderRole.BRACKET_ENTRY]
    assert len(entries) == 10 and {o.submitted_ns for o in entries} == {et(2025, 10, 10, 10, 30)}
    cancel_days = {d["date"]: d["orders_cancelled"] for d in report["days"]}  # type: ignore[union-attr]
    assert cancel_days.get("2025-10-10", "0") == "0"  # nothing cancelled on Friday
    assert int(cancel_days["2025-10-13"]) >= 10  # Monday 09:25 ET: the ladder (and its held exits) cancelled
    notes = [n for d in report["days"] for n in d["strategy_events"] if n["kind"] == "cancelled"]  # type: ignore[union-attr]
    assert [datetime.fromtimestamp(int(n["ts_ns"]) // S, EASTERN_TZ).strftime("%a %H:%M") for n in notes] == [
        "Mon 09:25"
    ]
