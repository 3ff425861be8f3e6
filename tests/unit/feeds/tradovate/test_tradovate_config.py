"""Tradovate settings from the environment: required credentials, hosts, overrides, secrecy."""

from __future__ import annotations

import pytest

from core_server.config import ConfigError
from core_server.feeds.tradovate.config import MD_URL, TradovateConfig

ENV = {
    "TRADOVATE_USERNAME": "trader",
    "TRADOVATE_PASSWORD": "s3cret-pw",
    "TRADOVATE_APP_ID": "Vigil",
    "TRADOVATE_APP_VERSION": "1.0",
    "TRADOVATE_CID": "8",
    "TRADOVATE_SECRET": "api-secret-value",
}


def test_defaults_are_the_demo_rest_host_and_the_shared_market_data_host() -> None:
    config = TradovateConfig.from_env(ENV)
    assert (config.username, config.cid, config.environment) == ("trader", "8", "demo")
    assert config.rest_url == "https://demo.tradovateapi.com/v1"
    assert config.md_url == MD_URL == "wss://md.tradovateapi.com/v1/websocket"


def test_live_environment_and_url_overrides_for_the_fake() -> None:
    config = TradovateConfig.from_env(
        ENV | {"TRADOVATE_ENV": "LIVE", "TRADOVATE_MD_URL": "ws://127.0.0.1:8765/v1/websocket"}
    )
    assert config.rest_url == "https://live.tradovateapi.com/v1"
    assert config.md_url == "ws://127.0.0.1:8765/v1/websocket"
    local = TradovateConfig.from_env(ENV | {"TRADOVATE_REST_URL": "http://127.0.0.1:8765/v1/"})
    assert local.rest_url == "http://127.0.0.1:8765/v1"


@pytest.mark.parametrize("variable", sorted(ENV))
def test_each_missing_credential_is_an_error_naming_its_variable(variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TradovateConfig.from_env({k: v for k, v in ENV.items() if k != variable} | {variable: "  "})
    assert caught.value.variable == variable
    assert variable in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TRADOVATE_ENV", "paper"), ("TRADOVATE_REST_URL", "ftp://x/v1"), ("TRADOVATE_MD_URL", "http://md/ws")],
)
def test_bad_environment_or_urls_are_errors_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TradovateConfig.from_env(ENV | {variable: value})
    assert caught.value.variable == variable


def test_password_and_secret_never_appear_in_repr() -> None:
    text = repr(TradovateConfig.from_env(ENV))
    assert "s3cret-pw" not in text and "api-secret-value" not in text and "trader" in text
