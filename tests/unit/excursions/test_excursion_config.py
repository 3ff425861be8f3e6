"""Excursion settings from the environment: defaults, exact values, and errors that name the variable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_server.config import Config, ConfigError


def test_defaults_are_last_trade_prices_and_break_even_at_one_r_to_entry() -> None:
    config = Config.from_env({})

    assert (config.excursion_price, config.break_even, config.break_even_r, config.break_even_offset_ticks) == (
        "last",
        True,
        Decimal(1),
        0,
    )


def test_settings_are_read_exactly() -> None:
    config = Config.from_env(
        {
            "VIGIL_EXCURSION_PRICE": "BID_ASK",
            "VIGIL_BREAK_EVEN": "off",
            "VIGIL_BREAK_EVEN_R": "1.5",
            "VIGIL_BREAK_EVEN_OFFSET_TICKS": "2",
        }
    )

    assert (config.excursion_price, config.break_even, config.break_even_r, config.break_even_offset_ticks) == (
        "bid_ask",
        False,
        Decimal("1.5"),
        2,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VIGIL_EXCURSION_PRICE", "mid"),
        ("VIGIL_BREAK_EVEN", "yes"),
        ("VIGIL_BREAK_EVEN_R", "0"),
        ("VIGIL_BREAK_EVEN_R", "-1"),
        ("VIGIL_BREAK_EVEN_R", "one"),
        ("VIGIL_BREAK_EVEN_R", "NaN"),
        ("VIGIL_BREAK_EVEN_OFFSET_TICKS", "1.5"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_env({variable: value})
    assert raised.value.variable == variable
