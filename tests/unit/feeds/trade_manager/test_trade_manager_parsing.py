"""Trade Manager price messages to quotes, and the stream's settings."""

from __future__ import annotations

import pytest

from core_server.config import ConfigError
from core_server.feeds.trade_manager.config import TradeManagerConfig
from core_server.feeds.trade_manager.messages import MalformedMessage, QuoteStreamParser
from core_server.model.instruments import Contract
from core_server.model.market_data import Quote
from tests.kit.time import utc

NQ = Contract("NQ", 2026, 12)
ES = Contract("ES", 2026, 12)
NOW = utc(2026, 11, 17, 14, 30)


def _data(ticker: str = "NQ1!", bid: str = "25329.0", ask: str = "25329.5", step: str = "0.25") -> str:
    return (
        f'{{"type":"DATA","data":{{"ticker":"{ticker}","prices":{{"ask":{ask},"bid":{bid}}},'
        f'"tickinfo":{{"step":{step},"amnt":5.0}}}}}}'
    )


def test_a_data_message_becomes_an_exact_quote_with_zero_sizes_stamped_on_arrival() -> None:
    parser = QuoteStreamParser([NQ, ES])
    assert parser.parse(_data(), NOW) == Quote(NQ.id, NOW, NOW, 101316, 101318, 0, 0)
    assert parser.parse(_data("ES1!", "6000.25", "6000.5"), NOW)[3] == 24001  # type: ignore[index]


def test_dated_and_exchange_prefixed_tickers_map_to_the_configured_contract() -> None:
    parser = QuoteStreamParser([NQ])
    assert parser.parse(_data("CME_MINI:NQ1!"), NOW) is not None
    assert parser.parse(_data("NQZ2026"), NOW) is not None
    assert parser.parse(_data("NQH2027"), NOW) is None  # another month of ours: not this feed's contract
    assert parser.parse(_data("ES1!", "6000", "6000.25"), NOW) is None
    assert parser.ignored == 2


def test_after_a_roll_the_continuous_ticker_prices_the_new_front_month() -> None:
    parser = QuoteStreamParser([NQ, ES])
    assert parser.parse(_data(), NOW)[0] == NQ.id  # type: ignore[index]
    nqh = Contract("NQ", 2027, 3)
    parser.add_contract(nqh)
    assert parser.parse(_data(), NOW)[0] == nqh.id  # type: ignore[index]
    assert parser.parse(_data("NQH2027"), NOW)[0] == nqh.id  # type: ignore[index]
    assert parser.parse(_data("NQZ2026"), NOW)[0] == NQ.id  # type: ignore[index]  # its positions are closing
    assert parser.parse(_data("ES1!", "6000.25", "6000.5"), NOW)[0] == ES.id  # type: ignore[index]


def test_other_message_types_are_ignored() -> None:
    parser = QuoteStreamParser([NQ])
    assert parser.parse('{"type":"LOGS","data":"anything"}', NOW) is None
    assert parser.parse('{"type":"LOGS","data":{"nested":[1,2]}}', NOW) is None
    assert parser.ignored == 2


def test_a_one_sided_update_keeps_the_other_side_and_stamps_never_go_back() -> None:
    parser = QuoteStreamParser([NQ])
    parser.parse(_data(), NOW)
    quote = parser.parse('{"type":"DATA","data":{"ticker":"NQ1!","prices":{"bid":25329.25}}}', NOW - 5)
    assert quote == Quote(NQ.id, NOW, NOW - 5, 101317, 101318, 0, 0)
    parser.reset_books()
    assert parser.parse('{"type":"DATA","data":{"ticker":"NQ1!","prices":{"bid":25329.25}}}', NOW) is None


@pytest.mark.parametrize(
    "text",
    [
        "{",
        '{"data":1}',
        '{"type":"DATA","data":{"prices":{}}}',
        _data(bid="25329.1"),
        _data(step="0.5"),
        _data(ticker="not a symbol"),
        '{"type":"DATA","data":{"ticker":"NQ1!","prices":{"bid":"x"}}}',
    ],
)
def test_unreadable_messages_raise_malformed(text: str) -> None:
    with pytest.raises(MalformedMessage):
        QuoteStreamParser([NQ]).parse(text, NOW)


def test_config_requires_a_websocket_url_and_hides_the_token() -> None:
    with pytest.raises(ConfigError) as missing:
        TradeManagerConfig.from_env({})
    assert missing.value.variable == "TRADE_MANAGER_URL"
    with pytest.raises(ConfigError, match="ws://"):
        TradeManagerConfig.from_env({"TRADE_MANAGER_URL": "https://example.com"})
    with pytest.raises(ConfigError) as orphan:
        TradeManagerConfig.from_env({"TRADE_MANAGER_URL": "wss://x/", "TRADE_MANAGER_TOKEN_PARAM": "token"})
    assert orphan.value.variable == "TRADE_MANAGER_TOKEN_PARAM"
    config = TradeManagerConfig.from_env({"TRADE_MANAGER_URL": "wss://x/stream", "TRADE_MANAGER_TOKEN": "tok-123"})
    assert config.token == "tok-123" and "tok-123" not in repr(config)
