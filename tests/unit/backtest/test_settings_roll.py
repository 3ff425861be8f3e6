"""A backtest on a continuous symbol (ES, ES1!) trades the front month of its first day. A range that crosses the
roll (SPEC §1: 8 calendar days before the third-Friday expiry) would silently trade an expired contract or find
no ticks after the roll, so it is refused naming to_date, with the roll date and what to run instead."""

from __future__ import annotations

import pytest

from core_server.backtest_jobs.settings import RunSettings
from core_server.model.errors import InvalidArgument


def settings(symbol: str, first: str, last: str) -> RunSettings:
    return RunSettings(symbol, first, last, "bracket-a-day")


def test_a_continuous_range_inside_one_front_month_runs_on_that_contract() -> None:
    # ESZ2025 expires Friday 2025-12-19; 8 calendar days before, trading day Thursday 2025-12-11 (from 17:00 CT
    # on the 10th) is the first on ESH2026.
    assert settings("ES", "2025-12-01", "2025-12-10").config().contracts[0].id == "ESZ2025"
    assert settings("ES1!", "2025-12-11", "2025-12-19").config().contracts[0].id == "ESH2026"


def test_a_continuous_range_across_the_roll_is_refused_with_the_roll_date() -> None:
    with pytest.raises(InvalidArgument) as refused:
        settings("ES", "2025-12-01", "2025-12-11").config()
    assert refused.value.field == "settings.to_date"
    assert "2025-12-11" in refused.value.reason
    assert "ESZ2025" in refused.value.reason and "ESH2026" in refused.value.reason


def test_a_named_contract_runs_across_the_roll_date() -> None:
    assert settings("ESZ2025", "2025-12-01", "2025-12-16").config().contracts[0].id == "ESZ2025"
