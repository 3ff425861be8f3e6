"""`vigil backtest`, `vigil sweep`, `vigil backtests` against a real server with stored ticks: progress on stderr,
reports saved as JSON (the driver's, byte for byte), CSV and HTML, a definition file, a sweep table, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clients.cli import exit_codes
from core_server.app import RunningServer
from core_server.backtest.source import TickList
from core_server.backtest_jobs.settings import RunSettings
from core_server.backtest_jobs.worker import run_backtest
from tests.integration.backtests.test_backtest_service import stub, tape  # noqa: F401  (fixture: stores the tape)
from tests.integration.cli.test_cli_market import vigil

RANGE = ("--symbol", "ESZ2026", "--from", "2026-11-16", "--to", "2026-11-18")


@pytest.mark.usefixtures("stub")
async def test_vigil_backtest_saves_its_reports_and_prints_the_summary(
    running_server: RunningServer, tmp_path: Path
) -> None:
    out = {kind: tmp_path / f"report.{kind}" for kind in ("json", "csv", "html")}
    code, text, err = await vigil(
        "--target", running_server.address, "backtest", "bracket-a-day", *RANGE, "--param", "distance_ticks=8",
        "--slippage-ticks", "1", "--latency-ms", "20-300", "--seed", "5", "--commission", "2.50",
        "--json", str(out["json"]), "--csv", str(out["csv"]), "--html", str(out["html"]),
    )  # fmt: skip
    assert code == exit_codes.OK, err
    assert "done" in err and "100.0%" in err  # the progress bar's last state
    settings = RunSettings("ESZ2026", "2026-11-16", "2026-11-18", "bracket-a-day", {"distance_ticks": "8"},
                           slippage_ticks=1, latency_min_ms=20, latency_max_ms=300, seed=5,
                           commission="2.50")  # fmt: skip
    expected, expected_text = run_backtest(settings, lambda config: TickList(tape()))
    assert out["json"].read_text(encoding="utf-8") == expected_text
    assert len(out["csv"].read_text(encoding="utf-8").splitlines()) == 1 + len(expected["trades"])
    assert "<svg" in out["html"].read_text(encoding="utf-8")
    assert ["net", expected["summary"]["net"]] in [line.split() for line in text.splitlines()]

    code, text, _ = await vigil("--target", running_server.address, "--json", "backtests")
    (listed,) = json.loads(text)
    assert listed["status"] == "done" and listed["summary"]["net"] == expected["summary"]["net"]
    code, text, _ = await vigil("--target", running_server.address, "backtests", listed["run_id"])
    assert code == exit_codes.OK and len(text.splitlines()) == 1 + len(expected["trades"])


@pytest.mark.usefixtures("stub")
async def test_vigil_backtest_runs_a_definition_file_and_sweeps_a_grid(
    running_server: RunningServer, tmp_path: Path
) -> None:
    definition = tmp_path / "breakout.toml"
    definition.write_text(
        'name = "fhb"\nkind = "first_hour_breakout"\naccount = "x"\ninstrument = "ES"\n[breakout]\noffsets = [1, 2]\n',
        encoding="utf-8",
    )
    code, _, err = await vigil("--target", running_server.address, "backtest", str(definition), *RANGE)
    assert code == exit_codes.OK, err

    code, text, err = await vigil(
        "--target", running_server.address, "sweep", "bracket-a-day", *RANGE, "--grid", "distance_ticks=4,12",
    )  # fmt: skip
    assert code == exit_codes.OK, err
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["distance_ticks", "status", "trades"] and len(lines) == 3
    nets = [float(line.split()[4]) for line in lines[1:]]
    assert nets == sorted(nets, reverse=True)


async def test_bad_settings_exit_with_the_invalid_argument_code(running_server: RunningServer) -> None:
    code, _, err = await vigil("--target", running_server.address, "backtest", "bracket-a-day", "--symbol", "ES",
                               "--from", "2026-13-01", "--to", "2026-11-18")  # fmt: skip
    assert code == exit_codes.INVALID_ARGUMENT and "settings.from_date" in err


async def test_vigil_backtest_imports_a_tick_file_first_then_runs_on_it(
    running_server: RunningServer, tmp_path: Path
) -> None:
    # A NinjaTrader tick export (yyyyMMdd HHmmss fffffff;last;bid;ask;volume) of 16 Nov 2026, Chicago time: the
    # price walks up 20 ticks from 6000.00 after 09:00, so bracket-a-day's long (target 8 ticks) wins.
    lines = []
    for i in range(3600):
        hh, mm, ss = 8 + (30 * 60 + i) // 3600, ((30 * 60 + i) // 60) % 60, i % 60
        level = 0 if i < 1800 else min(20, (i - 1800) // 30)
        last = 6000 + level * 0.25
        lines.append(f"20261116 {hh:02d}{mm:02d}{ss:02d} 0000000;{last:.2f};{last:.2f};{last + 0.25:.2f};1")
    data = tmp_path / "ES 12-26.Last.txt"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ("--target", running_server.address, "--json", "backtest", "bracket-a-day", "--symbol", "ESZ2026",
            "--from", "2026-11-16", "--to", "2026-11-16", "--param", "distance_ticks=8", "--data", str(data),
            "--tz", "America/Chicago")  # fmt: skip
    code, text, err = await vigil(*args)
    assert code == exit_codes.OK, err
    assert "3,600 rows, 3,621 stored" in err  # a trade per row, and a quote where bid/ask changed
    summary = json.loads(text)["run"]["summary"]
    assert (summary["trades"], summary["gross"]) == ("1", "100.00")  # 8 ticks x $12.50
    code, text, err = await vigil(*args)  # the same file again: nothing new stored, the same result
    assert code == exit_codes.OK and "0 stored, 3,621 already stored" in err
    assert json.loads(text)["run"]["summary"] == summary
