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
        "--slippage-ticks", "1", "--latency-ms", "20-300", "--seed", "5",
        "--json", str(out["json"]), "--csv", str(out["csv"]), "--html", str(out["html"]),
    )  # fmt: skip
    assert code == exit_codes.OK, err
    assert "done" in err and "100.0%" in err  # the progress bar's last state
    settings = RunSettings("ESZ2026", "2026-11-16", "2026-11-18", "bracket-a-day", {"distance_ticks": "8"},
                           slippage_ticks=1, latency_min_ms=20, latency_max_ms=300, seed=5)  # fmt: skip
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
