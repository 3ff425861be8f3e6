"""Broker credentials come from the environment or a file only its owner can read; never from anywhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

from core_server.brokers.credentials import (
    FILE_VARIABLE,
    broker_environment,
    configured,
    reconcile_interval_s,
    tradovate_config,
)
from core_server.brokers.model import BrokerKind
from core_server.config import ConfigError

LINES = """# Tradovate demo
export TRADOVATE_USERNAME=trader
TRADOVATE_PASSWORD='s3cret pass'
TRADOVATE_APP_ID=Vigil
TRADOVATE_APP_VERSION=1.0
TRADOVATE_CID=8
TRADOVATE_SECRET=abc
"""


def test_a_0600_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "brokers.env"
    path.write_text(LINES)
    path.chmod(0o600)
    env = broker_environment({FILE_VARIABLE: str(path), "TRADOVATE_CID": "9", "HOME": "/x"})
    assert env["TRADOVATE_PASSWORD"] == "s3cret pass" and env["TRADOVATE_CID"] == "9" and "HOME" not in env
    assert configured(env, BrokerKind.TRADOVATE) and not configured(env, BrokerKind.PROJECTX)
    config = tradovate_config(env, "live")
    assert config.environment == "live" and "s3cret" not in repr(config) and "abc" not in repr(config)


def test_a_file_others_can_read_is_refused_without_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "brokers.env"
    path.write_text(LINES)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600") as refused:
        broker_environment({FILE_VARIABLE: str(path)})
    assert "s3cret" not in str(refused.value)
    path.chmod(0o600)
    path.write_text("TRADOVATE_PASSWORD s3cret\n")
    with pytest.raises(ConfigError, match="line 1") as malformed:
        broker_environment({FILE_VARIABLE: str(path)})
    assert "s3cret" not in str(malformed.value)


def test_reconcile_interval() -> None:
    assert reconcile_interval_s({}) == 60
    assert reconcile_interval_s({"VIGIL_BROKER_RECONCILE_S": "5"}) == 5
    with pytest.raises(ConfigError):
        reconcile_interval_s({"VIGIL_BROKER_RECONCILE_S": "0"})
