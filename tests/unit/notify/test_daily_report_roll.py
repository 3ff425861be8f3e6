"""At the 17:00 CT roll the notifier gets each paper account's report of the trading day that just ended."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time
from types import SimpleNamespace
from typing import Any

import pytest

from core_server.bus import Bus
from core_server.calendar.trading_day import trading_day_of
from core_server.live import notify_desk
from core_server.live.notify_desk import NotifyDesk
from core_server.model.clock import NS_PER_SECOND, TestClock, ns_from_datetime
from core_server.model.instruments import EXCHANGE_TZ
from core_server.notify.events import Notification


def ct(day: date, hh: int, mm: int) -> int:
    return ns_from_datetime(datetime.combine(day, time(hh, mm), EXCHANGE_TZ))


class FakeAnalytics:
    """The AnalyticsDesk calls the roll makes."""

    def book(self, ts_ns: int) -> date:
        return trading_day_of(ts_ns)

    def paper_accounts(self) -> list[str]:
        return ["paper", "eval"]

    async def daily_report(self, account_id: str, day: date | None) -> Any:
        statistics = SimpleNamespace(net_pnl="12.50", trades=1)
        return SimpleNamespace(day=day, statistics=statistics, account_id=account_id)


class Collect:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def publish(self, n: Notification) -> None:
        self.sent.append(n)


async def test_the_roll_sends_the_day_that_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = TestClock(ct(date(2026, 11, 19), 16, 59))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # time passes as the desk waits
        slept.append(seconds)
        clock.set_ns(clock.now_ns() + int(seconds * NS_PER_SECOND))
        if len(slept) > 1:
            await asyncio.Event().wait()

    notifier = Collect()
    desk = NotifyDesk(Bus(), clock, notifier, FakeAnalytics(), sleep=sleep)  # type: ignore[arg-type]
    monkeypatch.setattr(notify_desk, "report_text", lambda report: f"report of {report.account_id}")
    task = asyncio.create_task(desk._daily_reports())
    for _ in range(100):
        if len(notifier.sent) == 2:
            break
        await asyncio.sleep(0)
    task.cancel()
    assert slept[0] == 60.0  # 16:59 CT -> 17:00 CT
    assert [(n.kind, n.account_id, n.title) for n in notifier.sent] == [
        ("daily_report", "paper", "paper: daily report 2026-11-19: $12.50 net, 1 trades"),
        ("daily_report", "eval", "eval: daily report 2026-11-19: $12.50 net, 1 trades"),
    ]
