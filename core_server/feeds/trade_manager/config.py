"""Trade Manager price-stream settings from the environment (URL, optional token) and timers for tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core_server.config import ConfigError


@dataclass(frozen=True, slots=True)
class TradeManagerConfig:
    """Where the stream is and how to watch it. `token` never appears in repr, logs or status.

    No handshake or auth of the real stream is known (PROTOCOLS.md §4.1/§5), so a token is optional:
    sent as `Authorization: Bearer <token>`, and also as the query parameter `token_param` if set.
    """

    url: str
    token: str | None = field(default=None, repr=False)
    token_param: str | None = None
    open_timeout_s: float = 10.0
    ping_interval_s: float = 20.0  # websocket-level pings: the JSON stream itself has none
    ping_timeout_s: float = 20.0
    stale_after_s: float = 10.0  # connected but silent this long: state STALE
    idle_timeout_s: float = 120.0  # silent this long: reconnect (0 = never)
    max_message_bytes: int = 1 << 16  # one price message is ~120 bytes; larger ones are counted and skipped
    max_frame_bytes: int = 1 << 20  # the websocket limit; above it the library closes the socket
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    auth_retry_s: float = 300.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TradeManagerConfig:
        """TRADE_MANAGER_URL (ws:// or wss://) is required; TRADE_MANAGER_TOKEN and
        TRADE_MANAGER_TOKEN_PARAM are optional."""
        env = os.environ if env is None else env
        url = env.get("TRADE_MANAGER_URL", "").strip()
        if not url:
            raise ConfigError("TRADE_MANAGER_URL", "is not set; give the price stream's ws:// or wss:// URL")
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.netloc:
            raise ConfigError("TRADE_MANAGER_URL", "must be a ws:// or wss:// URL")
        token = env.get("TRADE_MANAGER_TOKEN", "").strip() or None
        param = env.get("TRADE_MANAGER_TOKEN_PARAM", "").strip() or None
        if param is not None and token is None:
            raise ConfigError("TRADE_MANAGER_TOKEN_PARAM", "is set but TRADE_MANAGER_TOKEN is not")
        return cls(url=url, token=token, token_param=param)
