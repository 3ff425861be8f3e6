"""Bridge settings from the environment: secrets, allowlist, listen address; refuses to run open."""

from __future__ import annotations

import pytest

from clients.webhook_bridge import BridgeConfig, ConfigError
from clients.webhook_bridge.access import TRADINGVIEW_IPS


def test_defaults_need_only_a_secret() -> None:
    config = BridgeConfig.from_env({"VIGIL_WEBHOOK_SECRET": "shared"})

    assert (config.target, config.listen, config.host_port) == (
        "127.0.0.1:50051",
        "127.0.0.1:8080",
        ("127.0.0.1", 8080),
    )
    assert (config.max_body_bytes, config.forward_timeout_s, config.trust_proxy) == (16384, 2.0, False)
    assert config.secrets.default == "shared" and not config.allowlist.enabled and config.api_key is None


def test_every_variable_is_read() -> None:
    config = BridgeConfig.from_env(
        {
            "VIGIL_TARGET": "10.0.0.5:50051",
            "VIGIL_API_KEY": "k",
            "VIGIL_BRIDGE_LISTEN": "0.0.0.0:80",
            "VIGIL_WEBHOOK_SECRETS": "orb=one, vwap=two=with=equals",
            "VIGIL_WEBHOOK_ALLOW_IPS": "tradingview,10.1.0.0/16",
            "VIGIL_WEBHOOK_TRUST_PROXY": "1",
            "VIGIL_WEBHOOK_MAX_BODY": "4096",
            "VIGIL_WEBHOOK_FORWARD_TIMEOUT": "1.5",
            "VIGIL_LOG_LEVEL": "DEBUG",
        }
    )

    assert (config.target, config.api_key, config.host_port) == ("10.0.0.5:50051", "k", ("0.0.0.0", 80))
    assert dict(config.secrets.by_strategy) == {"orb": "one", "vwap": "two=with=equals"}
    assert config.secrets.default is None
    assert len(config.allowlist.networks) == len(TRADINGVIEW_IPS) + 1
    assert (config.trust_proxy, config.max_body_bytes, config.forward_timeout_s, config.log_level) == (
        True,
        4096,
        1.5,
        "debug",
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "VIGIL_WEBHOOK_SECRET"),
        ({"VIGIL_WEBHOOK_SECRET": ""}, "VIGIL_WEBHOOK_SECRET"),
        ({"VIGIL_WEBHOOK_SECRETS": "orb"}, "VIGIL_WEBHOOK_SECRETS"),
        ({"VIGIL_WEBHOOK_SECRETS": "orb="}, "VIGIL_WEBHOOK_SECRETS"),
        ({"VIGIL_WEBHOOK_SECRETS": "has space=x"}, "VIGIL_WEBHOOK_SECRETS"),
        ({"VIGIL_WEBHOOK_SECRET": "s", "VIGIL_BRIDGE_LISTEN": "8080"}, "VIGIL_BRIDGE_LISTEN"),
        ({"VIGIL_WEBHOOK_SECRET": "s", "VIGIL_WEBHOOK_ALLOW_IPS": "tradingview,nope"}, "VIGIL_WEBHOOK_ALLOW_IPS"),
        ({"VIGIL_WEBHOOK_SECRET": "s", "VIGIL_WEBHOOK_MAX_BODY": "lots"}, "VIGIL_WEBHOOK_MAX_BODY"),
        ({"VIGIL_WEBHOOK_SECRET": "s", "VIGIL_WEBHOOK_FORWARD_TIMEOUT": "-1"}, "VIGIL_WEBHOOK_FORWARD_TIMEOUT"),
    ],
)
def test_bad_settings_name_their_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BridgeConfig.from_env(env)

    assert caught.value.variable == variable


def test_a_configuration_error_never_shows_a_secret() -> None:
    with pytest.raises(ConfigError) as caught:
        BridgeConfig.from_env({"VIGIL_WEBHOOK_SECRETS": "orb=topsecret,broken"})

    assert "topsecret" not in str(caught.value)
