"""Signal settings: the documented defaults per instrument and their resolution to ticks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_server.calendar.windows import SessionWindows
from core_server.model.clock import NS_PER_SECOND
from core_server.model.errors import InvalidArgument
from core_server.signals.settings import (
    DEFAULT_SIGNAL_SETTINGS,
    ApprovalMode,
    SignalSettings,
    resolve_rules,
    settings_with,
)

WINDOWS = SessionWindows()


def test_defaults_cover_every_root_with_nq_at_the_spec_values() -> None:
    nq = DEFAULT_SIGNAL_SETTINGS["NQ"]
    assert (nq.staleness_points, nq.pivot_buffer_points) == (Decimal("5"), Decimal("25"))
    assert (nq.max_age_ns, nq.future_skew_ns, nq.expiry_candles) == (120 * NS_PER_SECOND, 5 * NS_PER_SECOND, 10)
    assert (nq.session_windows, nq.approval) == (None, ApprovalMode.AUTO)
    assert sorted(DEFAULT_SIGNAL_SETTINGS) == ["ES", "M2K", "MES", "MNQ", "MYM", "NQ", "RTY", "YM"]


def test_rules_hold_each_instrument_s_settings_in_its_own_ticks() -> None:
    rules = resolve_rules(None, WINDOWS)
    in_ticks = {root: (r.staleness_ticks, r.pivot_buffer_ticks) for root, r in rules.items()}
    assert in_ticks == {
        "NQ": (20, 100),
        "MNQ": (20, 100),
        "ES": (6, 28),
        "MES": (6, 28),
        "YM": (10, 50),
        "MYM": (10, 50),
        "RTY": (5, 25),
        "M2K": (5, 25),
    }
    assert rules["NQ"].enabled_windows == frozenset(WINDOWS.names)


def test_points_off_the_tick_grid_and_unknown_windows_are_refused_at_start_up() -> None:
    with pytest.raises(InvalidArgument, match=r"signals\.NQ\.staleness_points"):
        resolve_rules({"NQ": SignalSettings(Decimal("5.1"), Decimal("25"))}, WINDOWS)
    with pytest.raises(InvalidArgument, match="unknown window 'Lunch'"):
        resolve_rules(settings_with(session_windows=frozenset({"Lunch"})), WINDOWS)
    with pytest.raises(InvalidArgument, match="expiry_candles"):
        SignalSettings(Decimal("5"), Decimal("25"), expiry_candles=0)
