"""The server's garbage collections run between bursts of work (core_server.runtime.QuietCollector): a due young
collection waits until the loop has been on time for two checks in a row (a middle or full one for six), runs
anyway after `longest_wait_s` of sustained load, and picks the generation as CPython would (middle after ten
young, full after ten middle only when what was promoted exceeds a quarter of the old generation). A fake
collector and a scripted clock stand in for `gc` and the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from core_server.runtime import GEN0_FALLBACK, QuietCollector


@dataclass
class FakeGc:
    count: tuple[int, int, int] = (0, 0, 0)
    sizes: list[int] = field(default_factory=lambda: [0, 0, 0])  # objects in each generation
    found: int = 0  # what the next collection finds unreachable
    threshold: tuple[int, int, int] = (10_000, 10, 10)
    collected: list[int] = field(default_factory=list)

    def get_count(self) -> tuple[int, int, int]:
        return self.count

    def collect(self, generation: int = 2) -> int:
        self.collected.append(generation)
        young, middle, old = self.count
        self.count = (0, 0 if generation >= 1 else middle + 1, 0 if generation == 2 else old + (generation == 1))
        return self.found

    def get_objects(self, generation: int | None = None) -> list[object]:
        assert generation is not None
        return [None] * self.sizes[generation]

    def get_threshold(self) -> tuple[int, int, int]:
        return self.threshold

    def set_threshold(self, threshold0: int, threshold1: int = 10, threshold2: int = 10, /) -> None:
        self.threshold = (threshold0, threshold1, threshold2)


class Script:
    """A clock whose every check is late by the next scripted amount (0 once the script is used up); the test
    ends when `stop_after` checks have run."""

    def __init__(self, lateness: list[float], stop_after: int) -> None:
        self.t = 0.0
        self.lateness = lateness
        self.checks = 0
        self.stop_after = stop_after

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        if self.checks == self.stop_after:
            raise asyncio.CancelledError
        self.t += seconds + (self.lateness.pop(0) if self.lateness else 0.0)
        self.checks += 1


async def run(collector: QuietCollector) -> None:
    with pytest.raises(asyncio.CancelledError):
        await collector.run()


async def test_a_due_young_collection_waits_for_the_loop_to_be_on_time_twice() -> None:
    fake = FakeGc(count=(12_000, 0, 0))
    script = Script(lateness=[0.004, 0.0, 0.003], stop_after=4)  # busy, on time, busy, on time
    await run(QuietCollector(collector=fake, sleep=script.sleep, now=script.now))
    assert fake.collected == []  # never two on-time checks in a row

    script = Script(lateness=[0.004, 0.0, 0.0], stop_after=3)
    await run(QuietCollector(collector=fake, sleep=script.sleep, now=script.now))
    assert fake.collected == [0]  # at the third check: the second on time in a row


async def test_a_due_middle_collection_waits_for_a_longer_quiet() -> None:
    fake = FakeGc(count=(12_000, 11, 0))  # the next one is a middle collection
    script = Script(lateness=[0.004], stop_after=6)  # busy, then five on time
    await run(QuietCollector(collector=fake, sleep=script.sleep, now=script.now))
    assert fake.collected == []

    script = Script(lateness=[0.004], stop_after=7)  # the sixth on-time check in a row
    await run(QuietCollector(collector=fake, sleep=script.sleep, now=script.now))
    assert fake.collected == [1]


async def test_nothing_is_collected_below_the_young_threshold_however_quiet_the_loop() -> None:
    fake = FakeGc(count=(9_999, 0, 0))
    script = Script(lateness=[], stop_after=50)
    await run(QuietCollector(collector=fake, sleep=script.sleep, now=script.now))
    assert fake.collected == []


async def test_under_sustained_load_a_due_collection_runs_after_the_longest_wait() -> None:
    fake = FakeGc(count=(12_000, 0, 0))
    script = Script(lateness=[0.005] * 1000, stop_after=1000)  # every check 5 ms late: never quiet
    collector = QuietCollector(collector=fake, sleep=script.sleep, now=script.now, longest_wait_s=0.5)
    await run(collector)
    # 10 ms a check: due from the first check (t=0.01), collected at the first check at least 0.5 s later
    assert fake.collected == [0]
    assert script.checks == 1000


def test_the_generation_is_the_one_cpython_would_collect() -> None:
    fake = FakeGc()
    collector = QuietCollector(collector=fake, long_lived=1_000)
    fake.count = (10_000, 10, 0)
    assert collector.collect() == 0  # the middle one after more than ten young
    fake.count, fake.sizes, fake.found = (10_000, 11, 10), [10_000, 50_000, 0], 59_900
    assert collector.collect() == 1
    assert collector.promoted == 100  # the middle collection's survivors
    fake.count, fake.found = (10_000, 11, 11), 59_850  # promoted 100, under a quarter of 1,000: a middle one
    assert collector.collect() == 1
    assert collector.promoted == 250
    fake.count, fake.sizes, fake.found = (10_000, 3, 11), [10_000, 0, 0], 9_950  # a quarter: a full one
    assert collector.collect() == 2
    # the old generation now: 1,000 + 250 promoted + 10,000 younger - 9,950 found unreachable
    assert (collector.long_lived, collector.promoted) == (1_300, 0)
    assert fake.collected == [0, 1, 1, 2]


async def test_it_sets_the_fallback_threshold_while_it_runs_and_gives_cpython_its_own_back() -> None:
    fake = FakeGc(threshold=(10_000, 10, 10))
    seen: list[tuple[int, int, int]] = []

    async def sleep(_: float) -> None:
        seen.append(fake.threshold)
        raise asyncio.CancelledError

    await run(QuietCollector(collector=fake, sleep=sleep))
    assert seen == [(GEN0_FALLBACK, 10, 10)]
    assert fake.threshold == (10_000, 10, 10)
