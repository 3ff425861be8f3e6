"""What runs in a backtest worker process: settings in, progress out through a queue, the report JSON at the end.

`run_backtest` is the whole job as a plain function (tests and the sweep benchmark call it in process);
`worker_main` is the process entry the job runner spawns. Cancelling kills the process: nothing half-written
exists, since only the parent stores results.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from typing import Any

from core_server.backtest.driver import Backtest, Progress
from core_server.backtest.report import RunInfo, build_report, to_json
from core_server.backtest.source import TickSource
from core_server.backtest_jobs.settings import RunSettings
from core_server.backtest_jobs.store_source import StoreTicks
from core_server.backtest_jobs.strategies import strategy_stage
from core_server.model.errors import VigilError
from core_server.runtime import tune_after_start

PROGRESS_EVERY_S = 0.2


def code_version() -> str:
    try:
        return metadata.version("vigil")
    except metadata.PackageNotFoundError:
        return "unknown"


def run_backtest(
    settings: RunSettings,
    source_for: Callable[[Any], TickSource],
    progress: Progress | None = None,
) -> tuple[dict[str, Any], str]:
    """The report (as values and as JSON text) of one run; `source_for(config)` gives its ticks."""
    config = settings.config()
    stage, info, setup = strategy_stage(settings, config)
    info = RunInfo(info.strategy, info.strategy_version, code_version())
    backtest = Backtest(config, strategies=stage)
    setup(backtest)
    record = backtest.run(source_for(config), progress=progress)
    report = build_report(config, record, info)
    return report, to_json(report)


def worker_main(settings_json: str, dsn: str, out: multiprocessing.Queue[Any]) -> None:
    """Process entry: ("progress", done, total, reached_ns)..., then ("done", report_json) or ("failed", why)."""
    # The run allocates a tuple per tick: rarer young collections, and none over what the import left behind (as
    # the server does). Measured: building the ticks from the store's columns costs about half as much.
    tune_after_start()
    last = [0.0]

    def progress(done: int, total: int, reached: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            out.put(("progress", done, total, reached))

    try:
        settings = RunSettings.from_json(settings_json)
        _, text = run_backtest(
            settings,
            lambda config: StoreTicks(dsn, [c.id for c in config.contracts], config.start_ns, config.end_ns),
            progress,
        )
        out.put(("done", text))
    except VigilError as exc:
        out.put(("failed", str(exc)))
    except Exception as exc:  # reported on the run, with the traceback for the log
        out.put(("failed", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
