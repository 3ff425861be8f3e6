"""The notification and coaching settings are part of the configuration: checked at start, from the environment
or the configuration file, each mistake naming its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from core_server.config import Config, ConfigError


def test_a_bad_channel_or_rule_stops_the_start_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"VIGIL_NOTIFY_CHANNELS: \[0\]\.kind: one of webhook"):
        Config.from_env({"VIGIL_NOTIFY_CHANNELS": '[{"kind": "fax"}]'})
    with pytest.raises(ConfigError, match="VIGIL_COACHING"):
        Config.from_env({"VIGIL_COACHING": '{"losses_in_a_row": 0}'})


def test_the_settings_may_come_from_the_configuration_file(tmp_path: Path) -> None:
    file = tmp_path / "vigil.toml"
    file.write_text('notify_channels = \'[{"kind": "slack", "url": "https://hooks.slack.com/x"}]\'\n')
    config = Config.from_env({"VIGIL_CONFIG_FILE": str(file)})
    assert "hooks.slack.com" in config.env["VIGIL_NOTIFY_CHANNELS"]
