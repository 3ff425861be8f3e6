"""Order limits from the environment: the price band, per-root bands, the max order size and the paper balance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_server.config import Config, ConfigError
from core_server.execution.price_bands import PriceBands
from core_server.model.instruments import INSTRUMENTS


def test_defaults_are_a_ten_percent_band_and_one_hundred_contracts_an_order() -> None:
    paper = Config.from_env({}).paper
    assert (paper.price_band, paper.price_bands, paper.max_order_size) == (Decimal("0.10"), (), 100)


def test_per_root_bands_override_the_default_and_micros_follow_their_mini() -> None:
    paper = Config.from_env(
        {"VIGIL_PRICE_BAND": "0.2", "VIGIL_PRICE_BANDS": "nq=0.05, ES=0.08", "VIGIL_MAX_ORDER_SIZE": "20"}
    ).paper
    bands = PriceBands(paper.price_band, dict(paper.price_bands))
    assert [bands.band(INSTRUMENTS[r]) for r in ("NQ", "MNQ", "ES", "MES", "YM")] == [
        Decimal("0.05"), Decimal("0.05"), Decimal("0.08"), Decimal("0.08"), Decimal("0.2"),
    ]  # fmt: skip
    assert paper.max_order_size == 20


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VIGIL_PRICE_BAND", "0"),
        ("VIGIL_PRICE_BAND", "1.5"),
        ("VIGIL_PRICE_BAND", "ten"),
        ("VIGIL_PRICE_BANDS", "CL=0.05"),
        ("VIGIL_PRICE_BANDS", "NQ"),
        ("VIGIL_PRICE_BANDS", "NQ=1e30"),
        ("VIGIL_MAX_ORDER_SIZE", "0"),
        ("VIGIL_MAX_ORDER_SIZE", "10001"),
        ("VIGIL_PAPER_BALANCE", "1e30"),
        ("VIGIL_PAPER_BALANCE", "0"),
        ("VIGIL_COMMISSION", "NaN"),
    ],
)
def test_a_bad_limit_stops_the_server_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_env({variable: value})
    assert raised.value.variable == variable
