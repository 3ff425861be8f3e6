"""Server configuration from the environment, validated once at start."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

FEED_KINDS = ("simulated", "replay", "tradovate", "projectx", "trade_manager")
QUOTE_PRICES = ("mid", "bid", "ask")
DEFAULT_SYMBOLS = ("NQ", "MNQ", "ES", "MES")


class ConfigError(Exception):
    """A configuration value is missing or invalid; names the environment variable."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Config:
    listen: str = "127.0.0.1:50051"
    api_keys: tuple[str, ...] = ()
    database_url: str | None = None
    data_dir: Path | None = None  # embedded PostgreSQL lives under it; None = the user's data directory
    feed: str = "simulated"
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    sim_seed: int = 7
    sim_rate: float = 2000.0
    sim_hours: str = "always"
    replay_file: Path | None = None
    replay_from: str = ""  # with no file: replay stored ticks from this instant (RFC 3339 or ns) ...
    replay_to: str = ""  # ... to this one (default: now)
    replay_speed: float = 1.0
    quote_price: str = "mid"
    log_level: str = "info"
    log_format: str = "auto"
    tick_buffer_max: int = 2_000_000
    forming_interval_ms: int = 250
    signal_approval: str = "auto"  # auto: confirmed signals trade at once; manual: wait for ApproveSignal
    env: Mapping[str, str] = field(default_factory=dict, repr=False)  # for adapters' own settings

    @property
    def listens_on_loopback(self) -> bool:
        host = self.listen.rsplit(":", 1)[0].strip("[]")
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        get = env.get
        feed = get("VIGIL_FEED", "simulated").strip().lower()
        if feed not in FEED_KINDS:
            raise ConfigError("VIGIL_FEED", f"{feed!r} is not one of {', '.join(FEED_KINDS)}")
        quote_price = get("VIGIL_QUOTE_PRICE", "mid").strip().lower()
        if quote_price not in QUOTE_PRICES:
            raise ConfigError("VIGIL_QUOTE_PRICE", f"{quote_price!r} is not one of {', '.join(QUOTE_PRICES)}")
        signal_approval = get("VIGIL_SIGNAL_APPROVAL", "auto").strip().lower()
        if signal_approval not in ("auto", "manual"):
            raise ConfigError("VIGIL_SIGNAL_APPROVAL", "use 'auto' or 'manual'")
        sim_hours = get("VIGIL_SIM_HOURS", "always").strip().lower()
        if sim_hours not in ("always", "exchange"):
            raise ConfigError("VIGIL_SIM_HOURS", "use 'always' or 'exchange'")
        symbols = tuple(s.strip() for s in get("VIGIL_SYMBOLS", ",".join(DEFAULT_SYMBOLS)).split(",") if s.strip())
        if not symbols:
            raise ConfigError("VIGIL_SYMBOLS", "at least one symbol is required")
        listen = get("VIGIL_LISTEN", "127.0.0.1:50051").strip()
        if ":" not in listen:
            raise ConfigError("VIGIL_LISTEN", "use host:port, e.g. 127.0.0.1:50051")
        replay_file = get("VIGIL_REPLAY_FILE")
        if feed == "replay" and not replay_file and not get("VIGIL_REPLAY_FROM"):
            raise ConfigError(
                "VIGIL_REPLAY_FILE", "the replay feed needs a CSV file, or VIGIL_REPLAY_FROM for stored ticks"
            )
        config = cls(
            listen=listen,
            api_keys=tuple(k.strip() for k in get("VIGIL_API_KEYS", "").split(",") if k.strip()),
            database_url=get("DATABASE_URL") or None,
            data_dir=Path(get("VIGIL_DATA_DIR", "")).expanduser() if get("VIGIL_DATA_DIR") else None,
            feed=feed,
            symbols=symbols,
            sim_seed=_int(get, "VIGIL_SIM_SEED", 7),
            sim_rate=_number(get, "VIGIL_SIM_RATE", 2000.0, low=1.0, high=20_000.0),
            sim_hours=sim_hours,
            replay_file=Path(replay_file).expanduser() if replay_file else None,
            replay_from=get("VIGIL_REPLAY_FROM", "").strip(),
            replay_to=get("VIGIL_REPLAY_TO", "").strip(),
            replay_speed=_number(get, "VIGIL_REPLAY_SPEED", 1.0, low=0.0, high=1_000_000.0),
            quote_price=quote_price,
            log_level=get("VIGIL_LOG_LEVEL", "info").strip().lower(),
            log_format=get("VIGIL_LOG_FORMAT", "auto").strip().lower(),
            tick_buffer_max=_int(get, "VIGIL_TICK_BUFFER_MAX", 2_000_000),
            forming_interval_ms=_int(get, "VIGIL_FORMING_INTERVAL_MS", 250),
            signal_approval=signal_approval,
            env=env,
        )
        if not config.api_keys and not config.listens_on_loopback:
            raise ConfigError(
                "VIGIL_API_KEYS",
                f"listening on {listen} (not loopback) requires API keys; set VIGIL_API_KEYS or listen on 127.0.0.1",
            )
        return config


def _int(get: object, name: str, default: int) -> int:
    raw = get(name)  # type: ignore[operator]
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a whole number") from None


def _number(get: object, name: str, default: float, *, low: float, high: float) -> float:
    raw = get(name)  # type: ignore[operator]
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a number") from None
    if not low <= value <= high:
        raise ConfigError(name, f"{value} is outside {low}..{high}")
    return value
