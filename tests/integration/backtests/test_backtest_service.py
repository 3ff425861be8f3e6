"""BacktestService on a real server: a run in a worker process over stored ticks, progress to the end, results
(summary, days, equity, trades paged, JSON/CSV/HTML reports) equal to the same run in process, cancel, a sweep
sorted by a figure, and refusals that name the field."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import asyncpg
import grpc
import pytest

from core_server.app import RunningServer
from core_server.backtest.source import TickList
from core_server.backtest_jobs.settings import RunSettings
from core_server.backtest_jobs.worker import run_backtest
from core_server.model.market_data import Tick
from core_server.storage.ticks import TickRepository, tick_row
from tests.kit.feeds import ES, quote, trade
from tests.kit.time import ct
from vigil.v1 import backtests_pb2 as pb
from vigil.v1 import backtests_pb2_grpc as pb_grpc
from vigil.v1 import strategies_pb2 as spb
from vigil.v1 import strategies_pb2_grpc as spb_grpc

DAYS = (16, 17, 18)  # Mon-Wed 16-18 November 2026


def tape() -> list[Tick]:
    """Three sessions 08:30-10:00 CT: quotes every second wandering in a 10-point range, a trade every 5 s."""
    ticks: list[Tick] = []
    for day in DAYS:
        for i in range(5400):
            ts = ct(2026, 11, day, 8, 30) + i * 1_000_000_000
            level = (i // 3) % 40 if (i // 120) % 2 else 39 - (i // 3) % 40
            bid = f"{6000 + level * 0.25:.2f}"
            ticks.append(quote(ES, ts, bid, f"{6000.25 + level * 0.25:.2f}"))
            if i % 5 == 4:
                ticks.append(trade(ES, ts + 1, bid))
    return ticks


SETTINGS = pb.BacktestSettings(
    symbol=ES.id, from_date="2026-11-16", to_date="2026-11-18", strategy="bracket-a-day",
    params={"distance_ticks": "8"}, slippage_ticks=1, latency_min_ms=20, latency_max_ms=300, seed=5, commission="2.50",
)  # fmt: skip


@pytest.fixture
async def stub(running_server: RunningServer, database_url: str) -> AsyncIterator[pb_grpc.BacktestServiceStub]:
    conn = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        await TickRepository(conn).copy_ticks("backtest-tape", [tick_row(t) for t in tape()])
    finally:
        await conn.close()
    async with grpc.aio.insecure_channel(running_server.address) as channel:
        yield pb_grpc.BacktestServiceStub(channel)


async def finish(stub: pb_grpc.BacktestServiceStub, run_id: str) -> list[pb.BacktestRun]:
    seen = []
    async for update in stub.StreamBacktestProgress(pb.StreamBacktestProgressRequest(run_id=run_id), timeout=60):
        seen.append(update.run)
    return seen


async def test_a_backtest_runs_in_a_worker_and_reports_what_the_driver_reports(
    stub: pb_grpc.BacktestServiceStub,
) -> None:
    started = (await stub.StartBacktest(pb.StartBacktestRequest(settings=SETTINGS))).run
    assert started.status == pb.BACKTEST_STATUS_QUEUED and started.contract_id == ES.id
    updates = await finish(stub, started.run_id)
    final = updates[-1]
    assert final.status == pb.BACKTEST_STATUS_DONE, final.error
    assert final.ticks_done == len(tape())
    assert [u.ticks_done for u in updates] == sorted(u.ticks_done for u in updates)

    settings = RunSettings(ES.id, "2026-11-16", "2026-11-18", "bracket-a-day", {"distance_ticks": "8"},
                           slippage_ticks=1, latency_min_ms=20, latency_max_ms=300, seed=5,
                           commission="2.50")  # fmt: skip
    expected, expected_text = run_backtest(settings, lambda config: TickList(tape()))
    report = await stub.GetBacktestReport(pb.GetBacktestReportRequest(run_id=started.run_id))
    assert report.content == expected_text and report.filename.endswith(".json")
    assert dict(final.summary) == expected["summary"] and expected["summary"]["trades"] == "3"

    result = await stub.GetBacktestResult(pb.GetBacktestResultRequest(run_id=started.run_id))
    assert [d.date for d in result.days] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    assert [p.equity for p in result.equity] == [p["equity"] for p in expected["equity"]]
    page = await stub.ListBacktestTrades(pb.ListBacktestTradesRequest(run_id=started.run_id, offset=1, limit=1))
    assert page.total == 3 and [t.trade_id for t in page.trades] == [expected["trades"][1]["trade_id"]]
    assert page.trades[0].net == expected["trades"][1]["net"]
    csv = await stub.GetBacktestReport(pb.GetBacktestReportRequest(run_id=started.run_id, format=pb.REPORT_FORMAT_CSV))
    assert len(csv.content.splitlines()) == 4
    html = await stub.GetBacktestReport(
        pb.GetBacktestReportRequest(run_id=started.run_id, format=pb.REPORT_FORMAT_HTML)
    )
    assert html.content.startswith("<!doctype html>") and "<svg" in html.content
    listed = (await stub.ListBacktests(pb.ListBacktestsRequest())).runs
    assert [r.run_id for r in listed] == [started.run_id]
    assert json.loads(report.content)["run"]["fill_model"] == "paper-through slippage<=1t latency 20-300ms"


async def test_cancel_a_queued_run_and_a_sweep_sorted_by_a_figure(stub: pb_grpc.BacktestServiceStub) -> None:
    grid = [pb.SweepParameter(name="distance_ticks", values=["4", "8", "16"])]
    sweep = await stub.StartSweep(pb.StartSweepRequest(base=SETTINGS, grid=grid))
    assert len(sweep.runs) == 3
    # One worker: the third run still waits, and is cancelled before it starts.
    cancelled = (await stub.CancelBacktest(pb.CancelBacktestRequest(run_id=sweep.runs[2].run_id))).run
    assert cancelled.status == pb.BACKTEST_STATUS_CANCELLED
    for run in sweep.runs[:2]:
        assert (await finish(stub, run.run_id))[-1].status == pb.BACKTEST_STATUS_DONE
    table = await stub.GetSweep(pb.GetSweepRequest(sweep_id=sweep.sweep_id, sort_by="net"))
    assert (table.done, table.total) == (2, 3)
    nets = [float(r.run.summary["net"]) for r in table.rows if r.run.status == pb.BACKTEST_STATUS_DONE]
    assert nets == sorted(nets, reverse=True)
    assert {r.params["distance_ticks"] for r in table.rows} == {"4", "8", "16"}
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.CancelBacktest(pb.CancelBacktestRequest(run_id=sweep.runs[0].run_id))
    assert error.value.code() is grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"from_date": "16/11/2026"}, grpc.StatusCode.INVALID_ARGUMENT, "settings.from_date"),
        ({"to_date": "2026-11-01"}, grpc.StatusCode.INVALID_ARGUMENT, "settings.to_date"),
        ({"strategy": "nope"}, grpc.StatusCode.NOT_FOUND, "settings.strategy"),
        ({"params": {"distance_ticks": "x"}}, grpc.StatusCode.INVALID_ARGUMENT, "settings.params.distance_ticks"),
        ({"preset": "nope"}, grpc.StatusCode.INVALID_ARGUMENT, "settings.preset"),
        ({"slippage_ticks": -1}, grpc.StatusCode.INVALID_ARGUMENT, "settings.slippage_ticks"),
        ({"symbol": "ZZ"}, grpc.StatusCode.INVALID_ARGUMENT, "settings.symbol"),
        (
            {"strategy": "", "params": {}, "definition": "name = 1"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "settings.definition",
        ),
        (
            {"strategy": "first-hour-breakout", "params": {"offsets": "9,x"}},
            grpc.StatusCode.INVALID_ARGUMENT,
            "settings.params.offsets",
        ),
    ],
)
async def test_bad_settings_are_refused_naming_the_field(
    running_server: RunningServer, change: dict[str, object], code: grpc.StatusCode, field: str
) -> None:
    settings = pb.BacktestSettings()
    settings.CopyFrom(SETTINGS)
    for name, value in change.items():
        if name == "params":
            settings.params.clear()
            settings.params.update(value)  # type: ignore[call-overload]
        else:
            setattr(settings, name, value)
    async with grpc.aio.insecure_channel(running_server.address) as channel:
        stub = pb_grpc.BacktestServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.StartBacktest(pb.StartBacktestRequest(settings=settings))
        assert error.value.code() is code
        assert field in (error.value.details() or "")
        assert (await stub.ListBacktests(pb.ListBacktestsRequest())).runs == []
    await asyncio.sleep(0)


async def test_a_strategy_loaded_in_the_server_is_backtested_by_its_id_and_version(
    running_server: RunningServer, stub: pb_grpc.BacktestServiceStub
) -> None:
    text = 'name = "my-breakout"\nkind = "first_hour_breakout"\naccount = "paper"\ninstrument = "ES"\n'
    async with grpc.aio.insecure_channel(running_server.address) as channel:
        strategies = spb_grpc.StrategyServiceStub(channel)
        await strategies.LoadStrategy(spb.LoadStrategyRequest(definition=text, format="toml"))
        await strategies.LoadStrategy(spb.LoadStrategyRequest(definition=text + "[sizing]\ncontracts = 2\n"))
    settings = pb.BacktestSettings(symbol=ES.id, from_date="2026-11-16", to_date="2026-11-18", strategy="my-breakout")
    run = (await stub.StartBacktest(pb.StartBacktestRequest(settings=settings))).run
    assert "contracts = 2" in run.settings.definition  # the current version's definition
    # No commission named: the server's rate for the root, as live trading pays it.
    assert run.settings.commission == str(running_server.kernel.execution.commissions.rate("ES"))
    assert (await finish(stub, run.run_id))[-1].status == pb.BACKTEST_STATUS_DONE
    report = json.loads((await stub.GetBacktestReport(pb.GetBacktestReportRequest(run_id=run.run_id))).content)
    assert (report["run"]["strategy"], report["run"]["strategy_version"]) == ("my-breakout", 2)
