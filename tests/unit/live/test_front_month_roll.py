"""The roller's schedule: nothing before the roll instant, one roll after it, and a roll the store refused
(Unavailable: nothing kept) tried again at the next check, the feed asked for the new month only once it took."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from core_server.live.front_month_roll import FrontMonthRoller
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.errors import Unavailable
from core_server.model.instruments import Contract

OLD, NEW = Contract("NQ", 2026, 12), Contract("NQ", 2027, 3)


class Shell:
    def __init__(self) -> None:
        self.refuse = 0
        self.commands = 0

    async def command(self, run: Callable[[Any, int], Any], *, actor: str = "") -> list[str]:
        assert actor == "roll"
        self.commands += 1
        if self.refuse:
            self.refuse -= 1
            raise Unavailable("store down")
        return []


class Recorder:
    def __init__(self) -> None:
        self.added: list[object] = []

    def add_contract(self, *args: Any) -> None:
        self.added.append(args[-1])


def roller(clock: TestClock, shell: Shell, feed: Recorder, market: Recorder) -> FrontMonthRoller:
    return FrontMonthRoller(clock, shell, market, object(), feed, [OLD])  # type: ignore[arg-type]


async def test_rolls_once_at_the_instant_and_retries_what_the_store_refused() -> None:
    clock = TestClock(OLD.roll_ns - NS_PER_SECOND)
    shell, feed, market = Shell(), Recorder(), Recorder()
    rolls = roller(clock, shell, feed, market)
    await rolls.roll_due()
    assert shell.commands == 0 and rolls.fronts() == (OLD,)

    clock.set_ns(OLD.roll_ns)
    shell.refuse = 1
    await rolls.roll_due()
    assert shell.commands == 1 and feed.added == [] and rolls.fronts() == (OLD,)  # refused: tried again

    await rolls.roll_due()
    assert shell.commands == 2 and feed.added == [NEW] and market.added == [NEW]
    assert rolls.fronts() == (NEW,) and [(old, new) for _, old, new in rolls.rolls] == [(OLD, NEW)]
    await rolls.roll_due()
    assert shell.commands == 2  # NQH2027 rolls in March


async def test_a_roll_the_store_keeps_refusing_is_retried_at_the_check_interval_not_in_a_busy_loop() -> None:
    clock = TestClock(OLD.roll_ns)
    shell, feed, market = Shell(), Recorder(), Recorder()
    shell.refuse = 10**9  # the store stays down
    rolls = FrontMonthRoller(clock, shell, market, object(), feed, [OLD], check_every_s=0.05)  # type: ignore[arg-type]
    task = asyncio.create_task(rolls.run())
    await asyncio.sleep(0.3)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert 1 <= shell.commands <= 10  # about one try per check (a busy loop tried thousands of times)
    assert feed.added == []
