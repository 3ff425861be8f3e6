"""The backtest report: a trade row by hand in $ and R, summary and equity, byte-identical JSON for the same run,
the CSV of trades and an HTML report that needs nothing from the network."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from core_server.backtest.bracket_a_day import BracketADay
from core_server.backtest.config import BacktestConfig, FillModel
from core_server.backtest.driver import Backtest
from core_server.backtest.html_report import render_html
from core_server.backtest.report import RunInfo, build_report, to_json, trades_csv
from core_server.backtest.source import TickList
from core_server.execution.commands import SubmitBracket, SubmitOrder
from core_server.execution.model import OrderType
from core_server.model.market_data import Tick
from tests.kit.feeds import ES, quote, trade
from tests.kit.time import ct
from tests.unit.backtest.test_driver import ACC, BUY, SELL, T0, S, cfg, run

WINNER_AND_LOSER: list[Tick] = [
    quote(ES, T0, "6000.00", "6000.25"), quote(ES, T0 + 2 * S, "6001.00", "6001.25"), trade(ES, T0 + 3 * S, "6003.00"),
    trade(ES, T0 + 4 * S, "6005.50"), quote(ES, T0 + 5 * S, "6005.25", "6005.50"),
    quote(ES, T0 + 12 * S, "6008.00", "6008.25"),
]  # fmt: skip


def two_trades() -> dict[str, object]:
    long = SubmitBracket(ACC, ES.id, BUY, 1, OrderType.MARKET, Decimal("5995.25"), Decimal("6005.25"))
    short = SubmitBracket(ACC, ES.id, SELL, 2, OrderType.MARKET, Decimal("6007.25"), Decimal("5990.00"))
    backtest = run(WINNER_AND_LOSER, [(T0 + S, long), (T0 + 6 * S, short)])
    return build_report(backtest.config, backtest.record, RunInfo("manual", 1, "test"))


def test_a_trade_row_in_dollars_points_r_and_excursion() -> None:
    report = two_trades()
    winner, loser = report["trades"]  # type: ignore[index]
    assert {k: winner[k] for k in ("side", "entry_price", "stop", "target", "exit_price", "exit_reason", "points",
                                   "gross", "commission", "net", "r", "mfe_r", "entry_day", "exit_day")} == {
        "side": "long", "entry_price": "6000.25", "stop": "5995.25", "target": "6005.25", "exit_price": "6005.25",
        "exit_reason": "TP", "points": "5.00", "gross": "250.00", "commission": "5.00", "net": "245.00",
        "r": "1.0000", "mfe_r": "1.0000", "entry_day": "2026-11-18", "exit_day": "2026-11-18",
    }  # fmt: skip
    # Short 2 from 6005.25 (the bid), stopped when the ask reaches 6008.25 >= 6007.25: filled at the ask, 3 points x 2.
    assert {k: loser[k] for k in ("side", "quantity", "entry_price", "exit_price", "exit_reason", "points", "gross",
                                  "commission", "net")} == {
        "side": "short", "quantity": "2", "entry_price": "6005.25", "exit_price": "6008.25", "exit_reason": "SL",
        "points": "-3.00", "gross": "-300.00", "commission": "10.00", "net": "-310.00",
    }  # fmt: skip
    summary = report["summary"]
    assert summary["net"] == "-65.00" and summary["win_rate"] == "0.5000"  # type: ignore[index]
    assert summary["profit_factor"] == "0.7903" and summary["max_drawdown"] == "310.00"  # type: ignore[index]
    assert [p["equity"] for p in report["equity"]] == ["50245.00", "49935.00"]  # type: ignore[index]
    assert [p["drawdown"] for p in report["equity"]] == ["0.00", "-310.00"]  # type: ignore[index]
    (day,) = report["days"]  # type: ignore[misc]
    assert (day["orders_placed"], day["orders_filled"], day["orders_cancelled"], day["net"]) == (
        "6",
        "4",
        "2",
        "-65.00",
    )


def test_the_same_run_gives_byte_identical_json_and_the_csv_has_every_trade() -> None:
    def report_text() -> str:
        start = ct(2026, 11, 16, 8, 0)
        ticks = [quote(ES, ct(2026, 11, d, 8, 30) + i * S, f"{6000 + (i % 40) * 0.25:.2f}",
                       f"{6000.25 + (i % 40) * 0.25:.2f}") for d in (16, 17, 18) for i in range(5400)]  # fmt: skip
        config = BacktestConfig((ES,), start, ct(2026, 11, 19, 0, 0), fill=FillModel(2, 2, 10, 300), seed=9)
        backtest = Backtest(config, strategies=BracketADay("backtest", ES.id, start, distance_ticks=8))
        return to_json(build_report(config, backtest.run(TickList(ticks, batch=777)), RunInfo("bracket-a-day", 1)))

    first = report_text()
    assert first == report_text()
    report = json.loads(first)
    assert len(report["trades"]) == 3
    csv_text = trades_csv(report)
    assert csv_text.splitlines()[0].startswith("trade_id,strategy,strategy_version,contract,side,quantity")
    assert len(csv_text.splitlines()) == 4


def test_the_html_report_is_self_contained() -> None:
    page = render_html(two_trades())
    assert page.count("<svg") == 3 and "<polyline" in page
    assert not re.search(r"(src|href)=|https?://|<script", page)
    assert "6005.25" in page and "-310.00" in page


def test_a_run_without_trades_still_reports() -> None:
    backtest = run([quote(ES, T0, "6000.00", "6000.25")], [], fill=FillModel.ideal(touch=True))
    report = build_report(cfg(), backtest.record)
    assert report["summary"]["trades"] == "0" and report["trades"] == [] and report["equity"] == []
    assert "No trade has an R" in render_html(report)


def test_a_trade_closed_by_the_presets_flat_by_is_an_end_of_day_exit() -> None:
    # Topstep 50K flattens at 15:10 CT: a long bought at 15:00 and never exited closes then, as "EOD".
    at = ct(2026, 11, 18, 15, 0)
    ticks = [quote(ES, at, "6000.00", "6000.25"), quote(ES, at + 2 * S, "6000.00", "6000.25")]
    ticks += [quote(ES, at + i * 60 * S, "6001.00", "6001.25") for i in range(3, 20)]
    order = SubmitOrder(ACC, ES.id, BUY, 1, OrderType.MARKET)
    backtest = run(ticks, [(at + S, order)], preset="topstep_50k", end_ns=at + 3600 * S)
    (trade,) = build_report(backtest.config, backtest.record)["trades"]
    assert (trade["exit_reason"], int(trade["exit_ns"])) == ("EOD", ct(2026, 11, 18, 15, 10))
    assert (trade["exit_price"], trade["gross"]) == ("6001.00", "37.50")
