"""Every TradingView exchange prefix for these contracts parses, the delayed-data `_DL`/`_DLY` ones included."""

from __future__ import annotations

import pytest

from core_server.model.errors import InvalidArgument
from core_server.model.symbols import parse_symbol
from tests.kit.time import utc

NOW = utc(2026, 11, 19, 15, 30)


@pytest.mark.parametrize(
    ("symbol", "contract_id"),
    [
        ("CME_MINI:NQ1!", "NQZ2026"),
        ("CME_MINI_DL:MNQ1!", "MNQZ2026"),
        ("CME:ES1!", "ESZ2026"),
        ("CME_DL:MESZ2026", "MESZ2026"),
        ("CBOT_MINI:YM1!", "YMZ2026"),
        ("CBOT_MINI_DL:MYMH27", "MYMH2027"),
        ("CBOT:YMZ26", "YMZ2026"),
        ("CBOT_DL:YM1!", "YMZ2026"),
        ("CME_MINI_DLY:NQ1!", "NQZ2026"),  # PROTOCOLS §3.2: some delayed feeds end _DLY
    ],
)
def test_every_tradingview_exchange_prefix_parses(symbol: str, contract_id: str) -> None:
    assert parse_symbol(symbol, NOW).id == contract_id


@pytest.mark.parametrize("symbol", ["CME_MINI_RT:NQ1!", "NYMEX:NQ1!", "CME_MINI:"])
def test_other_prefixes_are_refused(symbol: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_symbol(symbol, NOW)
