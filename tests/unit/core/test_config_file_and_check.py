"""One settings model: environment over an optional TOML file over defaults, every problem at once, and
`config check` printing the effective configuration with secrets masked."""

from __future__ import annotations

import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from core_server.config import Config, ConfigError, ConfigProblems
from core_server.config_check import check, mask_url


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "vigil.toml"
    path.write_text(text)
    return str(path)


def test_a_toml_file_sets_values_and_the_environment_wins_over_it(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        'feed = "simulated"\nsymbols = ["ES", "NQ"]\nsim_seed = 42\nbreak_even = false\nrisk_preset = "topstep_50k"\n'
        '[paper]\nseed = 9\nbalance = "25000"\n',
    )
    config = Config.from_env({"VIGIL_CONFIG_FILE": path, "VIGIL_SIM_SEED": "5"})
    assert config.symbols == ("ES", "NQ")
    assert config.sim_seed == 5  # the environment wins
    assert config.break_even is False
    assert config.risk_preset == "topstep_50k"
    assert (config.paper.seed, config.paper.account_balance) == (9, Decimal(25000))


def test_a_file_that_is_not_toml_or_names_an_unknown_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_env({"VIGIL_CONFIG_FILE": _file(tmp_path, "feed = \n")})
    assert raised.value.variable == "VIGIL_CONFIG_FILE"
    with pytest.raises(ConfigError) as raised:
        Config.from_env({"VIGIL_CONFIG_FILE": str(tmp_path / "missing.toml")})
    assert raised.value.variable == "VIGIL_CONFIG_FILE"
    with pytest.raises(ConfigError) as raised:
        Config.from_env({"VIGIL_CONFIG_FILE": _file(tmp_path, "sim_sed = 4\n")})
    assert raised.value.variable == "VIGIL_SIM_SED"
    assert "unknown setting" in str(raised.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigProblems) as raised:
        Config.from_env({"VIGIL_FEED": "bogus", "VIGIL_PAPER_SEED": "x", "VIGIL_RISK_PRESET": "nope"})
    assert [p.variable for p in raised.value.problems] == ["VIGIL_FEED", "VIGIL_PAPER_SEED", "VIGIL_RISK_PRESET"]
    assert raised.value.variable == "VIGIL_FEED"
    assert "VIGIL_PAPER_SEED" in str(raised.value)


def test_the_risk_preset_is_part_of_the_settings() -> None:
    assert Config.from_env({"VIGIL_RISK_PRESET": "apex_50k"}).risk_preset == "apex_50k"
    with pytest.raises(ConfigError) as raised:
        Config.from_env({"VIGIL_RISK_PRESET": "nope"})
    assert raised.value.variable == "VIGIL_RISK_PRESET"


def test_check_masks_secrets_and_lists_every_problem() -> None:
    out = io.StringIO()
    env = {
        "VIGIL_API_KEYS": "key-one-secret,key-two-secret",
        "DATABASE_URL": "postgresql://vigil:hunter2@db.example:5432/vigil",
        "VIGIL_FEED": "tradovate",
        "TRADOVATE_USERNAME": "trader",
        "TRADOVATE_PASSWORD": "pa55word",
        "VIGIL_SIM_RATE": "fast",
    }
    assert check(env, out) == 2
    text = out.getvalue()
    for secret in ("key-one-secret", "key-two-secret", "hunter2", "pa55word"):
        assert secret not in text
    assert "postgresql://vigil:****@db.example:5432/vigil" in text
    assert "VIGIL_SIM_RATE: 'fast' is not a number" in text
    # The broker adapter's settings are checked too, each missing credential named.
    for missing in ("TRADOVATE_APP_ID", "TRADOVATE_APP_VERSION", "TRADOVATE_CID", "TRADOVATE_SECRET"):
        assert f"{missing}: is not set" in text
    assert "Problems (5):" in text


def test_check_passes_a_good_configuration_and_shows_where_values_come_from(tmp_path: Path) -> None:
    path = _file(tmp_path, 'symbols = "ES"\n')
    out = io.StringIO()
    assert check({"VIGIL_CONFIG_FILE": path, "VIGIL_FEED": "simulated"}, out) == 0
    text = out.getvalue()
    assert f"VIGIL_SYMBOLS      ES  ({path})" in text
    assert "VIGIL_FEED         simulated  (env)" in text
    assert "No problems" in text


def test_a_misspelt_file_setting_is_reported_beside_other_problems(tmp_path: Path) -> None:
    path = _file(tmp_path, 'feed = "replay"\nsim_sed = 3\n')
    with pytest.raises(ConfigProblems) as raised:
        Config.from_env({"VIGIL_CONFIG_FILE": path})
    assert {p.variable for p in raised.value.problems} == {"VIGIL_REPLAY_FILE", "VIGIL_SIM_SED"}


def test_mask_url_keeps_everything_but_the_password() -> None:
    assert mask_url("postgresql://u:p@h/db") == "postgresql://u:****@h/db"
    assert mask_url("postgresql://h/db") == "postgresql://h/db"


def test_vigil_server_config_check_is_a_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "core_server", "config", "check"],
        env={"VIGIL_FEED": "nope", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "VIGIL_FEED: 'nope'" in result.stdout
