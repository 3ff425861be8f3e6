"""Broker credentials: from the environment, or from a file only its owner can read (mode 0600).

`VIGIL_BROKER_CREDENTIALS_FILE` names a file of `NAME=value` lines (the TRADOVATE_* and PROJECTX_* variables of
the feed adapters, plus TRADOVATE_TRADING_URL, the trading socket); values in the environment win. A file
anyone else can read is refused. Credentials are never logged, stored or returned: only whether they are set.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from core_server.brokers.model import BrokerKind
from core_server.config import ConfigError
from core_server.feeds.projectx.config import ProjectXConfig
from core_server.feeds.tradovate.config import TradovateConfig

FILE_VARIABLE = "VIGIL_BROKER_CREDENTIALS_FILE"
TRADING_URLS = {"demo": "wss://demo.tradovateapi.com/v1/websocket", "live": "wss://live.tradovateapi.com/v1/websocket"}


def broker_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables the broker adapters read: the credentials file's, overridden by the environment's."""
    env = os.environ if env is None else env
    merged: dict[str, str] = {}
    path_text = env.get(FILE_VARIABLE, "").strip()
    if path_text:
        merged.update(read_credentials_file(Path(path_text)))
    merged.update({k: v for k, v in env.items() if k.startswith(("TRADOVATE_", "PROJECTX_"))})
    return merged


def read_credentials_file(path: Path) -> dict[str, str]:
    try:
        info = path.stat()
    except OSError:
        raise ConfigError(FILE_VARIABLE, f"{path} does not exist or cannot be read") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise ConfigError(FILE_VARIABLE, f"{path} is readable by others: chmod 600 {path}")
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not name.strip():
            raise ConfigError(FILE_VARIABLE, f"{path} line {number} is not NAME=value")  # never quote the line
        values[name.strip()] = value.strip().strip("'\"")
    return values


def tradovate_config(env: Mapping[str, str], environment: str) -> TradovateConfig:
    """The Tradovate settings for `environment` (demo or live); ConfigError names a missing variable.
    TRADOVATE_BROKER_REST_URL, when set, is the REST host for orders (a fake trading server beside a fake feed)."""
    overrides = {"TRADOVATE_ENV": environment}
    if env.get("TRADOVATE_BROKER_REST_URL", "").strip():
        overrides["TRADOVATE_REST_URL"] = env["TRADOVATE_BROKER_REST_URL"]
    return TradovateConfig.from_env({**env, **overrides})


def tradovate_trading_url(env: Mapping[str, str], environment: str) -> str:
    return env.get("TRADOVATE_TRADING_URL", "").strip().rstrip("/") or TRADING_URLS[environment]


def projectx_config(env: Mapping[str, str], api_url: str) -> ProjectXConfig:
    return ProjectXConfig.from_env({**env, "PROJECTX_API_URL": api_url})


def projectx_user_hub_url(env: Mapping[str, str], config: ProjectXConfig) -> str:
    """PROJECTX_USER_HUB_URL, else the market hub's URL with /hubs/user (the firms serve both on one host)."""
    return env.get("PROJECTX_USER_HUB_URL", "").strip() or config.market_hub_url.replace("/hubs/market", "/hubs/user")


def configured(env: Mapping[str, str], broker: BrokerKind) -> bool:
    """Whether the credentials this broker needs are all set (never which values)."""
    names = (
        ("TRADOVATE_USERNAME", "TRADOVATE_PASSWORD", "TRADOVATE_APP_ID", "TRADOVATE_CID", "TRADOVATE_SECRET")
        if broker is BrokerKind.TRADOVATE
        else ("PROJECTX_USERNAME", "PROJECTX_API_KEY")
    )
    return all(env.get(name, "").strip() for name in names)


RECONCILE_VARIABLE = "VIGIL_BROKER_RECONCILE_S"


def reconcile_interval_s(env: Mapping[str, str] | None = None) -> float:
    """Seconds between periodic reconciliations of every bound account (VIGIL_BROKER_RECONCILE_S, default 60)."""
    env = os.environ if env is None else env
    raw = env.get(RECONCILE_VARIABLE, "").strip() or "60"
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(RECONCILE_VARIABLE, f"{raw!r} is not a number of seconds") from None
    if not 1 <= value <= 86400:
        raise ConfigError(RECONCILE_VARIABLE, "between 1 and 86400 seconds")
    return value
