"""AnalyticsService over a real server and real PostgreSQL: two NQ trades from real paper fills (a break-even
scratch and a stop-out), their statistics, calendar day, equity day, excursions and journal, and bad requests.

NQ long x2 filled at 25000.00, stop 24975.00: 1R = 25 points = 100 ticks = $500 a contract; fees $2.50 a fill.
- T1: MFE +1R (25025.00) moves the stop to entry, out at 25000.00: gross $0, net -$10, 0R, a BE scratch.
- T2: stopped at 24975.00: gross -$1,000, net -$1,010, -1R.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from core_server.app import RunningServer
from tests.integration.api.test_trade_service import bad_field, nq_long, play
from tests.kit.eventually import eventually
from vigil.v1 import analytics_pb2 as pb
from vigil.v1 import analytics_pb2_grpc as pb_grpc
from vigil.v1 import execution_pb2_grpc as xpb_grpc
from vigil.v1 import trades_pb2 as tpb


async def test_statistics_of_two_real_trades(channel: grpc.aio.Channel, two_trades: list[tpb.TrackedTrade]) -> None:
    assert [(t.net_pnl, t.result_r) for t in two_trades] == [("-10.00", "0.00"), ("-1010.00", "-1.00")]
    stub = pb_grpc.AnalyticsServiceStub(channel)
    answer = await stub.GetStatistics(pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(account_ids=["paper"])))
    s = answer.overall
    assert (s.trades, s.wins, s.losses, s.scratches, s.win_rate) == (2, 0, 2, 0, "0")
    assert (s.net_pnl, s.gross_pnl, s.commissions) == ("-1020.00", "-1000.00", "20.00")
    assert (s.average_loss, s.largest_loss, s.profit_factor, s.expectancy) == ("-510", "-1010.00", "0", "-510")
    assert (s.r_trades, s.expectancy_r, s.sqn) == (2, "-0.5", "-1.0000")  # R 0 and -1: sqrt(2) x -0.5 / sqrt(0.5)
    assert (s.be_scratches, s.be_scratch_r_given_up) == (1, "1")
    assert (s.max_drawdown.amount, s.max_drawdown.percent) == ("1020.00", "0.0204")  # of $50,000
    assert (s.longest_loss_streak, s.trading_days, s.losing_days) == (2, 1, 1)
    holds = [t.closed_ns - t.opened_ns for t in two_trades]
    assert s.average_hold_ns == sum(holds) // 2 and s.average_hold_loss_ns == s.average_hold_ns


async def test_grouping_filters_and_the_journal(channel: grpc.aio.Channel, two_trades: list[tpb.TrackedTrade]) -> None:
    stub = pb_grpc.AnalyticsServiceStub(channel)
    grouped = await stub.GetStatistics(
        pb.GetStatisticsRequest(group_by=pb.STATISTICS_GROUP_BY_SESSION, filter=pb.AnalyticsFilter(roots=["NQ"]))
    )
    assert [(g.label, g.statistics.trades) for g in grouped.groups] == [("NY AM", 2)]  # 10:00 ET
    updated = await stub.UpdateJournal(
        pb.UpdateJournalRequest(trade_id=two_trades[1].trade_id, tags=["fomo", "fomo", " late "], setup="ORB", rating=2)
    )
    assert (list(updated.trade.tags), updated.trade.setup, updated.trade.rating) == (["fomo", "late"], "ORB", 2)
    tagged = await stub.GetStatistics(pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(tags=["fomo"])))
    assert (tagged.overall.trades, tagged.overall.net_pnl) == (1, "-1010.00")
    none = await stub.GetStatistics(pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(sources=["imported"])))
    assert none.overall.trades == 0 and none.overall.win_rate == ""


async def test_calendar_equity_and_excursions(channel: grpc.aio.Channel, two_trades: list[tpb.TrackedTrade]) -> None:
    stub = pb_grpc.AnalyticsServiceStub(channel)
    cal = await stub.GetCalendar(pb.GetCalendarRequest(from_month="2026-11"))
    assert [(d.date, d.net_pnl, d.trades, d.losses, d.win_rate) for d in cal.days] == [
        ("2026-11-19", "-1020.00", 2, 2, "0")
    ]
    assert [(w.date, w.net_pnl) for w in cal.weeks] == [("2026-11-16", "-1020.00")]
    assert (cal.total.net_pnl, cal.total.commissions) == ("-1020.00", "20.00")
    assert len((await stub.GetCalendar(pb.GetCalendarRequest(from_month="2026-10"))).days) == 0

    equity = await stub.GetEquityCurve(pb.GetEquityCurveRequest(account_id="paper"))
    assert equity.starting_balance == "50000"
    [day] = equity.days
    assert (day.date, day.start_balance, day.end_balance, day.high_water, day.drawdown, day.floor) == (
        "2026-11-19", "50000", "48980.00", "50000", "1020.00", ""
    )  # fmt: skip

    ex = await stub.GetExcursions(pb.GetExcursionsRequest())
    assert [(t.result_r, t.mfe_r, t.mae_r, t.be_scratch) for t in ex.trades] == [
        ("-1", "0", "-1", False),
        ("0", "1", "-0.6", True),
    ]
    assert (ex.be_scratches, ex.left_on_table_r) == (1, "2")


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(roots=["XX"])), "filter.roots"),
        (pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(hours=[24])), "filter.hours"),
        (pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(weekdays=[0])), "filter.weekdays"),
        (pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(session_windows=["Tokyo"])), "filter.session_windows"),
        (pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(from_date="2026-13-01")), "filter.from_date"),
        (pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(sources=["broker"])), "filter.sources"),
        (pb.GetStatisticsRequest(group_by=99), "group_by"),  # type: ignore[arg-type]
        (pb.GetCalendarRequest(from_month="2026-13"), "from_month"),
        (pb.GetCalendarRequest(from_month="2026-01", to_month="2028-02"), "to_month"),
        (pb.GetEquityCurveRequest(account_id=""), "account_id"),
        (pb.GetEquityCurveRequest(account_id="paper", from_date="0001-01-01"), "from_date"),
        (pb.UpdateJournalRequest(trade_id="T-1", rating=6), "rating"),
        (pb.UpdateJournalRequest(trade_id="T-1", tags=["x" * 33]), "tags"),
    ],
)
async def test_bad_requests_name_their_field(channel: grpc.aio.Channel, request_: object, field: str) -> None:
    stub = pb_grpc.AnalyticsServiceStub(channel)
    method: Any = {
        pb.GetStatisticsRequest: stub.GetStatistics,
        pb.GetCalendarRequest: stub.GetCalendar,
        pb.GetEquityCurveRequest: stub.GetEquityCurve,
        pb.UpdateJournalRequest: stub.UpdateJournal,
    }[type(request_)]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await method(request_)
    assert bad_field(caught.value) == field


async def test_unknown_account_and_trade_are_not_found(channel: grpc.aio.Channel) -> None:
    stub = pb_grpc.AnalyticsServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetStatistics(pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(account_ids=["nobody"])))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.UpdateJournal(pb.UpdateJournalRequest(trade_id="T-404", tags=["x"]))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_slippage_is_the_fill_against_the_stop_price(server: RunningServer, channel: grpc.aio.Channel) -> None:
    await nq_long(xpb_grpc.ExecutionServiceStub(channel))  # 2 NQ at 25000.00, stop 24975.00
    play(server, "24970.00")  # gaps through the stop: the stop fills at the 24970.00 bid
    stub = pb_grpc.AnalyticsServiceStub(channel)

    async def slippage() -> str:
        return (await stub.GetStatistics(pb.GetStatisticsRequest())).overall.slippage

    # 5 points = 20 ticks past the stop, 2 contracts, $5 a tick; the market entry has no reference price
    await eventually(lambda: server.kernel.trades.open_trips() == [])
    assert await slippage() == "200.00"


async def test_a_trade_that_closes_later_joins_the_figures(server: RunningServer, channel: grpc.aio.Channel) -> None:
    stub = pb_grpc.AnalyticsServiceStub(channel)
    assert (await stub.GetStatistics(pb.GetStatisticsRequest())).overall.trades == 0  # read (nothing yet)
    await nq_long(xpb_grpc.ExecutionServiceStub(channel))
    play(server, "24975.00")
    await eventually(lambda: server.kernel.trades.open_trips() == [])

    async def trades() -> int:
        return (await stub.GetStatistics(pb.GetStatisticsRequest())).overall.trades

    for _ in range(50):  # the closed trade reaches the desk over the bus once it is stored
        if await trades() == 1:
            break
    assert await trades() == 1
    overall = (await stub.GetStatistics(pb.GetStatisticsRequest(filter=pb.AnalyticsFilter(roots=["NQ"])))).overall
    assert (overall.trades, overall.net_pnl) == (1, "-1010.00")
