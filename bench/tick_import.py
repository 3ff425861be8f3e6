"""Tick import end to end (detect, parse, flag, de-duplicate, binary COPY, checkpoint) on a generated file.

`python -m bench tick_import`; VIGIL_BENCH_IMPORT_ROWS sets the size (default 5,000,000 rows). The file is a
NinjaTrader tick export (yyyyMMdd HHmmss fffffff;last;bid;ask;volume): each row stores a trade, plus a quote
when the bid or ask changed (about one row in three here). Also measured: the same import again (every row a
duplicate, nothing stored), a gzip copy, and the backtest read path (stream_tick_columns: the imported blocks
decoded into numpy columns, merged with any live rows).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil

from bench.database import bench_database
from bench.machine import rss_mb
from core_server.imports.importer import ImportRequest, run_import
from core_server.model.clock import LiveClock
from core_server.storage.database import connect_pool
from core_server.storage.tick_read import stream_tick_columns

ROWS = int(os.environ.get("VIGIL_BENCH_IMPORT_ROWS", "5000000"))
START_S = 1_759_757_400  # 2025-10-06 13:30 UTC


def generate(path: Path, rows: int) -> None:
    """A random walk on NQ's 0.25 grid, a few prints per millisecond, written in 100k-row blocks."""
    rng = np.random.default_rng(7)
    price = 84_000  # ticks: 21000.00
    with path.open("w") as out:
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            steps = rng.choice([-1, 0, 0, 0, 1], n)
            last = price + np.cumsum(steps)
            price = int(last[-1])
            bid = last - rng.integers(0, 2, n)
            ask = bid + 1
            size = rng.integers(1, 6, n)
            hundred_ns = (start + np.arange(n)) * 2_000  # 0.2 ms apart
            seconds = START_S + hundred_ns // 10_000_000
            fraction = hundred_ns % 10_000_000
            stamps = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
            lines = [
                f"{s[0:4]}{s[5:7]}{s[8:10]} {s[11:13]}{s[14:16]}{s[17:19]} {f:07d};"
                f"{lt / 4:.2f};{b / 4:.2f};{a / 4:.2f};{z}\n"
                for s, f, lt, b, a, z in zip(
                    stamps.tolist(), fraction.tolist(), last.tolist(), bid.tolist(), ask.tolist(), size.tolist(),
                    strict=True,
                )
            ]  # fmt: skip
            out.writelines(lines)


def _postgres_cpu_s(url: str) -> float:
    """CPU seconds used so far by the PostgreSQL serving `url` (its postmaster and every backend)."""
    data_dir = url.split("host=", 1)[1].split("&", 1)[0] if "host=" in url else ""
    total = 0.0
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if data_dir and data_dir in " ".join(cmdline):
            with contextlib.suppress(psutil.Error):
                for member in [process, *process.children(recursive=True)]:
                    times = member.cpu_times()
                    total += times.user + times.system
    return total


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    peak_rss_mb: float
    lines: int
    stored: int
    duplicates: int
    python_cpu_s: float  # this process, all threads
    postgres_cpu_s: float

    @property
    def rate(self) -> float:
        return self.lines / self.seconds

    @property
    def cpu_bound_rate(self) -> float:
        """Rows/s if the import had its two cores to itself: Python and PostgreSQL run in parallel, so the
        busier of the two sets the pace."""
        return self.lines / max(self.python_cpu_s, self.postgres_cpu_s)

    def describe(self) -> str:
        return (
            f"{self.rate:,.0f} rows/s wall ({self.seconds:.1f} s); CPU: Python {self.python_cpu_s:.1f} s, "
            f"PostgreSQL {self.postgres_cpu_s:.1f} s -> {self.cpu_bound_rate:,.0f} rows/s on two free cores; "
            f"peak RSS {self.peak_rss_mb:,.0f} MB"
        )


async def _import(url: str, path: Path) -> Run:
    pool = await connect_pool(url, min_size=1, max_size=2)
    try:
        peak = rss_mb()
        pg_before = _postgres_cpu_s(url)
        cpu_before = time.process_time()
        started = time.perf_counter()
        last = None
        async for progress in run_import(pool, ImportRequest(path, symbol="NQZ2025"), LiveClock()):
            last = progress
            peak = max(peak, rss_mb())
        elapsed = time.perf_counter() - started
        python_cpu = time.process_time() - cpu_before
        pg_cpu = _postgres_cpu_s(url) - pg_before
        assert last is not None and last.done and last.bad_total == 0
        return Run(elapsed, peak, last.lines_read, last.ticks_stored, last.duplicates, python_cpu, pg_cpu)
    finally:
        await pool.close()


async def _read(url: str) -> tuple[float, int]:
    pool = await connect_pool(url, min_size=1, max_size=2)
    try:
        started = time.perf_counter()
        count = 0
        async for batch in stream_tick_columns(pool, ["NQZ2025"], 0, 2**62):
            count += len(batch)
        return time.perf_counter() - started, count
    finally:
        await pool.close()


async def _run() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="vigil-bench-import-"))
    try:
        path = workdir / "NQ 12-25.Last.txt"
        started = time.perf_counter()
        generate(path, ROWS)
        size_mb = path.stat().st_size / 1e6
        print(f"  generated {ROWS:,} rows ({size_mb:,.0f} MB) in {time.perf_counter() - started:.1f} s")
        async with bench_database() as url:
            first = await _import(url, path)
            print(f"  import (NinjaTrader, plain), {first.stored:,} ticks stored: {first.describe()}")
            again = await _import(url, path)
            print(f"  re-import (all {again.duplicates:,} duplicates, {again.stored} stored): {again.describe()}")
            seconds, count = await _read(url)
            print(
                f"  read path (stream_tick_columns: blocks and rows to numpy, time order): "
                f"{count / seconds:,.0f} ticks/s "
                f"({count:,})"
            )
        packed = workdir / "NQ 12-25.Last.txt.gz"
        with path.open("rb") as raw, gzip.open(packed, "wb", compresslevel=1) as out:
            shutil.copyfileobj(raw, out, 1 << 20)
        async with bench_database() as url:
            print(f"  import (NinjaTrader, gzip): {(await _import(url, packed)).describe()}")
        print(f"  load average after: {os.getloadavg()[0]:.1f} (2 cores)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    print(f"tick_import ({ROWS:,} rows)")
    asyncio.run(_run())
