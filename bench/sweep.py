"""Sweep scaling (issue 11: a sweep scales with cores; report 1 vs 2 workers).

`SETS` parameter sets of bracket-a-day (distance 4..4+SETS ticks) over the same generated ES tape (`TICKS` ticks,
bench.backtest.generate), each run = driver + report, in a process pool of 1 and then 2 workers (processes
generate the tape once each, as a worker reading the store would load it). Prints runs/s and the speed-up.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache

from bench import backtest as tape
from core_server.backtest.bracket_a_day import BracketADay
from core_server.backtest.driver import Backtest
from core_server.backtest.report import build_report
from core_server.backtest.source import TickList
from core_server.model.market_data import Tick

SETS = 8
TICKS = 200_000


@cache
def _ticks(count: int) -> list[Tick]:
    return tape.generate(count)


def one_run(distance: int, count: int = TICKS) -> str:
    ticks = _ticks(count)
    config = tape.config()
    backtest = Backtest(config, strategies=BracketADay(config.account_id, tape.ES.id, config.start_ns,
                                                       distance_ticks=distance))  # fmt: skip
    report = build_report(config, backtest.run(TickList(ticks)))
    return str(report["summary"]["net"])


def timed(workers: int, sets: int, count: int) -> float:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_ticks, [count] * workers))  # every worker has its tape before the clock starts
        started = time.perf_counter()
        results = list(pool.map(one_run, range(4, 4 + sets), [count] * sets))
        elapsed = time.perf_counter() - started
    assert len(results) == sets
    return elapsed


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.sweep [SETS [TICKS]]`."""
    args = argv or []
    sets = int(args[0]) if args else SETS
    count = int(args[1]) if len(args) > 1 else TICKS
    one = timed(1, sets, count)
    two = timed(2, sets, count)
    print(
        f"sweep: {sets} parameter sets x {count:,} ES ticks: 1 worker {sets / one:.2f} runs/s "
        f"({sets * count / one:,.0f} ticks/s), 2 workers {sets / two:.2f} runs/s ({sets * count / two:,.0f} ticks/s): "
        f"x{one / two:.2f}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
