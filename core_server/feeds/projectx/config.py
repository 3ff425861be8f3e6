"""ProjectX Gateway feed settings: credentials and hosts from the environment, timers for tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core_server.config import ConfigError

DEFAULT_API_URL = "https://api.topstepx.com"
DEFAULT_MARKET_HUB_URL = "https://rtc.topstepx.com/hubs/market"


@dataclass(frozen=True, slots=True)
class ProjectXConfig:
    """Everything the ProjectX adapter needs. `api_key` never appears in repr, logs or status."""

    username: str
    api_key: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    market_hub_url: str = DEFAULT_MARKET_HUB_URL
    live: bool = False  # the `live` flag of Contract/search and History/retrieveBars (false = sim data)
    negotiate: bool = False  # True: POST <hub>/negotiate first (the Go client); False: skipNegotiation (docs)
    # Keep-alive: the docs' SDK pings every 10 s; ASP.NET's client gives up after 30 s of silence.
    ping_interval_s: float = 10.0
    idle_timeout_s: float = 30.0
    handshake_timeout_s: float = 10.0
    subscribe_timeout_s: float = 10.0
    rest_timeout_s: float = 15.0
    max_message_bytes: int = 1 << 20  # one SignalR record; larger ones are counted and skipped
    max_frame_bytes: int = 16 << 20  # the websocket limit; above it the library closes the socket
    # Tokens: refreshed via Auth/validate after `token_refresh_s`, or halfway to the JWT's exp if sooner.
    token_refresh_s: float = 1800.0
    token_refresh_min_s: float = 5.0
    auth_retry_s: float = 300.0  # wait after a rejected login: a wrong key must not hammer the gateway
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    # Backfill: wait for the live stream to pass the first live second (bar complete) at most this long.
    backfill_settle_s: float = 3.0
    backfill_max_gap_s: float = 6 * 3600.0
    backfill_page_s: int = 3600  # seconds per retrieveBars request; also its `limit`, so pages never truncate
    max_held_ticks: int = 500_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ProjectXConfig:
        """PROJECTX_USERNAME and PROJECTX_API_KEY are required; PROJECTX_API_URL and
        PROJECTX_MARKET_HUB_URL default to TopstepX; PROJECTX_LIVE=1 asks for live data."""
        env = os.environ if env is None else env
        username = env.get("PROJECTX_USERNAME", "").strip()
        if not username:
            raise ConfigError("PROJECTX_USERNAME", "is not set; the ProjectX feed logs in with a user name and API key")
        api_key = env.get("PROJECTX_API_KEY", "").strip()
        if not api_key:
            raise ConfigError("PROJECTX_API_KEY", "is not set; create an API key in the firm's ProjectX settings")
        api_url = _url(env, "PROJECTX_API_URL", DEFAULT_API_URL, ("http", "https"))
        hub_url = _url(env, "PROJECTX_MARKET_HUB_URL", DEFAULT_MARKET_HUB_URL, ("http", "https", "ws", "wss"))
        live = env.get("PROJECTX_LIVE", "0").strip().lower() in ("1", "true", "yes")
        return cls(username=username, api_key=api_key, api_url=api_url, market_hub_url=hub_url, live=live)


def _url(env: Mapping[str, str], name: str, default: str, schemes: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip() or default
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.netloc:
        raise ConfigError(name, f"{raw!r} is not a URL with scheme {' or '.join(schemes)}")
    return raw.rstrip("/")
