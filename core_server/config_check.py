"""`python -m core_server config check` (`vigil-server config check`): the effective configuration with secrets
masked, where each value came from, and every problem at once. Exit 0 when the server would start with it, 2 when
not."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

from core_server.config import (
    CONFIG_FILE_ENV,
    Config,
    ConfigError,
    collect_problems,
    settings_env,
    unknown_file_settings,
)

MASK = "****"
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY")
EXIT_OK, EXIT_PROBLEMS = 0, 2


def is_secret(name: str) -> bool:
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)


def mask_url(url: str) -> str:
    """A DSN with its password replaced: postgresql://vigil:****@host/db."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:{MASK}@{host}{port}", parts.path, parts.query, parts.fragment))


def shown(name: str, value: object, *, secret: bool = False) -> str:
    """A value as printed: secrets masked (a list of secrets as their count), URLs without passwords."""
    if isinstance(value, tuple | list):
        if secret or is_secret(name):
            return f"{len(value)} set ({MASK})" if value else "(none)"
        return ", ".join(shown(name, v) for v in value) if value else "(none)"
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool | int | float):
        return str(value)
    if secret or is_secret(name):
        return MASK
    text = str(value)
    if "://" in text:
        return mask_url(text)
    return text


def _fields(obj: object, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        if f.name == "env":
            continue
        value = getattr(obj, f.name)
        name = prefix + f.name
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            rows.extend(_fields(value, name + "."))
        elif isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            rows.append((name, ", ".join(f"{k}={v}" for k, v in value)))
        else:
            rows.append((name, shown(name, value, secret=not f.repr)))
    return rows


def _feed_parser(feed: str) -> Callable[[Mapping[str, str]], Any] | None:
    """The broker adapter's own settings parser for a broker feed."""
    if feed == "tradovate":
        from core_server.feeds.tradovate.config import TradovateConfig

        return TradovateConfig.from_env
    if feed == "projectx":
        from core_server.feeds.projectx.config import ProjectXConfig

        return ProjectXConfig.from_env
    if feed == "trade_manager":
        from core_server.feeds.trade_manager.config import TradeManagerConfig

        return TradeManagerConfig.from_env
    return None


def check(env: Mapping[str, str] | None = None, out: TextIO = sys.stdout) -> int:
    """Print the effective configuration and every problem; the exit code."""
    env = os.environ if env is None else env
    problems: list[ConfigError] = []
    try:
        values, origins = settings_env(env)
    except ConfigError as exc:
        problems.append(exc)
        values, origins = dict(env), dict.fromkeys(env, "env")
        values.pop(CONFIG_FILE_ENV, None)
    found, config, _ = collect_problems(Config.parse, values)
    problems += found + unknown_file_settings(values, origins, Config.parse)
    print("Vigil server configuration (environment over VIGIL_CONFIG_FILE over defaults; secrets masked)", file=out)
    source = values.get(CONFIG_FILE_ENV) or env.get(CONFIG_FILE_ENV)
    print(f"  config file: {source or '(none)'}", file=out)
    if problems:
        print("  (a variable with a problem is shown at its default)", file=out)
    rows = _fields(config) if config is not None else []
    feed = config.feed if config is not None else ""
    parser = _feed_parser(feed)
    if parser is not None:
        feed_problems, feed_config, _ = collect_problems(parser, values)
        problems += feed_problems
        if not feed_problems and feed_config is not None:
            rows += _fields(feed_config, f"{feed}.")
    width = max((len(name) for name, _ in rows), default=0)
    for name, text in rows:
        print(f"  {name.ljust(width)}  {text}", file=out)
    settings = sorted(
        n for n in values if n.startswith(("VIGIL_", "DATABASE_URL", "TRADOVATE_", "PROJECTX_", "TRADE_MANAGER_"))
    )
    if settings:
        print("Set in the environment or the file:", file=out)
        width = max(len(n) for n in settings)
        for name in settings:
            print(f"  {name.ljust(width)}  {shown(name, values[name])}  ({origins.get(name, 'env')})", file=out)
    if problems:
        print(f"Problems ({len(problems)}):", file=out)
        for problem in problems:
            print(f"  {problem}", file=out)
        return EXIT_PROBLEMS
    print("No problems: the server would start with this configuration.", file=out)
    return EXIT_OK
