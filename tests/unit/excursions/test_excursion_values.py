"""TradeSpec and ExcursionSettings validation, R display, and the package's purity."""

from __future__ import annotations

import ast
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from core_server.excursions.model import Direction
from core_server.excursions.r_multiples import display_r, format_r
from core_server.excursions.settings import DEFAULT_EXCURSION_SETTINGS, ExcursionSettings, PriceSource
from core_server.model.errors import InvalidArgument
from tests.unit.excursions.excursion_kit import spec, tracker

LONG, SHORT = Direction.LONG, Direction.SHORT


def test_defaults_are_last_price_and_break_even_at_1r_with_no_offset() -> None:
    s = DEFAULT_EXCURSION_SETTINGS
    assert (s.price_source, s.break_even_enabled, s.trigger_r, s.break_even_offset_ticks) == (
        PriceSource.LAST,
        True,
        1,
        0,
    )


@pytest.mark.parametrize(
    ("direction", "entry", "stop"),
    [(LONG, "25000.00", "25000.00"), (LONG, "25000.00", "25000.25"), (SHORT, "25000.00", "24999.75")],
)
def test_a_stop_on_the_wrong_side_of_entry_is_refused(direction: Direction, entry: str, stop: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        spec(direction, entry, stop)
    assert raised.value.field == "stop"


def test_risk_is_entry_minus_stop_for_a_long_and_mirrored_for_a_short() -> None:
    assert spec(LONG, "25000.00", "24975.00").risk_ticks == 100
    assert spec(SHORT, "25000.00", "25025.00").risk_ticks == 100


def test_a_target_on_the_losing_side_or_at_zero_r_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        spec(LONG, "25000.00", "24975.00", target_price="24990.00")
    with pytest.raises(InvalidArgument):
        spec(SHORT, "25000.00", "25025.00", target_r=Fraction(0))


def test_r_settings_must_be_exact_and_positive() -> None:
    with pytest.raises(InvalidArgument):
        ExcursionSettings(break_even_trigger_r=1.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        ExcursionSettings(break_even_trigger_r=Decimal("NaN"))
    with pytest.raises(InvalidArgument):
        ExcursionSettings(break_even_trigger_r=0)
    with pytest.raises(InvalidArgument):
        spec(LONG, "25000.00", "24975.00", target_r=2.0)  # type: ignore[arg-type]


def test_a_break_even_stop_at_or_beyond_the_trigger_is_refused() -> None:
    with pytest.raises(InvalidArgument) as raised:
        tracker(LONG, "25000.00", "24975.00", ExcursionSettings(break_even_offset_ticks=100))
    assert raised.value.field == "break_even_offset_ticks"
    tracker(LONG, "25000.00", "24975.00", ExcursionSettings(break_even_offset_ticks=99))
    tracker(LONG, "25000.00", "24975.00", ExcursionSettings(break_even_enabled=False, break_even_offset_ticks=500))


def test_direction_parses_trader_words_and_maps_signal_numbers() -> None:
    from core_server.signals.model import SignalDirection

    assert [Direction.parse(w) for w in ("Long", "buy", "BEARISH")] == [LONG, LONG, SHORT]
    assert Direction(SignalDirection.BEARISH.value) is SHORT
    with pytest.raises(InvalidArgument):
        Direction.parse("flat")


@pytest.mark.parametrize(
    ("r", "shown"),
    [
        (Fraction(1, 50), "0.02"),
        (Fraction(13, 11), "1.18"),
        (Fraction(-1, 8), "-0.13"),  # half away from zero
        (Fraction(1, 200), "0.01"),
        (Fraction(-1), "-1.00"),
        (Fraction(0), "0.00"),
    ],
)
def test_display_r_rounds_half_away_from_zero_without_floats(r: Fraction, shown: str) -> None:
    assert display_r(r) == Decimal(shown)
    assert str(display_r(r)) == shown


def test_format_r_signs_gains_and_shows_a_dash_for_no_result() -> None:
    assert [format_r(Fraction(2)), format_r(Fraction(-3, 5)), format_r(Fraction(0)), format_r(None)] == [
        "+2.00R",
        "-0.60R",
        "0.00R",
        "-",
    ]


# The async shell (live.py) may also use the event loop, the bus and logging; nothing else may.
SHELL_EXTRAS = {"live.py": ("asyncio", "contextlib", "structlog", "core_server.bus")}


def test_the_package_imports_only_the_standard_library_and_the_model() -> None:
    package = Path(__file__).resolve().parents[3] / "core_server" / "excursions"
    allowed_roots = {"__future__", "builtins", "collections", "dataclasses", "decimal", "enum", "fractions", "typing"}
    for module in package.glob("*.py"):
        extras = SHELL_EXTRAS.get(module.name, ())
        for node in ast.walk(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                ours = name.startswith(("core_server.model", "core_server.excursions", *extras))
                assert ours or name.split(".")[0] in allowed_roots, f"{module.name} imports {name}"
