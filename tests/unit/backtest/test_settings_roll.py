"""A backtest on a continuous symbol (ES, ES1!) trades the front month of each part of its range: a range that crosses
rolls (SPEC §1: the next contract leads from the 17:00 CT open of the trading day 8 calendar days before the
third-Friday expiry) holds every front month and a roll at each of those instants, found by the rule live uses
(model.instruments.front_contract). A named contract trades alone, across its roll date too."""

from __future__ import annotations

from core_server.backtest.rolls import Roll
from core_server.backtest_jobs.settings import RunSettings
from core_server.model.instruments import Contract, front_contract
from tests.kit.time import ct


def settings(symbol: str, first: str, last: str) -> RunSettings:
    return RunSettings(symbol, first, last, "bracket-a-day")


def test_a_continuous_range_inside_one_front_month_runs_on_that_contract() -> None:
    # ESZ2025 expires Friday 2025-12-19; 8 calendar days before, trading day Thursday 2025-12-11 (from 17:00 CT
    # on the 10th) is the first on ESH2026.
    inside = settings("ES", "2025-12-01", "2025-12-10").config()
    assert [c.id for c in inside.contracts] == ["ESZ2025"] and inside.rolls == ()
    assert [c.id for c in settings("ES1!", "2025-12-11", "2025-12-19").config().contracts] == ["ESH2026"]


def test_a_continuous_range_across_the_roll_trades_both_front_months_with_the_roll_at_17_00_ct() -> None:
    for symbol in ("ES", "ES1!"):
        config = settings(symbol, "2025-12-01", "2025-12-11").config()
        z, h = Contract("ES", 2025, 12), Contract("ES", 2026, 3)
        assert config.contracts == (z, h)
        assert config.rolls == (Roll(ct(2025, 12, 10, 17), z, h),)
        assert front_contract("ES", ct(2025, 12, 10, 17) - 1) == z and front_contract("ES", ct(2025, 12, 10, 17)) == h


def test_a_year_of_es_holds_every_front_month_and_rolls_where_live_rolls() -> None:
    config = settings("ES", "2025-01-02", "2025-12-31").config()
    assert [c.id for c in config.contracts] == ["ESH2025", "ESM2025", "ESU2025", "ESZ2025", "ESH2026"]
    assert [r.at_ns for r in config.rolls] == [
        ct(2025, 3, 12, 17), ct(2025, 6, 11, 17), ct(2025, 9, 10, 17), ct(2025, 12, 10, 17),
    ]  # fmt: skip
    for roll in config.rolls:
        assert front_contract("ES", roll.at_ns - 1) == roll.old and front_contract("ES", roll.at_ns) == roll.new
    assert settings("ES", "2025-01-02", "2025-12-31").contract().id == "ESH2025"  # the run row's contract


def test_a_named_contract_runs_across_the_roll_date() -> None:
    config = settings("ESZ2025", "2025-12-01", "2025-12-16").config()
    assert [c.id for c in config.contracts] == ["ESZ2025"] and config.rolls == ()
